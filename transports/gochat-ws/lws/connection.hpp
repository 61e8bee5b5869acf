// One GoChat socket. Most of it belongs to the lws service thread; the
// inbox (inbox.hpp) is the only part other threads touch.
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
#include "transports/gochat-ws/lws/inbox.hpp"

struct janus_transport_session;

namespace gochat::ws {

class Connection;
class WsServer;

// An lws timer tied to a connection; `sul` first so the scheduler's
// pointer converts back to the slot.
struct ConnectionTimer {
    lws_sorted_usec_list_t sul{};
    Connection* owner = nullptr;
    WsServer* server = nullptr;
};

class Connection final : public Inbox {
public:
    Connection(uint64_t id, struct lws* wsi, std::string plugin, size_t maxMessageSize);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // --- service thread ---
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
};

}  // namespace gochat::ws
