#include "plugins/gochat-sfu/media/bitrate_monitor.hpp"

namespace gochat::sfu {

std::optional<Millis> BitrateMonitor::nextDeadline() const {
    if (!active()) return std::nullopt;
    return nextTickAt_ ? *nextTickAt_ : 0;
}

std::vector<AudioBitrateJudge::Verdict> BitrateMonitor::tick(const std::vector<std::shared_ptr<MediaSession>>& sessions,
                                                             Millis now) {
    if (!active() || (nextTickAt_ && now < *nextTickAt_)) return {};
    // From now, not from the planned time: a late tick does not bring a
    // burst of short windows after it.
    nextTickAt_ = now + kIntervalMs;
    if (limits_.capsVideo()) capVideo(sessions);
    if (!limits_.enforcesAudio()) return {};
    std::vector<AudioBitrateJudge::Reading> readings;
    readings.reserve(sessions.size());
    for (const std::shared_ptr<MediaSession>& session : sessions)
        readings.push_back({session->id(), session->inboundPayloadBytes(MediaKind::Audio)});
    return judge_.judge(readings, now);
}

// Janus sends no REMB of its own, and a browser keeps its video under the
// last REMB it received: repeated every second while video arrives, so a
// publisher that starts its camera (or whose first REMB was lost) has it
// within a second (docs/operations.md, Bitrate limits).
void BitrateMonitor::capVideo(const std::vector<std::shared_ptr<MediaSession>>& sessions) {
    std::unordered_map<SessionId, uint64_t> seen;
    seen.reserve(sessions.size());
    const uint32_t cap = static_cast<uint32_t>(limits_.videoCapBps());
    for (const std::shared_ptr<MediaSession>& session : sessions) {
        if (session->closed().load(std::memory_order_acquire)) continue;
        const uint64_t bytes = session->inboundPayloadBytes(MediaKind::Video);
        auto before = videoBytesSeen_.find(session->id());
        const bool sending = bytes > (before == videoBytesSeen_.end() ? 0 : before->second);
        if (sending) port_.sendBitrateCap(session->peer(), cap);
        seen.emplace(session->id(), bytes);
    }
    videoBytesSeen_ = std::move(seen);
}

}  // namespace gochat::sfu
