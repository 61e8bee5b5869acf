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
// Each request names itself and the envelope `t` its replies use (0 for the
// op-less ones GoChat's web client sends).
struct Join { static constexpr const char* kName = "join"; static constexpr int kT = 500; ChannelId channel = 0; std::string token; };
struct Offer { static constexpr const char* kName = "offer"; static constexpr int kT = 501; std::string sdp; };
struct Answer { static constexpr const char* kName = "answer"; static constexpr int kT = 502; std::string sdp; };
struct Leave { static constexpr const char* kName = "leave"; static constexpr int kT = 504; };
struct Negotiate { static constexpr const char* kName = "negotiate"; static constexpr int kT = 0; };
struct SpeakingReport { static constexpr const char* kName = "speaking"; static constexpr int kT = 0; bool speaking = false; };
struct MuteSelf { static constexpr const char* kName = "mute_self"; static constexpr int kT = 505; bool muted = false; };
struct MuteUser { static constexpr const char* kName = "mute_user"; static constexpr int kT = 506; UserId user = 0; bool muted = false; };
struct ServerMute { static constexpr const char* kName = "server_mute"; static constexpr int kT = 507; UserId user = 0; bool muted = false; };
struct ServerDeafen { static constexpr const char* kName = "server_deafen"; static constexpr int kT = 508; UserId user = 0; bool deafened = false; };
struct Kick { static constexpr const char* kName = "kick"; static constexpr int kT = 510; UserId user = 0; };
struct Block { static constexpr const char* kName = "block"; static constexpr int kT = 511; UserId user = 0; bool block = false; };
struct Move { static constexpr const char* kName = "move"; static constexpr int kT = 512; UserId user = 0; ChannelId channel = 0; };
}  // namespace request

using Request = std::variant<request::Join, request::Offer, request::Answer, request::Leave, request::Negotiate,
                             request::SpeakingReport, request::MuteSelf, request::MuteUser, request::ServerMute,
                             request::ServerDeafen, request::Kick, request::Block, request::Move>;

// Why a request could not be decoded, and which envelope `t` to answer on.
struct RequestError {
    int t = 0;
    const char* error = "invalid message";
    bool isJoin = false;  // a join that fails to decode is a refused join (the socket closes)
};

using DecodedRequest = std::variant<Request, RequestError>;

// Never throws on any input; `body` and `jsep` may be null or of any type.
DecodedRequest decodeRequest(const json_t* body, const json_t* jsep);

// The envelope `t` of a request, for its replies (0 for the op-less ones).
int envelopeTypeOf(const Request& request);

// Applies the requests the registry handles on its own (leave, negotiate,
// the voice-control ones); nullopt for join, offer, answer and the speaking
// report, which need the adapter (token, SDP, detector) first.
std::optional<Effects> applyToRegistry(RoomRegistry& rooms, SessionId session, const Request& request, Millis now);

}  // namespace gochat::sfu
