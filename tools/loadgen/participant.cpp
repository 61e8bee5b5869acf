#include "tools/loadgen/participant.hpp"

#include <glib.h>

namespace gochat::loadgen {

std::vector<StreamSummary> summarizeStreams(const ReceiveLog& log) {
    std::vector<StreamSummary> out;
    for (const auto& [key, stream] : log.streams()) {
        StreamSummary entry;
        entry.remoteId = key.first;
        entry.video = key.second;
        entry.packets = stream.stats.packets();
        entry.expected = stream.stats.expected();
        entry.lost = stream.stats.lost();
        entry.jitterMs = stream.stats.jitterMs();
        entry.firstUs = stream.firstUs;
        entry.voicePackets = stream.voicePackets;
        entry.lastLevel = stream.lastLevel;
        entry.keyframes = stream.keyframes;
        entry.lastUs = stream.lastUs;
        entry.packetsAfterMark = stream.packetsAfterMark;
        entry.voiceAfterMark = stream.voiceAfterMark;
        entry.firstVoiceAfterMarkUs = stream.firstVoiceAfterMarkUs;
        out.push_back(entry);
    }
    return out;
}

Participant::Participant(const RunSettings& settings, const ParticipantSpec& spec)
    : settings_(settings), sender_(spec.audio, g_random_int() | 1u, spec.video, g_random_int() | 1u, settings.video) {
    summary_.spec = spec;
    sender_.setQuietKind(spec.quiet);
    if (spec.speaker) sender_.setSpeech(spec.level >= 0, spec.level, 0);
}

void Participant::negotiatedDtx(bool usedtx) {
    const bool on = usedtx && settings_.honourDtx;
    summary_.dtx = on;
    sender_.useDtx(on, g_get_monotonic_time());
}

ParticipantSummary Participant::mediaSummary() const {
    ParticipantSummary out = summary_;
    out.audioSent = sender_.audioPackets();
    out.videoSent = sender_.videoPackets();
    out.keyframesSent = sender_.keyframes();
    out.sendsSkipped = sender_.skipped();
    out.unrouted = log_.unrouted();
    out.streams = summarizeStreams(log_);
    return out;
}

}  // namespace gochat::loadgen
