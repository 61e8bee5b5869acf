// The bitrate limits on the handler thread (docs/operations.md, Bitrate
// limits): four times a second it reads what every publisher sent (the
// counters the packet path adds to), asks each one that is sending video
// to stay under the video cap (a REMB as soon as its video starts, then
// every second), and judges the audio against the audio cap in windows of
// a second. Nothing here runs per packet.
//
// NOTE: handler thread only, with no plugin lock held: the REMB goes
// through the server's RTCP path, which takes the handle's mutex in Janus
// 1.1.2 (docs/architecture.md, Lock discipline).
#pragma once

#include "plugins/gochat-sfu/core/audio_bitrate_judge.hpp"
#include "plugins/gochat-sfu/core/bitrate_limits.hpp"
#include "plugins/gochat-sfu/media/media_port.hpp"
#include "plugins/gochat-sfu/media/media_session.hpp"

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace gochat::sfu {

class BitrateMonitor {
public:
    static constexpr Millis kPollMs = 250;
    static constexpr Millis kRembIntervalMs = 1000;

    BitrateMonitor(MediaPort& port, const BitrateLimits& limits)
        : port_(port), limits_(limits), judge_(limits.audioLimitBps()) {}

    // Whether there is anything to do at all (an enforced audio cap or a video cap).
    bool active() const { return limits_.enforcesAudio() || limits_.capsVideo(); }
    // When tick() next has work: every kPollMs while active and someone is
    // connected. With nobody at the last poll, none: the next request
    // (a join) runs the timers again, and a poll is due then.
    std::optional<Millis> nextDeadline() const;
    bool due(Millis now) const { return active() && (!nextPollAt_ || !anyone_ || now >= *nextPollAt_); }

    // Does the poll's work when it is due (nothing otherwise): a REMB to
    // every session whose video grew since the last poll and that had none
    // in the last kRembIntervalMs, then the audio verdicts
    // (AudioBitrateJudge::judge) when the audio cap is enforced.
    std::vector<AudioBitrateJudge::Verdict> tick(const std::vector<std::shared_ptr<MediaSession>>& sessions,
                                                 Millis now);

    const BitrateLimits& limits() const { return limits_; }

private:
    struct VideoSeen {
        uint64_t bytes = 0;              // at the last poll
        std::optional<Millis> lastRemb;  // none yet
    };
    void capVideo(const std::vector<std::shared_ptr<MediaSession>>& sessions, Millis now);

    MediaPort& port_;
    const BitrateLimits limits_;
    AudioBitrateJudge judge_;
    std::unordered_map<SessionId, VideoSeen> video_;
    std::optional<Millis> nextPollAt_;  // none yet: the first is due at once
    bool anyone_ = true;                // sessions at the last poll
};

}  // namespace gochat::sfu
