// RoomRegistry: every room, participant and moderation decision of the SFU,
// behind one facade. The implementation is split by concern:
//   registry.cpp        joins, departures, timers, lookups
//   negotiation.cpp     offers, answers, client offers, line reuse
//   moderation.cpp      voice control (mute, deafen, kick, block, move),
//                       and the same actions by an operator
//   inspection.cpp      what operators are shown (rooms, participants)
//   speaking.cpp        the speaking indicator
//   fanout_planner.cpp  who forwards what to whom
//
// NOTE: this is the control plane's only lock. Each public method takes it,
// mutates, collects Effects (events and commands, effects.hpp) and returns
// them; the caller performs them after the method returned, never under the
// lock. The media path never takes it.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/room.hpp"
#include "plugins/gochat-sfu/core/room_info.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace gochat::sfu {

struct RegistryConfig {
    PermissionBits bits;
    Millis emptyRoomTtl = 10'000;  // an empty room lingers so a quick reconnect finds its state
    Millis offerDebounce = 50;     // re-offers wait this long to fold bursts of changes
    size_t maxParticipants = 0;    // per room; 0 = unlimited
    // A participant whose offer stays unanswered this long is removed: a
    // client that never negotiates must not hold a place in the room.
    Millis answerTimeout = 30'000;
};

// A join whose token already passed signature and time checks.
struct JoinRequest {
    SessionId session = 0;
    ChannelId channel = 0;  // what the client asked for
    UserId user = 0;
    ChannelId tokenChannel = 0;  // 0 when the token names no channel
    int64_t perms = 0;
    bool moved = false;
    GuildId guild = 0;  // 0 when the token names no guild
};

// One m-line of a client's answer, as the adapter parsed it.
struct AnsweredLine {
    int mindex = 0;
    MediaKind kind = MediaKind::Audio;
    Direction direction = Direction::Inactive;  // the client's view
    std::string codec;                          // first codec of the line, lower case
    std::vector<std::string> codecs;            // every codec the line kept, in the answer's order
};

// One m-line of a client's own offer, as the adapter parsed it.
struct OfferedLine {
    int mindex = 0;
    MediaKind kind = MediaKind::Audio;
    std::string mid;
    Direction direction = Direction::Inactive;        // the client's view
    std::vector<std::pair<std::string, int>> codecs;  // (name, payload type), client's order
};

class RoomRegistry {
public:
    explicit RoomRegistry(RegistryConfig config);

    Effects join(const JoinRequest& request, Millis now);
    // A join that failed before reaching the registry (e.g. a bad token).
    static Effects refuseJoin(SessionId session, Refusal reason);
    Effects answer(SessionId session, const std::vector<AnsweredLine>& lines, Millis now);
    // The participant asked to leave (Left) or its PeerConnection went away
    // (Disconnected).
    Effects leave(SessionId session, LeaveReason reason, Millis now);
    // The client offers first (t 501): answered unless a server offer is
    // unanswered (Janus has no glare handling), then resynchronised.
    Effects clientOffer(SessionId session, const std::vector<OfferedLine>& lines, const std::string& sdp, Millis now);
    // The client asks for a fresh offer (GoChat web client's "negotiate").
    Effects requestOffer(SessionId session, Millis now);
    // Voice control (docs/voice-control.md). The actor is the requesting session;
    // every privileged action is authorised here, whatever the transport.
    Effects muteSelf(SessionId actor, bool muted, Millis now);
    Effects muteUserLocally(SessionId actor, UserId target, bool muted, Millis now);
    Effects serverMute(SessionId actor, UserId target, bool muted, Millis now);
    Effects serverDeafen(SessionId actor, UserId target, bool deafened, Millis now);
    Effects kick(SessionId actor, UserId target, Millis now);
    Effects block(SessionId actor, UserId target, bool blocked, Millis now);
    Effects move(SessionId actor, UserId target, ChannelId destination, Millis now);
    // An operator closes the channel (its admin token already checked):
    // everyone leaves with LeaveReason::Closed, the block list stays. A
    // channel nobody is in changes nothing.
    Effects closeChannel(ChannelId channel, Millis now);

    // An operator's actions (docs/plugin-api.md, Admin API): no permission
    // check (Janus checked the admin secret), the same events and effects
    // as a moderator's request, with nobody as the requester (session 0).
    // Refused, changing nothing, for a channel without a room here or a
    // user not in it (mute and deafen also accept a user who left with the
    // flag set, so it can be lifted).
    OperatorResult operatorServerMute(ChannelId channel, UserId target, bool muted, Millis now);
    OperatorResult operatorServerDeafen(ChannelId channel, UserId target, bool deafened, Millis now);
    OperatorResult operatorKick(ChannelId channel, UserId target, Millis now);
    // Blocking needs the user in the room; unblocking needs it on the
    // channel's block list (which outlives the room).
    OperatorResult operatorBlock(ChannelId channel, UserId target, bool blocked, Millis now);
    OperatorResult operatorCloseChannel(ChannelId channel, Millis now);

    // Draining for a rolling upgrade (docs/operations.md, Rolling upgrades):
    // every join is refused with Refusal::Draining, moved ones included;
    // everyone already in a room stays until they leave.
    void setDraining(bool draining);
    bool draining() const;
    // The publisher's packets carry another negotiated payload type than its
    // publication's (a browser may send any format its answer kept): follow
    // it with a new publication, so subscribers are offered that codec.
    Effects publisherSentPayloadType(SessionId session, MediaKind kind, int payloadType, Millis now);
    // The speaking detector of a publisher changed its mind (docs/protocol.md, Speaking indicator).
    Effects setSpeaking(SessionId session, bool speaking);

    // Fires due re-offers and removes rooms empty for longer than the TTL.
    Effects tick(Millis now);
    // When tick() next has work to do, if ever.
    std::optional<Millis> nextDeadline() const;

    // A refusal answering the current request (the session goes on).
    static Effects refuseRequest(SessionId session, RequestKind request, Refusal reason);

    bool isJoined(SessionId session) const;
    size_t roomCount() const;
    size_t participantCount() const;

    // --- inspection.cpp: copies for operators, from any thread.
    std::vector<RoomInfo> rooms() const;
    // Everyone in the channel's room, in join order; nothing without a room.
    std::optional<std::vector<ParticipantInfo>> participantsOf(ChannelId channel) const;
    std::optional<ParticipantInfo> participantInfo(SessionId session) const;
    // The channel's block list (kept beside the rooms), ascending.
    std::vector<UserId> blockedIn(ChannelId channel) const;

    // Sessions whose detector last said "voice" (the adapter checks them for
    // publishers that went quiet without sending silence).
    std::vector<SessionId> voiceDetectedSessions() const;

    // Whether every room's fan-outs, as last handed to the adapter, are what
    // its state asks for: the self-check of the incremental updates
    // (unit tests and bench/bench_core.cpp).
    bool fanoutsUpToDate() const;

private:
    // --- registry.cpp: lookups and departures
    Participant* findLocked(SessionId session, Room** room = nullptr);
    Participant* findUserLocked(Room& room, UserId user);
    // Takes the participant out of its room, tells every consumer why, closes
    // its peer unless it is already gone (Disconnected), and resettles the room.
    void removeLocked(Room& room, SessionId session, LeaveReason reason, Millis now, Effects& effects,
                      ChannelId movedTo = 0);
    // The first half of removeLocked: out of the room, everyone told, but
    // the room not resettled (closeChannel removes everyone, then settles once).
    void detachLocked(Room& room, SessionId session, LeaveReason reason, Millis now, Effects& effects,
                      ChannelId movedTo);

    // --- moderation.cpp
    // The requester of a voice-control request, or null with `refusal` set
    // (not joined; or `needed` not granted: forbidden).
    Participant* requesterLocked(SessionId actor, RequestKind request, std::optional<Action> needed, Room*& room,
                                 Effects& refusal);
    // Server mute, deafen and block: a per-user flag, broadcast to the room.
    void setUserFlagLocked(Room& room, std::set<UserId>& flagged, UserFlag flag, UserId target, bool on,
                           SessionId actor, Effects& effects);
    // The actions themselves, once the requester (a moderator, or nobody:
    // an operator) may take them.
    void serverMuteLocked(Room& room, UserId target, bool muted, SessionId actor, Millis now, Effects& effects);
    void serverDeafenLocked(Room& room, UserId target, bool deafened, SessionId actor, Millis now, Effects& effects);
    void blockLocked(Room& room, UserId target, bool blocked, SessionId actor, Millis now, Effects& effects);
    // The room of an operator's action, or null with `result.error` set.
    Room* operatorRoomLocked(ChannelId channel, OperatorResult& result);
    // Everyone leaves with LeaveReason::Closed (closeChannel).
    void closeRoomLocked(Room& room, Millis now, Effects& effects);
    ParticipantInfo infoLocked(const Room& room, const Participant& participant) const;

    // --- speaking.cpp
    // Recomputes what the room is shown: detected voice that others can hear.
    void refreshSpeakingLocked(const Room& room, Participant& participant, Effects& effects);
    event::SpeakingChanged speakingEventLocked(const Room& room, const Participant& participant) const;

    // --- negotiation.cpp
    // Flags every participant whose wanted remote tracks differ from its lines.
    void markDirtyWhereNeededLocked(Room& room, Millis now);
    // Whether the participant's bound lines differ from what it should receive.
    bool linesOutOfDateLocked(const Room& room, const Participant& participant) const;
    void markDirtyLocked(Participant& participant, Millis dueAt);
    OfferPlan buildOfferLocked(Room& room, Participant& participant, Millis now);
    void bindWantedSourcesLocked(Room& room, Participant& participant);
    std::vector<PublicationKey> desiredSourcesLocked(const Room& room, const Participant& subscriber) const;
    const Publication* publicationLocked(const Room& room, const PublicationKey& key) const;
    // The outcome of a negotiation on one of the participant's own lines:
    // whether it publishes there and in which of `formats` (the first one
    // is what the client sends). Returns whether its publication changed.
    bool settleOwnLineLocked(Participant& participant, Line& line, bool clientSends,
                             std::vector<std::pair<std::string, int>> formats, Effects& effects);
    PlannedLine answerClientLineLocked(Room& room, Participant& participant, const OfferedLine& offered,
                                       Effects& effects);
    std::string newTrackIdLocked(UserId user, MediaKind kind);

    // --- fanout_planner.cpp
    // Sends due offers, then hands the adapter every changed fan-out.
    void settleLocked(Room& room, Millis now, Effects& effects);
    // The same when nothing but `changed`'s lines (an answer) changed since
    // the room was last settled: only the lines of `changed` and of those
    // offered now are looked at (a join does not cost a pass over every
    // line of the room per answer).
    void settleLinesLocked(Room& room, Millis now, Effects& effects, const Participant* changed);
    using FanoutMap = std::map<PublicationKey, std::vector<FanoutTarget>>;
    FanoutMap plannedFanoutsLocked(const Room& room) const;
    void updateFanoutsLocked(Room& room, Effects& effects);
    // Brings `subscriber`'s entries in every applied fan-out up to date;
    // adds the publications whose fan-out changed to `changed` (and to
    // `gained` when a line starts receiving).
    void updateSubscriberFanoutsLocked(Room& room, const Participant& subscriber, std::set<PublicationKey>& changed,
                                       std::set<PublicationKey>& gained);
    void emitFanoutLocked(const Room& room, const PublicationKey& key, bool gained, Effects& effects) const;
    bool forwardsLocked(const Room& room, const Participant& publisher, MediaKind kind,
                        const Participant& subscriber) const;

    const RegistryConfig config_;
    mutable std::mutex mutex_;
    std::map<ChannelId, Room> rooms_;
    std::map<SessionId, ChannelId> roomOfSession_;
    // Block lists outlive their rooms: they last until unblocked or restart.
    std::map<ChannelId, std::set<UserId>> blocked_;
    bool draining_ = false;
    uint64_t nextBinding_ = 1;
    uint64_t nextJoinOrder_ = 1;
    uint64_t nextTrackSerial_ = 1;
};

}  // namespace gochat::sfu
