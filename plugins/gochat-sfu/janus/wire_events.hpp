// The one table from the core's events (core/events.hpp) to the plugin's
// events on the wire (docs/plugin-api.md, Events): which participant is
// told what, under which GoChat `t`, with which error string, and whether
// its socket closes. Pure C++ (no Janus, no Jansson), so the unit tests read
// what a client would receive.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gochat::sfu {

struct CloseRequest {
    int code = 1000;
    std::string reason;
};

using WireValue = std::variant<int64_t, bool, std::string>;

// {"gochat": name, "t": t, "d": {fields...}, "close"?: {code, reason}}.
struct WireEvent {
    SessionId to = 0;
    std::string name;
    int t = 0;
    std::vector<std::pair<std::string, WireValue>> fields;
    std::optional<CloseRequest> close;
    // It answers the request being handled: the adapter passes that
    // request's Janus transaction along.
    bool answersRequest = false;
};

// The stable error string of a refusal (docs/protocol.md, Join).
const char* refusalText(Refusal reason);

// The GoChat envelope `t` a request's replies use (0 for the op-less ones
// and unknown requests).
int envelopeTypeOf(RequestKind request);

// What the participants are told because of one effect, in order; nothing
// for commands and for events no client hears of.
std::vector<WireEvent> wireEventsOf(const Effect& effect);

// The same for a whole list (tests and the adapter).
std::vector<WireEvent> wireEventsOf(const Effects& effects);

}  // namespace gochat::sfu
