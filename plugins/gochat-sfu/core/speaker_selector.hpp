// Which audio publishers of a room are forwarded when at most K may be: the
// loudest by their RFC 6464 level, with hysteresis so that nobody loses the
// start of a word (docs/voice-control.md, Forwarding the loudest speakers).
//
// Pure and single-threaded (the handler thread owns one per room): the
// caller reads each publisher's peak level since the previous round from
// the media path (AudioLevelMeter), passes the clock in, and publishes the
// verdicts back through atomics. Unit-tested with an injected clock
// (tests/unit/test_speaker_selector.cpp).
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <atomic>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace gochat::sfu {

struct SpeakerSelectionSettings {
    // K: publishers forwarded per room at a time; 0 forwards everyone. Four
    // keeps a place free for a newcomer while three people talk at once
    // (docs/benchmarks.md, The K loudest: a newcomer's first syllables).
    int limit = 4;
    // A publisher's score is the loudest level it reached within this many
    // ms: a speaker pausing between words keeps it, so a newcomer at the
    // same level does not take the place in the pause.
    Millis hold = 1000;
    // A publisher displaces a forwarded one only when louder by this many
    // dB: two speakers at about the same level do not swap places.
    int marginDb = 6;
};

// Loudness on the media path: the publisher's loop thread offers each
// packet's level, the handler thread takes the loudest since its last
// look. Two relaxed atomics, no lock, no allocation.
class AudioLevelMeter {
public:
    // Level in -dBov (0 loudest, 127 silence); media thread, per packet.
    void onLevel(int level) {
        const int loudness = kSilence - level;  // dB above silence
        if (loudness > peak_.load(std::memory_order_relaxed)) peak_.store(loudness, std::memory_order_relaxed);
    }
    // The loudest since the previous call, in dB above silence; 0 when no
    // packet came (a publisher in DTX or gone quiet). Handler thread.
    int takePeak() { return peak_.exchange(0, std::memory_order_relaxed); }

    // The verdict: whether this publisher's audio is forwarded. Written by
    // the handler, read per packet.
    bool forwarded() const { return forwarded_.load(std::memory_order_relaxed); }
    void setForwarded(bool forwarded) { forwarded_.store(forwarded, std::memory_order_relaxed); }

    static constexpr int kSilence = 127;

private:
    std::atomic<int> peak_{0};
    std::atomic<bool> forwarded_{true};
};

class SpeakerSelector {
public:
    explicit SpeakerSelector(SpeakerSelectionSettings settings) : settings_(settings) {}

    struct Candidate {
        SessionId session = 0;
        int peak = 0;  // dB above silence since the previous round (AudioLevelMeter::takePeak)
    };
    // One round at `now`: `candidates` are the room's audio publishers that
    // may be heard, in any order. Returns the sessions to forward (at most
    // K; everyone when K is 0 or they are no more than K). Publishers not
    // listed are forgotten.
    std::vector<SessionId> select(const std::vector<Candidate>& candidates, Millis now);

    const SpeakerSelectionSettings& settings() const { return settings_; }

private:
    struct State {
        SessionId session = 0;
        int held = 0;       // loudest level within the hold (dB above silence)
        Millis heldAt = 0;  // when `held` was reached
        bool selected = false;
        uint64_t round = 0;  // the last round it took part in
    };

    const SpeakerSelectionSettings settings_;
    std::unordered_map<SessionId, State> states_;
    std::vector<State*> ranking_;  // reused every round
    uint64_t round_ = 0;
};

}  // namespace gochat::sfu
