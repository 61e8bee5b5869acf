// RoomRegistry: voice control (docs/voice-control.md). Every privileged
// request is authorised here, whatever transport it came through.
#include "plugins/gochat-sfu/core/registry.hpp"

namespace gochat::sfu {

Participant* RoomRegistry::requesterLocked(SessionId actor, RequestKind request, std::optional<Action> needed,
                                           Room*& room, Effects& refusal) {
    Participant* participant = findLocked(actor, &room);
    if (!participant)
        refusal = refuseRequest(actor, request, Refusal::NotJoined);
    else if (needed && !authorize(participant->grants, *needed))
        refusal = refuseRequest(actor, request, Refusal::Forbidden);
    else
        return participant;
    return nullptr;
}

void RoomRegistry::setUserFlagLocked(Room& room, std::set<UserId>& flagged, UserFlag flag, UserId target, bool on,
                                     SessionId actor, Effects& effects) {
    // Kept per user in the room, so it survives the target's reconnect, and
    // applies even before the target arrives (docs/voice-control.md).
    if (on)
        flagged.insert(target);
    else
        flagged.erase(target);
    event::UserFlagChanged change{flag, room.channel, target, on, actor, {}};
    for (const auto& [session, participant] : room.participants) change.audience.push_back(session);
    effects.emplace_back(std::move(change));
}

Effects RoomRegistry::muteSelf(SessionId actor, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    Participant* participant = requesterLocked(actor, RequestKind::MuteSelf, std::nullopt, room, effects);
    if (!participant) return effects;
    effects.emplace_back(event::RequestDone{actor, RequestKind::MuteSelf});
    participant->selfMuted = muted;
    refreshSpeakingLocked(*room, *participant, effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::muteUserLocally(SessionId actor, UserId target, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    Participant* participant = requesterLocked(actor, RequestKind::MuteUser, std::nullopt, room, effects);
    if (!participant) return effects;
    // Only this participant's reception changes; the target need not be present.
    if (muted)
        participant->locallyMuted.insert(target);
    else
        participant->locallyMuted.erase(target);
    effects.emplace_back(event::RequestDone{actor, RequestKind::MuteUser});
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::serverMute(SessionId actor, UserId target, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::ServerMute, Action::ServerMute, room, effects)) return effects;
    setUserFlagLocked(*room, room->serverMuted, UserFlag::ServerMuted, target, muted, actor, effects);
    if (Participant* muteTarget = findUserLocked(*room, target)) refreshSpeakingLocked(*room, *muteTarget, effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::serverDeafen(SessionId actor, UserId target, bool deafened, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::ServerDeafen, Action::ServerDeafen, room, effects)) return effects;
    setUserFlagLocked(*room, room->serverDeafened, UserFlag::Deafened, target, deafened, actor, effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::kick(SessionId actor, UserId target, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::Kick, Action::Kick, room, effects)) return effects;
    Participant* victim = findUserLocked(*room, target);
    if (!victim) return refuseRequest(actor, RequestKind::Kick, Refusal::NotFound);
    if (victim->session != actor) effects.emplace_back(event::RequestDone{actor, RequestKind::Kick});
    removeLocked(*room, victim->session, LeaveReason::Kicked, now, effects);
    return effects;
}

Effects RoomRegistry::block(SessionId actor, UserId target, bool blocked, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::Block, Action::Block, room, effects)) return effects;
    // Block lists live beside the rooms, not in them: they outlast the
    // empty-room timer until unblocked or the plugin restarts.
    std::set<UserId>& list = blocked_[room->channel];
    setUserFlagLocked(*room, list, UserFlag::Blocked, target, blocked, actor, effects);
    if (list.empty()) blocked_.erase(room->channel);
    if (Participant* victim = findUserLocked(*room, target); victim && blocked)
        removeLocked(*room, victim->session, LeaveReason::Blocked, now, effects);
    return effects;
}

Effects RoomRegistry::move(SessionId actor, UserId target, ChannelId destination, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::Move, Action::Move, room, effects)) return effects;
    if (destination == 0) return refuseRequest(actor, RequestKind::Move, Refusal::InvalidMessage);
    Participant* victim = findUserLocked(*room, target);
    if (!victim) return refuseRequest(actor, RequestKind::Move, Refusal::NotFound);
    if (victim->session != actor) effects.emplace_back(event::RequestDone{actor, RequestKind::Move});
    removeLocked(*room, victim->session, LeaveReason::Moved, now, effects, destination);
    return effects;
}

}  // namespace gochat::sfu
