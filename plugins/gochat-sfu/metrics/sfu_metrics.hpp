// The plugin's part of GET /metrics (docs/operations.md, Metrics, docs/operations.md
// Metrics): what the registry, the room counters, the media plane and the
// webhook client (platform/) count, rendered in the Prometheus text format.
// Pure C++: the adapter gathers the values, this file only names and
// writes them.
#pragma once

#include "plugins/gochat-sfu/core/events.hpp"
#include "plugins/gochat-sfu/media/media_counters.hpp"
#include "plugins/gochat-sfu/metrics/room_counters.hpp"
#include "plugins/gochat-sfu/platform/webhook_call.hpp"

#include <cstdint>
#include <string>

namespace gochat::sfu {

struct SfuMetrics {
    uint64_t rooms = 0;         // rooms held, empty ones waiting for empty_room_ttl included
    uint64_t participants = 0;  // joined sessions
    uint64_t sessions = 0;      // plugin handles, joined or not
    RoomCounters::Snapshot events;
    MediaCounters::Snapshot media;
    WebhookCounters webhook;
};

// The label values (stable: dashboards are built on them).
const char* refusalLabel(Refusal reason);  // the t=500 error text
const char* leaveReasonLabel(LeaveReason reason);
const char* dropReasonLabel(DropReason reason);
// (the webhook labels are platform/webhook_call.hpp's webhookPathName and
// webhookOutcomeName)

std::string renderSfuMetrics(const SfuMetrics& metrics);

}  // namespace gochat::sfu
