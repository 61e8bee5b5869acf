#include "tools/loadgen/participant.hpp"

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
        out.push_back(entry);
    }
    return out;
}

}  // namespace gochat::loadgen
