// janus.plugin.gochat.sfu.jcfg, read once at init.
#pragma once

#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/speaking_detector.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace gochat::sfu {

struct PluginSettings {
    std::string authSecret;          // required: the plugin refuses to start without it
    std::string issuer = "gochat";
    int64_t tokenLeewaySeconds = 2;
    int64_t emptyRoomTtlSeconds = 10;
    int64_t maxParticipants = 0;     // per room; 0 = unlimited
    int64_t answerTimeoutSeconds = 30;  // an offer unanswered this long removes the participant
    PermissionBits bits;
    SpeakingThresholds speaking;
};

// Reads `<configDir>/janus.plugin.gochat.sfu.jcfg`; on failure returns
// nullopt and says why in `error` (never quoting the secret).
std::optional<PluginSettings> loadPluginSettings(const std::string& configDir, std::string& error);

}  // namespace gochat::sfu
