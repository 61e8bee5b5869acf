// Forwarding the K loudest publishers of a room: the selector's ranking,
// its hysteresis (the hold over a pause between words, the margin a
// challenger needs) with an injected clock, and the rooms the handler keeps
// around it with the flags the relay reads (media/loudest_speakers.hpp).
#include "plugins/gochat-sfu/core/speaker_selector.hpp"
#include "plugins/gochat-sfu/media/loudest_speakers.hpp"
#include "tests/unit/cmocka.hpp"

#include <algorithm>
#include <memory>
#include <vector>

using namespace gochat::sfu;

namespace {

constexpr int kVoice = 97;  // -30 dBov: speech (dB above silence)
constexpr int kNoise = 27;  // -100 dBov: a quiet room's background
constexpr Millis kRound = LoudestSpeakers::kIntervalMs;
constexpr SessionId kAlice = 1, kBob = 2, kCarol = 3, kDave = 4;

SpeakerSelectionSettings settings(int limit, Millis hold = 1000, int margin = 6) {
    SpeakerSelectionSettings s;
    s.limit = limit;
    s.hold = hold;
    s.marginDb = margin;
    return s;
}

bool has(const std::vector<SessionId>& chosen, SessionId session) {
    return std::find(chosen.begin(), chosen.end(), session) != chosen.end();
}

void everyone_is_forwarded_while_no_more_than_k_publish(void**) {
    SpeakerSelector selector(settings(3));
    const std::vector<SessionId> chosen = selector.select({{kAlice, kNoise}, {kBob, 0}, {kCarol, kVoice}}, 0);
    assert_int_equal(chosen.size(), 3);
    SpeakerSelector everyone(settings(0));
    assert_int_equal(everyone.select({{kAlice, 0}, {kBob, 0}, {kCarol, 0}, {kDave, 0}}, 0).size(), 4);
}

void the_k_loudest_are_forwarded(void**) {
    SpeakerSelector selector(settings(2));
    const std::vector<SessionId> chosen =
        selector.select({{kAlice, kNoise}, {kBob, kVoice}, {kCarol, kVoice - 20}, {kDave, kNoise + 5}}, 0);
    assert_int_equal(chosen.size(), 2);
    assert_true(has(chosen, kBob) && has(chosen, kCarol));
}

void a_newcomer_takes_a_free_place_in_the_next_round(void**) {
    // K = 2: Alice talks, the second place is held by someone's background noise.
    SpeakerSelector selector(settings(2));
    Millis now = 0;
    for (; now < 2000; now += kRound) selector.select({{kAlice, kVoice}, {kBob, kNoise}, {kCarol, kNoise - 3}}, now);
    // Carol starts to speak: forwarded in the first round that sees her voice.
    const std::vector<SessionId> chosen = selector.select({{kAlice, kVoice}, {kBob, kNoise}, {kCarol, kVoice}}, now);
    assert_true(has(chosen, kAlice) && has(chosen, kCarol));
}

void a_speaker_pausing_between_words_keeps_the_place_for_the_hold(void**) {
    SpeakerSelector selector(settings(1, 1000));
    Millis now = 0;
    for (; now < 1000; now += kRound) selector.select({{kAlice, kVoice}, {kBob, kNoise}}, now);
    // Alice pauses while Bob starts at the same level: she keeps the place
    // through a pause shorter than the hold (the start of her next word is
    // not lost), and Bob takes it once she has been quiet for the hold.
    const Millis pause = now;
    Millis switched = -1;
    for (; now < pause + 3000 && switched < 0; now += kRound) {
        const std::vector<SessionId> chosen = selector.select({{kAlice, kNoise}, {kBob, kVoice}}, now);
        if (has(chosen, kBob)) switched = now;
    }
    assert_int_equal(switched, pause - kRound + 1000);  // the hold counts from her last voiced round
    // And Alice, back at the same level, does not take it back from Bob.
    for (Millis until = now + 2000; now < until; now += kRound)
        assert_true(has(selector.select({{kAlice, kVoice}, {kBob, kVoice}}, now), kBob));
}

void a_challenger_needs_the_margin_to_displace(void**) {
    SpeakerSelector selector(settings(1, 1000, 6));
    selector.select({{kAlice, kVoice}, {kBob, kNoise}}, 0);
    // 5 dB louder is not enough; 7 dB is, in that very round.
    assert_true(has(selector.select({{kAlice, kVoice}, {kBob, kVoice + 5}}, kRound), kAlice));
    assert_true(has(selector.select({{kAlice, kVoice}, {kBob, kVoice + 7}}, 2 * kRound), kBob));
}

void equal_speakers_never_swap(void**) {
    SpeakerSelector selector(settings(2));
    std::vector<SessionId> first;
    for (Millis now = 0; now < 10000; now += kRound) {
        // Levels that wobble by a few dB, as speech does.
        const int wobble = static_cast<int>(now / kRound % 5);
        const std::vector<SessionId> chosen = selector.select(
            {{kAlice, kVoice - wobble}, {kBob, kVoice - 4 + wobble}, {kCarol, kVoice - 2}, {kDave, kVoice}}, now);
        if (first.empty()) first = chosen;
        assert_true(chosen == first);
    }
}

void publishers_no_longer_listed_are_forgotten(void**) {
    SpeakerSelector selector(settings(1));
    selector.select({{kAlice, kVoice}, {kBob, kNoise}}, 0);
    // Alice left; when she comes back she is a newcomer without her margin
    // (remembered, her old place would win the tie on the lower id).
    assert_true(has(selector.select({{kBob, kNoise}}, kRound), kBob));
    assert_true(has(selector.select({{kAlice, kVoice}, {kBob, kVoice}}, 2 * kRound), kBob));
}

// ---- LoudestSpeakers: rooms, flags, the media path's meters

std::shared_ptr<MediaSession> session(SessionId id) {
    return std::make_shared<MediaSession>(id, nullptr, SpeakingThresholds{});
}

void the_meter_keeps_the_loudest_level_until_taken(void**) {
    AudioLevelMeter meter;
    assert_int_equal(meter.takePeak(), 0);
    meter.onLevel(100);
    meter.onLevel(30);
    meter.onLevel(60);
    assert_int_equal(meter.takePeak(), 97);
    assert_int_equal(meter.takePeak(), 0);  // no packet since: silent
    assert_true(meter.forwarded());         // forwarded until told otherwise
}

void a_contested_room_forwards_only_its_k_loudest(void**) {
    LoudestSpeakers loudest(settings(1));
    auto alice = session(kAlice), bob = session(kBob), carol = session(kCarol);
    loudest.onAudioFanout(7, alice, true);
    assert_false(loudest.active());
    assert_true(alice->levelMeter().forwarded());
    loudest.onAudioFanout(7, bob, true);  // now two publishers for one place
    assert_true(loudest.active());
    assert_false(bob->levelMeter().forwarded());  // a newcomer waits for the round
    loudest.onAudioFanout(8, carol, true);        // alone in another room
    assert_true(carol->levelMeter().forwarded());

    alice->levelMeter().onLevel(100);
    bob->levelMeter().onLevel(30);
    loudest.run(1000);
    assert_false(alice->levelMeter().forwarded());
    assert_true(bob->levelMeter().forwarded());
    // Not yet due: nothing changes.
    alice->levelMeter().onLevel(10);
    loudest.run(1000 + kRound - 1);
    assert_true(bob->levelMeter().forwarded());
    assert_int_equal(loudest.nextRound(), 1000 + kRound);

    // Bob is muted (his fan-out empties): Alice is alone and forwarded again.
    loudest.onAudioFanout(7, bob, false);
    assert_false(loudest.active());
    assert_true(alice->levelMeter().forwarded() && bob->levelMeter().forwarded());
    loudest.forget(kAlice);
    loudest.forget(kCarol);
}

void a_publisher_moving_rooms_competes_in_the_new_one(void**) {
    LoudestSpeakers loudest(settings(1));
    auto alice = session(kAlice), bob = session(kBob), carol = session(kCarol);
    loudest.onAudioFanout(7, alice, true);
    loudest.onAudioFanout(7, bob, true);
    loudest.onAudioFanout(8, carol, true);
    loudest.onAudioFanout(8, bob, true);  // moved to room 8: room 7 is Alice's alone
    assert_true(alice->levelMeter().forwarded());
    assert_true(loudest.active());  // room 8 is contested now
    carol->levelMeter().onLevel(30);
    bob->levelMeter().onLevel(90);
    loudest.run(0);
    assert_true(carol->levelMeter().forwarded());
    assert_false(bob->levelMeter().forwarded());
    loudest.forget(kCarol);
    assert_false(loudest.active());
    assert_true(bob->levelMeter().forwarded());
}

void without_a_limit_nothing_is_ever_held_back(void**) {
    LoudestSpeakers loudest(settings(0));
    assert_false(loudest.enabled());
    std::vector<std::shared_ptr<MediaSession>> people;
    for (SessionId id = 1; id <= 20; ++id) {
        people.push_back(session(id));
        loudest.onAudioFanout(7, people.back(), true);
    }
    loudest.run(0);
    assert_false(loudest.active());
    for (const auto& person : people) assert_true(person->levelMeter().forwarded());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(everyone_is_forwarded_while_no_more_than_k_publish),
        cmocka_unit_test(the_k_loudest_are_forwarded),
        cmocka_unit_test(a_newcomer_takes_a_free_place_in_the_next_round),
        cmocka_unit_test(a_speaker_pausing_between_words_keeps_the_place_for_the_hold),
        cmocka_unit_test(a_challenger_needs_the_margin_to_displace),
        cmocka_unit_test(equal_speakers_never_swap),
        cmocka_unit_test(publishers_no_longer_listed_are_forgotten),
        cmocka_unit_test(the_meter_keeps_the_loudest_level_until_taken),
        cmocka_unit_test(a_contested_room_forwards_only_its_k_loudest),
        cmocka_unit_test(a_publisher_moving_rooms_competes_in_the_new_one),
        cmocka_unit_test(without_a_limit_nothing_is_ever_held_back),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
