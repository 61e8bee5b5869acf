// Plain HTTP on the signal port (docs/architecture-transport.md, HTTP
// endpoints): the demo's files, POST /admin/channel/close (docs/operations.md, Closing a channel)
// and GET /metrics (6.5). The two API endpoints are served by the plugin:
// each HTTP request becomes one plugin request made through a Janus
// session of its own (codec/plugin_call.hpp), submitted with
// incoming_request and answered through send_message exactly like a
// socket's requests; the answer is written on the service thread.
//
// Threads: everything here runs on the lws service thread (and on the main
// thread inside stop(), after that thread was joined), except what Janus
// threads do to an HttpCall's inbox (inbox.hpp).
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "transports/gochat-ws/codec/http_api.hpp"
#include "transports/gochat-ws/codec/plugin_call.hpp"
#include "transports/gochat-ws/codec/transport_metrics.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"
#include "transports/gochat-ws/lws/inbox.hpp"
#include "transports/gochat-ws/lws/janus_api.hpp"

namespace gochat::ws {

class Connection;
class HttpEndpoints;
struct HttpCall;

// The per-wsi user data lws allocates (zeroed) for the one protocol: a
// WebSocket's Connection, or the HTTP request being served through the plugin.
struct SocketSlot {
    Connection* connection;
    HttpCall* call;
};

// An lws timer of one call; `sul` first so the scheduler's pointer converts back.
struct CallTimer {
    lws_sorted_usec_list_t sul{};
    HttpCall* owner = nullptr;
    HttpEndpoints* endpoints = nullptr;
};

// One plugin-backed HTTP request. Held by HttpEndpoints' registry until its
// answer was written (or its connection closed) and Janus is done with it,
// and by the ConnectionBox of its janus_transport_session until Janus frees that.
struct HttpCall final : public Inbox {
    HttpCall(uint64_t callId, HttpRoute callRoute, struct lws* socket) : id(callId), route(callRoute), wsi(socket) {}

    const uint64_t id;
    const HttpRoute route;
    struct lws* wsi;                        // Borrowed; null once answered or closed
    janus_transport_session* ts = nullptr;  // Owned reference from start to release
    std::optional<std::string> authorization;
    std::string body;
    std::optional<PluginCall> call;        // once the request is complete
    std::optional<HttpResponse> response;  // decided, not yet written
    CallTimer timer;
};

class HttpEndpoints {
public:
    // The transport's own counters as text, appended to the plugin's.
    using TransportMetrics = std::function<std::string()>;

    HttpEndpoints(const TransportSettings& settings, janus_transport* self, janus_transport_callbacks* gateway,
                  TransportCounters& counters, TransportMetrics transportMetrics);

    // Before the service thread starts: resolves web_root once.
    void prepare();
    void setContext(struct lws_context* context) { context_ = context; }
    const std::string& webRoot() const { return webRoot_; }

    // lws callbacks. Each returns what the lws callback returns (-1 closes).
    int onRequest(struct lws* wsi, SocketSlot* slot, const char* uri);
    int onBody(struct lws* wsi, SocketSlot* slot, const void* in, size_t len);
    int onBodyComplete(struct lws* wsi, SocketSlot* slot);
    // `handled` false: nothing of ours to write (lws's default applies).
    int onWriteable(struct lws* wsi, SocketSlot* slot, bool& handled);
    void onClosed(SocketSlot* slot);
    // Janus delivered something (LWS_CALLBACK_EVENT_WAIT_CANCELLED).
    void onWakeup();
    // Transport destroy: every call's Janus session goes (unless Janus is gone).
    void stop(bool janusGone);

private:
    int serveStaticFile(struct lws* wsi, const char* uri) const;
    int refuseAtOnce(struct lws* wsi, const HttpResponse& response);
    void begin(HttpCall& call, JsonRef request);
    void apply(HttpCall& call, PluginCall::Step step);
    void decide(HttpCall& call, HttpResponse response);
    void processInbox(HttpCall& call);
    // Frees the call once Janus is done with it and its answer is out.
    void maybeRetire(HttpCall& call);
    void release(HttpCall& call);
    static void onTimer(lws_sorted_usec_list_t* sul);

    const TransportSettings& settings_;
    janus_transport* self_;
    janus_transport_callbacks* gateway_;
    TransportCounters& counters_;
    TransportMetrics transportMetrics_;
    struct lws_context* context_ = nullptr;
    std::string webRoot_;  // canonical; "" when off or missing
    bool janusGone_ = false;
    uint64_t nextCallId_ = 1;
    std::unordered_map<HttpCall*, std::shared_ptr<HttpCall>> calls_;  // service thread only
};

}  // namespace gochat::ws
