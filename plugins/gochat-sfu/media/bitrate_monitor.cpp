#include "plugins/gochat-sfu/media/bitrate_monitor.hpp"

namespace gochat::sfu {

std::optional<Millis> BitrateMonitor::nextDeadline() const {
    if (!active() || !anyone_) return std::nullopt;
    return nextPollAt_ ? *nextPollAt_ : 0;
}

std::vector<AudioBitrateJudge::Verdict> BitrateMonitor::tick(const std::vector<std::shared_ptr<MediaSession>>& sessions,
                                                             Millis now) {
    if (!due(now)) return {};
    // From now, not from the planned time: a late poll does not bring a
    // burst of polls after it.
    nextPollAt_ = now + kPollMs;
    anyone_ = !sessions.empty();
    if (limits_.capsVideo()) capVideo(sessions, now);
    if (!limits_.enforcesAudio()) return {};
    std::vector<AudioBitrateJudge::Reading> readings;
    readings.reserve(sessions.size());
    for (const std::shared_ptr<MediaSession>& session : sessions)
        readings.push_back({session->id(), session->inboundPayloadBytes(MediaKind::Audio)});
    // The judge closes a window only once a second has passed.
    return judge_.judge(readings, now);
}

// Janus sends no REMB of its own, and a browser keeps its video under the
// last REMB it received: the first as soon as a publisher's video arrives
// (a camera switched on), then one a second while it does, so a lost one
// is replaced (docs/operations.md, Bitrate limits).
void BitrateMonitor::capVideo(const std::vector<std::shared_ptr<MediaSession>>& sessions, Millis now) {
    std::unordered_map<SessionId, VideoSeen> seen;
    seen.reserve(sessions.size());
    const uint32_t cap = static_cast<uint32_t>(limits_.videoCapBps());
    for (const std::shared_ptr<MediaSession>& session : sessions) {
        if (session->closed().load(std::memory_order_acquire)) continue;
        auto before = video_.find(session->id());
        VideoSeen state = before == video_.end() ? VideoSeen{} : before->second;
        const uint64_t bytes = session->inboundPayloadBytes(MediaKind::Video);
        const bool sending = bytes > state.bytes;
        state.bytes = bytes;
        if (sending && (!state.lastRemb || now - *state.lastRemb >= kRembIntervalMs)) {
            port_.sendBitrateCap(session->peer(), cap);
            state.lastRemb = now;
        }
        seen.emplace(session->id(), state);
    }
    video_ = std::move(seen);
}

}  // namespace gochat::sfu
