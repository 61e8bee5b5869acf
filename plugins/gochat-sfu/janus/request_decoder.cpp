#include "plugins/gochat-sfu/janus/request_decoder.hpp"

#include "common/json_ref.hpp"

#include <cstring>
#include <optional>
#include <type_traits>

namespace gochat::sfu {

namespace {

// A jsep of the expected type with an SDP string.
bool readJsep(const json_t* jsep, const char* type, std::string& sdp) {
    std::string actual;
    return jsep && json_is_object(jsep) && jsonGetString(jsep, "type", actual) && actual == type &&
           jsonGetString(jsep, "sdp", sdp) && !sdp.empty();
}

// Field readers: one overload per request, each false when a field is
// missing or of the wrong JSON type.
bool readFields(const json_t* body, const json_t*, request::Join& r) {
    return jsonGetInt64(body, "channel", r.channel) && r.channel != 0 && jsonGetString(body, "token", r.token) &&
           !r.token.empty();
}
bool readFields(const json_t*, const json_t* jsep, request::Offer& r) { return readJsep(jsep, "offer", r.sdp); }
bool readFields(const json_t*, const json_t* jsep, request::Answer& r) { return readJsep(jsep, "answer", r.sdp); }
bool readFields(const json_t*, const json_t*, request::Leave&) { return true; }
bool readFields(const json_t*, const json_t*, request::Negotiate&) { return true; }
bool readFields(const json_t* body, const json_t*, request::SpeakingReport& r) {
    return jsonGetBool(body, "speaking", r.speaking);
}
bool readFields(const json_t* body, const json_t*, request::MuteSelf& r) { return jsonGetBool(body, "muted", r.muted); }
bool readFields(const json_t* body, const json_t*, request::MuteUser& r) {
    return jsonGetInt64(body, "user", r.user) && jsonGetBool(body, "muted", r.muted);
}
bool readFields(const json_t* body, const json_t*, request::ServerMute& r) {
    return jsonGetInt64(body, "user", r.user) && jsonGetBool(body, "muted", r.muted);
}
bool readFields(const json_t* body, const json_t*, request::ServerDeafen& r) {
    return jsonGetInt64(body, "user", r.user) && jsonGetBool(body, "deafened", r.deafened);
}
bool readFields(const json_t* body, const json_t*, request::Kick& r) { return jsonGetInt64(body, "user", r.user); }
bool readFields(const json_t* body, const json_t*, request::Block& r) {
    return jsonGetInt64(body, "user", r.user) && jsonGetBool(body, "block", r.block);
}
bool readFields(const json_t* body, const json_t*, request::Move& r) {
    return jsonGetInt64(body, "user", r.user) && jsonGetInt64(body, "channel", r.channel) && r.channel != 0;
}

bool readFields(const json_t* body, const json_t*, request::CloseChannel& r) {
    jsonGetString(body, "token", r.token);
    jsonGetInt64(body, "channel_id", r.channel);
    return true;
}

// Tries every alternative of the Request variant by name.
template <size_t I = 0>
std::optional<DecodedRequest> decodeNamed(const char* name, const json_t* body, const json_t* jsep) {
    if constexpr (I == std::variant_size_v<Request>) {
        return std::nullopt;
    } else {
        using Alternative = std::variant_alternative_t<I, Request>;
        if (std::strcmp(name, Alternative::kName) != 0) return decodeNamed<I + 1>(name, body, jsep);
        Alternative decoded;
        if (!readFields(body, jsep, decoded)) return DecodedRequest{RequestError{Alternative::kKind}};
        return DecodedRequest{Request{std::move(decoded)}};
    }
}

}  // namespace

DecodedRequest decodeRequest(const json_t* body, const json_t* jsep) {
    if (!body || !json_is_object(body)) return RequestError{};
    const json_t* name = json_object_get(body, "request");
    if (!name || !json_is_string(name)) return RequestError{};
    if (std::optional<DecodedRequest> decoded = decodeNamed(json_string_value(name), body, jsep)) return *decoded;
    return RequestError{};
}

Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::Leave&, Millis now) {
    return rooms.leave(id, LeaveReason::Left, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::Negotiate&, Millis now) {
    return rooms.requestOffer(id, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::MuteSelf& r, Millis now) {
    return rooms.muteSelf(id, r.muted, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::MuteUser& r, Millis now) {
    return rooms.muteUserLocally(id, r.user, r.muted, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::ServerMute& r, Millis now) {
    return rooms.serverMute(id, r.user, r.muted, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::ServerDeafen& r, Millis now) {
    return rooms.serverDeafen(id, r.user, r.deafened, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::Kick& r, Millis now) {
    return rooms.kick(id, r.user, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::Block& r, Millis now) {
    return rooms.block(id, r.user, r.block, now);
}
Effects applyToRegistry(RoomRegistry& rooms, SessionId id, const request::Move& r, Millis now) {
    return rooms.move(id, r.user, r.channel, now);
}

bool needsJoin(const Request& request) {
    return std::visit(
        [](const auto& r) {
            using Kind = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<Kind, request::Join> || std::is_same_v<Kind, request::CloseChannel>)
                return false;
            else
                return true;
        },
        request);
}

RequestKind kindOf(const Request& request) {
    return std::visit([](const auto& r) { return std::decay_t<decltype(r)>::kKind; }, request);
}

}  // namespace gochat::sfu
