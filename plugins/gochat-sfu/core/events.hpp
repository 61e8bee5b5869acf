// What happens in a room, in the core's own words. Every consumer (the
// plugin's event JSON for clients, and later webhooks, event handlers and
// metrics) reads these typed values; none re-parses a wire message. The
// wire form (GoChat's `t` codes, error strings, close codes) is chosen in
// one table of the adapter: plugins/gochat-sfu/janus/wire_events.cpp.
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <string>
#include <vector>

namespace gochat::sfu {

// Why a join or a request was refused.
enum class Refusal {
    InvalidMessage,  // malformed, or not valid in the current state
    Unauthorized,    // any token problem
    Forbidden,       // a permission is missing
    Blocked,         // the user is on the channel's block list
    RoomFull,
    NotJoined,      // a request before a successful join
    NotFound,       // the target user is not in the room
    OfferInFlight,  // a client offer while a server offer is unanswered (glare)
    // An admin token limited to one channel, used on another
    // (docs/operations.md, Closing a channel).
    ChannelMismatch,
    // A join while the SFU drains for an upgrade (docs/operations.md,
    // Rolling upgrades): calls in progress go on, nobody new comes in.
    Draining,
};

// The request a refusal or an acknowledgement answers.
enum class RequestKind {
    Unknown,  // a request the plugin does not know, or without a name
    Join,
    Offer,
    Answer,
    Leave,
    Negotiate,
    MuteSelf,
    MuteUser,
    ServerMute,
    ServerDeafen,
    Kick,
    Block,
    Move,
    SpeakingReport,
    // An operator's request (docs/plugin-api.md, Operator requests): made
    // with an admin token, on a handle that need not have joined.
    CloseChannel,
};

// Why a participant left its room.
enum class LeaveReason {
    Left,          // it asked to (leave request)
    Disconnected,  // its PeerConnection or handle went away
    Kicked,
    Blocked,
    Moved,
    Timeout,   // it left a server offer unanswered for too long
    Replaced,  // the same user joined the channel again
    Closed,    // an operator closed the channel (docs/operations.md, Closing a channel)
    // Its audio stayed over the audio cap plus the margin for two
    // consecutive windows (docs/operations.md, Bitrate limits).
    BitrateExceeded,
};

// Per-user moderation state kept by the room (or beside it: blocks).
enum class UserFlag { ServerMuted, Deafened, Blocked };

namespace event {

struct JoinRefused {
    SessionId session = 0;
    Refusal reason = Refusal::InvalidMessage;
};

// A request that changed nothing and why; the session goes on.
struct RequestRefused {
    SessionId session = 0;
    RequestKind request = RequestKind::Join;
    Refusal reason = Refusal::InvalidMessage;
};

// A request that needs no other answer was carried out.
struct RequestDone {
    SessionId session = 0;
    RequestKind request = RequestKind::Join;
};

struct ParticipantJoined {
    SessionId session = 0;
    UserId user = 0;
    ChannelId channel = 0;
    GuildId guild = 0;  // 0 when the token named none
};

struct ParticipantLeft {
    SessionId session = 0;
    UserId user = 0;
    ChannelId channel = 0;
    GuildId guild = 0;
    LeaveReason reason = LeaveReason::Disconnected;
    ChannelId movedTo = 0;  // Moved only
};

// A publisher started, switched codec or stopped sending one kind.
struct PublicationChanged {
    SessionId session = 0;
    UserId user = 0;
    ChannelId channel = 0;
    MediaKind kind = MediaKind::Audio;
    std::string codec;  // empty: it stopped
};

// Server mute, deafen or block of a user changed; everyone in `audience`
// is told (the requester among them).
struct UserFlagChanged {
    UserFlag flag = UserFlag::ServerMuted;
    ChannelId channel = 0;
    UserId user = 0;
    bool on = false;
    SessionId requester = 0;
    std::vector<SessionId> audience;
};

// What the room is shown: detected voice that others can hear.
struct SpeakingChanged {
    ChannelId channel = 0;
    UserId user = 0;
    bool speaking = false;
    std::vector<SessionId> audience;
};

}  // namespace event
}  // namespace gochat::sfu
