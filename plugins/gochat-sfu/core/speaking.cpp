// RoomRegistry: the speaking indicator (docs/voice-control.md). The
// detector itself runs on the media path (speaking_detector.hpp); the room
// decides what others are shown.
#include "plugins/gochat-sfu/core/registry.hpp"

namespace gochat::sfu {

Effects RoomRegistry::setSpeaking(SessionId session, bool speaking) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return {};
    participant->voiceDetected = speaking;
    Effects effects;
    refreshSpeakingLocked(*room, *participant, effects);
    return effects;
}

std::vector<SessionId> RoomRegistry::voiceDetectedSessions() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<SessionId> sessions;
    for (const auto& [channel, room] : rooms_)
        for (const auto& [session, participant] : room.participants)
            if (participant.voiceDetected) sessions.push_back(session);
    return sessions;
}

void RoomRegistry::refreshSpeakingLocked(const Room& room, Participant& participant, Effects& effects) {
    // Muted users are never speaking; unmuting someone who is still talking
    // shows them speaking again at once.
    const bool mayBeHeard = !participant.selfMuted && !room.serverMuted.count(participant.user) &&
                            authorize(participant.grants, Action::PublishAudio);
    const bool speaking = participant.voiceDetected && mayBeHeard;
    if (participant.speaking == speaking) return;
    participant.speaking = speaking;
    effects.emplace_back(speakingEventLocked(room, participant));
}

// Everyone else in the room is told; a newcomer is told separately on join.
event::SpeakingChanged RoomRegistry::speakingEventLocked(const Room& room, const Participant& participant) const {
    event::SpeakingChanged change{room.channel, participant.user, participant.speaking, {}};
    for (const auto& [other, unused] : room.participants)
        if (other != participant.session) change.audience.push_back(other);
    return change;
}

}  // namespace gochat::sfu
