#include "plugins/gochat-sfu/core/registry.hpp"

#include "plugins/gochat-sfu/core/codecs.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace gochat::sfu {

namespace {

OutEvent makeEvent(SessionId to, const char* name, int t) {
    OutEvent event;
    event.to = to;
    event.name = name;
    event.t = t;
    return event;
}

OutEvent closingEvent(SessionId to, const char* name, int t, int code, const char* reason) {
    OutEvent event = makeEvent(to, name, t);
    event.close = CloseRequest{code, reason};
    return event;
}

bool isOwnLine(int mindex) { return mindex == kOwnAudioMindex || mindex == kOwnVideoMindex; }

Line makeLine(int mindex, MediaKind kind) {
    Line line;
    line.mindex = mindex;
    line.kind = kind;
    line.mid = std::to_string(mindex);
    return line;
}

// Whether `now` lists a line (same subscriber line, same binding) that
// `before` did not.
bool gainsTarget(const std::vector<FanoutTarget>* before, const std::vector<FanoutTarget>& now) {
    for (const FanoutTarget& target : now) {
        const bool known = before && std::any_of(before->begin(), before->end(), [&](const FanoutTarget& old) {
                               return old.subscriber == target.subscriber && old.mindex == target.mindex && old.binding == target.binding;
                           });
        if (!known) return true;
    }
    return false;
}

void unbind(Line& line) {
    line.source.reset();
    line.trackId.clear();
    line.sourceUser = 0;
    line.binding = 0;
    line.ready = false;
}

}  // namespace

RoomRegistry::RoomRegistry(RegistryConfig config) : config_(std::move(config)) {}

Effects RoomRegistry::refuseJoin(SessionId session, std::string_view error) {
    OutEvent event = closingEvent(session, "join_refused", 500, 1008, std::string(error).c_str());
    event.fields = {{"ok", false}, {"error", std::string(error)}};
    event.answersRequest = true;
    return {std::move(event)};
}

Effects RoomRegistry::requestError(SessionId session, int t, std::string_view error) {
    OutEvent event = makeEvent(session, "error", t);
    event.fields = {{"ok", false}, {"error", std::string(error)}};
    event.answersRequest = true;
    return {std::move(event)};
}

Effects RoomRegistry::join(const JoinRequest& request, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (roomOfSession_.count(request.session)) return requestError(request.session, 500, "invalid message");
    if (request.channel == 0 || request.user == 0) return refuseJoin(request.session, "invalid message");
    if (request.tokenChannel != 0 && request.tokenChannel != request.channel)
        return refuseJoin(request.session, "unauthorized");

    const Grants grants = Grants::fromToken(request.perms, request.moved, config_.bits);
    if (!authorize(grants, Action::Join)) return refuseJoin(request.session, "forbidden");
    auto blockedHere = blocked_.find(request.channel);
    if (!request.moved && blockedHere != blocked_.end() && blockedHere->second.count(request.user))
        return refuseJoin(request.session, "blocked");

    auto existing = rooms_.find(request.channel);
    std::optional<SessionId> replaced;
    if (existing != rooms_.end()) {
        for (const auto& [session, participant] : existing->second.participants)
            if (participant.user == request.user) replaced = session;
        const size_t staying = existing->second.participants.size() - (replaced ? 1 : 0);
        if (config_.maxParticipants != 0 && staying >= config_.maxParticipants)
            return refuseJoin(request.session, "room full");
    } else {
        existing = rooms_.emplace(request.channel, Room{}).first;
        existing->second.channel = request.channel;
    }
    Room& room = existing->second;
    Effects effects;

    // One live session per user per channel: the newcomer wins (PROTOCOL.md 3.1).
    if (replaced) {
        OutEvent notice = closingEvent(*replaced, "replaced", 500, 4010, "replaced");
        notice.fields = {{"ok", false}, {"error", std::string("replaced")}};
        effects.emplace_back(std::move(notice));
        effects.emplace_back(ClosePeer{*replaced});
        removeLocked(room, *replaced, now, effects);
    }

    Participant participant;
    participant.session = request.session;
    participant.user = request.user;
    participant.channel = request.channel;
    participant.grants = grants;
    participant.joinOrder = nextJoinOrder_++;
    participant.lines.push_back(makeLine(kOwnAudioMindex, MediaKind::Audio));
    participant.lines.push_back(makeLine(kOwnVideoMindex, MediaKind::Video));
    room.emptySince.reset();
    roomOfSession_[request.session] = request.channel;
    Participant& joined = room.participants.emplace(request.session, std::move(participant)).first->second;

    OutEvent ack = makeEvent(request.session, "joined", 500);
    ack.fields = {{"ok", true}};
    ack.answersRequest = true;
    effects.emplace_back(std::move(ack));
    // The first offer holds only the joiner's own lines; remote tracks follow
    // once it is answered (PROTOCOL.md 3.2 and 3.8).
    effects.emplace_back(SendOffer{request.session, buildOfferLocked(room, joined, now)});
    // Speaking changes are events: someone already talking would otherwise
    // stay unlit for the newcomer until they pause.
    for (const auto& [session, other] : room.participants)
        if (session != request.session && other.speaking) effects.emplace_back(speakingEventLocked(other, request.session));
    return effects;
}

Effects RoomRegistry::answer(SessionId session, const std::vector<AnsweredLine>& answered, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return requestError(session, 502, "not joined");
    if (!participant->offerInFlight) return requestError(session, 502, "invalid message");
    participant->offerInFlight = false;

    Effects effects;
    bool publicationsChanged = false;
    for (const AnsweredLine& reply : answered) {
        if (reply.mindex < 0 || static_cast<size_t>(reply.mindex) >= participant->lines.size()) continue;
        Line& line = participant->lines[reply.mindex];
        if (line.kind != reply.kind) continue;
        if (isOwnLine(reply.mindex)) {
            // A client that answers its own line inactive or recvonly has
            // stopped publishing that kind (PROTOCOL.md 3.2).
            const Action action = line.kind == MediaKind::Audio ? Action::PublishAudio : Action::PublishVideo;
            const bool publishing = sends(reply.direction) && authorize(participant->grants, action);
            std::optional<Publication>& publication = participant->publication(line.kind);
            // Browsers send the first format of the OFFER that their answer
            // kept (not the answer's first), so follow our offer's order.
            line.formats.clear();
            for (const CodecInfo& codec : kCodecs)
                if (codec.kind == line.kind &&
                    (std::find(reply.codecs.begin(), reply.codecs.end(), codec.name) != reply.codecs.end() || reply.codec == codec.name))
                    line.formats.emplace_back(codec.name, codec.payloadType);
            const std::string chosen = !line.formats.empty() ? line.formats.front().first : reply.codec;
            // A codec change is a new publication: subscribers need a line
            // offered with the new codec.
            if (publishing && (!publication || publication->codec != chosen)) {
                publication = Publication{line.kind, newTrackIdLocked(participant->user, line.kind), chosen,
                                          serverPayloadType(chosen, line.kind)};
                publicationsChanged = true;
            } else if (!publishing && publication) {
                publication.reset();
                publicationsChanged = true;
            }
        } else if (line.source) {
            line.ready = receives(reply.direction);
        }
    }
    const bool firstAnswer = !participant->firstAnswerReceived;
    participant->firstAnswerReceived = true;
    // Others need new offers only when this participant's tracks changed;
    // changes made while this offer was unanswered already flagged it.
    if (publicationsChanged)
        markDirtyWhereNeededLocked(*room, now);
    else if (firstAnswer && linesOutOfDateLocked(*room, *participant))
        markDirtyLocked(*participant, now);
    // The follow-up to the first offer goes out at once, undebounced.
    if (firstAnswer && participant->offerDirty) participant->offerDueAt = now;
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::leave(SessionId session, DepartureReason reason, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    if (!findLocked(session, &room)) return reason == DepartureReason::Left ? requestError(session, 504, "not joined") : Effects{};
    Effects effects;
    if (reason == DepartureReason::Left) {
        OutEvent bye = closingEvent(session, "left", 504, 1000, "leave");
        bye.fields = {{"ok", true}};
        bye.answersRequest = true;
        effects.emplace_back(std::move(bye));
        effects.emplace_back(ClosePeer{session});
    }
    removeLocked(*room, session, now, effects);
    return effects;
}

Effects RoomRegistry::clientOffer(SessionId session, const std::vector<OfferedLine>& offered, const std::string& sdp, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return requestError(session, 501, "not joined");
    // Janus has no glare handling: while our offer waits for its answer, the
    // client must answer it first (and may offer again afterwards).
    if (participant->offerInFlight) return requestError(session, 501, "offer in flight");
    if (offered.size() < participant->lines.size()) return requestError(session, 501, "invalid message");
    for (size_t i = 0; i < offered.size(); ++i)
        if (offered[i].mindex != static_cast<int>(i) ||
            (i < participant->lines.size() && participant->lines[i].kind != offered[i].kind))
            return requestError(session, 501, "invalid message");

    Effects effects;
    SendAnswer answer;
    answer.to = session;
    answer.clientOffer = sdp;
    for (const OfferedLine& line : offered) {
        if (static_cast<size_t>(line.mindex) == participant->lines.size()) {
            // A transceiver the client added: answered inactive, kept idle
            // for a later remote track of its kind.
            Line added = makeLine(line.mindex, line.kind);
            if (!line.codecs.empty()) added.codec = line.codecs.front().first;
            participant->lines.push_back(added);
        }
        Line& ours = participant->lines[line.mindex];
        ours.mid = line.mid;  // the client's mid is authoritative (and sticky in Janus)
        PlannedLine planned;
        planned.mindex = line.mindex;
        planned.mid = line.mid;
        planned.kind = line.kind;
        auto offeredPayloadType = [&line](const std::string& codec) -> int {
            for (const auto& [name, pt] : line.codecs)
                if (name == codec) return pt;
            return -1;
        };
        if (isOwnLine(line.mindex)) {
            // The client's first supported codec is what it will send.
            std::string chosen;
            for (const auto& [name, pt] : line.codecs)
                if (const CodecInfo* info = findCodec(name); info && info->kind == line.kind) {
                    chosen = name;
                    break;
                }
            const Action action = line.kind == MediaKind::Audio ? Action::PublishAudio : Action::PublishVideo;
            const bool publishing = !chosen.empty() && sends(line.direction) && authorize(participant->grants, action);
            std::optional<Publication>& publication = participant->publication(line.kind);
            // Our answer lists the chosen codec only, with the client's type.
            const int chosenType = chosen.empty() ? -1 : offeredPayloadType(chosen);
            ours.formats.clear();
            if (!chosen.empty()) ours.formats.emplace_back(chosen, chosenType);
            if (publishing && (!publication || publication->codec != chosen || publication->payloadType != chosenType))
                publication = Publication{line.kind, newTrackIdLocked(participant->user, line.kind), chosen, chosenType};
            else if (!publishing)
                publication.reset();
            planned.direction = publishing ? Direction::RecvOnly : Direction::Inactive;
            planned.codec = chosen.empty() ? (line.kind == MediaKind::Audio ? "opus" : "vp8") : chosen;
        } else {
            const Publication* publication = ours.source ? publicationLocked(*room, *ours.source) : nullptr;
            const int pt = offeredPayloadType(ours.codec);
            const bool sending = publication && publication->trackId == ours.trackId && pt >= 0 && receives(line.direction);
            ours.ready = sending;
            if (pt >= 0) ours.payloadType = pt;
            planned.codec = pt >= 0 ? ours.codec : (line.codecs.empty() ? "" : line.codecs.front().first);
            if (sending) {
                planned.direction = Direction::SendOnly;
                planned.streamId = streamIdOf(ours.sourceUser);
                planned.trackId = ours.trackId;
            }
        }
        answer.plan.lines.push_back(std::move(planned));
    }
    participant->firstAnswerReceived = true;
    answer.plan.version = ++participant->offerVersion;
    effects.emplace(effects.begin(), std::move(answer));
    // Then resynchronise: whatever the client's offer lacked comes in a
    // debounced server offer after our answer.
    markDirtyWhereNeededLocked(*room, now);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::requestOffer(SessionId session, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return requestError(session, 0, "not joined");
    Effects effects;
    markDirtyLocked(*participant, now);
    settleLocked(*room, now, effects);
    return effects;
}

namespace {

OutEvent okEvent(SessionId to, int t) {
    OutEvent event = makeEvent(to, "ok", t);
    event.fields = {{"ok", true}};
    event.answersRequest = true;
    return event;
}

}  // namespace

Participant* RoomRegistry::requesterLocked(SessionId actor, int t, std::optional<Action> needed, Room*& room, Effects& refusal) {
    Participant* participant = findLocked(actor, &room);
    if (!participant)
        refusal = requestError(actor, t, "not joined");
    else if (needed && !authorize(participant->grants, *needed))
        refusal = requestError(actor, t, "forbidden");
    else
        return participant;
    return nullptr;
}

void RoomRegistry::setUserFlagLocked(Room& room, std::set<UserId>& flagged, UserId target, bool on, SessionId actor,
                                     OutEvent notice, const char* flagName, Effects& effects) {
    // Kept per user in the room, so it survives the target's reconnect, and
    // applies even before the target arrives (PROTOCOL.md 3.5).
    if (on)
        flagged.insert(target);
    else
        flagged.erase(target);
    notice.fields = {{"user", target}, {flagName, on}};
    broadcastLocked(room, std::move(notice), actor, effects);
}

Effects RoomRegistry::muteSelf(SessionId actor, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    Participant* participant = requesterLocked(actor, 505, std::nullopt, room, effects);
    if (!participant) return effects;
    effects.emplace_back(okEvent(actor, 505));
    participant->selfMuted = muted;
    refreshSpeakingLocked(*room, *participant, effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::muteUserLocally(SessionId actor, UserId target, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    Participant* participant = requesterLocked(actor, 506, std::nullopt, room, effects);
    if (!participant) return effects;
    // Only this participant's reception changes; the target need not be present.
    if (muted)
        participant->locallyMuted.insert(target);
    else
        participant->locallyMuted.erase(target);
    effects.emplace_back(okEvent(actor, 506));
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::serverMute(SessionId actor, UserId target, bool muted, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, 507, Action::ServerMute, room, effects)) return effects;
    setUserFlagLocked(*room, room->serverMuted, target, muted, actor, makeEvent(0, "server_muted", 507), "muted", effects);
    if (Participant* muteTarget = findUserLocked(*room, target)) refreshSpeakingLocked(*room, *muteTarget, effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::serverDeafen(SessionId actor, UserId target, bool deafened, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, 508, Action::ServerDeafen, room, effects)) return effects;
    setUserFlagLocked(*room, room->serverDeafened, target, deafened, actor, makeEvent(0, "server_deafened", 508), "deafened",
                      effects);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::kick(SessionId actor, UserId target, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, 510, Action::Kick, room, effects)) return effects;
    Participant* victim = findUserLocked(*room, target);
    if (!victim) return requestError(actor, 510, "not found");
    if (victim->session != actor) effects.emplace_back(okEvent(actor, 510));
    OutEvent notice = closingEvent(victim->session, "kicked", 510, 1000, "kicked");
    notice.fields = {{"error", std::string("kicked")}};
    ejectLocked(*room, victim->session, std::move(notice), now, effects);
    return effects;
}

Effects RoomRegistry::block(SessionId actor, UserId target, bool blocked, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, 511, Action::Block, room, effects)) return effects;
    // Block lists live beside the rooms, not in them: they outlast the
    // empty-room timer until unblocked or the plugin restarts.
    std::set<UserId>& list = blocked_[room->channel];
    setUserFlagLocked(*room, list, target, blocked, actor, makeEvent(0, "block_changed", 511), "block", effects);
    if (list.empty()) blocked_.erase(room->channel);
    if (Participant* victim = findUserLocked(*room, target); victim && blocked) {
        OutEvent eviction = closingEvent(victim->session, "blocked", 511, 1000, "blocked");
        eviction.fields = {{"error", std::string("blocked")}};
        ejectLocked(*room, victim->session, std::move(eviction), now, effects);
    }
    return effects;
}

Effects RoomRegistry::move(SessionId actor, UserId target, ChannelId destination, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Effects effects;
    if (!requesterLocked(actor, 512, Action::Move, room, effects)) return effects;
    if (destination == 0) return requestError(actor, 512, "invalid message");
    Participant* victim = findUserLocked(*room, target);
    if (!victim) return requestError(actor, 512, "not found");
    if (victim->session != actor) effects.emplace_back(okEvent(actor, 512));
    OutEvent notice = closingEvent(victim->session, "moved", 512, 1000, "moved");
    notice.fields = {{"channel", destination}};
    ejectLocked(*room, victim->session, std::move(notice), now, effects);
    return effects;
}

Effects RoomRegistry::publisherSentPayloadType(SessionId session, MediaKind kind, int payloadType, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return {};
    std::optional<Publication>& publication = participant->publication(kind);
    if (!publication || publication->payloadType == payloadType) return {};
    const Line& own = participant->lines[kind == MediaKind::Audio ? kOwnAudioMindex : kOwnVideoMindex];
    auto format = std::find_if(own.formats.begin(), own.formats.end(),
                               [payloadType](const auto& entry) { return entry.second == payloadType; });
    if (format == own.formats.end()) return {};  // not negotiated: such packets are simply dropped
    publication = Publication{kind, newTrackIdLocked(participant->user, kind), format->first, payloadType};
    Effects effects;
    markDirtyWhereNeededLocked(*room, now);
    settleLocked(*room, now, effects);
    return effects;
}

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

void RoomRegistry::ejectLocked(Room& room, SessionId target, OutEvent notice, Millis now, Effects& effects) {
    effects.emplace_back(std::move(notice));
    effects.emplace_back(ClosePeer{target});
    removeLocked(room, target, now, effects);
}

void RoomRegistry::broadcastLocked(const Room& room, OutEvent event, SessionId requester, Effects& effects) {
    for (const auto& [session, participant] : room.participants) {
        OutEvent copy = event;
        copy.to = session;
        copy.answersRequest = session == requester;
        effects.emplace_back(std::move(copy));
    }
}

void RoomRegistry::refreshSpeakingLocked(const Room& room, Participant& participant, Effects& effects) {
    // Muted users are never speaking (PROTOCOL.md 3.6); unmuting someone who
    // is still talking shows them speaking again at once.
    const bool mayBeHeard = !participant.selfMuted && !room.serverMuted.count(participant.user) &&
                            authorize(participant.grants, Action::PublishAudio);
    const bool speaking = participant.voiceDetected && mayBeHeard;
    if (participant.speaking == speaking) return;
    participant.speaking = speaking;
    announceSpeakingLocked(room, participant, effects);
}

void RoomRegistry::announceSpeakingLocked(const Room& room, const Participant& participant, Effects& effects) {
    for (const auto& [other, unused] : room.participants)
        if (other != participant.session) effects.emplace_back(speakingEventLocked(participant, other));
}

OutEvent RoomRegistry::speakingEventLocked(const Participant& participant, SessionId to) const {
    OutEvent change = makeEvent(to, "speaking", 514);
    // user_id is a decimal string here: GoChat's web client reads it through
    // JSON.parse, which would round a 19-digit number (PROTOCOL.md 3.6).
    change.fields = {{"user_id", std::to_string(participant.user)}, {"speaking", participant.speaking}};
    return change;
}

Participant* RoomRegistry::findUserLocked(Room& room, UserId user) {
    for (auto& [session, participant] : room.participants)
        if (participant.user == user) return &participant;
    return nullptr;
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
        if (offerDue) settleLocked(room, now, effects);
        std::vector<SessionId> silent;
        for (const auto& [session, participant] : room.participants)
            if (participant.offerInFlight && now - participant.offerSentAt >= config_.answerTimeout) silent.push_back(session);
        for (SessionId session : silent) {
            OutEvent notice = closingEvent(session, "timeout", 501, 1008, "negotiation timeout");
            notice.fields = {{"ok", false}, {"error", std::string("negotiation timeout")}};
            ejectLocked(room, session, std::move(notice), now, effects);
        }
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

void RoomRegistry::removeLocked(Room& room, SessionId session, Millis now, Effects& effects) {
    if (auto leaving = room.participants.find(session); leaving != room.participants.end()) {
        leaving->second.voiceDetected = false;
        refreshSpeakingLocked(room, leaving->second, effects);
    }
    room.participants.erase(session);
    roomOfSession_.erase(session);
    if (room.participants.empty()) room.emptySince = now;
    markDirtyWhereNeededLocked(room, now);
    settleLocked(room, now, effects);
}

void RoomRegistry::markDirtyLocked(Participant& participant, Millis dueAt) {
    if (!participant.offerDirty) {
        participant.offerDirty = true;
        participant.offerDueAt = dueAt;
    }
}

std::vector<PublicationKey> RoomRegistry::desiredSourcesLocked(const Room& room, const Participant& subscriber) const {
    // Every other participant's publications, oldest participant first, so
    // line order is stable for everyone.
    std::vector<const Participant*> others;
    for (const auto& [session, participant] : room.participants)
        if (session != subscriber.session) others.push_back(&participant);
    std::sort(others.begin(), others.end(), [](const Participant* a, const Participant* b) { return a->joinOrder < b->joinOrder; });
    std::vector<PublicationKey> desired;
    for (const Participant* other : others)
        for (MediaKind kind : {MediaKind::Audio, MediaKind::Video})
            if (other->publication(kind)) desired.push_back(PublicationKey{other->session, kind});
    return desired;
}

const Publication* RoomRegistry::publicationLocked(const Room& room, const PublicationKey& key) const {
    auto publisher = room.participants.find(key.publisher);
    if (publisher == room.participants.end()) return nullptr;
    const std::optional<Publication>& publication = publisher->second.publication(key.kind);
    return publication ? &*publication : nullptr;
}

void RoomRegistry::markDirtyWhereNeededLocked(Room& room, Millis now) {
    for (auto& [session, participant] : room.participants)
        if (linesOutOfDateLocked(room, participant)) markDirtyLocked(participant, now + config_.offerDebounce);
}

bool RoomRegistry::linesOutOfDateLocked(const Room& room, const Participant& participant) const {
    // Until the first answer a participant only has its own lines; the
    // follow-up offer is scheduled by answer().
    if (!participant.firstAnswerReceived) return false;
    const std::vector<PublicationKey> desiredOrder = desiredSourcesLocked(room, participant);
    const std::set<PublicationKey> desired(desiredOrder.begin(), desiredOrder.end());
    size_t boundAndCurrent = 0;
    for (const Line& line : participant.lines) {
        if (!line.source) continue;
        const Publication* publication = publicationLocked(room, *line.source);
        if (!publication || !desired.count(*line.source) || publication->trackId != line.trackId) return true;
        ++boundAndCurrent;
    }
    return boundAndCurrent != desired.size();
}

bool RoomRegistry::forwardsLocked(const Room& room, const Participant& publisher, MediaKind kind,
                                  const Participant& subscriber) const {
    if (kind == MediaKind::Audio) {
        if (!authorize(publisher.grants, Action::PublishAudio)) return false;
        if (publisher.selfMuted || room.serverMuted.count(publisher.user)) return false;
    } else if (!authorize(publisher.grants, Action::PublishVideo)) {
        return false;
    }
    if (room.serverDeafened.count(subscriber.user)) return false;
    return subscriber.locallyMuted.count(publisher.user) == 0;
}

void RoomRegistry::updateFanoutsLocked(Room& room, Effects& effects) {
    // One pass over every subscriber line (not publishers x subscribers x
    // lines): each ready line names the publication it carries.
    std::map<PublicationKey, std::vector<FanoutTarget>> fresh;
    for (const auto& [publisherSession, publisher] : room.participants)
        for (MediaKind kind : {MediaKind::Audio, MediaKind::Video})
            if (publisher.publication(kind)) fresh[PublicationKey{publisherSession, kind}];
    for (const auto& [subscriberSession, subscriber] : room.participants) {
        for (const Line& line : subscriber.lines) {
            if (!line.source || !line.ready) continue;
            auto targets = fresh.find(*line.source);
            if (targets == fresh.end()) continue;
            const Participant& publisher = room.participants.at(line.source->publisher);
            if (publisher.publication(line.kind)->trackId != line.trackId) continue;
            if (!forwardsLocked(room, publisher, line.kind, subscriber)) continue;
            targets->second.push_back(FanoutTarget{subscriberSession, line.mindex, line.binding, line.payloadType});
        }
    }
    for (const auto& [key, targets] : fresh) {
        auto applied = room.appliedFanouts.find(key);
        if (applied != room.appliedFanouts.end() && applied->second == targets) continue;
        const Publication* publication = publicationLocked(room, key);
        effects.emplace_back(SetFanout{key.publisher, key.kind, targets, publication ? publication->payloadType : 0});
        // A video line that starts (or resumes) receiving a publication
        // joins mid-stream: its decoder needs a keyframe now. This covers a
        // newly answered line, a rebound one, an undeafen and a local
        // unmute alike (docs/architecture.md, Keyframes). The request follows
        // the SetFanout so the keyframe is forwarded to the new line.
        if (key.kind == MediaKind::Video && gainsTarget(applied == room.appliedFanouts.end() ? nullptr : &applied->second, targets))
            effects.emplace_back(RequestKeyframe{key.publisher});
    }
    for (const auto& [key, targets] : room.appliedFanouts)
        if (!fresh.count(key)) effects.emplace_back(SetFanout{key.publisher, key.kind, {}, 0});
    room.appliedFanouts = std::move(fresh);
}

void RoomRegistry::settleLocked(Room& room, Millis now, Effects& effects) {
    for (auto& [session, participant] : room.participants)
        if (participant.offerDirty && !participant.offerInFlight && participant.offerDueAt <= now)
            effects.emplace_back(SendOffer{session, buildOfferLocked(room, participant, now)});
    updateFanoutsLocked(room, effects);
}

OfferPlan RoomRegistry::buildOfferLocked(Room& room, Participant& participant, Millis now) {
    if (participant.firstAnswerReceived) {
        std::vector<PublicationKey> desired = desiredSourcesLocked(room, participant);
        // Free lines whose source is gone, unwanted or republished.
        const std::set<PublicationKey> wanted(desired.begin(), desired.end());
        for (Line& line : participant.lines) {
            if (!line.source) continue;
            const Publication* publication = publicationLocked(room, *line.source);
            if (!publication || !wanted.count(*line.source) || publication->trackId != line.trackId) unbind(line);
        }
        // Bind every wanted source that has no line: reuse an idle line of
        // the same kind and codec first, so the SDP stays as small as the peak.
        std::set<PublicationKey> bound;
        for (const Line& line : participant.lines)
            if (line.source) bound.insert(*line.source);
        for (const PublicationKey& key : desired) {
            if (bound.count(key)) continue;
            const Participant& publisher = room.participants.at(key.publisher);
            const Publication& publication = *publisher.publication(key.kind);
            auto idle = std::find_if(participant.lines.begin(), participant.lines.end(), [&](const Line& line) {
                return !isOwnLine(line.mindex) && !line.source && line.kind == key.kind && line.codec == publication.codec;
            });
            if (idle == participant.lines.end()) {
                participant.lines.push_back(makeLine(static_cast<int>(participant.lines.size()), key.kind));
                idle = participant.lines.end() - 1;
            }
            idle->source = key;
            idle->codec = publication.codec;
            idle->trackId = publication.trackId;
            idle->sourceUser = publisher.user;
            idle->binding = nextBinding_++;
            idle->ready = false;
        }
    }

    participant.offerInFlight = true;
    participant.offerSentAt = now;
    participant.offerDirty = false;
    OfferPlan plan;
    plan.version = ++participant.offerVersion;
    for (Line& line : participant.lines) {
        PlannedLine planned;
        planned.mindex = line.mindex;
        planned.mid = line.mid;
        planned.kind = line.kind;
        if (isOwnLine(line.mindex)) {
            // Without the permission the line is still offered (the client
            // needs the transceiver) but inactive (PROTOCOL.md 3.3).
            const Action action = line.kind == MediaKind::Audio ? Action::PublishAudio : Action::PublishVideo;
            planned.direction = authorize(participant.grants, action) ? Direction::RecvOnly : Direction::Inactive;
        } else {
            // Idle lines keep their last codec, so the m-line's format does
            // not change while it waits for reuse.
            planned.codec = line.codec;
            line.payloadType = serverPayloadType(line.codec, line.kind);
            if (line.source) {
                planned.direction = Direction::SendOnly;
                planned.streamId = streamIdOf(line.sourceUser);
                planned.trackId = line.trackId;
            }
        }
        plan.lines.push_back(std::move(planned));
    }
    return plan;
}

std::string RoomRegistry::newTrackIdLocked(UserId user, MediaKind kind) {
    return std::string(kind == MediaKind::Audio ? "audio-" : "video-") + std::to_string(user) + "-" +
           std::to_string(nextTrackSerial_++);
}

}  // namespace gochat::sfu
