#include "plugins/gochat-sfu/janus/event_notifier.hpp"

#include "plugins/gochat-sfu/janus/effect_runner.hpp"
#include "plugins/gochat-sfu/janus/shim.h"

namespace gochat::sfu {

void EventNotifier::observe(const Effect& effect) {
    // Janus drops the event itself when no handler is loaded; asking first
    // spares building it (docs/architecture.md, Event handlers).
    if (!gateway_->events_is_enabled()) return;
    std::optional<HandlerEvent> event = handlerEventOf(effect, options_);
    if (!event) return;
    janus_plugin_session* handle = nullptr;
    if (event->handleOf != 0) {
        if (std::shared_ptr<MediaSession> session = sessions_.byId(event->handleOf))
            handle = static_cast<janus_plugin_session*>(session->peer());
    }
    // notify_event takes the reference.
    gateway_->notify_event(gochat_sfu_descriptor(), handle, jsonObjectOf(event->data).release());
}

}  // namespace gochat::sfu
