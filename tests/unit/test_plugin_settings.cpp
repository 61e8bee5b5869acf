// janus.plugin.gochat.sfu.jcfg read by plugins/gochat-sfu/config: defaults,
// every setting, and a refusal naming the setting for each bad value.
#include "plugins/gochat-sfu/config/plugin_settings.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstdio>
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
}

void every_setting_is_read_quoted_or_not(void**) {
    std::string error;
    const auto settings = settingsOf(
        "general: { auth_secret = \"s3cret\"; issuer = \"me\"; token_leeway = \"4\"; empty_room_ttl = 0;\n"
        "  max_participants = 50; answer_timeout = 12 }\n"
        "permissions: { voice_connect = 1; voice_speak = \"2\"; administrator = 62 }\n"
        "speaking: { voice_level = 40; attack_ms = 100; release_ms = 500 }\n",
        error);
    assert_true(settings.has_value());
    assert_string_equal(settings->authSecret.c_str(), "s3cret");
    assert_string_equal(settings->issuer.c_str(), "me");
    assert_int_equal(settings->tokenLeewaySeconds, 4);
    assert_int_equal(settings->emptyRoomTtlSeconds, 0);
    assert_int_equal(settings->maxParticipants, 50);
    assert_int_equal(settings->answerTimeoutSeconds, 12);
    assert_int_equal(settings->bits.connect, 1);
    assert_int_equal(settings->bits.speak, 2);
    assert_int_equal(settings->bits.video, 22);
    assert_int_equal(settings->bits.administrator, 62);
    assert_int_equal(settings->speaking.voiceLevel, 40);
    assert_int_equal(settings->speaking.attack, 100);
    assert_int_equal(settings->speaking.release, 500);
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
    };
    for (const Case& c : cases) {
        std::string error;
        if (settingsOf(c.text, error)) fail_msg("'%s' was accepted", c.text);
        if (error != c.error) fail_msg("'%s': got '%s', want '%s'", c.text, error.c_str(), c.error);
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

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_empty_file_gives_the_documented_defaults),
        cmocka_unit_test(every_setting_is_read_quoted_or_not),
        cmocka_unit_test(a_bad_value_is_refused_naming_its_setting_and_never_the_secret),
        cmocka_unit_test(the_plugin_needs_the_file_and_its_secret),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
