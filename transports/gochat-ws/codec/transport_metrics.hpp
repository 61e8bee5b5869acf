// The transport's own part of GET /metrics (docs/operations.md, Metrics):
// sockets, frames, refused frames by reason, join timeouts and the
// plugin-backed HTTP requests. Counted on the lws service thread only
// (every counting site runs there, and so does the scrape), so plain
// integers do.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace gochat::ws {

// Why a client frame was refused (answered "invalid message", or the socket closed).
enum class FrameRefusal {
    Invalid,   // not JSON, not an envelope, wrong types, unknown op/t, or not allowed before join
    Binary,    // a binary frame
    TooLarge,  // a message over max_message_size (close 1009)
    Overflow,  // more queued requests than the socket may have waiting
};
inline constexpr size_t kFrameRefusalCount = 4;

struct TransportCounters {
    uint64_t connectionsAccepted = 0;  // WebSocket sockets opened on `path`
    uint64_t framesReceived = 0;       // complete client messages (text or binary)
    uint64_t framesSent = 0;           // frames written to clients
    std::array<uint64_t, kFrameRefusalCount> refusedFrames{};
    uint64_t joinTimeouts = 0;  // sockets closed for sending no join in time
    // Plugin-backed HTTP requests answered: (endpoint path, status) -> count.
    std::map<std::pair<std::string, int>, uint64_t> httpResponses;

    void refused(FrameRefusal reason) { ++refusedFrames[static_cast<size_t>(reason)]; }
    void answered(const std::string& path, int status) { ++httpResponses[{path, status}]; }
};

const char* frameRefusalLabel(FrameRefusal reason);

// Appended after the plugin's text; every name starts with
// gochat_sfu_transport_ so none repeats a family of the plugin.
std::string renderTransportMetrics(const TransportCounters& counters, uint64_t openConnections);

}  // namespace gochat::ws
