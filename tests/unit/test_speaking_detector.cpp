// The speaking detector's hysteresis, driven with an injected clock at the
// 20 ms packet pace of Opus.
#include "plugins/gochat-sfu/core/speaking_detector.hpp"
#include "tests/unit/cmocka.hpp"

using namespace gochat::sfu;
using Change = SpeakingDetector::Change;

namespace {

constexpr int kTone = 13;      // what a loud tone reads (-13 dBov)
constexpr int kSilence = 127;  // digital silence

// Feeds `ms` of packets at one level; returns the first change seen.
Change feed(SpeakingDetector& detector, Millis& now, int level, Millis ms) {
    Change seen = Change::None;
    for (Millis end = now + ms; now < end; now += 20) {
        const Change change = detector.onAudioLevel(level, now);
        if (seen == Change::None) seen = change;
    }
    return seen;
}

void voice_longer_than_attack_starts_speaking(void**) {
    SpeakingDetector detector;
    Millis now = 0;
    assert_int_equal(static_cast<int>(feed(detector, now, kTone, 200)), static_cast<int>(Change::Started));
    assert_true(detector.speaking());
}

void a_click_shorter_than_attack_does_not(void**) {
    SpeakingDetector detector;
    Millis now = 0;
    assert_int_equal(static_cast<int>(feed(detector, now, kTone, 60)), static_cast<int>(Change::None));
    assert_int_equal(static_cast<int>(feed(detector, now, kSilence, 400)), static_cast<int>(Change::None));
    assert_false(detector.speaking());
}

void pauses_between_words_keep_speaking(void**) {
    SpeakingDetector detector;
    Millis now = 0;
    feed(detector, now, kTone, 200);
    for (int word = 0; word < 5; ++word) {
        assert_int_equal(static_cast<int>(feed(detector, now, kSilence, 300)), static_cast<int>(Change::None));
        assert_int_equal(static_cast<int>(feed(detector, now, kTone, 200)), static_cast<int>(Change::None));
    }
    assert_true(detector.speaking());
}

void silence_longer_than_release_stops_speaking(void**) {
    SpeakingDetector detector;
    Millis now = 0;
    feed(detector, now, kTone, 200);
    assert_int_equal(static_cast<int>(feed(detector, now, kSilence, 1000)), static_cast<int>(Change::Stopped));
    assert_false(detector.speaking());
}

void quiet_publisher_is_seen_from_outside_and_reset_rearms(void**) {
    SpeakingDetector detector;
    Millis now = 0;
    feed(detector, now, kTone, 200);
    assert_false(detector.quietFor(now));
    assert_true(detector.quietFor(now + 600));  // no packets at all for the release time
    detector.requestReset();
    // After a forced stop, the next voice starts speaking again.
    assert_int_equal(static_cast<int>(feed(detector, now, kTone, 200)), static_cast<int>(Change::Started));
}

void thresholds_are_configurable(void**) {
    SpeakingThresholds strict;
    strict.voiceLevel = 10;  // -13 dBov no longer counts as voice
    SpeakingDetector detector(strict);
    Millis now = 0;
    assert_int_equal(static_cast<int>(feed(detector, now, kTone, 500)), static_cast<int>(Change::None));
    assert_true(detector.sawAudioLevel());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(voice_longer_than_attack_starts_speaking),
        cmocka_unit_test(a_click_shorter_than_attack_does_not),
        cmocka_unit_test(pauses_between_words_keep_speaking),
        cmocka_unit_test(silence_longer_than_release_stops_speaking),
        cmocka_unit_test(quiet_publisher_is_seen_from_outside_and_reset_rearms),
        cmocka_unit_test(thresholds_are_configurable),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
