// Speaking detection from the RFC 6464 audio level a publisher's client puts
// on each packet (docs/protocol.md, Speaking indicator), with hysteresis so the indicator neither
// flickers on clicks nor drops between words.
//
// NOTE: onAudioLevel() runs on the publisher's media thread, per packet: no
// allocation, no lock. The atomics are what the control plane may read.
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <atomic>

namespace gochat::sfu {

struct SpeakingThresholds {
    // Levels are -dBov: 0 is the loudest, 127 digital silence. A packet at or
    // below this number counts as voice (-50 dBov is well under speech and
    // well above a quiet room's noise floor).
    int voiceLevel = 50;
    Millis attack = 100;   // voice must last this long to start speaking
    Millis release = 600;  // silence must last this long to stop
};

class SpeakingDetector {
public:
    enum class Change { None, Started, Stopped };

    explicit SpeakingDetector(SpeakingThresholds thresholds = {}) : thresholds_(thresholds) {}

    // One packet's level (0..127) at `now`. Says when the verdict changes.
    Change onAudioLevel(int level, Millis now) {
        if (!sawAudioLevel_.load(std::memory_order_relaxed)) sawAudioLevel_.store(true, std::memory_order_relaxed);
        if (resetRequested_.load(std::memory_order_relaxed) && resetRequested_.exchange(false)) {
            speaking_.store(false, std::memory_order_relaxed);
            voiceRunStart_ = kNever;
        }
        const bool speaking = speaking_.load(std::memory_order_relaxed);
        if (level >= 0 && level <= thresholds_.voiceLevel) {
            // Gaps shorter than the attack (between syllables) keep a run going.
            if (voiceRunStart_ == kNever || now - lastVoice_ > thresholds_.attack) voiceRunStart_ = now;
            lastVoice_ = now;
            lastVoiceAt_.store(now, std::memory_order_relaxed);
            if (!speaking && now - voiceRunStart_ >= thresholds_.attack) {
                speaking_.store(true, std::memory_order_relaxed);
                return Change::Started;
            }
        } else if (speaking && now - lastVoice_ >= thresholds_.release) {
            speaking_.store(false, std::memory_order_relaxed);
            return Change::Stopped;
        }
        return Change::None;
    }

    // For the control plane: a publisher that stopped sending packets
    // altogether never reports silence, so it is checked from outside.
    bool quietFor(Millis now) const {
        return now - lastVoiceAt_.load(std::memory_order_relaxed) >= thresholds_.release;
    }
    // Forget the current verdict at the next packet (after a forced stop).
    void requestReset() { resetRequested_.store(true, std::memory_order_relaxed); }
    bool speaking() const { return speaking_.load(std::memory_order_relaxed); }
    // Whether this publisher's packets carry the audio-level extension at all.
    bool sawAudioLevel() const { return sawAudioLevel_.load(std::memory_order_relaxed); }

private:
    static constexpr Millis kNever = -1;
    const SpeakingThresholds thresholds_;
    // Media thread only:
    Millis voiceRunStart_ = kNever;
    Millis lastVoice_ = 0;
    // Shared with the control plane:
    std::atomic<bool> speaking_{false};
    std::atomic<Millis> lastVoiceAt_{0};
    std::atomic<bool> sawAudioLevel_{false};
    std::atomic<bool> resetRequested_{false};
};

}  // namespace gochat::sfu
