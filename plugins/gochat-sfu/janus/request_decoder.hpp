// The plugin's native API requests (docs/plugin-api.md), decoded once from
// the Janus `message` body and jsep into typed values. Uses Jansson only (no
// Janus headers), so unit tests and fuzzers drive it directly.
#pragma once

#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/core/types.hpp"

#include <jansson.h>

#include <optional>
#include <string>
#include <variant>

namespace gochat::sfu {

namespace request {
// Each request names itself and the kind its replies answer (the wire `t`
// of that kind is chosen in wire_events.cpp).
struct Join {
    static constexpr const char* kName = "join";
    static constexpr RequestKind kKind = RequestKind::Join;
    ChannelId channel = 0;
    std::string token;
};
struct Offer {
    static constexpr const char* kName = "offer";
    static constexpr RequestKind kKind = RequestKind::Offer;
    std::string sdp;
};
struct Answer {
    static constexpr const char* kName = "answer";
    static constexpr RequestKind kKind = RequestKind::Answer;
    std::string sdp;
};
struct Leave {
    static constexpr const char* kName = "leave";
    static constexpr RequestKind kKind = RequestKind::Leave;
};
struct Negotiate {
    static constexpr const char* kName = "negotiate";
    static constexpr RequestKind kKind = RequestKind::Negotiate;
};
struct SpeakingReport {
    static constexpr const char* kName = "speaking";
    static constexpr RequestKind kKind = RequestKind::SpeakingReport;
    bool speaking = false;
};
struct MuteSelf {
    static constexpr const char* kName = "mute_self";
    static constexpr RequestKind kKind = RequestKind::MuteSelf;
    bool muted = false;
};
struct MuteUser {
    static constexpr const char* kName = "mute_user";
    static constexpr RequestKind kKind = RequestKind::MuteUser;
    UserId user = 0;
    bool muted = false;
};
struct ServerMute {
    static constexpr const char* kName = "server_mute";
    static constexpr RequestKind kKind = RequestKind::ServerMute;
    UserId user = 0;
    bool muted = false;
};
struct ServerDeafen {
    static constexpr const char* kName = "server_deafen";
    static constexpr RequestKind kKind = RequestKind::ServerDeafen;
    UserId user = 0;
    bool deafened = false;
};
struct Kick {
    static constexpr const char* kName = "kick";
    static constexpr RequestKind kKind = RequestKind::Kick;
    UserId user = 0;
};
struct Block {
    static constexpr const char* kName = "block";
    static constexpr RequestKind kKind = RequestKind::Block;
    UserId user = 0;
    bool block = false;
};
struct Move {
    static constexpr const char* kName = "move";
    static constexpr RequestKind kKind = RequestKind::Move;
    UserId user = 0;
    ChannelId channel = 0;
};
// An operator's request (docs/operations.md, Closing a channel), valid on a handle that has not
// joined. Never refused by the decoder: the plugin checks the token first,
// then the channel, so a missing or mistyped field reads as empty/0 here.
struct CloseChannel {
    static constexpr const char* kName = "close_channel";
    static constexpr RequestKind kKind = RequestKind::CloseChannel;
    std::string token;      // "" when absent or not a string
    ChannelId channel = 0;  // 0 when absent, zero or not an integer
};
}  // namespace request

using Request =
    std::variant<request::Join, request::Offer, request::Answer, request::Leave, request::Negotiate,
                 request::SpeakingReport, request::MuteSelf, request::MuteUser, request::ServerMute,
                 request::ServerDeafen, request::Kick, request::Block, request::Move, request::CloseChannel>;

// A request that could not be decoded, and the kind its refusal answers
// (Unknown when it had no known name). A join that fails to decode is a
// refused join (the socket closes).
struct RequestError {
    RequestKind request = RequestKind::Unknown;
};

using DecodedRequest = std::variant<Request, RequestError>;

// Never throws on any input; `body` and `jsep` may be null or of any type.
DecodedRequest decodeRequest(const json_t* body, const json_t* jsep);

RequestKind kindOf(const Request& request);

// Whether a request is only valid after a successful join (all but join
// and the operator requests).
bool needsJoin(const Request& request);

// The requests the registry handles on its own, one overload each. Join,
// offer, answer and the speaking report have none: they need the adapter
// first (token, SDP, detector). A dispatcher visits every alternative and
// sends the rest here, so a new request kind does not compile until it has
// an overload or an explicit handler.
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::Leave& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::Negotiate& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::MuteSelf& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::MuteUser& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::ServerMute& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::ServerDeafen& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::Kick& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::Block& request, Millis now);
Effects applyToRegistry(RoomRegistry& rooms, SessionId session, const request::Move& request, Millis now);

}  // namespace gochat::sfu
