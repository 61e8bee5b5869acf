// The plugin's admin requests (docs/plugin-api.md, Admin API): Janus's
// `message_plugin` with the admin secret, which Janus checks before the
// plugin sees the request. Decoded once into typed values, and the answers
// written as JSON. Jansson only (no Janus headers), so unit tests drive it;
// admin_service.cpp runs the requests.
#pragma once

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/core/room_info.hpp"
#include "plugins/gochat-sfu/core/types.hpp"

#include <jansson.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace gochat::sfu {

namespace admin {
// Reads: answered on the calling Janus thread from copies the registry makes
// under its lock.
struct Status {
    static constexpr const char* kName = "status";
};
struct ListRooms {
    static constexpr const char* kName = "list_rooms";
};
struct ListParticipants {
    static constexpr const char* kName = "list_participants";
    ChannelId channel = 0;
};
// Actions: carried out on the handler thread, through the EffectRunner.
struct Mute {
    static constexpr const char* kName = "mute";
    ChannelId channel = 0;
    UserId user = 0;
    bool muted = true;  // false lifts the server mute
};
struct Deafen {
    static constexpr const char* kName = "deafen";
    ChannelId channel = 0;
    UserId user = 0;
    bool deafened = true;  // false lifts it
};
struct Kick {
    static constexpr const char* kName = "kick";
    ChannelId channel = 0;
    UserId user = 0;
};
struct Block {
    static constexpr const char* kName = "block";
    ChannelId channel = 0;
    UserId user = 0;
    bool block = true;  // the `unblock` request sets false
};
struct CloseChannel {
    static constexpr const char* kName = "close_channel";
    ChannelId channel = 0;
};
struct Drain {
    static constexpr const char* kName = "drain";
    bool draining = true;  // the `undrain` request sets false
};
}  // namespace admin

using AdminRequest = std::variant<admin::Status, admin::ListRooms, admin::ListParticipants, admin::Mute, admin::Deafen,
                                  admin::Kick, admin::Block, admin::CloseChannel, admin::Drain>;

// Janus's error object, {"code": N, "reason": "..."}; codes follow HTTP:
// 400 a malformed request, 404 nothing of that name here, 503 the plugin
// cannot take it now, 504 the handler thread did not get to it in time.
struct AdminError {
    int code = 400;
    std::string reason;
};

using DecodedAdminRequest = std::variant<AdminRequest, AdminError>;

// Never throws; `request` may be null (no `request` in message_plugin) or
// of any type. Ids are JSON integers or their decimal strings.
DecodedAdminRequest decodeAdminRequest(const json_t* request);

// The name the request came with (`unblock` and `undrain` included).
std::string adminRequestName(const AdminRequest& request);

// Whether it changes anything (then it runs on the handler thread).
bool isAdminAction(const AdminRequest& request);

// Why an operator's action was refused, as the error object says it.
AdminError adminErrorOf(OperatorError error, ChannelId channel, UserId user);

// {"ok": false, "error": {"code", "reason"}}.
JsonRef adminErrorAnswer(const AdminError& error);
// {"ok": true}, to add the request's own fields to.
JsonRef adminOkAnswer();

// Turns the registry's monotonic milliseconds into Unix time.
struct AdminClock {
    Millis monotonicNow = 0;
    int64_t unixNowMs = 0;
    int64_t unixSeconds(Millis monotonic) const { return (unixNowMs - (monotonicNow - monotonic)) / 1000; }
};

// What the media plane counted for one participant.
struct AdminTraffic {
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
};

// {"channel", "participants", "publishers", "age"} (age in seconds).
JsonRef roomJson(const RoomInfo& room, const AdminClock& clock);
// {"session", "channel", "user", "guild"?, "perms", "muted", "server_muted",
// "deafened", "speaking", "publishing": {"audio"?: codec, "video"?: codec},
// "joined_at", "bytes_in", "bytes_out"}; `into` gets the fields.
void writeParticipant(JsonRef& into, const ParticipantInfo& participant, const AdminTraffic& traffic,
                      const AdminClock& clock);
// A JSON array of int64 ids.
JsonRef idArray(const std::vector<UserId>& ids);

}  // namespace gochat::sfu
