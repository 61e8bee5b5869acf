// RoomRegistry: every room, participant and moderation decision of the SFU.
//
// NOTE: this is the control plane's only lock. Each public method takes it,
// mutates, collects Effects and returns them; the caller performs them after
// the method returned, never under the lock. The media path never takes it.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/room.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace gochat::sfu {

struct RegistryConfig {
    PermissionBits bits;
    Millis emptyRoomTtl = 10'000;   // an empty room lingers so a quick reconnect finds its state
    Millis offerDebounce = 50;      // re-offers wait this long to fold bursts of changes
    size_t maxParticipants = 0;     // per room; 0 = unlimited
    // A participant whose offer stays unanswered this long is removed: a
    // client that never negotiates must not hold a place in the room.
    Millis answerTimeout = 30'000;
};

// A join whose token already passed signature and time checks.
struct JoinRequest {
    SessionId session = 0;
    ChannelId channel = 0;       // what the client asked for
    UserId user = 0;
    ChannelId tokenChannel = 0;  // 0 when the token names no channel
    int64_t perms = 0;
    bool moved = false;
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
    Direction direction = Direction::Inactive;                // the client's view
    std::vector<std::pair<std::string, int>> codecs;          // (name, payload type), client's order
};

// Why a participant goes away; decides what the others and it are told.
enum class DepartureReason { Left, Disconnected, Replaced };

class RoomRegistry {
public:
    explicit RoomRegistry(RegistryConfig config);

    Effects join(const JoinRequest& request, Millis now);
    // A join that failed before reaching the registry (e.g. a bad token).
    static Effects refuseJoin(SessionId session, std::string_view error);
    Effects answer(SessionId session, const std::vector<AnsweredLine>& lines, Millis now);
    Effects leave(SessionId session, DepartureReason reason, Millis now);
    // The client offers first (t 501): answered unless a server offer is
    // unanswered (Janus has no glare handling), then resynchronised.
    Effects clientOffer(SessionId session, const std::vector<OfferedLine>& lines, const std::string& sdp, Millis now);
    // The client asks for a fresh offer (GoChat web client's "negotiate").
    Effects requestOffer(SessionId session, Millis now);
    // Voice control (PROTOCOL.md 3.5). The actor is the requesting session;
    // every privileged action is authorised here, whatever the transport.
    Effects muteSelf(SessionId actor, bool muted, Millis now);
    Effects muteUserLocally(SessionId actor, UserId target, bool muted, Millis now);
    Effects serverMute(SessionId actor, UserId target, bool muted, Millis now);
    Effects serverDeafen(SessionId actor, UserId target, bool deafened, Millis now);
    Effects kick(SessionId actor, UserId target, Millis now);
    Effects block(SessionId actor, UserId target, bool blocked, Millis now);
    Effects move(SessionId actor, UserId target, ChannelId destination, Millis now);
    // The publisher's packets carry another negotiated payload type than its
    // publication's (a browser may send any format its answer kept): follow
    // it with a new publication, so subscribers are offered that codec.
    Effects publisherSentPayloadType(SessionId session, MediaKind kind, int payloadType, Millis now);
    // The speaking detector of a publisher changed its mind (PROTOCOL.md 3.6).
    Effects setSpeaking(SessionId session, bool speaking);

    // Fires due re-offers and removes rooms empty for longer than the TTL.
    Effects tick(Millis now);
    // When tick() next has work to do, if ever.
    std::optional<Millis> nextDeadline() const;

    // An error event answering the current request (the session goes on).
    static Effects requestError(SessionId session, int t, std::string_view error);

    bool isJoined(SessionId session) const;
    size_t roomCount() const;
    size_t participantCount() const;

    // Sessions whose detector last said "voice" (the adapter checks them for
    // publishers that went quiet without sending silence).
    std::vector<SessionId> voiceDetectedSessions() const;

private:
    // The requester of a voice-control request, or null with `refusal` set
    // (not joined; or `needed` not granted: forbidden).
    Participant* requesterLocked(SessionId actor, int t, std::optional<Action> needed, Room*& room, Effects& refusal);
    // Server mute, deafen and block: a per-user flag, broadcast to the room.
    void setUserFlagLocked(Room& room, std::set<UserId>& flagged, UserId target, bool on, SessionId actor, OutEvent notice,
                           const char* flagName, Effects& effects);
    // Shared shape of kick, block-while-present and move: tell the target,
    // close its peer, remove it.
    void ejectLocked(Room& room, SessionId target, OutEvent notice, Millis now, Effects& effects);
    void broadcastLocked(const Room& room, OutEvent event, SessionId requester, Effects& effects);
    // Recomputes what the room is shown: detected voice that others can hear.
    void refreshSpeakingLocked(const Room& room, Participant& participant, Effects& effects);
    // Tells everyone else in the room the participant's current speaking state.
    void announceSpeakingLocked(const Room& room, const Participant& participant, Effects& effects);
    OutEvent speakingEventLocked(const Participant& participant, SessionId to) const;
    Participant* findUserLocked(Room& room, UserId user);
    Participant* findLocked(SessionId session, Room** room = nullptr);
    void removeLocked(Room& room, SessionId session, Millis now, Effects& effects);
    // Flags every participant whose wanted remote tracks differ from its lines.
    void markDirtyWhereNeededLocked(Room& room, Millis now);
    // Whether the participant's bound lines differ from what it should receive.
    bool linesOutOfDateLocked(const Room& room, const Participant& participant) const;
    void markDirtyLocked(Participant& participant, Millis dueAt);
    // Sends due offers, then hands the adapter every changed fan-out.
    void settleLocked(Room& room, Millis now, Effects& effects);
    void updateFanoutsLocked(Room& room, Effects& effects);
    const Publication* publicationLocked(const Room& room, const PublicationKey& key) const;
    OfferPlan buildOfferLocked(Room& room, Participant& participant, Millis now);
    std::vector<PublicationKey> desiredSourcesLocked(const Room& room, const Participant& subscriber) const;
    bool forwardsLocked(const Room& room, const Participant& publisher, MediaKind kind, const Participant& subscriber) const;
    std::string newTrackIdLocked(UserId user, MediaKind kind);

    const RegistryConfig config_;
    mutable std::mutex mutex_;
    std::map<ChannelId, Room> rooms_;
    std::map<SessionId, ChannelId> roomOfSession_;
    // Block lists outlive their rooms: they last until unblocked or restart.
    std::map<ChannelId, std::set<UserId>> blocked_;
    uint64_t nextBinding_ = 1;
    uint64_t nextJoinOrder_ = 1;
    uint64_t nextTrackSerial_ = 1;
};

}  // namespace gochat::sfu
