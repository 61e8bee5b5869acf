// Sequence numbers and timestamps of one subscriber line, continuous across
// everything that interrupts it: a pause (mute, deafen), a resume, a new
// source SSRC. The receiver sees one stream with no gap to NACK and no jump
// to resynchronise on (docs/architecture.md, Media plane).
//
// NOTE: touched only by the publisher's media thread (one line, one
// publication); no lock, no allocation.
#pragma once

#include <cstdint>

namespace gochat::sfu {

class RtpContinuity {
public:
    struct Numbers {
        uint16_t sequence;
        uint32_t timestamp;
    };

    // The numbers to send for a packet the source numbered (ssrc, sequence,
    // timestamp), at `nowUs` (monotonic). `resumed`: forwarding restarts
    // after a pause. A rebased packet follows the last one sent: sequence
    // + 1, timestamp + the time that passed at `clockKhz` (48 audio, 90 video).
    Numbers next(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, int64_t nowUs, uint32_t clockKhz, bool resumed) {
        if (!started_) {
            started_ = true;
        } else if (resumed || ssrc != lastSsrc_) {
            int64_t elapsed = (nowUs - lastSentUs_) * clockKhz / 1000;
            if (elapsed < 1) elapsed = 1;
            sequenceShift_ = static_cast<uint16_t>(lastSent_.sequence + 1 - sequence);
            timestampShift_ = lastSent_.timestamp + static_cast<uint32_t>(elapsed) - timestamp;
        }
        lastSsrc_ = ssrc;
        lastSent_ = {static_cast<uint16_t>(sequence + sequenceShift_), timestamp + timestampShift_};
        lastSentUs_ = nowUs;
        return lastSent_;
    }

private:
    bool started_ = false;
    uint32_t lastSsrc_ = 0;
    uint16_t sequenceShift_ = 0;
    uint32_t timestampShift_ = 0;
    Numbers lastSent_{0, 0};
    int64_t lastSentUs_ = 0;
};

}  // namespace gochat::sfu
