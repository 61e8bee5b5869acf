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
    serverMuteLocked(*room, target, muted, actor, now, effects);
    return effects;
}

void RoomRegistry::serverMuteLocked(Room& room, UserId target, bool muted, SessionId actor, Millis now,
                                    Effects& effects) {
    setUserFlagLocked(room, room.serverMuted, UserFlag::ServerMuted, target, muted, actor, effects);
    if (Participant* muteTarget = findUserLocked(room, target)) refreshSpeakingLocked(room, *muteTarget, effects);
    settleLocked(room, now, effects);
}

Effects RoomRegistry::serverDeafen(SessionId actor, UserId target, bool deafened, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, RequestKind::ServerDeafen, Action::ServerDeafen, room, effects)) return effects;
    serverDeafenLocked(*room, target, deafened, actor, now, effects);
    return effects;
}

void RoomRegistry::serverDeafenLocked(Room& room, UserId target, bool deafened, SessionId actor, Millis now,
                                      Effects& effects) {
    setUserFlagLocked(room, room.serverDeafened, UserFlag::Deafened, target, deafened, actor, effects);
    settleLocked(room, now, effects);
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
    blockLocked(*room, target, blocked, actor, now, effects);
    return effects;
}

void RoomRegistry::blockLocked(Room& room, UserId target, bool blocked, SessionId actor, Millis now, Effects& effects) {
    // Block lists live beside the rooms, not in them: they outlast the
    // empty-room timer until unblocked or the plugin restarts.
    std::set<UserId>& list = blocked_[room.channel];
    setUserFlagLocked(room, list, UserFlag::Blocked, target, blocked, actor, effects);
    if (list.empty()) blocked_.erase(room.channel);
    if (Participant* victim = findUserLocked(room, target); victim && blocked)
        removeLocked(room, victim->session, LeaveReason::Blocked, now, effects);
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

// ---- an operator (docs/plugin-api.md, Admin API): the same actions, no
// requester, no permission check; refused for what is not here.

Room* RoomRegistry::operatorRoomLocked(ChannelId channel, OperatorResult& result) {
    auto found = rooms_.find(channel);
    if (found != rooms_.end()) return &found->second;
    result.error = OperatorError::UnknownChannel;
    return nullptr;
}

OperatorResult RoomRegistry::operatorServerMute(ChannelId channel, UserId target, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    OperatorResult result;
    Room* room = operatorRoomLocked(channel, result);
    if (!room) return result;
    if (!findUserLocked(*room, target) && !room->serverMuted.count(target)) {
        result.error = OperatorError::UnknownUser;
        return result;
    }
    serverMuteLocked(*room, target, muted, 0, now, result.effects);
    return result;
}

OperatorResult RoomRegistry::operatorServerDeafen(ChannelId channel, UserId target, bool deafened, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    OperatorResult result;
    Room* room = operatorRoomLocked(channel, result);
    if (!room) return result;
    if (!findUserLocked(*room, target) && !room->serverDeafened.count(target)) {
        result.error = OperatorError::UnknownUser;
        return result;
    }
    serverDeafenLocked(*room, target, deafened, 0, now, result.effects);
    return result;
}

OperatorResult RoomRegistry::operatorKick(ChannelId channel, UserId target, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    OperatorResult result;
    Room* room = operatorRoomLocked(channel, result);
    if (!room) return result;
    Participant* victim = findUserLocked(*room, target);
    if (!victim) {
        result.error = OperatorError::UnknownUser;
        return result;
    }
    removeLocked(*room, victim->session, LeaveReason::Kicked, now, result.effects);
    return result;
}

OperatorResult RoomRegistry::operatorBlock(ChannelId channel, UserId target, bool blocked, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    OperatorResult result;
    auto list = blocked_.find(channel);
    auto found = rooms_.find(channel);
    if (found == rooms_.end() && (blocked || list == blocked_.end())) {
        result.error = OperatorError::UnknownChannel;
        return result;
    }
    if (blocked && !findUserLocked(found->second, target)) {
        result.error = OperatorError::UnknownUser;
        return result;
    }
    if (!blocked && (list == blocked_.end() || !list->second.count(target))) {
        result.error = OperatorError::NotBlocked;
        return result;
    }
    if (found != rooms_.end()) {
        blockLocked(found->second, target, blocked, 0, now, result.effects);
        return result;
    }
    // An unblock after the room expired: nobody to tell but the observers.
    list->second.erase(target);
    if (list->second.empty()) blocked_.erase(list);
    result.effects.emplace_back(event::UserFlagChanged{UserFlag::Blocked, channel, target, false, 0, {}});
    return result;
}

OperatorResult RoomRegistry::operatorCloseChannel(ChannelId channel, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    OperatorResult result;
    if (Room* room = operatorRoomLocked(channel, result)) closeRoomLocked(*room, now, result.effects);
    return result;
}

}  // namespace gochat::sfu
