// Receive statistics of one remote stream as RFC 3550 defines them
// (appendix A.1, A.3, A.8): packets, extended highest sequence number,
// cumulative loss and interarrival jitter. A stream whose SSRC changes (the
// SFU recycles a line, or a new publication of the same user starts) goes
// on in a new segment: what the old SSRC received and lost is kept. Pure;
// unit-tested in tests/unit/test_loadgen_rtp_stats.cpp.
#pragma once

#include <cstdint>

namespace gochat::loadgen {

class RtpStreamStats {
public:
    explicit RtpStreamStats(uint32_t clockRate) : clockRate_(clockRate) {}

    // One packet that passed SRTP; `arrivalUs` is a monotonic clock in microseconds.
    void onPacket(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, int64_t arrivalUs);

    uint64_t packets() const { return packets_; }
    // Packets expected from the sequence numbers seen (all segments).
    uint64_t expected() const { return previousExpected_ + segmentExpected(); }
    // expected - received; negative when duplicates arrived (RFC 3550 A.3).
    int64_t lost() const { return static_cast<int64_t>(expected()) - static_cast<int64_t>(packets_); }
    // Duplicates and packets too old to count (sequence behind the highest).
    uint64_t lateOrDuplicate() const { return lateOrDuplicate_; }
    // Interarrival jitter, in milliseconds (the current segment's estimate).
    double jitterMs() const { return jitter_ / 16.0 * 1000.0 / clockRate_; }
    uint32_t segments() const { return segments_; }

private:
    uint64_t segmentExpected() const;
    void startSegment(uint32_t ssrc, uint16_t sequence);

    uint32_t clockRate_;
    uint64_t packets_ = 0;
    uint64_t previousExpected_ = 0;  // expected of closed segments
    uint64_t segmentReceived_ = 0;
    uint64_t lateOrDuplicate_ = 0;
    uint32_t segments_ = 0;
    uint32_t ssrc_ = 0;
    uint32_t baseSequence_ = 0;     // extended
    uint32_t highestSequence_ = 0;  // extended
    // Jitter in timestamp units, scaled by 16 (the A.8 integer form).
    int64_t jitter_ = 0;
    uint32_t lastTransit_ = 0;
    bool haveTransit_ = false;
};

}  // namespace gochat::loadgen
