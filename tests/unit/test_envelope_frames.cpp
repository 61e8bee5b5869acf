// Frame assembly under a hard cap, UTF-8 validation and the settings table.
#include <cstdint>
#include <string>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/frame_assembler.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"
#include "transports/gochat-ws/codec/utf8.hpp"

using namespace gochat::ws;

namespace {

using Status = FrameAssembler::Status;

void single_chunk_message_completes(void**) {
    FrameAssembler assembler(16);
    assert_int_equal(static_cast<int>(assembler.append("hello", false, true, 0)), static_cast<int>(Status::Complete));
    assert_false(assembler.messageIsBinary());
    assert_string_equal(assembler.takeMessage().c_str(), "hello");
}

void fragments_are_joined_in_order(void**) {
    FrameAssembler assembler(64);
    assert_int_equal(static_cast<int>(assembler.append("{\"op\":", false, false, 0)),
                     static_cast<int>(Status::NeedMore));
    assert_int_equal(static_cast<int>(assembler.append("2}", false, true, 0)), static_cast<int>(Status::Complete));
    assert_string_equal(assembler.takeMessage().c_str(), "{\"op\":2}");
    // The next message starts fresh and keeps its own opcode.
    assert_int_equal(static_cast<int>(assembler.append("\x01\x02", true, true, 0)), static_cast<int>(Status::Complete));
    assert_true(assembler.messageIsBinary());
}

void message_at_the_limit_is_accepted(void**) {
    FrameAssembler assembler(8);
    assert_int_equal(static_cast<int>(assembler.append("1234", false, false, 4)), static_cast<int>(Status::NeedMore));
    assert_int_equal(static_cast<int>(assembler.append("5678", false, true, 0)), static_cast<int>(Status::Complete));
}

void fragments_over_the_limit_are_refused_and_stay_refused(void**) {
    FrameAssembler assembler(8);
    assert_int_equal(static_cast<int>(assembler.append("12345", false, false, 0)), static_cast<int>(Status::NeedMore));
    assert_int_equal(static_cast<int>(assembler.append("6789", false, true, 0)), static_cast<int>(Status::TooLarge));
    assert_int_equal(static_cast<int>(assembler.append("1", false, true, 0)), static_cast<int>(Status::TooLarge));
}

void announced_oversize_frame_is_refused_before_buffering(void**) {
    FrameAssembler assembler(1024);
    assert_int_equal(static_cast<int>(assembler.append("x", false, false, 5000)), static_cast<int>(Status::TooLarge));
    FrameAssembler huge(1024);
    assert_int_equal(static_cast<int>(huge.append("x", false, false, SIZE_MAX)), static_cast<int>(Status::TooLarge));
}

void utf8_validation_table(void**) {
    struct Case {
        std::string text;
        bool valid;
    } cases[] = {
        {"", true},
        {"plain ascii", true},
        {"caf\xC3\xA9", true},
        {"\xE2\x82\xAC", true},       // euro sign
        {"\xF0\x9F\x8E\xA4", true},   // microphone emoji
        {"\xF4\x8F\xBF\xBF", true},   // U+10FFFF
        {"\xC3", false},              // truncated
        {"\xC0\xAF", false},          // overlong '/'
        {"\xE0\x80\xAF", false},      // overlong
        {"\xED\xA0\x80", false},      // surrogate
        {"\xF4\x90\x80\x80", false},  // above U+10FFFF
        {"\xF5\x80\x80\x80", false},
        {"\x80", false},  // lone continuation
        {"\xE2\x28\xA1", false},
        {std::string("a\0b", 3), true},  // NUL is valid UTF-8 (JSON rejects it)
    };
    for (const Case& c : cases) assert_int_equal(isValidUtf8(c.text), c.valid);
}

void settings_defaults_match_the_sample(void**) {
    TransportSettings settings;
    assert_true(settings.enabled);
    assert_string_equal(settings.ip.c_str(), "127.0.0.1");
    assert_int_equal(settings.port, 3300);
    assert_string_equal(settings.path.c_str(), "/signal");
    assert_int_equal(settings.joinTimeoutMs, 5000);
    assert_int_equal(settings.maxMessageSize, 262144);
    assert_int_equal(settings.keepaliveIntervalMs, 5000);
    assert_string_equal(settings.plugin.c_str(), "janus.plugin.gochat.sfu");
}

void settings_are_validated(void**) {
    struct Case {
        const char* key;
        const char* value;
        bool accepted;
    } cases[] = {
        {"enabled", "false", true},
        {"enabled", "maybe", false},
        {"port", "8188", true},
        {"port", "0", false},
        {"port", "70000", false},
        {"port", "12ab", false},
        {"path", "/voice", true},
        {"path", "voice", false},
        {"ip", "0.0.0.0", true},
        {"ip", "", false},
        {"join_timeout", "2500", true},
        {"join_timeout", "0", false},
        {"max_message_size", "65536", true},
        {"max_message_size", "100", false},
        {"keepalive_interval", "0", true},
        {"keepalive_interval", "50", false},
        {"keepalive_interval", "-1", false},
        {"plugin", "janus.plugin.echotest", true},
    };
    for (const Case& c : cases) {
        TransportSettings settings;
        bool unknown = true;
        auto error = applySetting(settings, c.key, c.value, unknown);
        assert_false(unknown);
        assert_int_equal(!error.has_value(), c.accepted);
    }
    TransportSettings settings;
    bool unknown = false;
    assert_false(applySetting(settings, "colour", "blue", unknown).has_value());
    assert_true(unknown);
    applySetting(settings, "port", "4400", unknown);
    applySetting(settings, "enabled", "no", unknown);
    assert_int_equal(settings.port, 4400);
    assert_false(settings.enabled);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_chunk_message_completes),
        cmocka_unit_test(fragments_are_joined_in_order),
        cmocka_unit_test(message_at_the_limit_is_accepted),
        cmocka_unit_test(fragments_over_the_limit_are_refused_and_stay_refused),
        cmocka_unit_test(announced_oversize_frame_is_refused_before_buffering),
        cmocka_unit_test(utf8_validation_table),
        cmocka_unit_test(settings_defaults_match_the_sample),
        cmocka_unit_test(settings_are_validated),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
