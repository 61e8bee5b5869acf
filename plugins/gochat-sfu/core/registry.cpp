// RoomRegistry: joins, departures, timers and lookups. The other concerns
// live beside this file (see registry.hpp).
#include "plugins/gochat-sfu/core/registry.hpp"

#include <algorithm>
#include <utility>

namespace gochat::sfu {

RoomRegistry::RoomRegistry(RegistryConfig config) : config_(std::move(config)) {}

Effects RoomRegistry::refuseJoin(SessionId session, Refusal reason) { return {event::JoinRefused{session, reason}}; }

Effects RoomRegistry::refuseRequest(SessionId session, RequestKind request, Refusal reason) {
    return {event::RequestRefused{session, request, reason}};
}

Effects RoomRegistry::join(const JoinRequest& request, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (roomOfSession_.count(request.session))
        return refuseRequest(request.session, RequestKind::Join, Refusal::InvalidMessage);
    if (request.channel == 0 || request.user == 0) return refuseJoin(request.session, Refusal::InvalidMessage);
    if (request.tokenChannel != 0 && request.tokenChannel != request.channel)
        return refuseJoin(request.session, Refusal::Unauthorized);
    // A move into a channel here is a new join too: GoChat can only send
    // the user elsewhere with a new token (docs/operations.md, Rolling upgrades).
    if (draining_) return refuseJoin(request.session, Refusal::Draining);

    const Grants grants = Grants::fromToken(request.perms, request.moved, config_.bits);
    if (!authorize(grants, Action::Join)) return refuseJoin(request.session, Refusal::Forbidden);
    auto blockedHere = blocked_.find(request.channel);
    if (!request.moved && blockedHere != blocked_.end() && blockedHere->second.count(request.user))
        return refuseJoin(request.session, Refusal::Blocked);

    auto existing = rooms_.find(request.channel);
    std::optional<SessionId> replaced;
    if (existing != rooms_.end()) {
        for (const auto& [session, participant] : existing->second.participants)
            if (participant.user == request.user) replaced = session;
        const size_t staying = existing->second.participants.size() - (replaced ? 1 : 0);
        if (config_.maxParticipants != 0 && staying >= config_.maxParticipants)
            return refuseJoin(request.session, Refusal::RoomFull);
    } else {
        existing = rooms_.emplace(request.channel, Room{}).first;
        existing->second.channel = request.channel;
        existing->second.createdAt = now;
    }
    Room& room = existing->second;
    Effects effects;

    // One live session per user per channel: the newcomer wins
    // (docs/protocol.md, Join).
    if (replaced) removeLocked(room, *replaced, LeaveReason::Replaced, now, effects);

    Participant participant;
    participant.session = request.session;
    participant.user = request.user;
    participant.channel = request.channel;
    participant.guild = request.guild;
    participant.grants = grants;
    participant.perms = request.perms;
    participant.joinOrder = nextJoinOrder_++;
    participant.joinedAt = now;
    participant.lines.push_back(makeLine(kOwnAudioMindex, MediaKind::Audio));
    participant.lines.push_back(makeLine(kOwnVideoMindex, MediaKind::Video));
    room.emptySince.reset();
    roomOfSession_[request.session] = request.channel;
    Participant& joined = room.participants.emplace(request.session, std::move(participant)).first->second;

    effects.emplace_back(event::ParticipantJoined{request.session, request.user, request.channel, request.guild});
    // The first offer holds only the joiner's own lines; remote tracks follow
    // once it is answered (docs/protocol.md, Negotiation).
    effects.emplace_back(SendOffer{request.session, buildOfferLocked(room, joined, now)});
    // Speaking changes are events: someone already talking would otherwise
    // stay unlit for the newcomer until they pause.
    for (const auto& [session, other] : room.participants) {
        if (session == request.session || !other.speaking) continue;
        event::SpeakingChanged current = speakingEventLocked(room, other);
        current.audience = {request.session};
        effects.emplace_back(std::move(current));
    }
    return effects;
}

Effects RoomRegistry::leave(SessionId session, LeaveReason reason, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    if (!findLocked(session, &room))
        return reason == LeaveReason::Left ? refuseRequest(session, RequestKind::Leave, Refusal::NotJoined) : Effects{};
    Effects effects;
    removeLocked(*room, session, reason, now, effects);
    return effects;
}

Effects RoomRegistry::tick(Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Effects effects;
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        Room& room = it->second;
        // Runs after every request: only rooms with an offer due do work.
        const bool offerDue = std::any_of(room.participants.begin(), room.participants.end(), [now](const auto& entry) {
            const Participant& p = entry.second;
            return p.offerDirty && !p.offerInFlight && p.offerDueAt <= now;
        });
        // Offers change only the lines of those offered.
        if (offerDue) settleLinesLocked(room, now, effects, nullptr);
        std::vector<SessionId> silent;
        for (const auto& [session, participant] : room.participants)
            if (participant.offerInFlight && now - participant.offerSentAt >= config_.answerTimeout)
                silent.push_back(session);
        for (SessionId session : silent) removeLocked(room, session, LeaveReason::Timeout, now, effects);
        if (room.participants.empty() && room.emptySince && now - *room.emptySince >= config_.emptyRoomTtl)
            it = rooms_.erase(it);
        else
            ++it;
    }
    return effects;
}

std::optional<Millis> RoomRegistry::nextDeadline() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Millis> next;
    auto consider = [&next](Millis at) { next = next ? std::min(*next, at) : at; };
    for (const auto& [channel, room] : rooms_) {
        if (room.participants.empty() && room.emptySince) consider(*room.emptySince + config_.emptyRoomTtl);
        for (const auto& [session, participant] : room.participants) {
            if (participant.offerDirty && !participant.offerInFlight) consider(participant.offerDueAt);
            if (participant.offerInFlight) consider(participant.offerSentAt + config_.answerTimeout);
        }
    }
    return next;
}

bool RoomRegistry::isJoined(SessionId session) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return roomOfSession_.count(session) != 0;
}

size_t RoomRegistry::roomCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rooms_.size();
}

size_t RoomRegistry::participantCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return roomOfSession_.size();
}

Participant* RoomRegistry::findLocked(SessionId session, Room** roomOut) {
    auto where = roomOfSession_.find(session);
    if (where == roomOfSession_.end()) return nullptr;
    auto room = rooms_.find(where->second);
    if (room == rooms_.end()) return nullptr;
    auto participant = room->second.participants.find(session);
    if (participant == room->second.participants.end()) return nullptr;
    if (roomOut) *roomOut = &room->second;
    return &participant->second;
}

Participant* RoomRegistry::findUserLocked(Room& room, UserId user) {
    for (auto& [session, participant] : room.participants)
        if (participant.user == user) return &participant;
    return nullptr;
}

void RoomRegistry::removeLocked(Room& room, SessionId session, LeaveReason reason, Millis now, Effects& effects,
                                ChannelId movedTo) {
    if (!room.participants.count(session)) return;
    detachLocked(room, session, reason, now, effects, movedTo);
    markDirtyWhereNeededLocked(room, now);
    settleLocked(room, now, effects);
}

void RoomRegistry::detachLocked(Room& room, SessionId session, LeaveReason reason, Millis now, Effects& effects,
                                ChannelId movedTo) {
    auto leaving = room.participants.find(session);
    if (leaving == room.participants.end()) return;
    Participant& participant = leaving->second;
    // First what the leaver is told (and every consumer learns), then its
    // peer closes when it was removed by the SFU (docs/plugin-api.md, Events).
    effects.emplace_back(
        event::ParticipantLeft{session, participant.user, participant.channel, participant.guild, reason, movedTo});
    if (reason != LeaveReason::Disconnected) effects.emplace_back(ClosePeer{session});
    participant.voiceDetected = false;
    refreshSpeakingLocked(room, participant, effects);
    room.participants.erase(leaving);
    roomOfSession_.erase(session);
    if (room.participants.empty()) room.emptySince = now;
}

Effects RoomRegistry::closeChannel(ChannelId channel, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = rooms_.find(channel);
    if (found == rooms_.end()) return {};
    Effects effects;
    closeRoomLocked(found->second, now, effects);
    return effects;
}

void RoomRegistry::closeRoomLocked(Room& room, Millis now, Effects& effects) {
    std::vector<SessionId> everyone;
    for (auto& [session, participant] : room.participants) {
        everyone.push_back(session);
        // Nobody is left to be shown who stops speaking.
        participant.voiceDetected = false;
        participant.speaking = false;
    }
    // Nobody stays, so nobody is re-offered: the room is settled once, which
    // stops every fan-out. Moderation state stays with the room (and the
    // block list beside it) for a rejoin within empty_room_ttl.
    for (SessionId session : everyone) detachLocked(room, session, LeaveReason::Closed, now, effects, 0);
    settleLocked(room, now, effects);
}

void RoomRegistry::setDraining(bool draining) {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = draining;
}

bool RoomRegistry::draining() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return draining_;
}

}  // namespace gochat::sfu
