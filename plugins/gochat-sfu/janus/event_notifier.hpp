// Room events to Janus's event handlers (docs/plugin-api.md, Event
// handlers), through gateway->notify_event. An observer of the effect
// runner: handler thread, no lock held; notify_event only queues the event
// for Janus's events thread.
#pragma once

#include "plugins/gochat-sfu/core/event_observer.hpp"
#include "plugins/gochat-sfu/janus/handler_events.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/janus/session_table.hpp"

namespace gochat::sfu {

class EventNotifier final : public RoomEventObserver {
public:
    EventNotifier(janus_callbacks* gateway, SessionTable& sessions, HandlerEventOptions options)
        : gateway_(gateway), sessions_(sessions), options_(options) {}

    void observe(const Effect& effect) override;

private:
    janus_callbacks* const gateway_;  // Borrowed
    SessionTable& sessions_;
    const HandlerEventOptions options_;
};

}  // namespace gochat::sfu
