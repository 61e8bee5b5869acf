// The table from the core's events to what Janus event handlers receive
// (docs/plugin-api.md, Event handlers): operators feed these to their own
// monitoring through Janus's stock event handlers (sample HTTP, WebSockets,
// RabbitMQ, MQTT...). Pure C++, like wire_events, so the unit tests read
// exactly what a handler would get.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gochat::sfu {

struct HandlerEvent {
    // The participant's session, when the event is about one that is still
    // connected: the adapter then passes its Janus handle, so the handler
    // sees Janus's session_id and handle_id too. 0: no handle (departures,
    // whose handle may already be gone, and room-wide changes).
    SessionId handleOf = 0;
    // The `data` object: {"event": name, ...fields}.
    std::vector<std::pair<std::string, WireValue>> data;
};

struct HandlerEventOptions {
    bool speaking = false;  // speaking changes are many: off unless asked for
};

// What the event handlers are told of one effect; nothing for commands and
// for outcomes of single requests (refusals, acknowledgements).
std::optional<HandlerEvent> handlerEventOf(const Effect& effect, const HandlerEventOptions& options);

}  // namespace gochat::sfu
