// janus.plugin.gochat.sfu.jcfg read by plugins/gochat-sfu/config: defaults,
// every setting, and a refusal naming the setting for each bad value.
#include "plugins/gochat-sfu/auth/base64url.hpp"
#include "plugins/gochat-sfu/config/plugin_settings.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstdio>
#include <map>
#include <string>
#include <unistd.h>

using namespace gochat::sfu;
using gochat::jcfg::JcfgFile;

namespace {

std::optional<PluginSettings> settingsOf(const char* text, std::string& error) {
    auto file = JcfgFile::parse(text, error);
    if (!file) fail_msg("'%s' did not parse: %s", text, error.c_str());
    return parsePluginSettings(*file, error);
}

// As the plugin reads it: parsed, then the webhook section checked.
std::optional<PluginSettings> checkedSettingsOf(const char* text, std::string& error) {
    std::optional<PluginSettings> settings = settingsOf(text, error);
    if (settings && !checkWebhookSettings(settings->webhook, error)) return std::nullopt;
    return settings;
}

void an_empty_file_gives_the_documented_defaults(void**) {
    std::string error;
    const auto settings = settingsOf("", error);
    assert_true(settings.has_value());
    assert_true(settings->authSecret.empty());
    assert_string_equal(settings->issuer.c_str(), "gochat");
    assert_int_equal(settings->tokenLeewaySeconds, 2);
    assert_int_equal(settings->emptyRoomTtlSeconds, 10);
    assert_int_equal(settings->maxParticipants, 0);
    assert_int_equal(settings->answerTimeoutSeconds, 30);
    assert_int_equal(settings->bits.connect, 20);
    assert_int_equal(settings->bits.administrator, 26);
    assert_true(settings->events);
    assert_false(settings->speakingEvents);
    assert_true(settings->audio.opusDtx);
    assert_int_equal(settings->audio.selection.limit, 4);
    assert_int_equal(settings->audio.selection.hold, 1000);
    assert_int_equal(settings->audio.selection.marginDb, 6);
}

void every_setting_is_read_quoted_or_not(void**) {
    std::string error;
    const auto settings = settingsOf(
        "general: { auth_secret = \"s3cret\"; issuer = \"me\"; token_leeway = \"4\"; empty_room_ttl = 0;\n"
        "  max_participants = 50; answer_timeout = 12; events = false; speaking_events = \"yes\" }\n"
        "permissions: { voice_connect = 1; voice_speak = \"2\"; administrator = 62 }\n"
        "speaking: { voice_level = 40; attack_ms = 100; release_ms = 500 }\n"
        "audio: { opus_dtx = false; forward_loudest = 4; forward_hold_ms = \"1500\"; forward_margin_db = 3 }\n",
        error);
    assert_true(settings.has_value());
    assert_string_equal(settings->authSecret.c_str(), "s3cret");
    assert_string_equal(settings->issuer.c_str(), "me");
    assert_int_equal(settings->tokenLeewaySeconds, 4);
    assert_int_equal(settings->emptyRoomTtlSeconds, 0);
    assert_int_equal(settings->maxParticipants, 50);
    assert_int_equal(settings->answerTimeoutSeconds, 12);
    assert_false(settings->events);
    assert_true(settings->speakingEvents);
    assert_int_equal(settings->bits.connect, 1);
    assert_int_equal(settings->bits.speak, 2);
    assert_int_equal(settings->bits.video, 22);
    assert_int_equal(settings->bits.administrator, 62);
    assert_int_equal(settings->speaking.voiceLevel, 40);
    assert_int_equal(settings->speaking.attack, 100);
    assert_int_equal(settings->speaking.release, 500);
    assert_false(settings->audio.opusDtx);
    assert_int_equal(settings->audio.selection.limit, 4);
    assert_int_equal(settings->audio.selection.hold, 1500);
    assert_int_equal(settings->audio.selection.marginDb, 3);
}

void a_bad_value_is_refused_naming_its_setting_and_never_the_secret(void**) {
    struct Case {
        const char* text;
        const char* error;
    };
    const Case cases[] = {
        {"general: { auth_secret = \"zz\"; token_leeway = -1 }",
         "general.token_leeway must be an integer from 0 to 3600"},
        {"general: { max_participants = \"many\" }", "general.max_participants must be an integer from 0 to 100000"},
        {"permissions: { voice_video = 63 }", "permissions.voice_video must be an integer from 0 to 62"},
        {"speaking: { release_ms = 10 }", "speaking.release_ms must be an integer from 20 to 60000"},
        {"speaking: { voice_level = 128 }", "speaking.voice_level must be an integer from 0 to 127"},
        {"general: { issuer = \"\" }", "general.issuer must not be empty"},
        {"audio: { opus_dtx = \"sometimes\" }", "audio.opus_dtx must be true or false"},
        {"audio: { forward_loudest = -1 }", "audio.forward_loudest must be an integer from 0 to 1000"},
        {"audio: { forward_hold_ms = 60001 }", "audio.forward_hold_ms must be an integer from 0 to 60000"},
        {"audio: { forward_margin_db = 200 }", "audio.forward_margin_db must be an integer from 0 to 127"},
    };
    for (const Case& c : cases) {
        std::string error;
        if (settingsOf(c.text, error)) fail_msg("'%s' was accepted", c.text);
        if (error != c.error) fail_msg("'%s': got '%s', want '%s'", c.text, error.c_str(), c.error);
    }
}

void bitrate_limits_are_off_by_default(void**) {
    std::string error;
    const auto settings = settingsOf("", error);
    assert_true(settings.has_value());
    const BitrateLimits& limits = settings->limits;
    assert_int_equal(limits.maxAudioKbps, 0);
    assert_false(limits.enforceAudio);
    assert_int_equal(limits.audioMarginPercent, 15);  // GoChat's default
    assert_int_equal(limits.maxVideoKbps, 0);
    assert_false(limits.capsAudio());
    assert_false(limits.enforcesAudio());
    assert_false(limits.capsVideo());
}

void every_bitrate_limit_is_read(void**) {
    std::string error;
    const auto settings = settingsOf(
        "limits: { max_audio_bitrate_kbps = \"64\"; enforce_audio_bitrate = \"yes\"; audio_bitrate_margin_percent = "
        "20;\n"
        "  max_video_bitrate_kbps = 300 }\n",
        error);
    assert_true(settings.has_value());
    const BitrateLimits& limits = settings->limits;
    assert_int_equal(limits.maxAudioKbps, 64);
    assert_true(limits.enforcesAudio());
    assert_int_equal(limits.audioMarginPercent, 20);
    assert_int_equal(limits.maxVideoKbps, 300);
    assert_int_equal(limits.audioCapBps(), 64000);
    assert_int_equal(limits.audioLimitBps(), 76800);  // 64 kbps + 20 %
    assert_int_equal(limits.videoCapBps(), 300000);
    // The cap alone is asked in the SDP, not enforced.
    const auto asked = settingsOf("limits: { max_audio_bitrate_kbps = 32 }", error);
    assert_true(asked.has_value());
    assert_true(asked->limits.capsAudio());
    assert_false(asked->limits.enforcesAudio());
}

void a_bad_bitrate_limit_is_refused_naming_its_setting(void**) {
    struct Case {
        const char* text;
        const char* error;
    };
    const Case cases[] = {
        {"limits: { max_audio_bitrate_kbps = 511 }", "limits.max_audio_bitrate_kbps must be an integer from 0 to 510"},
        {"limits: { max_audio_bitrate_kbps = 5 }", "limits.max_audio_bitrate_kbps must be 0 (off) or from 6 to 510"},
        {"limits: { max_audio_bitrate_kbps = -1 }", "limits.max_audio_bitrate_kbps must be an integer from 0 to 510"},
        {"limits: { audio_bitrate_margin_percent = 101 }",
         "limits.audio_bitrate_margin_percent must be an integer from 0 to 100"},
        {"limits: { max_video_bitrate_kbps = 29 }",
         "limits.max_video_bitrate_kbps must be 0 (off) or from 30 to 100000"},
        {"limits: { max_video_bitrate_kbps = 100001 }",
         "limits.max_video_bitrate_kbps must be an integer from 0 to 100000"},
        {"limits: { enforce_audio_bitrate = \"maybe\" }", "limits.enforce_audio_bitrate must be true or false"},
        {"limits: { enforce_audio_bitrate = true }",
         "limits.enforce_audio_bitrate needs limits.max_audio_bitrate_kbps (the cap it enforces)"},
    };
    for (const Case& c : cases) {
        std::string error;
        if (settingsOf(c.text, error)) fail_msg("'%s' was accepted", c.text);
        if (error != c.error) fail_msg("'%s': got '%s', want '%s'", c.text, error.c_str(), c.error);
    }
}

// A webhook token as GoChat's operators mint it (the signature is not ours to check).
std::string webhookToken(const std::string& claims, const std::string& alg = "HS256") {
    using gochat::auth::base64UrlEncode;
    return base64UrlEncode("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + "." + base64UrlEncode(claims) + "." +
           base64UrlEncode("signature-bytes");
}

const std::string kGoodToken = webhookToken("{\"typ\":\"sfu\",\"id\":\"sfu-eu-1\"}");

// A complete webhook section; `keys` ("name = value; name = value") add to
// or replace its settings (the reader refuses a setting given twice).
std::string webhookSection(const std::string& keys) {
    std::map<std::string, std::string> values = {{"url", "\"http://webhook:3200/\""},
                                                 {"token", "\"" + kGoodToken + "\""},
                                                 {"service_id", "\"sfu-eu-1\""},
                                                 {"public_url", "\"wss://sfu-eu.example.com/signal\""}};
    size_t start = 0;
    while (start < keys.size()) {
        size_t end = keys.find("; ", start);
        if (end == std::string::npos) end = keys.size();
        const std::string item = keys.substr(start, end - start);
        const size_t equals = item.find(" = ");
        values[item.substr(0, equals)] = item.substr(equals + 3);
        start = end + 2;
    }
    std::string text = "webhook: {";
    for (const auto& [name, value] : values) text += " " + name + " = " + value + ";";
    return text + " }";
}

void the_webhook_is_off_by_default_and_then_checks_nothing(void**) {
    std::string error;
    auto settings = checkedSettingsOf("", error);
    assert_true(settings.has_value());
    assert_false(settings->webhook.enabled());
    assert_string_equal(settings->webhook.region.c_str(), "global");
    assert_int_equal(settings->webhook.heartbeatIntervalMs, 5000);
    assert_int_equal(settings->webhook.aliveIntervalMs, 60000);
    assert_int_equal(settings->webhook.timeoutMs, 3000);
    assert_int_equal(settings->webhook.queueSize, 1000);
    // Filled in but switched off (no url): accepted as it is.
    settings = checkedSettingsOf("webhook: { url = \"\"; token = \"not a jwt\"; public_url = \"nonsense\" }", error);
    assert_true(settings.has_value());
    assert_false(settings->webhook.enabled());
}

void every_webhook_setting_is_read(void**) {
    std::string error;
    const auto settings = checkedSettingsOf(
        webhookSection("region = \"eu-west\"; heartbeat_interval = \"500\"; alive_interval = 1000; timeout = 800; "
                       "queue_size = 20")
            .c_str(),
        error);
    if (!settings) fail_msg("refused: %s", error.c_str());
    const WebhookSettings& webhook = settings->webhook;
    assert_true(webhook.enabled());
    assert_string_equal(webhook.url.c_str(), "http://webhook:3200");  // the trailing '/' goes: paths are appended
    assert_string_equal(webhook.token.c_str(), kGoodToken.c_str());
    assert_string_equal(webhook.serviceId.c_str(), "sfu-eu-1");
    assert_string_equal(webhook.region.c_str(), "eu-west");
    assert_string_equal(webhook.publicUrl.c_str(), "wss://sfu-eu.example.com/signal");
    assert_int_equal(webhook.heartbeatIntervalMs, 500);
    assert_int_equal(webhook.aliveIntervalMs, 1000);
    assert_int_equal(webhook.timeoutMs, 800);
    assert_int_equal(webhook.queueSize, 20);
    assert_true(checkedSettingsOf(webhookSection("url = \"https://gochat.example.com/hooks\"; public_url = "
                                                 "\"ws://198.51.100.7:3300/signal\"")
                                      .c_str(),
                                  error)
                    .has_value());
}

void a_webhook_url_without_a_usable_token_id_or_public_url_is_refused(void**) {
    struct Case {
        std::string keys;
        const char* error;
    };
    const Case cases[] = {
        {"url = \"ftp://webhook\"", "webhook.url must be an http:// or https:// URL (the webhook service's base URL)"},
        {"url = \"http://\"", "webhook.url must be an http:// or https:// URL (the webhook service's base URL)"},
        {"url = \"http://webhook:3200/?x=1\"",
         "webhook.url must be an http:// or https:// URL (the webhook service's base URL)"},
        {"token = \"\"", "webhook.token is required when webhook.url is set"},
        {"token = \"abc\"", "webhook.token is not a signed JWT (header.claims.signature)"},
        {"token = \"a.b.c\"", "webhook.token is not a JWT: its header or claims are not base64url JSON objects"},
        {"token = \"" + webhookToken("{\"typ\":\"sfu\",\"id\":\"sfu-eu-1\"}", "HS512") + "\"",
         "webhook.token must be signed with HS256, not \"HS512\""},
        {"token = \"" + webhookToken("{\"typ\":\"admin\",\"id\":\"sfu-eu-1\"}") + "\"",
         "webhook.token must have the claim typ \"sfu\""},
        {"token = \"" + webhookToken("{\"typ\":\"sfu\",\"id\":\"sfu-us-1\"}") + "\"",
         "webhook.token's id claim \"sfu-us-1\" is not webhook.service_id \"sfu-eu-1\""},
        {"service_id = \"\"", "webhook.service_id is required when webhook.url is set"},
        {"region = \"\"", "webhook.region must not be empty"},
        {"public_url = \"\"", "webhook.public_url is required when webhook.url is set"},
        {"public_url = \"https://sfu-eu.example.com/signal\"",
         "webhook.public_url must be a ws:// or wss:// URL ending in /signal (what clients connect to)"},
        {"public_url = \"wss://sfu-eu.example.com/socket\"",
         "webhook.public_url must be a ws:// or wss:// URL ending in /signal (what clients connect to)"},
        {"public_url = \"wss:///signal\"",
         "webhook.public_url must be a ws:// or wss:// URL ending in /signal (what clients connect to)"},
        {"heartbeat_interval = 15000", "webhook.heartbeat_interval must be an integer from 100 to 14000"},
        {"alive_interval = 120000", "webhook.alive_interval must be an integer from 100 to 110000"},
        {"timeout = 50", "webhook.timeout must be an integer from 100 to 30000"},
        {"queue_size = 1", "webhook.queue_size must be an integer from 10 to 100000"},
    };
    for (const Case& c : cases) {
        std::string error;
        const std::string text = webhookSection(c.keys);
        if (checkedSettingsOf(text.c_str(), error)) fail_msg("'%s' was accepted", c.keys.c_str());
        if (error != c.error) fail_msg("'%s': got '%s', want '%s'", c.keys.c_str(), error.c_str(), c.error);
        if (error.find(kGoodToken) != std::string::npos) fail_msg("the token was quoted");
    }
}

void the_plugin_needs_the_file_and_its_secret(void**) {
    std::string error;
    assert_false(loadPluginSettings("/nonexistent-dir", error).has_value());
    assert_true(error.find("/nonexistent-dir/janus.plugin.gochat.sfu.jcfg") != std::string::npos);

    char dir[] = "/tmp/test_plugin_settings_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const std::string path = std::string(dir) + "/janus.plugin.gochat.sfu.jcfg";
    FILE* file = std::fopen(path.c_str(), "w");
    std::fputs("general: { issuer = \"gochat\" }\n", file);
    std::fclose(file);
    assert_false(loadPluginSettings(dir, error).has_value());
    assert_string_equal(error.c_str(), ("general.auth_secret is required in " + path).c_str());

    file = std::fopen(path.c_str(), "w");
    std::fputs("general: { auth_secret = \"x\" }\n", file);
    std::fclose(file);
    const auto settings = loadPluginSettings(dir, error);
    assert_true(settings.has_value());
    assert_string_equal(settings->authSecret.c_str(), "x");
    std::remove(path.c_str());
    rmdir(dir);
}

// The token tool reads the file to mint the webhook token the section
// still lacks; the plugin refuses it until it is complete.
void an_incomplete_webhook_section_is_read_but_refused_by_the_plugin(void**) {
    const char* text =
        "general: { auth_secret = \"x\" }\nwebhook: { url = \"http://webhook:3200\"; service_id = \"a\" }\n";
    std::string error;
    const auto parsed = settingsOf(text, error);
    assert_true(parsed.has_value());
    assert_string_equal(parsed->webhook.serviceId.c_str(), "a");

    char dir[] = "/tmp/test_plugin_settings_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const std::string path = std::string(dir) + "/janus.plugin.gochat.sfu.jcfg";
    FILE* file = std::fopen(path.c_str(), "w");
    std::fputs(text, file);
    std::fclose(file);
    assert_false(loadPluginSettings(dir, error).has_value());
    assert_string_equal(error.c_str(), (path + ": webhook.public_url is required when webhook.url is set").c_str());
    std::remove(path.c_str());
    rmdir(dir);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_empty_file_gives_the_documented_defaults),
        cmocka_unit_test(every_setting_is_read_quoted_or_not),
        cmocka_unit_test(a_bad_value_is_refused_naming_its_setting_and_never_the_secret),
        cmocka_unit_test(the_plugin_needs_the_file_and_its_secret),
        cmocka_unit_test(bitrate_limits_are_off_by_default),
        cmocka_unit_test(every_bitrate_limit_is_read),
        cmocka_unit_test(a_bad_bitrate_limit_is_refused_naming_its_setting),
        cmocka_unit_test(the_webhook_is_off_by_default_and_then_checks_nothing),
        cmocka_unit_test(every_webhook_setting_is_read),
        cmocka_unit_test(a_webhook_url_without_a_usable_token_id_or_public_url_is_refused),
        cmocka_unit_test(an_incomplete_webhook_section_is_read_but_refused_by_the_plugin),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
