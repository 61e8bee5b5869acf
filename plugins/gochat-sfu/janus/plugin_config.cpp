#include "plugins/gochat-sfu/janus/plugin_config.hpp"

#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/janus/shim.h"

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace gochat::sfu {

namespace {

struct ConfigDeleter {
    void operator()(janus_config* config) const { janus_config_destroy(config); }
};

class ConfigReader {
public:
    explicit ConfigReader(janus_config* config) : config_(config) {}

    const char* text(const char* category, const char* key) const {
        janus_config_category* section = janus_config_get(config_, nullptr, janus_config_type_category, category);
        if (!section) return nullptr;
        janus_config_item* item = janus_config_get(config_, section, janus_config_type_item, key);
        return item ? item->value : nullptr;
    }

    // Leaves `out` alone when the key is absent; false when present but not a number in range.
    bool integer(const char* category, const char* key, int64_t low, int64_t high, int64_t& out, std::string& error) const {
        const char* value = text(category, key);
        if (!value) return true;
        errno = 0;
        char* end = nullptr;
        const long long parsed = std::strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || parsed < low || parsed > high) {
            error = std::string(category) + "." + key + " must be an integer from " + std::to_string(low) + " to " +
                    std::to_string(high);
            return false;
        }
        out = parsed;
        return true;
    }

private:
    janus_config* config_;  // Borrowed
};

}  // namespace

std::optional<PluginSettings> loadPluginSettings(const std::string& configDir, std::string& error) {
    const std::string path = configDir + "/" GOCHAT_SFU_PACKAGE ".jcfg";
    std::unique_ptr<janus_config, ConfigDeleter> config(janus_config_parse(path.c_str()));
    if (!config) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    ConfigReader reader(config.get());
    PluginSettings settings;

    const char* secret = reader.text("general", "auth_secret");
    if (!secret || !*secret) {
        error = "general.auth_secret is required in " + path;
        return std::nullopt;
    }
    settings.authSecret = secret;
    if (const char* issuer = reader.text("general", "issuer")) settings.issuer = issuer;

    int64_t maxParticipants = settings.maxParticipants;
    if (!reader.integer("general", "token_leeway", 0, 3600, settings.tokenLeewaySeconds, error) ||
        !reader.integer("general", "empty_room_ttl", 0, 86400, settings.emptyRoomTtlSeconds, error) ||
        !reader.integer("general", "max_participants", 0, 100000, maxParticipants, error) ||
        !reader.integer("general", "answer_timeout", 0, 3600, settings.answerTimeoutSeconds, error))
        return std::nullopt;
    settings.maxParticipants = maxParticipants;

    struct BitKey {
        const char* key;
        int PermissionBits::*field;
    };
    const BitKey bitKeys[] = {
        {"voice_connect", &PermissionBits::connect},
        {"voice_speak", &PermissionBits::speak},
        {"voice_video", &PermissionBits::video},
        {"voice_mute_members", &PermissionBits::muteMembers},
        {"voice_deafen_members", &PermissionBits::deafenMembers},
        {"voice_move_members", &PermissionBits::moveMembers},
        {"administrator", &PermissionBits::administrator},
    };
    for (const BitKey& entry : bitKeys) {
        int64_t bit = settings.bits.*entry.field;
        if (!reader.integer("permissions", entry.key, 0, 62, bit, error)) return std::nullopt;
        settings.bits.*entry.field = static_cast<int>(bit);
    }
    int64_t voiceLevel = settings.speaking.voiceLevel;
    if (!reader.integer("speaking", "voice_level", 0, 127, voiceLevel, error) ||
        !reader.integer("speaking", "attack_ms", 0, 10000, settings.speaking.attack, error) ||
        !reader.integer("speaking", "release_ms", 20, 60000, settings.speaking.release, error))
        return std::nullopt;
    settings.speaking.voiceLevel = static_cast<int>(voiceLevel);
    return settings;
}

}  // namespace gochat::sfu
