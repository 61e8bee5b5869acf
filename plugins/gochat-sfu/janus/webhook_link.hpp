// The webhook client (platform/webhook_client.hpp) wired to the plugin:
// libcurl for its HTTP, Janus's log for its lines. The plugin registers it
// as a room-event observer only when webhook.url is set (docs/operations.md,
// Joining a GoChat deployment).
#pragma once

#include "plugins/gochat-sfu/config/plugin_settings.hpp"
#include "plugins/gochat-sfu/platform/webhook_client.hpp"

#include <memory>

namespace gochat::sfu {

// Call on Janus's main thread (plugin init: curl_global_init runs here).
// The client's thread is running when this returns.
std::unique_ptr<WebhookClient> startWebhookClient(const WebhookSettings& settings);

}  // namespace gochat::sfu
