// The bitrate limits on the handler thread (docs/operations.md, Bitrate
// limits): once a second it reads what every publisher sent (the counters
// the packet path adds to), asks each one that is sending video to stay
// under the video cap (REMB), and judges the audio against the audio cap.
// Nothing here runs per packet.
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
    static constexpr Millis kIntervalMs = AudioBitrateJudge::kWindowMs;

    BitrateMonitor(MediaPort& port, const BitrateLimits& limits)
        : port_(port), limits_(limits), judge_(limits.audioLimitBps()) {}

    // Whether there is anything to do at all (an enforced audio cap or a video cap).
    bool active() const { return limits_.enforcesAudio() || limits_.capsVideo(); }
    // When tick() next has work: every kIntervalMs while active.
    std::optional<Millis> nextDeadline() const;

    // Does the second's work when it is due (nothing otherwise): a REMB to
    // every session whose video grew since the last tick, then the audio
    // verdicts (AudioBitrateJudge::judge) when the audio cap is enforced.
    std::vector<AudioBitrateJudge::Verdict> tick(const std::vector<std::shared_ptr<MediaSession>>& sessions,
                                                 Millis now);

    const BitrateLimits& limits() const { return limits_; }

private:
    void capVideo(const std::vector<std::shared_ptr<MediaSession>>& sessions);

    MediaPort& port_;
    const BitrateLimits limits_;
    AudioBitrateJudge judge_;
    std::unordered_map<SessionId, uint64_t> videoBytesSeen_;  // at the last tick
    std::optional<Millis> nextTickAt_;                        // none yet: the first is due at once
};

}  // namespace gochat::sfu
