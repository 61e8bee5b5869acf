// What the webhook client (PROTOCOL.md 6.1, 6.2) reports for GET /metrics:
// calls per path and outcome, and the last successful heartbeat. A plain
// value, filled by whoever makes the calls; all zeros when no webhook is
// configured (docs/operations.md, Metrics).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace gochat::sfu {

enum class WebhookPath { Heartbeat, Join, Leave, Alive };
enum class WebhookOutcome {
    Ok,       // the expected status (204 heartbeat, 200 the others)
    Error,    // another status, or the connection failed
    Timeout,  // no answer within the call's timeout
    Dropped,  // never sent: the bounded queue was full
};
inline constexpr size_t kWebhookPathCount = 4;
inline constexpr size_t kWebhookOutcomeCount = 4;

struct WebhookCounters {
    // calls[path][outcome], indexed by the enums above.
    std::array<std::array<uint64_t, kWebhookOutcomeCount>, kWebhookPathCount> calls{};
    // Unix seconds of the last heartbeat answered 204; 0 before the first.
    int64_t lastHeartbeatSuccessUnix = 0;

    uint64_t& at(WebhookPath path, WebhookOutcome outcome) {
        return calls[static_cast<size_t>(path)][static_cast<size_t>(outcome)];
    }
    uint64_t at(WebhookPath path, WebhookOutcome outcome) const {
        return calls[static_cast<size_t>(path)][static_cast<size_t>(outcome)];
    }
};

}  // namespace gochat::sfu
