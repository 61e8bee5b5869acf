#include "transports/gochat-ws/codec/envelope_codec.hpp"

#include <array>

#include "transports/gochat-ws/codec/utf8.hpp"

namespace gochat::ws {
namespace {

// Voice-control events whose `d` maps field by field onto a plugin request
// body (docs/plugin-api.md). The transport checks the JSON types so the
// plugin only ever sees well-typed bodies; permissions stay in the plugin.
enum class FieldType { Int64, Bool };
struct FieldSpec {
    const char* name;
    FieldType type;
};
struct RequestSpec {
    int64_t t;
    const char* request;
    std::array<FieldSpec, 2> fields;
    size_t fieldCount;
};
constexpr std::array<RequestSpec, 8> kFieldRequests{{
    {504, "leave", {}, 0},
    {505, "mute_self", {{{"muted", FieldType::Bool}}}, 1},
    {506, "mute_user", {{{"user", FieldType::Int64}, {"muted", FieldType::Bool}}}, 2},
    {507, "server_mute", {{{"user", FieldType::Int64}, {"muted", FieldType::Bool}}}, 2},
    {508, "server_deafen", {{{"user", FieldType::Int64}, {"deafened", FieldType::Bool}}}, 2},
    {510, "kick", {{{"user", FieldType::Int64}}}, 1},
    {511, "block", {{{"user", FieldType::Int64}, {"block", FieldType::Bool}}}, 2},
    {512, "move", {{{"user", FieldType::Int64}, {"channel", FieldType::Int64}}}, 2},
}};

// Envelope types that belong to GoChat's separate gateway (docs/protocol.md).
constexpr std::array<int64_t, 2> kIgnoredEvents{509, 513};

ClientMessage invalid(int64_t t) {
    ClientMessage message;
    message.kind = ClientMessage::Kind::Invalid;
    message.t = t;
    return message;
}

ClientMessage pluginMessage(int64_t t, JsonRef body, JsonRef jsep = {}) {
    ClientMessage message;
    message.kind = ClientMessage::Kind::PluginMessage;
    message.t = t;
    message.body = std::move(body);
    message.jsep = std::move(jsep);
    return message;
}

JsonRef requestBody(const char* request) {
    JsonRef body = JsonRef::object();
    body.setString("request", request);
    return body;
}

ClientMessage decodeHeartbeat(const json_t* envelope, int64_t nowMs) {
    json_t* d = json_object_get(envelope, "d");
    if (d && !json_is_object(d)) return invalid(0);
    ClientMessage message;
    bool pong = false;
    if (d && jsonGetBool(d, "pong", pong) && pong) {
        message.kind = ClientMessage::Kind::Ignored;
        return message;
    }
    JsonRef payload = JsonRef::object();
    payload.setBool("pong", true).setInt("server_ts", nowMs);
    // Echo nonce and ts as the very JSON values received: an int64 stays an
    // integer, a string stays a string.
    for (const char* key : {"nonce", "ts"}) {
        json_t* value = d ? json_object_get(d, key) : nullptr;
        if (value) payload.set(key, JsonRef::share(value));
    }
    JsonRef reply = JsonRef::object();
    reply.setInt("op", 2).set("d", std::move(payload));
    message.kind = ClientMessage::Kind::Heartbeat;
    message.reply = std::move(reply);
    return message;
}

ClientMessage decodeJoin(const json_t* d) {
    json_t* channel = json_object_get(d, "channel");
    json_t* token = json_object_get(d, "token");
    if (!channel || !json_is_integer(channel) || json_integer_value(channel) == 0) {
        return invalid(kEventJoin);
    }
    if (!token || !json_is_string(token) || json_string_length(token) == 0) {
        return invalid(kEventJoin);
    }
    JsonRef body = requestBody("join");
    body.set("channel", JsonRef::share(channel)).set("token", JsonRef::share(token));
    ClientMessage message = pluginMessage(kEventJoin, std::move(body));
    message.isJoin = true;
    return message;
}

ClientMessage decodeSdp(int64_t t, const json_t* d) {
    std::string sdp;
    if (!jsonGetString(d, "sdp", sdp) || sdp.empty()) return invalid(t);
    const bool offer = t == kEventOffer;
    JsonRef jsep = JsonRef::object();
    jsep.setString("type", offer ? "offer" : "answer").setString("sdp", sdp);
    return pluginMessage(t, requestBody(offer ? "offer" : "answer"), std::move(jsep));
}

ClientMessage decodeCandidate(const json_t* d) {
    ClientMessage message;
    message.kind = ClientMessage::Kind::Trickle;
    message.t = kEventCandidate;
    bool completed = false;
    json_t* text = json_object_get(d, "candidate");
    if ((jsonGetBool(d, "completed", completed) && completed) ||
        (text && json_is_string(text) && json_string_length(text) == 0)) {
        // End of candidates: GoChat's web client never sends it, others may.
        JsonRef done = JsonRef::object();
        done.setBool("completed", true);
        message.candidate = std::move(done);
        return message;
    }
    if (!text || !json_is_string(text)) return invalid(kEventCandidate);
    JsonRef candidate = JsonRef::object();
    candidate.set("candidate", JsonRef::share(text));
    // Browsers send null for the optional fields; null means absent here.
    json_t* mid = json_object_get(d, "sdpMid");
    if (mid && !json_is_null(mid)) {
        if (!json_is_string(mid)) return invalid(kEventCandidate);
        candidate.set("sdpMid", JsonRef::share(mid));
    }
    json_t* index = json_object_get(d, "sdpMLineIndex");
    if (index && !json_is_null(index)) {
        if (!json_is_integer(index) || json_integer_value(index) < 0) {
            return invalid(kEventCandidate);
        }
        candidate.set("sdpMLineIndex", JsonRef::share(index));
    }
    message.candidate = std::move(candidate);
    return message;
}

ClientMessage decodeFieldRequest(const RequestSpec& spec, const json_t* d) {
    JsonRef body = requestBody(spec.request);
    for (size_t i = 0; i < spec.fieldCount; ++i) {
        const FieldSpec& field = spec.fields[i];
        json_t* value = json_object_get(d, field.name);
        const bool typed = value && (field.type == FieldType::Int64 ? json_is_integer(value) : json_is_boolean(value));
        if (!typed) return invalid(spec.t);
        body.set(field.name, JsonRef::share(value));
    }
    return pluginMessage(spec.t, std::move(body));
}

ClientMessage decodeRtc(const json_t* envelope) {
    json_t* tValue = json_object_get(envelope, "t");
    if (!tValue || !json_is_integer(tValue)) return invalid(0);
    const int64_t t = json_integer_value(tValue);
    json_t* d = json_object_get(envelope, "d");
    // `{"op":7,"t":504}` carries nothing worth refusing: an absent d reads
    // as {}. A d of another type is a broken envelope.
    JsonRef emptyPayload;
    if (!d) {
        emptyPayload = JsonRef::object();
        d = emptyPayload.get();
    }
    if (!json_is_object(d)) return invalid(t);

    for (int64_t ignored : kIgnoredEvents) {
        if (t == ignored) {
            ClientMessage message;
            message.kind = ClientMessage::Kind::Ignored;
            message.t = t;
            return message;
        }
    }
    switch (t) {
        case kEventJoin: return decodeJoin(d);
        case kEventOffer:
        case kEventAnswer: return decodeSdp(t, d);
        case kEventCandidate: return decodeCandidate(d);
        default: break;
    }
    for (const RequestSpec& spec : kFieldRequests) {
        if (spec.t == t) return decodeFieldRequest(spec, d);
    }
    return invalid(t);
}

// GoChat's web client also sends `{"event":"negotiate"|"speaking","data":..}`
// without an op (docs/protocol.md, Speaking indicator and Negotiation).
ClientMessage decodeWebClientEvent(const json_t* envelope) {
    std::string event;
    if (!jsonGetString(envelope, "event", event)) return invalid(0);
    if (event == "negotiate") return pluginMessage(0, requestBody("negotiate"));
    if (event == "speaking") {
        json_t* data = json_object_get(envelope, "data");
        std::optional<bool> speaking;
        if (data && json_is_string(data)) {
            std::string_view text(json_string_value(data), json_string_length(data));
            if (text == "1") speaking = true;
            if (text == "0") speaking = false;
        } else if (data && json_is_boolean(data)) {
            speaking = json_is_true(data);
        } else if (data && json_is_integer(data) && (json_integer_value(data) == 0 || json_integer_value(data) == 1)) {
            speaking = json_integer_value(data) == 1;
        }
        if (!speaking) return invalid(0);
        JsonRef body = requestBody("speaking");
        body.setBool("speaking", *speaking);
        return pluginMessage(0, std::move(body));
    }
    return invalid(0);
}

std::string utf8Prefix(std::string_view text, size_t maxBytes) {
    if (text.size() <= maxBytes) return std::string(text);
    size_t cut = maxBytes;
    // Step back over continuation bytes so the cut lands on a boundary.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut));
}

void decodePluginData(const json_t* message, JanusReply& reply) {
    json_t* data = json_object_get(json_object_get(message, "plugindata"), "data");
    if (!data || !json_is_object(data)) {
        reply.kind = JanusReply::Kind::Malformed;
        return;
    }
    json_t* tValue = json_object_get(data, "t");
    json_t* d = json_object_get(data, "d");
    if (!tValue || !json_is_integer(tValue) || !d || !json_is_object(d)) {
        reply.kind = JanusReply::Kind::Malformed;
        return;
    }
    jsonGetString(data, "gochat", reply.eventName);
    reply.t = json_integer_value(tValue);
    bool ok = false;
    reply.joinAccepted = reply.t == kEventJoin && jsonGetBool(d, "ok", ok) && ok;

    // `d` may be shared with events pushed to other handles: copy before
    // adding the SDP.
    JsonRef payload = JsonRef::adopt(json_deep_copy(d));
    std::string sdp;
    if (jsonGetString(json_object_get(message, "jsep"), "sdp", sdp)) {
        payload.setString("sdp", sdp);
    }
    reply.frame = encodeRtcEvent(reply.t, payload.get());

    json_t* close = json_object_get(data, "close");
    if (close && json_is_object(close)) {
        int64_t code = kCloseNormal;
        std::string reason;
        jsonGetInt64(close, "code", code);
        jsonGetString(close, "reason", reason);
        reply.close = sanitizeClose(code, reason);
    }
    reply.kind = JanusReply::Kind::PluginEvent;
}

void decodeTrickle(const json_t* message, JanusReply& reply) {
    json_t* candidate = json_object_get(message, "candidate");
    bool completed = false;
    reply.t = kEventCandidate;
    if (!candidate || !json_is_object(candidate)) {
        reply.kind = JanusReply::Kind::Malformed;
        return;
    }
    if (jsonGetBool(candidate, "completed", completed) && completed) {
        // GoChat clients need no end-of-candidates (docs/protocol.md, Negotiation).
        reply.kind = JanusReply::Kind::Ignored;
        return;
    }
    json_t* text = json_object_get(candidate, "candidate");
    if (!text || !json_is_string(text)) {
        reply.kind = JanusReply::Kind::Malformed;
        return;
    }
    JsonRef d = JsonRef::object();
    d.set("candidate", JsonRef::share(text));
    for (const char* key : {"sdpMid", "sdpMLineIndex"}) {
        json_t* value = json_object_get(candidate, key);
        if (value) d.set(key, JsonRef::share(value));
    }
    reply.frame = encodeRtcEvent(kEventCandidate, d.get());
    reply.kind = JanusReply::Kind::Trickle;
}

}  // namespace

ClientMessage decodeClientText(std::string_view text, int64_t nowMs) {
    // Jansson rejects most broken UTF-8 too; checking first makes the rule
    // explicit and independent of the parser version.
    if (!isValidUtf8(text)) return invalid(0);
    JsonRef envelope = JsonRef::parse(text);
    if (!envelope || !json_is_object(envelope.get())) return invalid(0);

    json_t* op = json_object_get(envelope.get(), "op");
    if (!op) return decodeWebClientEvent(envelope.get());
    if (!json_is_integer(op)) return invalid(0);
    switch (json_integer_value(op)) {
        case 2: return decodeHeartbeat(envelope.get(), nowMs);
        case 7: return decodeRtc(envelope.get());
        default: {
            int64_t t = 0;
            jsonGetInt64(envelope.get(), "t", t);
            return invalid(t);
        }
    }
}

std::string encodeRtcEvent(int64_t t, const json_t* d) {
    JsonRef envelope = JsonRef::object();
    envelope.setInt("op", 7).setInt("t", t);
    envelope.set("d", d ? JsonRef::share(const_cast<json_t*>(d)) : JsonRef::object());
    return envelope.dump();
}

std::string encodeRtcError(int64_t t, std::string_view error) {
    JsonRef d = JsonRef::object();
    d.setBool("ok", false).setString("error", error);
    return encodeRtcEvent(t, d.get());
}

JsonRef buildCreateRequest(const std::string& transaction) {
    JsonRef request = JsonRef::object();
    request.setString("janus", "create").setString("transaction", transaction);
    return request;
}

JsonRef buildAttachRequest(const std::string& transaction, uint64_t sessionId, const std::string& plugin) {
    JsonRef request = JsonRef::object();
    request.setString("janus", "attach")
        .setInt("session_id", static_cast<int64_t>(sessionId))
        .setString("plugin", plugin)
        .setString("transaction", transaction);
    return request;
}

namespace {
// A request about a whole Janus session (no handle, no body).
JsonRef buildSessionRequest(const char* janus, const std::string& transaction, uint64_t sessionId) {
    JsonRef request = JsonRef::object();
    request.setString("janus", janus)
        .setInt("session_id", static_cast<int64_t>(sessionId))
        .setString("transaction", transaction);
    return request;
}
}  // namespace

JsonRef buildKeepaliveRequest(const std::string& transaction, uint64_t sessionId) {
    return buildSessionRequest("keepalive", transaction, sessionId);
}

JsonRef buildDestroyRequest(const std::string& transaction, uint64_t sessionId) {
    return buildSessionRequest("destroy", transaction, sessionId);
}

JsonRef buildMessageRequest(const std::string& transaction, uint64_t sessionId, uint64_t handleId, JsonRef body,
                            JsonRef jsep) {
    JsonRef request = JsonRef::object();
    request.setString("janus", "message")
        .setInt("session_id", static_cast<int64_t>(sessionId))
        .setInt("handle_id", static_cast<int64_t>(handleId))
        .setString("transaction", transaction)
        .set("body", std::move(body));
    if (jsep) request.set("jsep", std::move(jsep));
    return request;
}

JsonRef buildTrickleRequest(const std::string& transaction, uint64_t sessionId, uint64_t handleId, JsonRef candidate) {
    JsonRef request = JsonRef::object();
    request.setString("janus", "trickle")
        .setInt("session_id", static_cast<int64_t>(sessionId))
        .setInt("handle_id", static_cast<int64_t>(handleId))
        .setString("transaction", transaction)
        .set("candidate", std::move(candidate));
    return request;
}

JanusReply decodeJanus(const json_t* message) {
    JanusReply reply;
    if (!message || !json_is_object(message) || !jsonGetString(message, "janus", reply.janus)) {
        reply.kind = JanusReply::Kind::Malformed;
        return reply;
    }
    jsonGetString(message, "transaction", reply.transaction);
    const std::string& janus = reply.janus;
    if (janus == "success") {
        int64_t id = 0;
        if (jsonGetInt64(json_object_get(message, "data"), "id", id) && id > 0) {
            reply.dataId = static_cast<uint64_t>(id);
        }
        reply.kind = JanusReply::Kind::Success;
        // A plugin that answers synchronously puts its event here.
        if (json_object_get(message, "plugindata")) {
            JanusReply event = reply;
            decodePluginData(message, event);
            if (event.kind == JanusReply::Kind::PluginEvent) reply = std::move(event);
        }
    } else if (janus == "ack") {
        reply.kind = JanusReply::Kind::Ack;
    } else if (janus == "error") {
        json_t* error = json_object_get(message, "error");
        int64_t code = 0;
        jsonGetInt64(error, "code", code);
        reply.errorCode = static_cast<int>(code);
        jsonGetString(error, "reason", reply.errorReason);
        reply.kind = JanusReply::Kind::Error;
    } else if (janus == "event") {
        decodePluginData(message, reply);
    } else if (janus == "trickle") {
        decodeTrickle(message, reply);
    } else if (janus == "timeout") {
        reply.kind = JanusReply::Kind::Timeout;
    } else if (janus == "detached") {
        reply.kind = JanusReply::Kind::Detached;
    } else {
        // webrtcup, media, slowlink, hangup: state the plugin already acts on.
        reply.kind = JanusReply::Kind::Ignored;
    }
    return reply;
}

CloseRequest sanitizeClose(int64_t code, std::string_view reason) {
    // 1004-1006 and 1015 are reserved for local reporting, 1012-1014 for
    // gateways; below 1000 and 1016-2999 are not ours to send.
    const bool sendable =
        (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    CloseRequest close;
    close.code = sendable ? static_cast<int>(code) : kCloseInternalError;
    close.reason = utf8Prefix(reason, 123);
    return close;
}

}  // namespace gochat::ws
