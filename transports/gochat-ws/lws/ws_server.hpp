// The libwebsockets side: one context, one service thread, and the
// registry of open sockets. Only the service thread touches `struct lws*`,
// the registry and each Connection's protocol state; other threads reach a
// connection through Connection::deliver() and wake the service thread with
// wake() (lws_cancel_service is the one lws call that is thread-safe).
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "transports/gochat-ws/codec/transport_metrics.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"
#include "transports/gochat-ws/lws/connection.hpp"
#include "transports/gochat-ws/lws/http_endpoints.hpp"
#include "transports/gochat-ws/lws/janus_api.hpp"

namespace gochat::ws {

class WsServer {
public:
    WsServer(TransportSettings settings, janus_transport* self, janus_transport_callbacks* gateway);
    ~WsServer();
    WsServer(const WsServer&) = delete;
    WsServer& operator=(const WsServer&) = delete;

    // Binds the listener and starts the service thread; false on failure.
    bool start();
    // Stops the service thread, then closes every socket (each one's Janus
    // session goes with transport_gone). Main thread, at transport destroy.
    void stop();

    // Any thread: make the service thread look at its inboxes.
    static void wake();
    // A Janus session created for a socket that closed while the create was
    // queued: transport_gone found nothing then, so destroy it now rather
    // than leave it to Janus's session timeout. Any thread; takes no lock.
    void destroyOrphanSession(janus_transport_session* ts, uint64_t sessionId);

    // lws protocol callback (service thread, or main thread during stop()).
    static int callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in, size_t len);

private:
    int onEstablished(struct lws* wsi, void* user);
    int onReceive(Connection& connection, const void* in, size_t len);
    int onWriteable(Connection& connection);
    void onWakeup();
    // The socket is gone. Its Janus session goes too, at once or, while a
    // client message is still on its way to the plugin, once it arrived
    // (bounded by kLingerMs): Janus then never gets a request for a session
    // already destroyed, and a leave sent just before closing still counts.
    void teardown(Connection& connection, bool mayLinger = true);
    // Drops the Janus session of a closed socket (transport_gone).
    void releaseJanusSession(Connection& connection);
    void processInbox(Connection& connection);
    static void onLingerTimer(lws_sorted_usec_list_t* sul);
    // tls = true: checks the certificate and key, then points lws at them.
    // False (logged) when they cannot be used.
    bool configureTls(struct lws_context_creation_info& info) const;
    bool acceptsUpgrade(struct lws* wsi) const;
    // The lws callbacks of plain HTTP (http_endpoints.hpp).
    int httpCallback(struct lws* wsi, enum lws_callback_reasons reason, SocketSlot* slot, void* in, size_t len);
    // The transport's part of GET /metrics.
    std::string renderMetrics() const;
    // Carries out a SignalSession's effects. Returns true when the socket
    // must close at once (the caller returns -1 from its lws callback).
    bool apply(Connection& connection, Effects effects);
    void enqueue(Connection& connection, const std::string& frame);
    void scheduleKeepalive(Connection& connection);
    static void onJoinTimer(lws_sorted_usec_list_t* sul);
    static void onKeepaliveTimer(lws_sorted_usec_list_t* sul);
    void serviceLoop();

    // Passed by argument.
    const TransportSettings settings_;
    janus_transport* self_;
    janus_transport_callbacks* gateway_;

    // Service thread only (and the main thread in stop()): what GET /metrics
    // shows of the transport, and the plain HTTP endpoints.
    TransportCounters counters_;
    HttpEndpoints http_;

    // Allocated by this.
    struct lws_context* context_ = nullptr;
    std::thread serviceThread_;
    std::atomic<bool> stopping_{false};
    bool janusGone_ = false;  // set only when destroyed without stop()
    // Service thread only: the sockets that are open now.
    std::unordered_map<Connection*, std::shared_ptr<Connection>> registry_;
    // Service thread only: closed sockets whose last message is still on
    // its way to the plugin (see teardown).
    std::unordered_map<Connection*, std::shared_ptr<Connection>> lingering_;
    uint64_t nextConnectionId_ = 1;
};

}  // namespace gochat::ws
