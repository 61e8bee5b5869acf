// One GoChat socket. Most of it belongs to the lws service thread; the
// inbox is the only part other threads touch, under the connection's one
// leaf mutex (no other lock is ever taken while holding it).
//
// Ownership: a std::shared_ptr<Connection> is held by the server's
// registry while the socket is open, and another by the ConnectionBox that
// Janus's janus_transport_session carries as transport_p. Janus keeps that
// transport session (and so the Connection) alive until its last Janus
// session is gone, which can be after the socket closed: send_message then
// finds the connection dead and drops the message.
#pragma once

#include <libwebsockets.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/json_ref.hpp"
#include "transports/gochat-ws/codec/frame_assembler.hpp"
#include "transports/gochat-ws/codec/signal_session.hpp"

struct janus_transport_session;

namespace gochat::ws {

class Connection;
class WsServer;

// What Janus delivered for this socket, from whichever thread it ran on.
struct InboxItem {
    enum class Kind { JanusMessage, SessionCreated, SessionOver, SessionClaimed };
    Kind kind = Kind::JanusMessage;
    JsonRef message;  // JanusMessage
    uint64_t sessionId = 0;
    bool timeout = false;
    bool claimed = false;
};

// An lws timer tied to a connection; `sul` first so the scheduler's
// pointer converts back to the slot.
struct ConnectionTimer {
    lws_sorted_usec_list_t sul{};
    Connection* owner = nullptr;
    WsServer* server = nullptr;
};

class Connection {
public:
    Connection(uint64_t id, struct lws* wsi, std::string plugin, size_t maxMessageSize);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // --- any thread ---
    // Queues an item unless the socket is gone; false means it was dropped.
    bool deliver(InboxItem item);

    // --- service thread ---
    std::vector<InboxItem> takeInbox();
    // After this, deliver() drops everything; returns what was still queued
    // so it is freed outside the lock.
    std::vector<InboxItem> markDead();

    // Frames are stored with LWS_PRE bytes of headroom so lws_write can
    // prepend the WebSocket header in place.
    void enqueueFrame(const std::string& text);
    void dropOutbound();

    // Service-thread state (owned).
    const uint64_t id;
    struct lws* wsi;                        // Borrowed: valid until LWS_CALLBACK_CLOSED
    janus_transport_session* ts = nullptr;  // Owned reference until teardown
    SignalSession session;
    FrameAssembler assembler;
    std::deque<std::string> outbound;
    size_t outboundBytes = 0;
    std::optional<CloseRequest> closeAfterFlush;
    ConnectionTimer joinTimer;
    ConnectionTimer keepaliveTimer;
    ConnectionTimer lingerTimer;  // bounds the wait of a closed socket for Janus

private:
    std::mutex mutex_;  // leaf: guards dead_ and inbox_
    bool dead_ = false;
    std::vector<InboxItem> inbox_;
};

// transport_p of the connection's janus_transport_session; freed by Janus
// (p_free) when the transport session's last reference goes.
struct ConnectionBox {
    std::shared_ptr<Connection> connection;
};

}  // namespace gochat::ws
