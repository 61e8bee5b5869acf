#include "tools/loadgen/rtp_stats.hpp"

namespace gochat::loadgen {

namespace {
constexpr uint32_t kMaxDropout = 3000;  // RFC 3550 A.1
constexpr uint32_t kMaxMisorder = 100;
}  // namespace

uint64_t RtpStreamStats::segmentExpected() const {
    if (segments_ == 0) return 0;
    return static_cast<uint64_t>(highestSequence_ - baseSequence_) + 1;
}

void RtpStreamStats::startSegment(uint32_t ssrc, uint16_t sequence) {
    previousExpected_ += segmentExpected();
    ++segments_;
    ssrc_ = ssrc;
    baseSequence_ = sequence;
    highestSequence_ = sequence;
    segmentReceived_ = 0;
    haveTransit_ = false;
    jitter_ = 0;
}

void RtpStreamStats::onPacket(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, int64_t arrivalUs) {
    if (segments_ == 0 || ssrc != ssrc_) startSegment(ssrc, sequence);
    const uint16_t highestLow = static_cast<uint16_t>(highestSequence_);
    const uint16_t delta = static_cast<uint16_t>(sequence - highestLow);
    if (segmentReceived_ > 0 && delta == 0) {
        ++lateOrDuplicate_;
        ++packets_;
        return;
    }
    if (delta < kMaxDropout) {
        // In order, possibly with a gap; a wrap of the 16-bit number adds a cycle.
        highestSequence_ += delta;
    } else if (delta <= 65536 - kMaxMisorder) {
        // A big jump: the sender restarted its numbering without a new SSRC.
        startSegment(ssrc, sequence);
    } else {
        ++lateOrDuplicate_;  // reordered: counted as received, the highest stays
    }
    ++packets_;
    ++segmentReceived_;
    // A.8: transit = arrival - timestamp, both in timestamp units.
    // 32-bit arithmetic, as the timestamps wrap.
    const auto arrival = static_cast<uint32_t>(arrivalUs * static_cast<int64_t>(clockRate_) / 1000000);
    const uint32_t transit = arrival - timestamp;
    if (haveTransit_) {
        int64_t d = static_cast<int32_t>(transit - lastTransit_);
        if (d < 0) d = -d;
        jitter_ += d - ((jitter_ + 8) >> 4);
    }
    lastTransit_ = transit;
    haveTransit_ = true;
}

}  // namespace gochat::loadgen
