#include "plugins/gochat-sfu/janus/admin_api.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>

namespace gochat::sfu {

namespace {

constexpr const char* kSupported =
    "status, list_rooms, list_participants, mute, deafen, kick, block, unblock, close_channel, drain, undrain";

AdminError invalid(std::string reason) { return AdminError{400, std::move(reason)}; }

// A non-zero int64 id: a JSON integer, or its decimal string (what a
// JavaScript tool keeps exact).
bool readId(const json_t* request, const char* key, int64_t& out) {
    const json_t* field = json_object_get(request, key);
    if (field && json_is_integer(field)) {
        out = static_cast<int64_t>(json_integer_value(field));
        return out != 0;
    }
    if (!field || !json_is_string(field)) return false;
    const char* text = json_string_value(field);
    if (*text == '\0' || std::strlen(text) != json_string_length(field)) return false;
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0) return false;
    out = static_cast<int64_t>(value);
    return true;
}

std::optional<AdminError> need(const json_t* request, const char* key, int64_t& out) {
    if (readId(request, key, out)) return std::nullopt;
    return invalid(std::string(key) + ": a non-zero int64 is required (a JSON integer or its decimal string)");
}

// An optional boolean: absent keeps the default.
std::optional<AdminError> flag(const json_t* request, const char* key, bool& out) {
    const json_t* field = json_object_get(request, key);
    if (!field) return std::nullopt;
    if (json_is_boolean(field)) {
        out = json_is_true(field);
        return std::nullopt;
    }
    return invalid(std::string(key) + ": must be true or false");
}

// Field readers, one per request; the first problem found is the answer.
std::optional<AdminError> readFields(const json_t*, admin::Status&) { return std::nullopt; }
std::optional<AdminError> readFields(const json_t*, admin::ListRooms&) { return std::nullopt; }
std::optional<AdminError> readFields(const json_t* q, admin::ListParticipants& r) {
    return need(q, "channel", r.channel);
}
std::optional<AdminError> readFields(const json_t* q, admin::Mute& r) {
    if (auto e = need(q, "channel", r.channel)) return e;
    if (auto e = need(q, "user", r.user)) return e;
    return flag(q, "muted", r.muted);
}
std::optional<AdminError> readFields(const json_t* q, admin::Deafen& r) {
    if (auto e = need(q, "channel", r.channel)) return e;
    if (auto e = need(q, "user", r.user)) return e;
    return flag(q, "deafened", r.deafened);
}
std::optional<AdminError> readFields(const json_t* q, admin::Kick& r) {
    if (auto e = need(q, "channel", r.channel)) return e;
    return need(q, "user", r.user);
}
std::optional<AdminError> readFields(const json_t* q, admin::Block& r) {
    if (auto e = need(q, "channel", r.channel)) return e;
    return need(q, "user", r.user);
}
std::optional<AdminError> readFields(const json_t* q, admin::CloseChannel& r) { return need(q, "channel", r.channel); }
std::optional<AdminError> readFields(const json_t*, admin::Drain&) { return std::nullopt; }

template <class Alternative>
DecodedAdminRequest decodeAs(const json_t* request, Alternative decoded) {
    if (std::optional<AdminError> problem = readFields(request, decoded)) return *problem;
    return AdminRequest{std::move(decoded)};
}

// Tries every alternative by name.
template <size_t I = 0>
std::optional<DecodedAdminRequest> decodeNamed(const std::string& name, const json_t* request) {
    if constexpr (I == std::variant_size_v<AdminRequest>) {
        return std::nullopt;
    } else {
        using Alternative = std::variant_alternative_t<I, AdminRequest>;
        if (name != Alternative::kName) return decodeNamed<I + 1>(name, request);
        return decodeAs(request, Alternative{});
    }
}

}  // namespace

DecodedAdminRequest decodeAdminRequest(const json_t* request) {
    if (!request || !json_is_object(request))
        return invalid("no request: message_plugin needs \"request\": {\"request\": <name>, ...}");
    std::string name;
    if (!jsonGetString(request, "request", name))
        return invalid(std::string("no request name (one of ") + kSupported + ")");
    // The two reverses are their requests with the flag down.
    if (name == "unblock") return decodeAs(request, admin::Block{0, 0, false});
    if (name == "undrain") return decodeAs(request, admin::Drain{false});
    if (std::optional<DecodedAdminRequest> decoded = decodeNamed(name, request)) return *decoded;
    return invalid("unknown request \"" + name + "\" (one of " + kSupported + ")");
}

std::string adminRequestName(const AdminRequest& request) {
    if (const auto* block = std::get_if<admin::Block>(&request); block && !block->block) return "unblock";
    if (const auto* drain = std::get_if<admin::Drain>(&request); drain && !drain->draining) return "undrain";
    return std::visit([](const auto& r) { return std::string(std::decay_t<decltype(r)>::kName); }, request);
}

bool isAdminAction(const AdminRequest& request) {
    return !std::holds_alternative<admin::Status>(request) && !std::holds_alternative<admin::ListRooms>(request) &&
           !std::holds_alternative<admin::ListParticipants>(request);
}

AdminError adminErrorOf(OperatorError error, ChannelId channel, UserId user) {
    const std::string c = std::to_string(channel);
    const std::string u = std::to_string(user);
    switch (error) {
        case OperatorError::UnknownChannel: return {404, "no such channel: " + c + " has no room on this SFU"};
        case OperatorError::UnknownUser: return {404, "no such user: " + u + " is not in channel " + c};
        case OperatorError::NotBlocked: return {404, "not blocked: " + u + " is not on channel " + c + "'s block list"};
        case OperatorError::None: break;
    }
    return {500, "no error"};
}

JsonRef adminErrorAnswer(const AdminError& error) {
    JsonRef object = JsonRef::object();
    object.setInt("code", error.code).setString("reason", error.reason);
    JsonRef answer = JsonRef::object();
    answer.setBool("ok", false).set("error", std::move(object));
    return answer;
}

JsonRef adminOkAnswer() {
    JsonRef answer = JsonRef::object();
    answer.setBool("ok", true);
    return answer;
}

JsonRef roomJson(const RoomInfo& room, const AdminClock& clock) {
    JsonRef out = JsonRef::object();
    out.setInt("channel", room.channel)
        .setInt("participants", static_cast<int64_t>(room.participants))
        .setInt("publishers", static_cast<int64_t>(room.publishers))
        .setInt("age", (clock.monotonicNow - room.createdAt) / 1000);
    return out;
}

void writeParticipant(JsonRef& into, const ParticipantInfo& p, const AdminTraffic& traffic, const AdminClock& clock) {
    JsonRef publishing = JsonRef::object();
    if (!p.audioCodec.empty()) publishing.setString("audio", p.audioCodec);
    if (!p.videoCodec.empty()) publishing.setString("video", p.videoCodec);
    into.setInt("session", static_cast<int64_t>(p.session)).setInt("channel", p.channel).setInt("user", p.user);
    if (p.guild != 0) into.setInt("guild", p.guild);
    into.setInt("perms", p.perms)
        .setBool("muted", p.selfMuted)
        .setBool("server_muted", p.serverMuted)
        .setBool("deafened", p.deafened)
        .setBool("speaking", p.speaking)
        .set("publishing", std::move(publishing))
        .setInt("joined_at", clock.unixSeconds(p.joinedAt))
        .setInt("bytes_in", static_cast<int64_t>(traffic.bytesIn))
        .setInt("bytes_out", static_cast<int64_t>(traffic.bytesOut));
}

JsonRef idArray(const std::vector<UserId>& ids) {
    JsonRef array = JsonRef::array();
    for (UserId id : ids) json_array_append_new(array.get(), json_integer(static_cast<json_int_t>(id)));
    return array;
}

}  // namespace gochat::sfu
