// Judges each publisher's inbound audio against the cap, window by window
// (docs/operations.md, Bitrate limits): a publisher measured over the cap
// plus the margin in two consecutive windows of at least a second is to be
// removed. A pure class: the caller passes the clock and each publisher's
// byte counter, so the judging is unit-tested without media or threads.
//
// NOTE: handler thread only. The media threads only add to the counters
// the readings come from (relaxed atomics, media/media_session.hpp).
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace gochat::sfu {

class AudioBitrateJudge {
public:
    static constexpr Millis kWindowMs = 1000;
    static constexpr int kWindowsToRemove = 2;

    // One publisher's audio payload bytes received so far (a counter that
    // only grows).
    struct Reading {
        SessionId session = 0;
        uint64_t totalBytes = 0;
    };
    // A window that ended over the limit.
    struct Verdict {
        SessionId session = 0;
        int64_t measuredBps = 0;
        int windowsOver = 0;  // consecutive, this one included
        bool remove = false;  // windowsOver reached kWindowsToRemove
    };

    // Over means measured > `limitBps` (the cap plus the margin).
    explicit AudioBitrateJudge(int64_t limitBps) : limitBps_(limitBps) {}

    // The readings of every publisher now. A publisher's first window
    // starts with the first reading that shows audio, so none is judged on
    // less than a full window of its media; a window ends at the first
    // reading at least kWindowMs after its start and is judged on the time
    // that really passed. Publishers not in `readings` are forgotten, and
    // so is one the verdict removes. Returns the windows that ended over
    // the limit.
    std::vector<Verdict> judge(const std::vector<Reading>& readings, Millis now);

    int64_t limitBps() const { return limitBps_; }
    size_t tracked() const { return windows_.size(); }

private:
    struct Window {
        uint64_t startBytes = 0;
        Millis startAt = 0;
        int over = 0;  // consecutive windows over the limit before this one
    };

    const int64_t limitBps_;
    std::unordered_map<SessionId, Window> windows_;
};

}  // namespace gochat::sfu
