#include "transports/gochat-ws/lws/http_endpoints.hpp"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "common/jcfg/jcfg_file.hpp"
#include "transports/gochat-ws/codec/static_files.hpp"

namespace gochat::ws {
namespace {

// After the answer, the destroy of the call's Janus session is awaited at
// most this long (it normally takes a millisecond); then the transport
// session is released anyway, which destroys whatever is left.
constexpr lws_usec_t kReleaseMs = 2000;
constexpr size_t kHeaderRoom = 1024;

// The canonical form of `path` (symlinks resolved), or "" when it does not exist.
std::string canonicalPath(const std::string& path) {
    char resolved[PATH_MAX];
    if (!realpath(path.c_str(), resolved)) return {};
    return resolved;
}

void freeCallBox(void* box) { delete static_cast<ConnectionBox*>(box); }

HttpMethod methodOf(struct lws* wsi) {
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) return HttpMethod::Get;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0) return HttpMethod::Head;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) return HttpMethod::Post;
    return HttpMethod::Other;
}

std::optional<std::string> headerValue(struct lws* wsi, enum lws_token_indexes token) {
    const int length = lws_hdr_total_length(wsi, token);
    if (length <= 0) return std::nullopt;
    std::string value(static_cast<size_t>(length) + 1, '\0');
    const int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
    if (copied < 0) return std::nullopt;
    value.resize(static_cast<size_t>(copied));
    return value;
}

bool addHeader(struct lws* wsi, enum lws_token_indexes token, const std::string& value, unsigned char** p,
               unsigned char* end) {
    return lws_add_http_header_by_token(wsi, token, reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), p, end) == 0;
}

// Status line, headers and body in one write, as lws_return_http_status
// does for HTTP/1.1 (the only HTTP this port speaks); lws keeps what the
// socket does not take at once and sends it before anything else.
bool writeResponse(struct lws* wsi, const HttpResponse& response) {
    std::vector<unsigned char> buffer(LWS_PRE + kHeaderRoom + response.body.size());
    unsigned char* start = buffer.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* headersEnd = start + kHeaderRoom;
    static const unsigned char kNoStore[] = "no-store";
    static const unsigned char kNoSniff[] = "nosniff";
    if (lws_add_http_header_status(wsi, static_cast<unsigned int>(response.status), &p, headersEnd)) return false;
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("cache-control:"), kNoStore,
                                    sizeof(kNoStore) - 1, &p, headersEnd) ||
        lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("x-content-type-options:"), kNoSniff,
                                    sizeof(kNoSniff) - 1, &p, headersEnd))
        return false;
    // 204 carries neither a body nor its length (RFC 9110 8.6).
    if (response.status != 204) {
        if (!response.contentType.empty() &&
            !addHeader(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, response.contentType, &p, headersEnd))
            return false;
        if (!addHeader(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, std::to_string(response.body.size()), &p, headersEnd))
            return false;
    }
    if (response.closeConnection && !addHeader(wsi, WSI_TOKEN_CONNECTION, "close", &p, headersEnd)) return false;
    if (lws_finalize_http_header(wsi, &p, headersEnd)) return false;
    std::memcpy(p, response.body.data(), response.body.size());
    p += response.body.size();
    const int length = static_cast<int>(p - start);
    return lws_write(wsi, start, static_cast<size_t>(length), LWS_WRITE_HTTP) == length;
}

const char* pathOf(HttpRoute route) {
    return route == HttpRoute::Metrics ? kMetricsPath.data() : kCloseChannelPath.data();
}

}  // namespace

HttpEndpoints::HttpEndpoints(const TransportSettings& settings, janus_transport* self,
                             janus_transport_callbacks* gateway, TransportCounters& counters,
                             TransportMetrics transportMetrics)
    : settings_(settings),
      self_(self),
      gateway_(gateway),
      counters_(counters),
      transportMetrics_(std::move(transportMetrics)) {}

void HttpEndpoints::prepare() {
    if (!settings_.webEnabled) return;
    webRoot_ = canonicalPath(settings_.webRoot);
    if (webRoot_.empty())
        JANUS_LOG(LOG_WARN, "[gochat.ws] web_root %s does not exist: the demo page answers 404\n",
                  settings_.webRoot.c_str());
}

int HttpEndpoints::onRequest(struct lws* wsi, SocketSlot* slot, const char* uri) {
    const std::string path = uri ? uri : "";
    const HttpRoute route = routeHttp(methodOf(wsi), path, settings_.metricsEnabled);
    if (route == HttpRoute::StaticFile) return serveStaticFile(wsi, uri);
    if (route == HttpRoute::MethodNotAllowed) {
        counters_.answered(path, 405);
        // Closed after: a body sent to a HEAD would otherwise be read as the
        // next answer on the connection.
        HttpResponse refusal = jsonError(405, "method not allowed");
        refusal.closeConnection = true;
        return refuseAtOnce(wsi, refusal);
    }
    if (!slot) return -1;
    auto call = std::make_shared<HttpCall>(nextCallId_++, route, wsi);
    if (route == HttpRoute::CloseChannel) {
        // lws reads a POST body up to its Content-Length (there is no
        // chunked upload): without one it would wait for 100 MiB. Neither
        // error body is read, so the connection closes after the answer.
        const std::optional<std::string> length = headerValue(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        const std::optional<int64_t> bytes = length ? jcfg::parseDecimal(*length) : std::nullopt;
        std::optional<HttpResponse> refusal;
        if (!bytes || *bytes < 0)
            refusal = jsonError(411, "length required");
        else if (static_cast<uint64_t>(*bytes) > kMaxAdminBodyBytes)
            refusal = jsonError(413, "body too large");
        if (refusal) {
            refusal->closeConnection = true;
            counters_.answered(path, refusal->status);
            return refuseAtOnce(wsi, *refusal);
        }
        call->authorization = headerValue(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    }
    slot->call = call.get();
    calls_.emplace(call.get(), call);
    // A POST goes on with its body (onBody, onBodyComplete).
    if (route == HttpRoute::Metrics) begin(*call, metricsRequest());
    return 0;
}

int HttpEndpoints::onBody(struct lws*, SocketSlot* slot, const void* in, size_t len) {
    HttpCall* call = slot ? slot->call : nullptr;
    if (!call || call->call) return 0;
    // lws stops at the Content-Length checked above; more is a broken peer.
    if (call->body.size() + len > kMaxAdminBodyBytes) return -1;
    if (len) call->body.append(static_cast<const char*>(in), len);
    return 0;
}

int HttpEndpoints::onBodyComplete(struct lws*, SocketSlot* slot) {
    HttpCall* call = slot ? slot->call : nullptr;
    if (!call || call->call) return 0;
    const std::optional<std::string_view> authorization =
        call->authorization ? std::optional<std::string_view>(*call->authorization) : std::nullopt;
    begin(*call, closeChannelRequest(authorization, call->body));
    return 0;
}

void HttpEndpoints::begin(HttpCall& call, JsonRef request) {
    auto* box = new ConnectionBox{calls_.at(&call)};
    call.ts = janus_transport_session_create(box, freeCallBox);
    if (!call.ts) {
        delete box;
        decide(call, unavailableResponse());
        return;
    }
    call.call.emplace(call.id, settings_.plugin, std::move(request));
    call.timer.owner = &call;
    call.timer.endpoints = this;
    lws_sul_schedule(context_, 0, &call.timer.sul, &HttpEndpoints::onTimer, settings_.httpTimeoutMs * LWS_US_PER_MS);
    // Our timer answers first; this only guards a connection we never write to.
    if (call.wsi)
        lws_set_timeout(call.wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(settings_.httpTimeoutMs / 1000) + 5);
    apply(call, call.call->start());
}

// Carries out one step of the call. May retire (free) the call: nothing
// touches `call` after it.
void HttpEndpoints::apply(HttpCall& call, PluginCall::Step step) {
    for (const LogLine& line : step.log) {
        const int level = line.level == LogLevel::Warn ? LOG_WARN : line.level == LogLevel::Info ? LOG_INFO : LOG_VERB;
        JANUS_LOG(level, "[gochat.ws] HTTP #%" PRIu64 " %s: %s\n", call.id, pathOf(call.route), line.text.c_str());
    }
    // No lock is held: a send_message Janus runs at once cannot deadlock.
    if (call.ts && !janusGone_)
        for (JsonRef& request : step.toJanus)
            gateway_->incoming_request(self_, call.ts, nullptr, FALSE, request.release(), nullptr);
    if (step.settled) {
        switch (call.call->outcome()) {
            case PluginCall::Outcome::Answered: {
                const std::string ours = call.route == HttpRoute::Metrics ? transportMetrics_() : std::string();
                decide(call, responseFromPlugin(call.route, call.call->answer().get(), ours));
                break;
            }
            case PluginCall::Outcome::Unavailable: decide(call, unavailableResponse()); break;
            case PluginCall::Outcome::TimedOut: decide(call, timeoutResponse()); break;
            case PluginCall::Outcome::Pending: break;
        }
        if (context_ && !call.call->finished())
            lws_sul_schedule(context_, 0, &call.timer.sul, &HttpEndpoints::onTimer, kReleaseMs * LWS_US_PER_MS);
    }
    if (call.call->finished()) release(call);
    maybeRetire(call);
}

void HttpEndpoints::decide(HttpCall& call, HttpResponse response) {
    if (call.response) return;
    counters_.answered(pathOf(call.route), response.status);
    call.response = std::move(response);
    if (call.wsi) lws_callback_on_writable(call.wsi);
}

int HttpEndpoints::onWriteable(struct lws* wsi, SocketSlot* slot, bool& handled) {
    HttpCall* call = slot ? slot->call : nullptr;
    handled = call != nullptr;
    if (!call || !call->response) return 0;  // not decided yet
    const bool written = writeResponse(wsi, *call->response);
    const bool close = !written || call->response->closeConnection;
    slot->call = nullptr;
    call->wsi = nullptr;
    maybeRetire(*call);
    if (close) return -1;
    // Keep-alive: the connection waits for its next request.
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

void HttpEndpoints::onClosed(SocketSlot* slot) {
    HttpCall* call = slot ? std::exchange(slot->call, nullptr) : nullptr;
    if (!call) return;
    // The call goes on until Janus is done with it; its answer is dropped.
    call->wsi = nullptr;
    maybeRetire(*call);
}

void HttpEndpoints::onWakeup() {
    // Copies: processing may retire calls.
    std::vector<std::shared_ptr<HttpCall>> open;
    open.reserve(calls_.size());
    for (auto& entry : calls_) open.push_back(entry.second);
    for (auto& call : open) processInbox(*call);
}

void HttpEndpoints::processInbox(HttpCall& call) {
    for (InboxItem& item : call.takeInbox()) {
        if (!call.call) break;
        switch (item.kind) {
            case InboxItem::Kind::JanusMessage: apply(call, call.call->onJanus(item.message.get())); break;
            case InboxItem::Kind::SessionOver: apply(call, call.call->onSessionOver(item.sessionId)); break;
            case InboxItem::Kind::SessionCreated:
            case InboxItem::Kind::SessionClaimed: break;  // the create's reply is what counts
        }
    }
}

void HttpEndpoints::maybeRetire(HttpCall& call) {
    if (call.wsi || call.ts) return;  // its answer is not out yet, or Janus is not done
    if (context_) lws_sul_cancel(&call.timer.sul);
    calls_.erase(&call);
}

void HttpEndpoints::release(HttpCall& call) {
    // As a socket's teardown: dead first (send_message drops from now on),
    // then transport_gone with no lock held, then our reference goes.
    std::vector<InboxItem> dropped = call.markDead();
    dropped.clear();
    janus_transport_session* ts = std::exchange(call.ts, nullptr);
    if (!ts || janusGone_) return;
    gateway_->transport_gone(self_, ts);
    janus_transport_session_destroy(ts);
}

void HttpEndpoints::onTimer(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<CallTimer*>(sul);
    HttpCall& call = *timer->owner;
    if (!call.call) return;
    timer->endpoints->apply(call, call.call->onTimeout());
}

void HttpEndpoints::stop(bool janusGone) {
    janusGone_ = janusGone;
    std::vector<std::shared_ptr<HttpCall>> all;
    for (auto& entry : calls_) all.push_back(entry.second);
    for (auto& call : all) {
        if (context_) lws_sul_cancel(&call->timer.sul);
        release(*call);
    }
    // From here on the context is being destroyed: no timer is touched.
    context_ = nullptr;
    for (auto& call : all) maybeRetire(*call);
}

int HttpEndpoints::refuseAtOnce(struct lws* wsi, const HttpResponse& response) {
    if (!writeResponse(wsi, response) || response.closeConnection) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int HttpEndpoints::serveStaticFile(struct lws* wsi, const char* uri) const {
    const HttpMethod method = methodOf(wsi);
    if (method != HttpMethod::Get && method != HttpMethod::Head) {
        lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return -1;
    }
    // `uri` is the URL-decoded path without the query string;
    // resolveStaticFile refuses "..", hidden names and anything unusual.
    const auto file = settings_.webEnabled && !webRoot_.empty() && uri ? resolveStaticFile(uri) : std::nullopt;
    // Only regular files that really lie under web_root once every symlink
    // is resolved, and only small ones.
    const std::string prefix = webRoot_ == "/" ? webRoot_ : webRoot_ + "/";
    std::string path;
    struct stat info;
    if (file) path = canonicalPath(prefix + file->relativePath);
    if (path.empty() || path.compare(0, prefix.size(), prefix) != 0 || stat(path.c_str(), &info) != 0 ||
        !S_ISREG(info.st_mode) || static_cast<size_t>(info.st_size) > kMaxStaticFileBytes) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr);
        return -1;
    }
    static const char kExtraHeaders[] = "X-Content-Type-Options: nosniff\r\n";
    // Sends the headers and, for GET, the body in pieces on writeable
    // callbacks; LWS_CALLBACK_HTTP_FILE_COMPLETION follows. HEAD gets the
    // headers only.
    const int sent = lws_serve_http_file(wsi, path.c_str(), file->contentType, kExtraHeaders,
                                         static_cast<int>(sizeof(kExtraHeaders) - 1));
    if (sent < 0) return -1;
    if (sent > 0) return lws_http_transaction_completed(wsi) ? -1 : 0;
    return 0;
}

}  // namespace gochat::ws
