#include "tools/loadgen/receive_log.hpp"

namespace gochat::loadgen {

void ReceiveLog::setRoutes(std::unordered_map<uint32_t, StreamRoute> bySsrc,
                           std::unordered_map<std::string, StreamRoute> byMid) {
    bySsrc_ = std::move(bySsrc);
    byMid_ = std::move(byMid);
    midExtensionId_ = 0;
    for (const auto& entry : byMid_)
        if (entry.second.ids.mid > 0) midExtensionId_ = entry.second.ids.mid;
    for (const auto& entry : bySsrc_)
        if (entry.second.ids.mid > 0) midExtensionId_ = entry.second.ids.mid;
}

const StreamRoute* ReceiveLog::route(const uint8_t* data, size_t length, uint32_t ssrc) const {
    const auto bySsrc = bySsrc_.find(ssrc);
    if (bySsrc != bySsrc_.end()) return &bySsrc->second;
    if (midExtensionId_ == 0) return nullptr;
    RtpExtensionIds ids;
    ids.mid = midExtensionId_;
    RtpView view;
    if (!parseRtpPacket(data, length, ids, view) || view.header.mid.empty()) return nullptr;
    const auto byMid = byMid_.find(std::string(view.header.mid));
    return byMid == byMid_.end() ? nullptr : &byMid->second;
}

void ReceiveLog::onRtp(const uint8_t* data, size_t length, int64_t arrivalUs) {
    if (length < 12) return;
    const uint32_t ssrc = (uint32_t{data[8]} << 24) | (uint32_t{data[9]} << 16) | (uint32_t{data[10]} << 8) | data[11];
    const StreamRoute* found = route(data, length, ssrc);
    if (!found) {
        ++unrouted_;
        return;
    }
    RtpView view;
    if (!parseRtpPacket(data, length, found->ids, view)) {
        ++unrouted_;
        return;
    }
    auto [entry, inserted] = streams_.try_emplace(Key{found->remoteId, found->video}, found->video);
    RemoteStream& stream = entry->second;
    (void)inserted;
    if (stream.firstUs < 0) stream.firstUs = arrivalUs;
    stream.lastUs = arrivalUs;
    stream.lastSsrc = ssrc;
    ++packets_;
    const bool afterMark = markUs_ >= 0 && arrivalUs >= markUs_;
    if (afterMark) ++stream.packetsAfterMark;
    stream.stats.onPacket(ssrc, view.header.sequence, view.header.timestamp, arrivalUs);
    if (found->video) {
        if (vp8PayloadIsKeyframe(view.payload, view.payloadLength)) ++stream.keyframes;
    } else if (view.header.audioLevel >= 0) {
        stream.lastLevel = view.header.audioLevel;
        if (view.header.voice) {
            ++stream.voicePackets;
            if (afterMark && stream.voiceAfterMark++ == 0) stream.firstVoiceAfterMarkUs = arrivalUs;
        }
    }
}

}  // namespace gochat::loadgen
