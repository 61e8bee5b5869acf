// janus.plugin.gochat.sfu.jcfg, read once at init by the plugin and by the
// token tool (docs/operations.md, Configuration files). Janus-free: the
// reading is unit-tested (tests/unit/test_plugin_settings.cpp).
#pragma once

#include "common/jcfg/jcfg_file.hpp"
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/speaking_detector.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace gochat::sfu {

struct PluginSettings {
    std::string authSecret;  // required by the plugin: it refuses to start without it
    std::string issuer = "gochat";
    int64_t tokenLeewaySeconds = 2;
    int64_t emptyRoomTtlSeconds = 10;
    int64_t maxParticipants = 0;        // per room; 0 = unlimited
    int64_t answerTimeoutSeconds = 30;  // an offer unanswered this long removes the participant
    PermissionBits bits;
    SpeakingThresholds speaking;
};

// Every setting of a parsed file over the defaults; an empty auth_secret is
// left empty (the token tool may take the secret elsewhere). On failure
// returns nullopt and names the setting in `error`, never quoting the secret.
std::optional<PluginSettings> parsePluginSettings(const jcfg::JcfgFile& file, std::string& error);

// The plugin's reading of `<configDir>/janus.plugin.gochat.sfu.jcfg`: the
// file must exist and hold a non-empty general.auth_secret.
std::optional<PluginSettings> loadPluginSettings(const std::string& configDir, std::string& error);

}  // namespace gochat::sfu
