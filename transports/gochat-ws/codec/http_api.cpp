#include "transports/gochat-ws/codec/http_api.hpp"

#include "common/prometheus/text_format.hpp"

namespace gochat::ws {

namespace {

constexpr const char* kJsonType = "application/json";

}  // namespace

HttpRoute routeHttp(HttpMethod method, std::string_view path, bool metricsEnabled) {
    if (path == kCloseChannelPath)
        return method == HttpMethod::Post ? HttpRoute::CloseChannel : HttpRoute::MethodNotAllowed;
    // Disabled, /metrics is an unknown path like any other: 404.
    if (path == kMetricsPath && metricsEnabled)
        return method == HttpMethod::Get ? HttpRoute::Metrics : HttpRoute::MethodNotAllowed;
    return HttpRoute::StaticFile;
}

HttpResponse jsonError(int status, std::string_view error) {
    JsonRef body = JsonRef::object();
    body.setString("error", error);
    HttpResponse response;
    response.status = status;
    response.contentType = kJsonType;
    response.body = body.dump();
    return response;
}

JsonRef closeChannelRequest(std::optional<std::string_view> authorization, std::string_view body) {
    JsonRef request = JsonRef::object();
    request.setString("request", "close_channel");
    if (authorization) request.setString("token", *authorization);
    const JsonRef parsed = JsonRef::parse(body);
    int64_t channel = 0;
    if (parsed && json_is_object(parsed.get()) && jsonGetInt64(parsed.get(), "channel_id", channel))
        request.setInt("channel_id", channel);
    return request;
}

JsonRef metricsRequest() {
    JsonRef request = JsonRef::object();
    request.setString("request", "metrics");
    return request;
}

HttpResponse responseFromPlugin(HttpRoute route, const json_t* data, std::string_view transportMetrics) {
    const json_t* d = data ? json_object_get(data, "d") : nullptr;
    int64_t status = 0;
    if (!d || !json_is_object(d) || !jsonGetInt64(d, "status", status) || status < 200 || status > 599)
        return unavailableResponse();
    std::string error;
    if (jsonGetString(d, "error", error)) return jsonError(static_cast<int>(status), error);
    HttpResponse response;
    response.status = static_cast<int>(status);
    if (route == HttpRoute::Metrics) {
        std::string text;
        if (!jsonGetString(d, "text", text)) return unavailableResponse();
        response.contentType = prometheus::kContentType;
        response.body = std::move(text);
        response.body.append(transportMetrics);
    }
    return response;
}

HttpResponse unavailableResponse() { return jsonError(503, "sfu unavailable"); }
HttpResponse timeoutResponse() { return jsonError(504, "sfu timeout"); }

}  // namespace gochat::ws
