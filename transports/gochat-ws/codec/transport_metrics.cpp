#include "transports/gochat-ws/codec/transport_metrics.hpp"

#include "common/prometheus/text_format.hpp"

namespace gochat::ws {

using prometheus::MetricType;

const char* frameRefusalLabel(FrameRefusal reason) {
    switch (reason) {
        case FrameRefusal::Invalid: return "invalid";
        case FrameRefusal::Binary: return "binary";
        case FrameRefusal::TooLarge: return "too_large";
        case FrameRefusal::Overflow: return "overflow";
    }
    return "unknown";
}

std::string renderTransportMetrics(const TransportCounters& counters, uint64_t openConnections) {
    prometheus::TextWriter out;
    out.family("gochat_sfu_transport_open_connections", "WebSocket connections open now.", MetricType::Gauge)
        .sample("gochat_sfu_transport_open_connections", openConnections);
    out.family("gochat_sfu_transport_connections_total", "WebSocket connections accepted.", MetricType::Counter)
        .sample("gochat_sfu_transport_connections_total", counters.connectionsAccepted);
    out.family("gochat_sfu_transport_frames_received_total", "Complete messages received from clients.",
               MetricType::Counter)
        .sample("gochat_sfu_transport_frames_received_total", counters.framesReceived);
    out.family("gochat_sfu_transport_frames_sent_total", "Frames sent to clients.", MetricType::Counter)
        .sample("gochat_sfu_transport_frames_sent_total", counters.framesSent);
    out.family("gochat_sfu_transport_refused_frames_total", "Client messages refused, by reason.", MetricType::Counter);
    for (size_t i = 0; i < kFrameRefusalCount; ++i)
        out.sample("gochat_sfu_transport_refused_frames_total",
                   {{"reason", frameRefusalLabel(static_cast<FrameRefusal>(i))}}, counters.refusedFrames[i]);
    out.family("gochat_sfu_transport_join_timeouts_total", "Sockets closed for sending no join in time.",
               MetricType::Counter)
        .sample("gochat_sfu_transport_join_timeouts_total", counters.joinTimeouts);
    out.family("gochat_sfu_transport_http_requests_total",
               "Plugin-backed HTTP requests answered (/admin/channel/close, /metrics), by path and status.",
               MetricType::Counter);
    for (const auto& [key, count] : counters.httpResponses)
        out.sample("gochat_sfu_transport_http_requests_total",
                   {{"path", key.first}, {"code", std::to_string(key.second)}}, count);
    return out.take();
}

}  // namespace gochat::ws
