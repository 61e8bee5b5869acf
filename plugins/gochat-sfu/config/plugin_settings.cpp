#include "plugins/gochat-sfu/config/plugin_settings.hpp"

namespace gochat::sfu {

namespace {

// The file name Janus gives the plugin's config (its package name).
constexpr const char* kConfigFileName = "janus.plugin.gochat.sfu.jcfg";

bool readPermissionBits(const jcfg::JcfgFile& file, PermissionBits& bits, std::string& error) {
    struct BitKey {
        const char* path;
        int PermissionBits::*field;
    };
    const BitKey bitKeys[] = {
        {"permissions.voice_connect", &PermissionBits::connect},
        {"permissions.voice_speak", &PermissionBits::speak},
        {"permissions.voice_video", &PermissionBits::video},
        {"permissions.voice_mute_members", &PermissionBits::muteMembers},
        {"permissions.voice_deafen_members", &PermissionBits::deafenMembers},
        {"permissions.voice_move_members", &PermissionBits::moveMembers},
        {"permissions.administrator", &PermissionBits::administrator},
    };
    for (const BitKey& entry : bitKeys) {
        // 0..62: the mask is an int64 and bit 63 would make it negative.
        int64_t bit = bits.*entry.field;
        if (!file.readInteger(entry.path, 0, 62, bit, error)) return false;
        bits.*entry.field = static_cast<int>(bit);
    }
    return true;
}

bool readSpeaking(const jcfg::JcfgFile& file, SpeakingThresholds& speaking, std::string& error) {
    int64_t voiceLevel = speaking.voiceLevel;
    if (!file.readInteger("speaking.voice_level", 0, 127, voiceLevel, error) ||
        !file.readInteger("speaking.attack_ms", 0, 10000, speaking.attack, error) ||
        !file.readInteger("speaking.release_ms", 20, 60000, speaking.release, error))
        return false;
    speaking.voiceLevel = static_cast<int>(voiceLevel);
    return true;
}

}  // namespace

std::optional<PluginSettings> parsePluginSettings(const jcfg::JcfgFile& file, std::string& error) {
    PluginSettings settings;
    file.readText("general.auth_secret", settings.authSecret);
    file.readText("general.issuer", settings.issuer);
    if (settings.issuer.empty()) {
        error = "general.issuer must not be empty";
        return std::nullopt;
    }
    if (!file.readInteger("general.token_leeway", 0, 3600, settings.tokenLeewaySeconds, error) ||
        !file.readInteger("general.empty_room_ttl", 0, 86400, settings.emptyRoomTtlSeconds, error) ||
        !file.readInteger("general.max_participants", 0, 100000, settings.maxParticipants, error) ||
        !file.readInteger("general.answer_timeout", 0, 3600, settings.answerTimeoutSeconds, error) ||
        !readPermissionBits(file, settings.bits, error) || !readSpeaking(file, settings.speaking, error))
        return std::nullopt;
    return settings;
}

std::optional<PluginSettings> loadPluginSettings(const std::string& configDir, std::string& error) {
    const std::string path = configDir + "/" + kConfigFileName;
    const std::optional<jcfg::JcfgFile> file = jcfg::JcfgFile::read(path, error);
    if (!file) return std::nullopt;
    std::optional<PluginSettings> settings = parsePluginSettings(*file, error);
    if (!settings) {
        error = path + ": " + error;
        return std::nullopt;
    }
    if (settings->authSecret.empty()) {
        error = "general.auth_secret is required in " + path;
        return std::nullopt;
    }
    return settings;
}

}  // namespace gochat::sfu
