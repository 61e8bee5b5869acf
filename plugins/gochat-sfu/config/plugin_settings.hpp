// janus.plugin.gochat.sfu.jcfg, read once at init by the plugin and by the
// token tool (docs/operations.md, Configuration files). Janus-free: the
// reading is unit-tested (tests/unit/test_plugin_settings.cpp).
#pragma once

#include "common/jcfg/jcfg_file.hpp"
#include "plugins/gochat-sfu/core/bitrate_limits.hpp"
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/speaker_selector.hpp"
#include "plugins/gochat-sfu/core/speaking_detector.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace gochat::sfu {

// The GoChat webhook service (docs/operations.md, Joining a GoChat
// deployment). An empty url disables every call.
struct WebhookSettings {
    std::string url;        // base URL, http(s)://, without a trailing '/'
    std::string token;      // sent as X-Webhook-Token: a JWT {"typ":"sfu","id":serviceId}
    std::string serviceId;  // the heartbeat's "id"
    std::string region = "global";
    std::string publicUrl;  // what clients connect to: ws(s)://host[:port]/.../signal
    int64_t heartbeatIntervalMs = 5000;
    int64_t aliveIntervalMs = 60000;
    int64_t timeoutMs = 3000;  // per HTTP call
    int64_t queueSize = 1000;  // calls waiting to be sent; beyond it calls are dropped (counted)

    bool enabled() const { return !url.empty(); }
};

// The `audio` category (docs/operations.md, Audio; docs/voice-control.md,
// Forwarding the loudest speakers).
struct AudioSettings {
    bool opusDtx = true;  // usedtx=1 in the Opus format the plugin offers and answers
    SpeakerSelectionSettings selection;
};

struct PluginSettings {
    std::string authSecret;  // required by the plugin: it refuses to start without it
    std::string issuer = "gochat";
    int64_t tokenLeewaySeconds = 2;
    int64_t emptyRoomTtlSeconds = 10;
    int64_t maxParticipants = 0;        // per room; 0 = unlimited
    int64_t answerTimeoutSeconds = 30;  // an offer unanswered this long removes the participant
    bool events = true;                 // room events to Janus's event handlers (docs/plugin-api.md)
    bool speakingEvents = false;        // ... speaking changes among them
    PermissionBits bits;
    SpeakingThresholds speaking;
    AudioSettings audio;
    WebhookSettings webhook;
    BitrateLimits limits;  // the `limits` category (docs/operations.md, Bitrate limits)
};

// Every setting of a parsed file over the defaults; an empty auth_secret is
// left empty (the token tool may take the secret elsewhere), and the
// webhook section is read but not checked (the token tool may mint its
// token before it is complete). On failure
// returns nullopt and names the setting in `error`, never quoting the secret.
std::optional<PluginSettings> parsePluginSettings(const jcfg::JcfgFile& file, std::string& error);

// What the plugin needs of a webhook section with a url: a well-formed
// url (its trailing '/' removed here), a token GoChat accepts for
// service_id (read unverified), a region, and a ws(s):// public_url ending
// in /signal. Without a url nothing is checked. On failure names the
// setting in `error`, never quoting the token.
bool checkWebhookSettings(WebhookSettings& webhook, std::string& error);

// The plugin's reading of `<configDir>/janus.plugin.gochat.sfu.jcfg`: the
// file must exist, hold a non-empty general.auth_secret, and pass
// checkWebhookSettings.
std::optional<PluginSettings> loadPluginSettings(const std::string& configDir, std::string& error);

}  // namespace gochat::sfu
