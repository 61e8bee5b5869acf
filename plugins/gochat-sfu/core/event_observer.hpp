// Consumers of what happens in rooms besides the clients themselves: the
// webhook presence calls, metrics, Janus event handlers. The adapter hands
// each of them every effect the core returned, after carrying it out, on
// the handler thread and with no lock held (docs/architecture.md, Lock
// discipline): an observer must not block (queue slow work elsewhere).
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"

namespace gochat::sfu {

class RoomEventObserver {
public:
    virtual ~RoomEventObserver() = default;
    // Most observers care about a few event types and ignore the rest.
    virtual void observe(const Effect& effect) = 0;
};

}  // namespace gochat::sfu
