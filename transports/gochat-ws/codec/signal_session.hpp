// Per-socket translation state: one Janus session and one handle per
// GoChat socket, the join gate, and the transaction map that turns Janus
// errors back into envelope errors. Pure: every input returns Effects that
// the lws glue carries out (frames to write, Janus requests to submit, a
// close). Runs on one thread only (the lws service thread), so it has no
// lock of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_ref.hpp"
#include "transports/gochat-ws/codec/envelope_codec.hpp"
#include "transports/gochat-ws/codec/transport_metrics.hpp"

namespace gochat::ws {

enum class LogLevel { Warn, Info, Verbose };

struct LogLine {
    LogLevel level;
    std::string text;
};

struct Effects {
    std::vector<std::string> toClient;  // text frames, in order
    std::vector<JsonRef> toJanus;       // requests for incoming_request, in order
    // Close after the frames above are flushed, or at once when `abort`.
    std::optional<CloseRequest> close;
    bool abort = false;
    std::vector<LogLine> log;
    // The client message was refused, and why (counted for GET /metrics).
    std::optional<FrameRefusal> refused;
};

class SignalSession {
public:
    // Bounds protect the transport from a client that floods before the
    // handle exists or from replies that never come.
    static constexpr size_t kMaxQueuedBeforeAttach = 16;
    static constexpr size_t kMaxPendingTransactions = 256;
    // Janus runs `message` requests on a thread pool: two from one handle
    // can reach the plugin out of order (an answer overtaken by the next
    // offer, a mute by its unmute). So a socket has one `message` at a time
    // in Janus; the next waits for its ack (by then the plugin has queued
    // it, in order). Trickles are not held back.
    // Bounded by count and by bytes (a queued offer may be a large SDP).
    static constexpr size_t kMaxQueuedMessages = 256;
    static constexpr size_t kMaxQueuedBytes = 1 << 20;

    SignalSession(uint64_t connectionId, std::string plugin);

    // The socket is open: create the Janus session.
    Effects start();
    // One complete client message.
    Effects onClientText(std::string_view text, int64_t nowMs);
    Effects onClientBinary();
    Effects onClientTooLarge();
    // One message Janus sent for this socket.
    Effects onJanus(const json_t* message);
    Effects onJoinTimeout();
    Effects onKeepaliveDue();
    // Janus's session bookkeeping callbacks (transport.h).
    void onSessionCreated(uint64_t sessionId);
    Effects onSessionOver(uint64_t sessionId, bool timeout, bool claimed);
    void onSessionClaimed(uint64_t sessionId);
    // The client closed its socket. Queued messages are dropped, except a
    // leave (t 504) it sent before closing: that one still reaches the
    // plugin, after the message already in Janus.
    void onSocketClosed();

    bool joined() const { return joined_; }
    bool joinRequested() const { return joinRequested_; }
    // The client sent t 504: whatever ends the socket now, it ends as a leave.
    bool leaveRequested() const { return leaveRequested_; }
    bool closing() const { return phase_ == Phase::Closing; }
    uint64_t sessionId() const { return sessionId_; }
    uint64_t handleId() const { return handleId_; }
    size_t pendingTransactions() const { return transactions_.size(); }
    // A client message is still on its way to the plugin (in Janus or
    // queued behind the one that is). A closed socket keeps its Janus
    // session until this turns false, so Janus never receives a request for
    // a session that is already gone (docs/architecture-transport.md).
    bool requestInJanus() const { return !messageInJanus_.empty() || !queuedMessages_.empty(); }
    size_t queuedMessages() const { return queuedMessages_.size(); }

private:
    enum class Phase { CreatingSession, Attaching, Ready, Closing };
    enum class Purpose { Create, Attach, Keepalive, Client };
    struct PendingTransaction {
        std::string id;
        Purpose purpose;
        int64_t t;  // envelope t of a Client request
    };

    void handleClientMessage(ClientMessage message, Effects& effects);
    void dispatchToJanus(ClientMessage message, Effects& effects);
    void handleJanusError(const JanusReply& reply, Effects& effects);
    void handlePluginEvent(const JanusReply& reply, Effects& effects);
    // Before join every failure ends the socket as a refused join.
    void refuseJoin(std::string_view error, Effects& effects);
    void answerError(int64_t t, Effects& effects);
    void closeWith(int code, std::string_view reason, Effects& effects);
    std::string remember(Purpose purpose, int64_t t);
    std::optional<PendingTransaction> forget(const std::string& transaction);
    // The reply to `transaction` arrived: if it was the `message` in Janus,
    // submit the next queued one.
    void settleMessage(const std::string& transaction, Effects& effects);
    void submitMessage(ClientMessage message, Effects& effects);

    uint64_t connectionId_;
    std::string plugin_;
    Phase phase_ = Phase::CreatingSession;
    bool joinRequested_ = false;
    bool joined_ = false;
    bool leaveRequested_ = false;
    uint64_t sessionId_ = 0;
    uint64_t handleId_ = 0;
    uint64_t nextTransaction_ = 1;
    std::deque<ClientMessage> queuedBeforeAttach_;
    std::deque<PendingTransaction> transactions_;  // oldest first, bounded
    std::string messageInJanus_;                   // transaction of the `message` awaiting its ack
    std::deque<ClientMessage> queuedMessages_;     // waiting for it, bounded
    size_t queuedBytes_ = 0;
};

}  // namespace gochat::ws
