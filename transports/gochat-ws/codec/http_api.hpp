// The transport's two plugin-backed HTTP endpoints, as pure functions
// (docs/architecture-transport.md, HTTP endpoints): which endpoint a
// request is for, the plugin request it becomes, and the HTTP answer the
// plugin's event turns into. docs/operations.md, Closing a channel (POST /admin/channel/close)
// and 6.5 (GET /metrics). No libwebsockets and no Janus here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/json_ref.hpp"

namespace gochat::ws {

inline constexpr std::string_view kCloseChannelPath = "/admin/channel/close";
inline constexpr std::string_view kMetricsPath = "/metrics";
// GoChat's body is {"channel_id":<int64>}: a few dozen bytes.
inline constexpr size_t kMaxAdminBodyBytes = 4096;

enum class HttpMethod { Get, Head, Post, Other };

enum class HttpRoute {
    StaticFile,        // the demo's files (GET/HEAD), or 404/405 as before
    CloseChannel,      // POST /admin/channel/close
    Metrics,           // GET /metrics
    MethodNotAllowed,  // an API path with another method
};

HttpRoute routeHttp(HttpMethod method, std::string_view path, bool metricsEnabled);

struct HttpResponse {
    int status = 200;
    std::string contentType;  // empty without a body
    std::string body;
    bool closeConnection = false;  // the request body was not read: do not keep the connection
};

// {"error": error} with that status, as docs/operations.md, Closing a channel, lists.
HttpResponse jsonError(int status, std::string_view error);

// The plugin request of POST /admin/channel/close: the Authorization
// header's value becomes `token` as it is (the plugin strips "Bearer "),
// and `channel_id` is copied when the body is a JSON object holding an
// integer there. A missing header or an unusable body only leaves the
// field out: the plugin checks token, body and channel in that order.
JsonRef closeChannelRequest(std::optional<std::string_view> authorization, std::string_view body);
JsonRef metricsRequest();

// The HTTP answer to the plugin's event data ({"gochat","t","d":{status,..}}).
// For /metrics the transport's own text is appended to the plugin's.
HttpResponse responseFromPlugin(HttpRoute route, const json_t* data, std::string_view transportMetrics);

// Janus or the plugin could not be reached (no plugin, an error) or did
// not answer in time.
HttpResponse unavailableResponse();
HttpResponse timeoutResponse();

}  // namespace gochat::ws
