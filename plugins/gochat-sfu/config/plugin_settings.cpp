#include "plugins/gochat-sfu/config/plugin_settings.hpp"

#include "plugins/gochat-sfu/auth/service_token.hpp"

#include <initializer_list>
#include <string_view>

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

bool readAudio(const jcfg::JcfgFile& file, AudioSettings& audio, std::string& error) {
    SpeakerSelectionSettings& selection = audio.selection;
    int64_t limit = selection.limit;
    int64_t margin = selection.marginDb;
    if (!file.readBoolean("audio.opus_dtx", audio.opusDtx, error) ||
        !file.readInteger("audio.forward_loudest", 0, 1000, limit, error) ||
        !file.readInteger("audio.forward_hold_ms", 0, 60000, selection.hold, error) ||
        !file.readInteger("audio.forward_margin_db", 0, 127, margin, error))
        return false;
    selection.limit = static_cast<int>(limit);
    selection.marginDb = static_cast<int>(margin);
    return true;
}

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// scheme://host[:port][/path], nothing else: no spaces, no query, no
// fragment, no user info; `scheme` is one of `schemes`.
bool isPlainUrl(std::string_view url, std::initializer_list<std::string_view> schemes) {
    for (std::string_view scheme : schemes) {
        if (!startsWith(url, scheme)) continue;
        const std::string_view rest = url.substr(scheme.size());
        const std::string_view host = rest.substr(0, rest.find('/'));
        if (host.empty() || host.front() == ':') return false;
        for (char c : url)
            if (c <= ' ' || c == '?' || c == '#' || c == '@' || c == '\\' || c == 0x7f) return false;
        return true;
    }
    return false;
}

// The token GoChat's webhook service checks on every call: a JWT (HS256)
// whose typ is "sfu" and whose id is this SFU's service_id. Its signature
// cannot be checked here (the SFU does not hold that secret).
bool checkWebhookToken(const WebhookSettings& webhook, std::string& error) {
    if (webhook.token.empty()) {
        error = "webhook.token is required when webhook.url is set";
        return false;
    }
    std::string why;
    const std::optional<auth::ServiceTokenView> token = auth::readServiceTokenUnverified(webhook.token, why);
    if (!token)
        error = "webhook.token " + why;
    else if (token->algorithm != "HS256")
        error = "webhook.token must be signed with HS256, not \"" + token->algorithm + "\"";
    else if (token->type != "sfu")
        error = "webhook.token must have the claim typ \"sfu\"";
    else if (token->id != webhook.serviceId)
        error =
            "webhook.token's id claim \"" + token->id + "\" is not webhook.service_id \"" + webhook.serviceId + "\"";
    return error.empty();
}

}  // namespace

bool checkWebhookSettings(WebhookSettings& webhook, std::string& error) {
    if (!webhook.enabled()) return true;
    while (endsWith(webhook.url, "/")) webhook.url.pop_back();
    if (!isPlainUrl(webhook.url, {"http://", "https://"})) {
        error = "webhook.url must be an http:// or https:// URL (the webhook service's base URL)";
        return false;
    }
    if (webhook.serviceId.empty()) {
        error = "webhook.service_id is required when webhook.url is set";
        return false;
    }
    if (webhook.region.empty()) {
        error = "webhook.region must not be empty";
        return false;
    }
    if (webhook.publicUrl.empty()) {
        error = "webhook.public_url is required when webhook.url is set";
        return false;
    }
    if (!isPlainUrl(webhook.publicUrl, {"ws://", "wss://"}) || !endsWith(webhook.publicUrl, "/signal")) {
        error = "webhook.public_url must be a ws:// or wss:// URL ending in /signal (what clients connect to)";
        return false;
    }
    return checkWebhookToken(webhook, error);
}

namespace {

bool readWebhook(const jcfg::JcfgFile& file, WebhookSettings& webhook, std::string& error) {
    file.readText("webhook.url", webhook.url);
    file.readText("webhook.token", webhook.token);
    file.readText("webhook.service_id", webhook.serviceId);
    file.readText("webhook.region", webhook.region);
    file.readText("webhook.public_url", webhook.publicUrl);
    // GoChat forgets an SFU 15 s after its last heartbeat and a channel's
    // route 120 s after its last presence call.
    return file.readInteger("webhook.heartbeat_interval", 100, 14000, webhook.heartbeatIntervalMs, error) &&
           file.readInteger("webhook.alive_interval", 100, 110000, webhook.aliveIntervalMs, error) &&
           file.readInteger("webhook.timeout", 100, 30000, webhook.timeoutMs, error) &&
           file.readInteger("webhook.queue_size", 10, 100000, webhook.queueSize, error);
}

// 0 turns a cap off. Opus cannot go under 6 kbps nor over 510 (RFC 7587's
// maxaveragebitrate range), and no browser encodes video under 30 kbps.
bool readLimits(const jcfg::JcfgFile& file, BitrateLimits& limits, std::string& error) {
    if (!file.readInteger("limits.max_audio_bitrate_kbps", 0, 510, limits.maxAudioKbps, error) ||
        !file.readBoolean("limits.enforce_audio_bitrate", limits.enforceAudio, error) ||
        !file.readInteger("limits.audio_bitrate_margin_percent", 0, 100, limits.audioMarginPercent, error) ||
        !file.readInteger("limits.max_video_bitrate_kbps", 0, 100000, limits.maxVideoKbps, error))
        return false;
    const char* problem = nullptr;
    if (limits.maxAudioKbps > 0 && limits.maxAudioKbps < 6)
        problem = "limits.max_audio_bitrate_kbps must be 0 (off) or from 6 to 510";
    else if (limits.maxVideoKbps > 0 && limits.maxVideoKbps < 30)
        problem = "limits.max_video_bitrate_kbps must be 0 (off) or from 30 to 100000";
    else if (limits.enforceAudio && limits.maxAudioKbps == 0)
        problem = "limits.enforce_audio_bitrate needs limits.max_audio_bitrate_kbps (the cap it enforces)";
    if (problem) error = problem;
    return problem == nullptr;
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
        !file.readBoolean("general.events", settings.events, error) ||
        !file.readBoolean("general.speaking_events", settings.speakingEvents, error) ||
        !readPermissionBits(file, settings.bits, error) || !readSpeaking(file, settings.speaking, error) ||
        !readAudio(file, settings.audio, error) || !readWebhook(file, settings.webhook, error) ||
        !readLimits(file, settings.limits, error))
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
    if (!checkWebhookSettings(settings->webhook, error)) {
        error = path + ": " + error;
        return std::nullopt;
    }
    return settings;
}

}  // namespace gochat::sfu
