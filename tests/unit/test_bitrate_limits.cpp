// Bitrate limits (docs/operations.md, Bitrate limits): the audio cap's SDP
// values, the window judge (time injected: no test sleeps), the monitor
// that reads the counters once a second, sends REMBs and passes verdicts
// on, and what the packet path counts.
#include "plugins/gochat-sfu/core/audio_bitrate_judge.hpp"
#include "plugins/gochat-sfu/core/bitrate_limits.hpp"
#include "plugins/gochat-sfu/media/bitrate_monitor.hpp"
#include "plugins/gochat-sfu/media/media_plane.hpp"
#include "plugins/gochat-sfu/media/rtp_header.hpp"
#include "tests/unit/cmocka.hpp"

#include <array>
#include <memory>
#include <utility>
#include <vector>

using namespace gochat::sfu;

namespace {

using Verdicts = std::vector<AudioBitrateJudge::Verdict>;

// ---- the SDP values

void no_audio_cap_writes_nothing(void**) {
    const AudioLineCap cap = audioLineCap(BitrateLimits{});
    assert_true(cap.opusParameters.empty());
    assert_null(cap.bandwidthType);
}

void the_audio_cap_is_maxaveragebitrate_and_tias_in_bits_per_second(void**) {
    BitrateLimits limits;
    limits.maxAudioKbps = 32;
    const AudioLineCap cap = audioLineCap(limits);
    assert_string_equal(cap.opusParameters.c_str(), ";maxaveragebitrate=32000");
    assert_string_equal(cap.bandwidthType, "TIAS");
    assert_int_equal(cap.bandwidthValue, 32000);
    // Enforcement changes nothing in the SDP.
    limits.enforceAudio = true;
    assert_string_equal(audioLineCap(limits).opusParameters.c_str(), ";maxaveragebitrate=32000");
}

// ---- the judge: a 32 kbps cap + 15 % allows 36800 bps

constexpr int64_t kLimit = 36'800;
constexpr SessionId kAlice = 1, kBob = 2;

// Bytes a publisher sends in `ms` at `bps`.
uint64_t bytesAt(int64_t bps, Millis ms) { return static_cast<uint64_t>(bps * ms / 8000); }

void two_consecutive_windows_over_the_limit_remove_the_publisher(void**) {
    AudioBitrateJudge judge(kLimit);
    uint64_t total = 0;
    Millis now = 5'000;
    assert_true(judge.judge({{kAlice, 0}}, now).empty());  // nothing sent yet: no window
    total += 100;
    assert_true(judge.judge({{kAlice, total}}, now += 250).empty());  // audio: the first window starts here
    total += bytesAt(99'000, 1000);
    Verdicts first = judge.judge({{kAlice, total}}, now += 1000);
    assert_int_equal(first.size(), 1);
    assert_int_equal(first[0].session, kAlice);
    assert_int_equal(first[0].measuredBps, 99'000);
    assert_int_equal(first[0].windowsOver, 1);
    assert_false(first[0].remove);
    total += bytesAt(99'000, 1000);
    Verdicts second = judge.judge({{kAlice, total}}, now += 1000);
    assert_int_equal(second.size(), 1);
    assert_int_equal(second[0].windowsOver, 2);
    assert_true(second[0].remove);
    assert_int_equal(judge.tracked(), 0);  // removed: forgotten
}

void a_publisher_under_the_limit_is_never_judged_over(void**) {
    AudioBitrateJudge judge(kLimit);
    uint64_t total = 1;
    Millis now = 0;
    judge.judge({{kAlice, total}}, now);
    for (int second = 0; second < 60; ++second) {
        total += bytesAt(kLimit, 1000);  // exactly at the limit is not over it
        assert_true(judge.judge({{kAlice, total}}, now += 1000).empty());
    }
}

void one_window_over_then_one_under_starts_counting_again(void**) {
    AudioBitrateJudge judge(kLimit);
    uint64_t total = 1;
    Millis now = 0;
    judge.judge({{kAlice, total}}, now);
    const int64_t pattern[] = {50'000, 20'000, 50'000, 20'000, 50'000, 20'000};
    for (int64_t bps : pattern) {
        total += bytesAt(bps, 1000);
        for (const AudioBitrateJudge::Verdict& verdict : judge.judge({{kAlice, total}}, now += 1000)) {
            assert_int_equal(verdict.windowsOver, 1);  // a spike is tolerated
            assert_false(verdict.remove);
        }
    }
    // A silent window (a client that stops sending) resets the count too.
    total += bytesAt(50'000, 1000);
    assert_int_equal(judge.judge({{kAlice, total}}, now += 1000)[0].windowsOver, 1);
    assert_true(judge.judge({{kAlice, total}}, now += 1000).empty());
    total += bytesAt(50'000, 1000);
    assert_int_equal(judge.judge({{kAlice, total}}, now += 1000)[0].windowsOver, 1);
}

void a_window_lasts_at_least_a_second_and_is_judged_on_the_time_that_passed(void**) {
    AudioBitrateJudge judge(kLimit);
    uint64_t total = 1;
    Millis now = 0;
    judge.judge({{kAlice, total}}, now);
    // Readings inside the window (the handler runs its timers after every
    // request) judge nothing.
    total += bytesAt(99'000, 999);
    assert_true(judge.judge({{kAlice, total}}, now += 999).empty());
    // A late tick: 40000 bps over 2.5 s, not the bytes of 2.5 s taken as one second.
    total = 1 + bytesAt(40'000, 2500);
    Verdicts late = judge.judge({{kAlice, total}}, now = 2500);
    assert_int_equal(late.size(), 1);
    assert_int_equal(late[0].measuredBps, 40'000);
    // 30000 bps over 2.5 s is under the limit, though its bytes would be
    // over it in one second.
    AudioBitrateJudge other(kLimit);
    other.judge({{kBob, 1}}, 0);
    assert_true(other.judge({{kBob, 1 + bytesAt(30'000, 2500)}}, 2500).empty());
}

void publishers_are_judged_apart_and_forgotten_when_gone(void**) {
    AudioBitrateJudge judge(kLimit);
    uint64_t alice = 1, bob = 1;
    Millis now = 0;
    judge.judge({{kAlice, alice}, {kBob, bob}}, now);
    assert_int_equal(judge.tracked(), 2);
    alice += bytesAt(99'000, 1000);
    bob += bytesAt(20'000, 1000);
    Verdicts verdicts = judge.judge({{kAlice, alice}, {kBob, bob}}, now += 1000);
    assert_int_equal(verdicts.size(), 1);
    assert_int_equal(verdicts[0].session, kAlice);
    // Alice leaves before her second window: forgotten, and a session with
    // her id later starts from nothing.
    assert_true(judge.judge({{kBob, bob}}, now += 1000).empty());
    assert_int_equal(judge.tracked(), 1);
    alice += bytesAt(99'000, 1000);
    assert_true(judge.judge({{kAlice, alice}, {kBob, bob}}, now += 1000).empty());  // a new first window
    alice += bytesAt(99'000, 1000);
    assert_int_equal(judge.judge({{kAlice, alice}, {kBob, bob}}, now += 1000)[0].windowsOver, 1);
}

// ---- the monitor

class FakePort final : public MediaPort {
public:
    int64_t nowUs() const override { return 0; }
    void relay(void*, const MediaPacket&) override {}
    bool peerStopped(void*) const override { return false; }
    void sendKeyframeRequest(void*) override {}
    void sendBitrateCap(void* peer, uint32_t bitsPerSecond) override { caps.emplace_back(peer, bitsPerSecond); }
    void speakingChanged(SessionId, bool) override {}
    void payloadTypeSeen(SessionId, MediaKind, int) override {}
    void keyframeDeferred() override {}

    std::vector<std::pair<void*, uint32_t>> caps;
};

struct Sessions {
    std::array<int, 3> peers{};
    std::vector<std::shared_ptr<MediaSession>> all;
    Sessions() {
        for (SessionId id = 1; id <= peers.size(); ++id)
            all.push_back(std::make_shared<MediaSession>(id, std::shared_ptr<void>(&peers[id - 1], [](void*) {}),
                                                         SpeakingThresholds{}));
    }
    MediaSession& operator[](SessionId id) { return *all[id - 1]; }
    void* peer(SessionId id) { return &peers[id - 1]; }
};

void the_monitor_sleeps_without_limits(void**) {
    FakePort port;
    BitrateLimits asked;
    asked.maxAudioKbps = 32;  // asked in the SDP only: nothing to measure
    BitrateMonitor monitor(port, asked);
    assert_false(monitor.active());
    assert_false(monitor.nextDeadline().has_value());
    Sessions sessions;
    sessions[1].countInbound(MediaKind::Video, 5000);
    assert_true(monitor.tick(sessions.all, 0).empty());
    assert_true(port.caps.empty());
}

void video_publishers_get_a_remb_when_their_video_starts_then_every_second(void**) {
    FakePort port;
    BitrateLimits limits;
    limits.maxVideoKbps = 150;
    BitrateMonitor monitor(port, limits);
    assert_true(monitor.active());
    assert_int_equal(*monitor.nextDeadline(), 0);  // due at once
    Sessions sessions;
    sessions[1].countInbound(MediaKind::Video, 1200);
    sessions[2].countInbound(MediaKind::Audio, 160);  // audio only: no REMB
    monitor.tick(sessions.all, 10'000);
    assert_int_equal(port.caps.size(), 1);
    assert_ptr_equal(port.caps[0].first, sessions.peer(1));
    assert_int_equal(port.caps[0].second, 150'000);
    assert_int_equal(*monitor.nextDeadline(), 10'250);
    // Not due yet: nothing (the handler runs its timers after every request).
    sessions[1].countInbound(MediaKind::Video, 1200);
    monitor.tick(sessions.all, 10'100);
    assert_int_equal(port.caps.size(), 1);
    // The next poll: alice had hers 250 ms ago; a camera that starts gets
    // its first at once.
    sessions[3].countInbound(MediaKind::Video, 900);
    monitor.tick(sessions.all, 10'250);
    assert_int_equal(port.caps.size(), 2);
    assert_ptr_equal(port.caps[1].first, sessions.peer(3));
    // A second after her last one, alice (still sending) gets the next;
    // carol, whose camera stopped, none.
    for (Millis now = 10'500; now <= 11'000; now += 250) {
        sessions[1].countInbound(MediaKind::Video, 1200);
        monitor.tick(sessions.all, now);
    }
    assert_int_equal(port.caps.size(), 3);
    assert_ptr_equal(port.caps[2].first, sessions.peer(1));
    monitor.tick(sessions.all, 12'000);  // nobody's video grew
    assert_int_equal(port.caps.size(), 3);
    // Nobody connected: no deadline until a request runs the timers again.
    monitor.tick({}, 13'000);
    assert_false(monitor.nextDeadline().has_value());
    monitor.tick(sessions.all, 13'100);
    assert_int_equal(*monitor.nextDeadline(), 13'350);
}

void the_monitor_passes_the_judges_verdicts_on(void**) {
    FakePort port;
    BitrateLimits limits;
    limits.maxAudioKbps = 32;
    limits.enforceAudio = true;
    BitrateMonitor monitor(port, limits);
    Sessions sessions;
    Millis now = 0;
    sessions[1].countInbound(MediaKind::Audio, 100);
    sessions[2].countInbound(MediaKind::Audio, 100);
    assert_true(monitor.tick(sessions.all, now).empty());
    std::vector<SessionId> removed;
    for (int second = 0; second < 3; ++second) {
        sessions[1].countInbound(MediaKind::Audio, bytesAt(99'000, 1000));  // aiortc's Opus, say
        sessions[2].countInbound(MediaKind::Audio, bytesAt(30'000, 1000));
        for (const AudioBitrateJudge::Verdict& verdict : monitor.tick(sessions.all, now += 1000)) {
            assert_int_equal(verdict.session, 1);
            if (verdict.remove) removed.push_back(verdict.session);
        }
    }
    assert_int_equal(removed.size(), 1);
    assert_true(port.caps.empty());  // no video cap: no REMB
}

// ---- the packet path

void the_packet_path_counts_payload_bytes_per_kind_forwarded_or_not(void**) {
    FakePort port;
    MediaPlane plane(port);
    Sessions sessions;
    // 12 header + 1 CSRC + a 2-word header extension + 80 bytes of payload.
    std::array<uint8_t, 12 + 4 + 4 + 8 + 80> buffer{};
    buffer[0] = 0x80 | 0x10 | 0x01;  // version 2, X, one CSRC
    rtp::setPayloadType(buffer.data(), 111);
    buffer[16] = 0xbe, buffer[17] = 0xde, buffer[18] = 0, buffer[19] = 2;
    MediaPacket packet;
    packet.buffer = buffer.data();
    packet.length = buffer.size();
    packet.mindex = 0;
    plane.onRtp(sessions[1], packet);  // nobody receives it: counted all the same
    plane.onRtp(sessions[1], packet);
    assert_int_equal(sessions[1].inboundPayloadBytes(MediaKind::Audio), 160);
    assert_int_equal(sessions[1].inboundPayloadBytes(MediaKind::Video), 0);
    packet.mindex = 3;  // not its own line: dropped, not counted
    plane.onRtp(sessions[1], packet);
    assert_int_equal(sessions[1].inboundPayloadBytes(MediaKind::Audio), 160);
    // A header extension that claims more than the packet holds counts nothing.
    buffer[19] = 200;
    packet.mindex = 0;
    plane.onRtp(sessions[1], packet);
    assert_int_equal(sessions[1].inboundPayloadBytes(MediaKind::Audio), 160);
    assert_int_equal(rtp::payloadBytes(buffer.data(), 12), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_audio_cap_writes_nothing),
        cmocka_unit_test(the_audio_cap_is_maxaveragebitrate_and_tias_in_bits_per_second),
        cmocka_unit_test(two_consecutive_windows_over_the_limit_remove_the_publisher),
        cmocka_unit_test(a_publisher_under_the_limit_is_never_judged_over),
        cmocka_unit_test(one_window_over_then_one_under_starts_counting_again),
        cmocka_unit_test(a_window_lasts_at_least_a_second_and_is_judged_on_the_time_that_passed),
        cmocka_unit_test(publishers_are_judged_apart_and_forgotten_when_gone),
        cmocka_unit_test(the_monitor_sleeps_without_limits),
        cmocka_unit_test(video_publishers_get_a_remb_when_their_video_starts_then_every_second),
        cmocka_unit_test(the_monitor_passes_the_judges_verdicts_on),
        cmocka_unit_test(the_packet_path_counts_payload_bytes_per_kind_forwarded_or_not),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
