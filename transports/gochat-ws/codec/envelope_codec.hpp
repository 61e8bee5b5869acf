// The GoChat envelope <-> Janus API translation, as pure functions.
//
// Client side: `{"op":<int>,"t":<int>,"d":{...}}` text frames (docs/protocol.md
// sections 1-3) plus the web client's op-less `{"event":..,"data":..}`.
// Janus side: the plain Janus API requests and replies of
// docs/plugin-api.md. No libwebsockets and no Janus headers here: the
// per-connection state lives in SignalSession, the sockets in lws/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json_ref.hpp"

namespace gochat::ws {

// WebSocket close codes this transport uses (RFC 6455 section 7.4.1).
inline constexpr int kCloseNormal = 1000;
inline constexpr int kClosePolicyViolation = 1008;
inline constexpr int kCloseMessageTooBig = 1009;
inline constexpr int kCloseInternalError = 1011;

// Envelope event types the transport itself needs to name.
inline constexpr int64_t kEventJoin = 500;
inline constexpr int64_t kEventOffer = 501;
inline constexpr int64_t kEventAnswer = 502;
inline constexpr int64_t kEventCandidate = 503;
inline constexpr int64_t kEventLeave = 504;

// Stable error strings (docs/protocol.md, Join and Errors after join).
inline constexpr std::string_view kErrorInvalidMessage = "invalid message";
inline constexpr std::string_view kErrorJoinTimeout = "join timeout";

// What one complete client message asks the transport to do.
struct ClientMessage {
    enum class Kind {
        Heartbeat,      // answer `reply` on the socket, Janus not involved
        Ignored,        // valid but nothing to do (pong, t 509/513)
        PluginMessage,  // Janus "message" with `body` (+ `jsep`)
        Trickle,        // Janus "trickle" with `candidate`
        Invalid,        // malformed: answer "invalid message"
    };
    Kind kind = Kind::Invalid;
    int64_t t = 0;         // envelope t, 0 when absent (used to answer errors)
    bool isJoin = false;   // t 500, already checked for channel/token shape
    JsonRef reply;         // Heartbeat: the complete pong envelope
    JsonRef body;          // PluginMessage
    JsonRef jsep;          // PluginMessage, offers and answers only
    JsonRef candidate;     // Trickle
    size_t textBytes = 0;  // size of the client frame it came from (queue budgets)
};

// Decodes one text message. `nowMs` is the server_ts of a heartbeat pong.
ClientMessage decodeClientText(std::string_view text, int64_t nowMs);

// Client frames the transport writes itself.
std::string encodeRtcEvent(int64_t t, const json_t* d);
std::string encodeRtcError(int64_t t, std::string_view error);

// Janus API requests. Ids are JSON integers; the transaction is a string.
JsonRef buildCreateRequest(const std::string& transaction);
JsonRef buildAttachRequest(const std::string& transaction, uint64_t sessionId, const std::string& plugin);
JsonRef buildKeepaliveRequest(const std::string& transaction, uint64_t sessionId);
JsonRef buildDestroyRequest(const std::string& transaction, uint64_t sessionId);
JsonRef buildMessageRequest(const std::string& transaction, uint64_t sessionId, uint64_t handleId, JsonRef body,
                            JsonRef jsep);
JsonRef buildTrickleRequest(const std::string& transaction, uint64_t sessionId, uint64_t handleId, JsonRef candidate);

struct CloseRequest {
    int code = kCloseNormal;
    std::string reason;  // at most 123 bytes (a close frame's payload is 125)
};

// One message Janus sent to this transport, classified.
struct JanusReply {
    enum class Kind {
        Success,  // `dataId` holds data.id for create/attach
        Ack,
        Error,        // `errorCode`, `errorReason`
        PluginEvent,  // `t`, `frame` (ready to send), `eventName`, `close`
        Trickle,      // `frame` (a candidate); completed ones come as Ignored
        Timeout,      // the Janus session expired
        Detached,     // the handle went away
        Ignored,      // webrtcup, media, slowlink, hangup, completed trickle
        Malformed,
    };
    Kind kind = Kind::Malformed;
    std::string janus;
    std::string transaction;
    uint64_t dataId = 0;
    int errorCode = 0;
    std::string errorReason;
    int64_t t = 0;
    std::string eventName;
    bool joinAccepted = false;  // the `joined` event: t 500 with ok:true
    std::string frame;
    std::optional<CloseRequest> close;
};

// Classifies a Janus message. Never modifies `message`: Janus may share
// parts of it with other handles' events.
JanusReply decodeJanus(const json_t* message);

// Clamps a close code to one a server may send and trims the reason.
CloseRequest sanitizeClose(int64_t code, std::string_view reason);

}  // namespace gochat::ws
