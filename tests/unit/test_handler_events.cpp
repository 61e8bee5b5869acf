// What Janus event handlers receive (janus/handler_events.cpp): a call
// scripted on a real RoomRegistry, every effect read through the table, in
// order, as an event handler would see it (docs/plugin-api.md, Event handlers).
#include "plugins/gochat-sfu/janus/handler_events.hpp"
#include "tests/unit/registry_fixture.hpp"

#include <string>
#include <vector>

using namespace gochat::sfu;
using namespace gochat::sfu::testing;

namespace {

constexpr UserId kMod = 1111111111111111111;
constexpr UserId kBob = 2222222222222222222;
constexpr SessionId kModSession = 1;
constexpr SessionId kBobSession = 2;

std::vector<HandlerEvent> handlerEvents(const Effects& effects, bool speaking = false) {
    std::vector<HandlerEvent> out;
    for (const Effect& effect : effects)
        if (auto event = handlerEventOf(effect, HandlerEventOptions{speaking})) out.push_back(*event);
    return out;
}

template <class T>
T dataField(const HandlerEvent& event, const std::string& key) {
    for (const auto& [name, value] : event.data)
        if (name == key) return std::get<T>(value);
    fail_msg("handler event has no field %s", key.c_str());
    return T{};
}

bool hasField(const HandlerEvent& event, const std::string& key) {
    for (const auto& [name, value] : event.data)
        if (name == key) return true;
    return false;
}

std::vector<std::string> names(const std::vector<HandlerEvent>& events) {
    std::vector<std::string> out;
    for (const HandlerEvent& event : events) out.push_back(dataField<std::string>(event, "event"));
    return out;
}

void a_join_and_a_publication_are_told_with_the_participants_handle(void**) {
    RegistryFixture room{RegistryConfig{}};
    const std::vector<HandlerEvent> joined = handlerEvents(room.join(kBobSession, kBob));
    assert_int_equal(joined.size(), 1);
    assert_string_equal(dataField<std::string>(joined[0], "event").c_str(), "joined");
    assert_int_equal(dataField<int64_t>(joined[0], "user"), kBob);
    assert_int_equal(dataField<int64_t>(joined[0], "channel"), kChannel);
    assert_int_equal(joined[0].handleOf, kBobSession);
    assert_false(hasField(joined[0], "guild"));  // the token named none

    RegistryFixture other{RegistryConfig{}};
    const Effects effects = other.join(kBobSession, kBob);
    const std::vector<HandlerEvent> answered =
        handlerEvents(other.answerAll(kBobSession, offerTo(effects, kBobSession)->plan));
    assert_int_equal(answered.size(), 1);
    assert_string_equal(dataField<std::string>(answered[0], "event").c_str(), "published");
    assert_string_equal(dataField<std::string>(answered[0], "kind").c_str(), "audio");
    assert_string_equal(dataField<std::string>(answered[0], "codec").c_str(), "opus");
    assert_int_equal(answered[0].handleOf, kBobSession);
}

void moderation_and_departures_are_told_in_order_without_a_handle(void**) {
    RegistryFixture room{RegistryConfig{}};
    room.settle(kModSession, room.join(kModSession, kMod, kVoice | kMute | kDeafen | kMove));
    room.settle(kBobSession, room.join(kBobSession, kBob));

    std::vector<HandlerEvent> muted = handlerEvents(room.registry.serverMute(kModSession, kBob, true, room.now));
    assert_int_equal(muted.size(), 1);
    assert_string_equal(dataField<std::string>(muted[0], "event").c_str(), "server_muted");
    assert_true(dataField<bool>(muted[0], "on"));
    assert_int_equal(dataField<int64_t>(muted[0], "user"), kBob);
    assert_int_equal(dataField<int64_t>(muted[0], "by_session"), kModSession);

    std::vector<HandlerEvent> deafened = handlerEvents(room.registry.serverDeafen(kModSession, kBob, true, room.now));
    assert_string_equal(dataField<std::string>(deafened.at(0), "event").c_str(), "deafened");

    const std::vector<HandlerEvent> moved = handlerEvents(room.registry.move(kModSession, kBob, 42, room.now));
    const std::vector<std::string> movedNames = names(moved);
    assert_true(std::find(movedNames.begin(), movedNames.end(), "left") != movedNames.end());
    for (const HandlerEvent& event : moved) {
        if (dataField<std::string>(event, "event") != "left") continue;
        assert_string_equal(dataField<std::string>(event, "reason").c_str(), "moved");
        assert_int_equal(dataField<int64_t>(event, "moved_to"), 42);
        assert_int_equal(event.handleOf, 0);  // the handle may already be gone
    }

    room.settle(kBobSession, room.join(kBobSession, kBob));
    const std::vector<HandlerEvent> blocked = handlerEvents(room.registry.block(kModSession, kBob, true, room.now));
    const std::vector<std::string> blockedNames = names(blocked);
    assert_true(std::find(blockedNames.begin(), blockedNames.end(), "blocked") != blockedNames.end());
    assert_true(std::find(blockedNames.begin(), blockedNames.end(), "left") != blockedNames.end());
}

void refusals_and_commands_are_not_told_and_speaking_only_when_asked(void**) {
    RegistryFixture room{RegistryConfig{}};
    room.settle(kBobSession, room.join(kBobSession, kBob));
    // Bob may not mute anyone: a refusal of one request is not a room event.
    assert_true(handlerEvents(room.registry.serverMute(kBobSession, kMod, true, room.now)).empty());

    const Effect speaking = event::SpeakingChanged{kChannel, kBob, true, {kBobSession}};
    assert_false(handlerEventOf(speaking, HandlerEventOptions{false}).has_value());
    const auto told = handlerEventOf(speaking, HandlerEventOptions{true});
    assert_true(told.has_value());
    assert_true(dataField<bool>(*told, "speaking"));
    assert_false(handlerEventOf(Effect{RequestKeyframe{kBobSession}}, HandlerEventOptions{true}).has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_join_and_a_publication_are_told_with_the_participants_handle),
        cmocka_unit_test(moderation_and_departures_are_told_in_order_without_a_handle),
        cmocka_unit_test(refusals_and_commands_are_not_told_and_speaking_only_when_asked),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
