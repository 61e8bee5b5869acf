// Forwarding the audio of at most K publishers per room: the handler
// thread keeps each room's audio publishers, runs its SpeakerSelector on a
// timer from the levels the media path published (AudioLevelMeter), and
// publishes each verdict as the publisher's atomic "forwarded" flag, which
// the relay reads per packet (docs/voice-control.md, Forwarding the
// loudest speakers; docs/architecture.md, Lock discipline).
//
// Handler thread only. With K = 0 it does nothing and every flag stays set.
#pragma once

#include "plugins/gochat-sfu/core/speaker_selector.hpp"
#include "plugins/gochat-sfu/media/media_session.hpp"

#include <map>
#include <memory>
#include <vector>

namespace gochat::sfu {

class LoudestSpeakers {
public:
    // How often a room with more than K audio publishers is decided: a
    // newcomer in a room with a free place is forwarded within this (plus a
    // packet), i.e. one or two 20 ms Opus frames.
    static constexpr Millis kIntervalMs = 20;

    explicit LoudestSpeakers(SpeakerSelectionSettings settings) : settings_(settings) {}

    bool enabled() const { return settings_.limit > 0; }
    // The publisher's audio fan-out changed: it competes in `channel` while
    // it reaches anyone (`audible`), and is out of the selection otherwise.
    void onAudioFanout(ChannelId channel, const std::shared_ptr<MediaSession>& publisher, bool audible);
    // The session left.
    void forget(SessionId session);
    // One round for every room with more publishers than K, when due
    // (every kIntervalMs).
    void run(Millis now);
    // Some room needs rounds (it has more publishers than K).
    bool active() const { return contested_ > 0; }
    // When the next round is due, while active.
    Millis nextRound() const { return nextRound_; }

private:
    struct Room {
        explicit Room(SpeakerSelectionSettings settings) : selector(settings) {}
        SpeakerSelector selector;
        std::vector<std::shared_ptr<MediaSession>> members;
        bool contested = false;  // more members than K
    };
    void remove(SessionId session, ChannelId except);
    void refresh(Room& room);

    const SpeakerSelectionSettings settings_;
    std::map<ChannelId, Room> rooms_;
    std::map<SessionId, ChannelId> roomOf_;
    int contested_ = 0;  // rooms with more members than K
    Millis nextRound_ = 0;
    std::vector<SpeakerSelector::Candidate> candidates_;  // reused every round
};

}  // namespace gochat::sfu
