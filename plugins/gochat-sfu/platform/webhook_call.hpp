// The calls the SFU makes to GoChat's webhook service, and what became of
// them (docs/operations.md, Joining a GoChat deployment). Plain values:
// the presence tracker decides them, the webhook client sends them, the
// metrics read the counters.
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <cstddef>
#include <cstdint>

namespace gochat::sfu {

enum class WebhookPath { Heartbeat, Join, Leave, Alive };
enum class WebhookOutcome { Ok, Error, Timeout, Dropped };

constexpr size_t kWebhookPathCount = 4;
constexpr size_t kWebhookOutcomeCount = 4;

// Metric label values: heartbeat, join, leave, alive.
inline const char* webhookPathName(WebhookPath path) {
    switch (path) {
        case WebhookPath::Heartbeat: return "heartbeat";
        case WebhookPath::Join: return "join";
        case WebhookPath::Leave: return "leave";
        case WebhookPath::Alive: return "alive";
    }
    return "unknown";
}

// Metric label values: ok, error, timeout, dropped.
inline const char* webhookOutcomeName(WebhookOutcome outcome) {
    switch (outcome) {
        case WebhookOutcome::Ok: return "ok";
        case WebhookOutcome::Error: return "error";
        case WebhookOutcome::Timeout: return "timeout";
        case WebhookOutcome::Dropped: return "dropped";
    }
    return "unknown";
}

// What is appended to the service's base URL.
inline const char* webhookRoute(WebhookPath path) {
    switch (path) {
        case WebhookPath::Heartbeat: return "/api/v1/webhook/sfu/heartbeat";
        case WebhookPath::Join: return "/api/v1/webhook/sfu/voice/join";
        case WebhookPath::Leave: return "/api/v1/webhook/sfu/voice/leave";
        case WebhookPath::Alive: return "/api/v1/webhook/sfu/channel/alive";
    }
    return "";
}

// A presence call (join, leave, alive). Heartbeats are made by the client
// itself when they are due, with the load of that moment.
struct WebhookCall {
    WebhookPath path = WebhookPath::Join;
    ChannelId channel = 0;
    UserId user = 0;    // join and leave only
    GuildId guild = 0;  // 0: left out of the body

    bool samePresence(const WebhookCall& o) const { return channel == o.channel && user == o.user; }
};

// Every call made so far, by path and outcome (each HTTP attempt counts
// once; a call that never left the queue counts as dropped), and the wall
// clock of the last heartbeat GoChat accepted. A snapshot: plain numbers.
struct WebhookCounters {
    uint64_t calls[kWebhookPathCount][kWebhookOutcomeCount] = {};
    int64_t lastHeartbeatSuccessUnix = 0;  // seconds; 0 before the first

    uint64_t count(WebhookPath path, WebhookOutcome outcome) const {
        return calls[static_cast<size_t>(path)][static_cast<size_t>(outcome)];
    }
};

}  // namespace gochat::sfu
