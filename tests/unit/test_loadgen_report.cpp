// The load generator's plan (who speaks, who has a camera, which room), its
// command line, and the figures of its report: percentiles, who heard which
// speaker, loss sums, exact int64 ids in the JSON.
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/runner.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>
#include <vector>

using namespace gochat::loadgen;

namespace {

void percentiles_are_nearest_rank(void**) {
    std::vector<double> values;
    for (int i = 100; i >= 1; --i) values.push_back(i);
    assert_true(percentile(values, 50) == 50);
    assert_true(percentile(values, 95) == 95);
    assert_true(percentile(values, 99) == 99);
    assert_true(percentile(values, 100) == 100);
    assert_true(percentile({}, 50) == 0);
    assert_true(percentile({7}, 99) == 7);
}

void plan_fills_rooms_with_speakers_first_and_spreads_cameras(void**) {
    Options options;
    options.participants = 10;
    options.roomSize = 4;
    options.speakers = 2;
    options.channel = 100;
    options.videoShare = 0.3;
    options.others = AudioKind::Dtx;
    const std::vector<ParticipantSpec> specs = planParticipants(options, 1234567890123456000);
    assert_int_equal(specs.size(), 10);
    int cameras = 0;
    for (const ParticipantSpec& spec : specs) {
        assert_int_equal(spec.channel, 100 + spec.index / 4);
        assert_int_equal(spec.speaker, spec.index % 4 < 2);
        assert_int_equal(static_cast<int>(spec.audio),
                         static_cast<int>(spec.speaker ? AudioKind::Voice : AudioKind::Dtx));
        assert_int_equal(spec.userId, 1234567890123456000 + spec.index);
        cameras += spec.video ? 1 : 0;
    }
    assert_int_equal(cameras, 3);
}

void command_line_is_read_and_checked(void**) {
    std::vector<std::string> words = {"loadgen",
                                      "--secret",
                                      "s",
                                      "--participants",
                                      "200",
                                      "--speakers",
                                      "3",
                                      "--others",
                                      "dtx",
                                      "--video-share",
                                      "0.25",
                                      "--duration",
                                      "30",
                                      "--channel",
                                      "1234567890123456789",
                                      "--mode",
                                      "videoroom",
                                      "--quiet"};
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    Options options;
    std::string error;
    assert_true(parseOptions(static_cast<int>(argv.size()), argv.data(), options, error));
    assert_int_equal(options.participants, 200);
    assert_int_equal(options.channel, 1234567890123456789);
    assert_int_equal(static_cast<int>(options.others), static_cast<int>(AudioKind::Dtx));
    assert_true(options.videoShare == 0.25 && options.duration == 30 && options.quiet);
    assert_int_equal(static_cast<int>(options.mode), static_cast<int>(Mode::VideoRoom));
    const std::vector<std::vector<std::string>> wrong = {
        {"loadgen", "--participants", "20"},                // gochat needs a secret
        {"loadgen", "--secret", "s", "--others", "voice"},  // everyone else cannot be a speaker
        {"loadgen", "--secret", "s", "--video-share", "1.5"},
        {"loadgen", "--secret", "s", "--participants", "zero"},
        {"loadgen", "--secret", "s", "--bogus"},
        {"loadgen", "--secret", "s", "extra"},
    };
    for (std::vector<std::string> line : wrong) {
        std::vector<char*> args;
        for (std::string& word : line) args.push_back(word.data());
        assert_false(parseOptions(static_cast<int>(args.size()), args.data(), options, error));
        assert_false(error.empty());
    }
}

void speech_churn_window_and_dtx_options_are_read(void**) {
    std::vector<std::string> words = {"loadgen", "--secret",       "s",       "--speakers",
                                      "3",       "--levels",       "30,-,45", "--change-after",
                                      "4",       "--levels-after", "-,30,=",  "--churn",
                                      "2",       "--window",       "5",       "--duration",
                                      "10",      "--dtx",          "off",     "--videoroom-opus-dtx"};
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    Options options;
    std::string error;
    assert_true(parseOptions(static_cast<int>(argv.size()), argv.data(), options, error));
    assert_true(options.levels == (std::vector<int>{30, kNotTalking, 45}));
    assert_true(options.levelsAfter == (std::vector<int>{kNotTalking, 30, kUnchanged}));
    assert_true(options.changeAfter == 4 && options.churnPerSecond == 2 && options.window == 5);
    assert_false(options.honourDtx);
    assert_true(options.videoRoomOpusDtx);
    const std::vector<ParticipantSpec> specs = planParticipants(options, 1000);
    assert_int_equal(specs[0].level, 30);
    assert_int_equal(specs[1].level, kNotTalking);
    assert_int_equal(specs[2].level, 45);
    assert_int_equal(specs[3].level, kVoiceLevel);  // not a speaker: unused
    const std::vector<std::vector<std::string>> wrong = {
        {"loadgen", "--secret", "s", "--levels", "30,200"},
        {"loadgen", "--secret", "s", "--levels", "="},        // "=" only after a change
        {"loadgen", "--secret", "s", "--change-after", "3"},  // without the levels
        {"loadgen", "--secret", "s", "--window", "20"},       // longer than --duration
        {"loadgen", "--secret", "s", "--dtx", "maybe"},
    };
    for (std::vector<std::string> line : wrong) {
        std::vector<char*> args;
        for (std::string& word : line) args.push_back(word.data());
        assert_false(parseOptions(static_cast<int>(args.size()), args.data(), options, error));
    }
}

ParticipantSummary person(int index, int64_t user, bool speaker) {
    ParticipantSummary p;
    p.spec.index = index;
    p.spec.userId = user;
    p.spec.channel = 9;
    p.spec.speaker = speaker;
    p.spec.audio = speaker ? AudioKind::Voice : AudioKind::Silence;
    p.joined = p.connected = true;
    p.openedUs = 1000000;
    return p;
}

StreamSummary heard(int64_t from, int64_t firstUs, int64_t lost) {
    StreamSummary s;
    s.remoteId = from;
    s.packets = 100;
    s.expected = static_cast<uint64_t>(100 + lost);
    s.lost = lost;
    s.firstUs = firstUs;
    return s;
}

void aggregate_counts_speaker_pairs_heard_and_losses(void**) {
    const int64_t a = 1234567890123456789, b = 1234567890123456790, c = 1234567890123456791;
    std::vector<ParticipantSummary> people = {person(0, a, true), person(1, b, true), person(2, c, false)};
    people[0].streams = {heard(b, 1100000, 0), heard(c, 1050000, 0)};
    people[1].streams = {heard(c, 1200000, 2)};  // never heard speaker a
    people[2].streams = {heard(a, 1300000, -1), heard(b, 1400000, 0)};
    people[2].error = "ICE failed";
    const Aggregate totals = aggregate(people);
    assert_int_equal(totals.speakerPairs, 4);  // a<-b, b<-a, c<-a, c<-b
    assert_int_equal(totals.heardPairs, 3);
    assert_int_equal(totals.firstAudioMs.size(), 3);
    assert_true(percentile(totals.firstAudioMs, 100) == 400);
    assert_int_equal(totals.lost, 2);  // duplicates (-1) do not cancel a loss
    assert_int_equal(totals.failed, 1);
    assert_int_equal(totals.streams, 5);

    RunClock clock;
    clock.startUs = 0;
    clock.rampEndUs = 1000000;
    clock.endUs = 11000000;
    clock.steadyCpuSeconds = 0.3;
    Options options;
    options.participants = 3;
    const std::string json = reportJson(options, clock, people).dump();
    assert_true(json.find("\"user_id\":1234567890123456789") != std::string::npos);
    assert_true(json.find("\"remote\":1234567890123456790") != std::string::npos);
    assert_true(json.find("\"heard_pairs\":3") != std::string::npos);
    assert_true(json.find("\"error\":\"ICE failed\"") != std::string::npos);
    assert_true(json.find("\"steady_percent_of_core_per_participant\":1.0") != std::string::npos);
}

void aggregate_measures_new_talkers_and_churn_joins(void**) {
    std::vector<ParticipantSummary> people = {person(0, 1, true), person(1, 2, true), person(2, 3, false),
                                              person(3, 4, false)};
    people[1].startedTalkingAtChange = true;  // speaker 2 starts at the change (5 s)
    StreamSummary fromStarter = heard(2, 1100000, 0);
    fromStarter.firstVoiceAfterMarkUs = 5040000;
    people[0].streams = {heard(2, 1100000, 0)};  // heard 2 before, but no voice after the change
    people[2].streams = {fromStarter, heard(1, 1100000, 0)};
    people[3].spec.churner = true;
    people[3].openedUs = 6000000;  // joined after the change: not an onset pair
    people[3].streams = {heard(1, 6200000, 0), heard(2, 6300000, 0)};
    const Aggregate totals = aggregate(people, 5000000);
    assert_int_equal(totals.onsetPairs, 2);  // 1<-2 and 3<-2
    assert_int_equal(totals.onsetToVoiceMs.size(), 1);
    assert_true(totals.onsetToVoiceMs[0] == 40);
    assert_int_equal(totals.churnJoins, 1);
    assert_true(totals.churnFirstAudioMs == (std::vector<double>{200, 300}));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_are_nearest_rank),
        cmocka_unit_test(plan_fills_rooms_with_speakers_first_and_spreads_cameras),
        cmocka_unit_test(command_line_is_read_and_checked),
        cmocka_unit_test(speech_churn_window_and_dtx_options_are_read),
        cmocka_unit_test(aggregate_counts_speaker_pairs_heard_and_losses),
        cmocka_unit_test(aggregate_measures_new_talkers_and_churn_joins),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
