#include "transports/gochat-ws/lws/ws_server.hpp"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "transports/gochat-ws/tls/tls_credentials.hpp"

namespace gochat::ws {
namespace {

// The wake path is used from any Janus thread, possibly while stop() tears
// the context down: readers hold the lock across lws_cancel_service, stop()
// takes it exclusively to retire the pointer. A leaf lock, like the
// connection mutex, and never nested with it.
std::shared_mutex wakeLock;
struct lws_context* wakeContext = nullptr;

// A slow reader may not make the transport buffer without bound: past this
// much unsent output its socket is closed.
constexpr size_t kOutboundFactor = 16;

// Closing sockets that stop reading still go away: lws kills them after
// this many seconds even if the close frame cannot be written.
constexpr int kCloseGraceSeconds = 5;

// How long a closed socket's Janus session waits for the client's last
// message to reach the plugin (an ack normally takes a millisecond).
constexpr lws_usec_t kLingerMs = 2000;

int64_t unixMillis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void logLine(LogLevel level, uint64_t connectionId, const std::string& text) {
    switch (level) {
        case LogLevel::Warn: JANUS_LOG(LOG_WARN, "[gochat.ws] #%" PRIu64 ": %s\n", connectionId, text.c_str()); break;
        case LogLevel::Info: JANUS_LOG(LOG_INFO, "[gochat.ws] #%" PRIu64 ": %s\n", connectionId, text.c_str()); break;
        case LogLevel::Verbose:
            JANUS_LOG(LOG_VERB, "[gochat.ws] #%" PRIu64 ": %s\n", connectionId, text.c_str());
            break;
    }
}

void lwsLog(int level, const char* line) {
    if (level & LLL_ERR) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] lws: %s", line);
    } else {
        JANUS_LOG(LOG_WARN, "[gochat.ws] lws: %s", line);
    }
}

void freeConnectionBox(void* box) { delete static_cast<ConnectionBox*>(box); }

const struct lws_protocols kProtocols[] = {
    // First in the list: lws binds sockets that name no subprotocol (GoChat
    // clients name none) and plain HTTP requests to it.
    {"gochat-signal", &WsServer::callback, sizeof(SocketSlot), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

WsServer::WsServer(TransportSettings settings, janus_transport* self, janus_transport_callbacks* gateway)
    : settings_(std::move(settings)),
      self_(self),
      gateway_(gateway),
      http_(settings_, self, gateway, counters_, [this] { return renderMetrics(); }) {}

WsServer::~WsServer() {
    // Reached with the context still up only when Janus exits without
    // calling destroy (its exit handlers run this static's destructor): the
    // core is going away, so sockets close without calling back into it.
    if (context_) {
        janusGone_ = true;
        stop();
    }
}

bool WsServer::start() {
    lws_set_log_level(LLL_ERR | LLL_WARN, lwsLog);

    struct lws_context_creation_info info;
    std::memset(&info, 0, sizeof(info));
    info.port = settings_.port;
    info.iface = settings_.ip.c_str();
    info.protocols = kProtocols;
    info.gid = -1;
    info.uid = -1;
    info.user = this;
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    // An IPv4 address cannot be bound on a dual-stack socket.
    if (settings_.ip.find(':') == std::string::npos) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (settings_.tls && !configureTls(info)) return false;

    http_.prepare();

    context_ = lws_create_context(&info);
    if (!context_) {
        // The files passed checkTlsCredentials, so this is nearly always
        // the port; lws's own error line above says which.
        JANUS_LOG(LOG_ERR, "[gochat.ws] cannot listen on %s:%d%s\n", settings_.ip.c_str(), settings_.port,
                  settings_.tls ? " with TLS" : "");
        return false;
    }
    {
        std::unique_lock<std::shared_mutex> lock(wakeLock);
        wakeContext = context_;
    }
    http_.setContext(context_);
    stopping_ = false;
    serviceThread_ = std::thread([this] { serviceLoop(); });
    JANUS_LOG(LOG_INFO, "[gochat.ws] listening on %s://%s:%d%s\n", settings_.tls ? "wss" : "ws", settings_.ip.c_str(),
              settings_.port, settings_.path.c_str());
    if (!http_.webRoot().empty()) {
        JANUS_LOG(LOG_INFO, "[gochat.ws] demo page on %s://%s:%d/ from %s\n", settings_.tls ? "https" : "http",
                  settings_.ip.c_str(), settings_.port, http_.webRoot().c_str());
    }
    if (settings_.metricsEnabled)
        JANUS_LOG(LOG_INFO, "[gochat.ws] metrics on %s://%s:%d/metrics\n", settings_.tls ? "https" : "http",
                  settings_.ip.c_str(), settings_.port);
    return true;
}

bool WsServer::configureTls(struct lws_context_creation_info& info) const {
#if defined(LWS_WITH_TLS)
    // Our own load of the files first: a clear refusal naming the file,
    // and no passphrase prompt on Janus's terminal (tls_credentials.hpp).
    const TlsCheck check = checkTlsCredentials(settings_);
    if (check.error) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] TLS: %s; not starting\n", check.error->c_str());
        return false;
    }
    const CertificateSummary& certificate = check.certificate;
    JANUS_LOG(LOG_INFO, "[gochat.ws] TLS certificate %s, valid until %s\n", certificate.subject.c_str(),
              certificate.notAfter.c_str());
    if (certificate.expired || certificate.notYetValid) {
        JANUS_LOG(LOG_WARN, "[gochat.ws] TLS certificate %s is %s: clients will refuse it\n",
                  certificate.subject.c_str(), certificate.expired ? "expired" : "not valid yet");
    }
    // Without DO_SSL_GLOBAL_INIT lws ignores the certificate and listens in
    // plain text (lib/tls/tls-server.c, lws_context_init_server_ssl).
    // Without ALLOW_NON_SSL_ON_SSL_PORT (not set) plain ws:// and http://
    // are refused on this port.
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = settings_.tlsCert.c_str();
    info.ssl_private_key_filepath = settings_.tlsKey.c_str();
    // lws binds its passphrase callback only for a non-NULL password.
    info.ssl_private_key_password = settings_.tlsKeyPassword.empty() ? nullptr : settings_.tlsKeyPassword.c_str();
    info.ssl_cipher_list = settings_.tlsCiphers.empty() ? nullptr : settings_.tlsCiphers.c_str();
    // HTTP/1.1 only. Debian's lws is built with HTTP/2 and otherwise offers
    // h2 by ALPN: browsers would then fetch the page, and open the WebSocket
    // (RFC 8441), as h2 streams, whose path lives in :path rather than the
    // WSI_TOKEN_GET_URI that acceptsUpgrade and serveHttp read (tried: `curl
    // --http2` got an empty reply for "/"). Plain ws:// is HTTP/1.1 as well,
    // so the transport behaves the same with and without TLS.
    info.alpn = "http/1.1";
    return true;
#else
    (void)info;
    JANUS_LOG(LOG_ERR, "[gochat.ws] tls = true, but this libwebsockets was built without TLS\n");
    return false;
#endif
}

void WsServer::serviceLoop() {
    pthread_setname_np(pthread_self(), "gochat-ws");
    while (!stopping_.load()) {
        // Blocks until I/O, a due lws_sul timer or lws_cancel_service.
        if (lws_service(context_, 0) < 0) break;
    }
}

void WsServer::stop() {
    if (!context_) return;
    stopping_ = true;
    wake();
    if (serviceThread_.joinable()) serviceThread_.join();
    struct lws_context* context = context_;
    {
        std::unique_lock<std::shared_mutex> lock(wakeLock);
        wakeContext = nullptr;
    }
    // HTTP requests in flight release their Janus sessions now; their
    // sockets close with the rest below.
    http_.stop(janusGone_);
    // Closes every socket through LWS_CALLBACK_CLOSED on this thread; the
    // service thread is gone, so the single-owner rule still holds.
    lws_context_destroy(context);
    context_ = nullptr;
    // Anything lws did not report closed still owns a Janus session.
    std::vector<std::shared_ptr<Connection>> leftovers;
    for (auto& entry : registry_) leftovers.push_back(entry.second);
    for (auto& connection : leftovers) {
        connection->wsi = nullptr;
        teardown(*connection, false);
    }
    leftovers.clear();
    for (auto& entry : lingering_) leftovers.push_back(entry.second);
    for (auto& connection : leftovers) releaseJanusSession(*connection);
}

void WsServer::wake() {
    std::shared_lock<std::shared_mutex> lock(wakeLock);
    if (wakeContext) lws_cancel_service(wakeContext);
}

int WsServer::callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* server = static_cast<WsServer*>(lws_context_user(lws_get_context(wsi)));
    auto* slot = static_cast<SocketSlot*>(user);
    try {
        switch (reason) {
            case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
                // Non-zero refuses the upgrade before any state exists.
                return server->acceptsUpgrade(wsi) ? 0 : 1;
            case LWS_CALLBACK_HTTP:
            case LWS_CALLBACK_HTTP_BODY:
            case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            case LWS_CALLBACK_HTTP_WRITEABLE:
            case LWS_CALLBACK_CLOSED_HTTP:
            case LWS_CALLBACK_HTTP_FILE_COMPLETION: return server->httpCallback(wsi, reason, slot, in, len);
            case LWS_CALLBACK_ESTABLISHED: return server->onEstablished(wsi, user);
            case LWS_CALLBACK_RECEIVE:
                if (!slot || !slot->connection) return -1;
                return server->onReceive(*slot->connection, in, len);
            case LWS_CALLBACK_SERVER_WRITEABLE:
                if (!slot || !slot->connection) return -1;
                return server->onWriteable(*slot->connection);
            case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
                if (server) {
                    server->onWakeup();
                    server->http_.onWakeup();
                }
                return 0;
            case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
                // A client that sends t 504 and closes at once: answer its
                // close with ours, 1000 "leave", rather than echo its own
                // (a browser's ws.close() carries no code: 1005).
                if (slot && slot->connection && slot->connection->session.leaveRequested()) {
                    static char kLeave[] = "leave";
                    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, reinterpret_cast<unsigned char*>(kLeave),
                                     sizeof(kLeave) - 1);
                    return -1;
                }
                return 0;
            case LWS_CALLBACK_CLOSED:
                if (slot && slot->connection) {
                    Connection* connection = std::exchange(slot->connection, nullptr);
                    server->teardown(*connection);
                }
                return 0;
            default: break;
        }
    } catch (const std::exception& error) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] %s in lws callback %d: closing the socket\n", error.what(),
                  static_cast<int>(reason));
        return -1;
    } catch (...) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] exception in lws callback %d: closing the socket\n", static_cast<int>(reason));
        return -1;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

bool WsServer::acceptsUpgrade(struct lws* wsi) const {
    char uri[512];
    const int length = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    if (length > 0 && settings_.path == std::string(uri, static_cast<size_t>(length))) return true;
    JANUS_LOG(LOG_VERB, "[gochat.ws] refusing an upgrade on another path\n");
    return false;
}

// Plain HTTP (http_endpoints.hpp): the demo files, /admin/channel/close
// and /metrics.
int WsServer::httpCallback(struct lws* wsi, enum lws_callback_reasons reason, SocketSlot* slot, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_HTTP: return http_.onRequest(wsi, slot, static_cast<const char*>(in));
        case LWS_CALLBACK_HTTP_BODY: return http_.onBody(wsi, slot, in, len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: return http_.onBodyComplete(wsi, slot);
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            bool handled = false;
            const int result = http_.onWriteable(wsi, slot, handled);
            return handled ? result : lws_callback_http_dummy(wsi, reason, slot, in, len);
        }
        case LWS_CALLBACK_CLOSED_HTTP: http_.onClosed(slot); return lws_callback_http_dummy(wsi, reason, slot, in, len);
        case LWS_CALLBACK_HTTP_FILE_COMPLETION:
            // Keep-alive: the connection waits for the next request.
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        default: return lws_callback_http_dummy(wsi, reason, slot, in, len);
    }
}

std::string WsServer::renderMetrics() const { return renderTransportMetrics(counters_, registry_.size()); }

int WsServer::onEstablished(struct lws* wsi, void* user) {
    auto connection =
        std::make_shared<Connection>(nextConnectionId_++, wsi, settings_.plugin, settings_.maxMessageSize);
    auto* box = new ConnectionBox{connection};
    connection->ts = janus_transport_session_create(box, freeConnectionBox);
    if (!connection->ts) {
        delete box;
        return -1;
    }
    static_cast<SocketSlot*>(user)->connection = connection.get();
    registry_.emplace(connection.get(), connection);
    ++counters_.connectionsAccepted;
    JANUS_LOG(LOG_VERB, "[gochat.ws] #%" PRIu64 ": socket open (%zu open)\n", connection->id, registry_.size());

    connection->joinTimer.server = this;
    connection->keepaliveTimer.server = this;
    lws_sul_schedule(context_, 0, &connection->joinTimer.sul, &WsServer::onJoinTimer,
                     settings_.joinTimeoutMs * LWS_US_PER_MS);
    scheduleKeepalive(*connection);
    return apply(*connection, connection->session.start()) ? -1 : 0;
}

int WsServer::onReceive(Connection& connection, const void* in, size_t len) {
    // While closing, the socket only drains what is queued for it.
    if (connection.session.closing() || connection.closeAfterFlush) return 0;
    const std::string_view chunk(static_cast<const char*>(in), len);
    const auto status = connection.assembler.append(chunk, lws_frame_is_binary(connection.wsi) != 0,
                                                    lws_is_final_fragment(connection.wsi) != 0,
                                                    lws_remaining_packet_payload(connection.wsi));
    switch (status) {
        case FrameAssembler::Status::NeedMore: return 0;
        case FrameAssembler::Status::TooLarge: return apply(connection, connection.session.onClientTooLarge()) ? -1 : 0;
        case FrameAssembler::Status::Complete: break;
    }
    ++counters_.framesReceived;
    const bool binary = connection.assembler.messageIsBinary();
    const std::string message = connection.assembler.takeMessage();
    Effects effects =
        binary ? connection.session.onClientBinary() : connection.session.onClientText(message, unixMillis());
    return apply(connection, std::move(effects)) ? -1 : 0;
}

int WsServer::onWriteable(Connection& connection) {
    // One frame per callback keeps one busy socket from starving the rest.
    if (!connection.outbound.empty()) {
        std::string& frame = connection.outbound.front();
        const size_t payload = frame.size() - LWS_PRE;
        auto* bytes = reinterpret_cast<unsigned char*>(&frame[LWS_PRE]);
        if (lws_write(connection.wsi, bytes, payload, LWS_WRITE_TEXT) < static_cast<int>(payload)) {
            JANUS_LOG(LOG_VERB, "[gochat.ws] #%" PRIu64 ": write failed\n", connection.id);
            return -1;
        }
        connection.outboundBytes -= payload;
        connection.outbound.pop_front();
        ++counters_.framesSent;
        if (!connection.outbound.empty()) {
            lws_callback_on_writable(connection.wsi);
            return 0;
        }
    }
    if (connection.closeAfterFlush) {
        const CloseRequest& close = *connection.closeAfterFlush;
        lws_close_reason(connection.wsi, static_cast<enum lws_close_status>(close.code),
                         reinterpret_cast<unsigned char*>(const_cast<char*>(close.reason.data())), close.reason.size());
        return -1;
    }
    return 0;
}

void WsServer::onWakeup() {
    // Copy first: applying effects may not invalidate the iteration.
    std::vector<std::shared_ptr<Connection>> open;
    open.reserve(registry_.size() + lingering_.size());
    for (auto& entry : registry_) open.push_back(entry.second);
    for (auto& entry : lingering_) open.push_back(entry.second);
    for (auto& connection : open) processInbox(*connection);
}

void WsServer::processInbox(Connection& connection) {
    const bool lingering = !connection.wsi;
    for (InboxItem& item : connection.takeInbox()) {
        if (!connection.wsi && !lingering) break;
        SignalSession& session = connection.session;
        switch (item.kind) {
            case InboxItem::Kind::JanusMessage: apply(connection, session.onJanus(item.message.get())); break;
            case InboxItem::Kind::SessionCreated: session.onSessionCreated(item.sessionId); break;
            case InboxItem::Kind::SessionOver:
                apply(connection, session.onSessionOver(item.sessionId, item.timeout, item.claimed));
                break;
            case InboxItem::Kind::SessionClaimed: session.onSessionClaimed(item.sessionId); break;
        }
    }
    if (lingering && !connection.session.requestInJanus()) releaseJanusSession(connection);
}

void WsServer::destroyOrphanSession(janus_transport_session* ts, uint64_t sessionId) {
    JsonRef request = buildDestroyRequest("gcws-orphan-" + std::to_string(sessionId), sessionId);
    gateway_->incoming_request(self_, ts, nullptr, FALSE, request.release(), nullptr);
}

bool WsServer::apply(Connection& connection, Effects effects) {
    for (const LogLine& line : effects.log) logLine(line.level, connection.id, line.text);
    if (effects.refused) counters_.refused(*effects.refused);
    // A lingering connection (socket closed, Janus session kept) still
    // submits the message it was waiting to send.
    if (connection.ts && !janusGone_) {
        for (JsonRef& request : effects.toJanus) {
            // The core takes ownership of the request; no lock is held here, so
            // a send_message it triggers at once cannot deadlock.
            gateway_->incoming_request(self_, connection.ts, nullptr, FALSE, request.release(), nullptr);
        }
    }
    if (!connection.wsi) return false;
    for (const std::string& frame : effects.toClient) enqueue(connection, frame);
    if (effects.close && !connection.closeAfterFlush) {
        logLine(LogLevel::Verbose, connection.id,
                "closing with " + std::to_string(effects.close->code) + " (" + effects.close->reason + ")");
        if (effects.abort) {
            // Called from LWS_CALLBACK_RECEIVE: the close frame goes out as
            // the callback returns -1, nothing more is read or buffered.
            lws_close_reason(connection.wsi, static_cast<enum lws_close_status>(effects.close->code),
                             reinterpret_cast<unsigned char*>(effects.close->reason.data()),
                             effects.close->reason.size());
            return true;
        }
        connection.closeAfterFlush = std::move(effects.close);
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, kCloseGraceSeconds);
        lws_callback_on_writable(connection.wsi);
    }
    return false;
}

void WsServer::enqueue(Connection& connection, const std::string& frame) {
    if (connection.closeAfterFlush) return;
    if (connection.outboundBytes + frame.size() > kOutboundFactor * settings_.maxMessageSize) {
        logLine(LogLevel::Warn, connection.id, "client does not read its socket: closing it");
        connection.dropOutbound();
        connection.closeAfterFlush = CloseRequest{kClosePolicyViolation, "too slow"};
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, kCloseGraceSeconds);
        lws_callback_on_writable(connection.wsi);
        return;
    }
    connection.enqueueFrame(frame);
    lws_callback_on_writable(connection.wsi);
}

void WsServer::scheduleKeepalive(Connection& connection) {
    if (settings_.keepaliveIntervalMs <= 0) return;
    lws_sul_schedule(context_, 0, &connection.keepaliveTimer.sul, &WsServer::onKeepaliveTimer,
                     settings_.keepaliveIntervalMs * LWS_US_PER_MS);
}

void WsServer::onJoinTimer(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<ConnectionTimer*>(sul);
    Connection& connection = *timer->owner;
    if (!connection.wsi) return;
    Effects effects = connection.session.onJoinTimeout();
    if (effects.close) ++timer->server->counters_.joinTimeouts;
    timer->server->apply(connection, std::move(effects));
}

void WsServer::onKeepaliveTimer(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<ConnectionTimer*>(sul);
    Connection& connection = *timer->owner;
    if (!connection.wsi) return;
    timer->server->scheduleKeepalive(connection);
    timer->server->apply(connection, connection.session.onKeepaliveDue());
}

void WsServer::teardown(Connection& connection, bool mayLinger) {
    // Keeps the object alive until the end, whatever Janus frees meanwhile.
    std::shared_ptr<Connection> keep;
    auto found = registry_.find(&connection);
    if (found != registry_.end()) {
        keep = std::move(found->second);
        registry_.erase(found);
    }
    if (context_) {
        lws_sul_cancel(&connection.joinTimer.sul);
        lws_sul_cancel(&connection.keepaliveTimer.sul);
    }
    connection.wsi = nullptr;
    connection.dropOutbound();
    JANUS_LOG(LOG_VERB, "[gochat.ws] #%" PRIu64 ": socket closed (%zu open)\n", connection.id, registry_.size());
    connection.session.onSocketClosed();
    if (mayLinger && !stopping_ && keep && connection.ts && !janusGone_ && context_ &&
        connection.session.requestInJanus()) {
        lingering_.emplace(&connection, std::move(keep));
        connection.lingerTimer.server = this;
        lws_sul_schedule(context_, 0, &connection.lingerTimer.sul, &WsServer::onLingerTimer, kLingerMs * LWS_US_PER_MS);
        return;
    }
    releaseJanusSession(connection);
}

void WsServer::releaseJanusSession(Connection& connection) {
    std::shared_ptr<Connection> keep;
    auto found = lingering_.find(&connection);
    if (found != lingering_.end()) {
        keep = std::move(found->second);
        lingering_.erase(found);
        if (context_) lws_sul_cancel(&connection.lingerTimer.sul);
    }
    // 1. Mark dead under the leaf mutex: send_message drops from now on.
    std::vector<InboxItem> dropped = connection.markDead();
    dropped.clear();
    janus_transport_session* ts = std::exchange(connection.ts, nullptr);
    if (!ts || janusGone_) return;
    // 2. With no lock held: the core destroys the Janus session, and the
    // plugin's teardown may push events straight back into send_message.
    gateway_->transport_gone(self_, ts);
    // 3. Drop our reference; the ConnectionBox goes with the last one.
    janus_transport_session_destroy(ts);
}

void WsServer::onLingerTimer(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<ConnectionTimer*>(sul);
    logLine(LogLevel::Verbose, timer->owner->id, "Janus did not answer the last message in time");
    timer->server->releaseJanusSession(*timer->owner);
}

}  // namespace gochat::ws
