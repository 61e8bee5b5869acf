// What a simulated participant sends (the schedule of each audio kind,
// video frames and key frames, catching up after a stall) and how what it
// receives is attributed to remote users (by SSRC, else by mid).
#include "tools/loadgen/media_sender.hpp"
#include "tools/loadgen/receive_log.hpp"
#include "tests/unit/cmocka.hpp"

#include <vector>

using namespace gochat::loadgen;

namespace {

struct Sent {
    RtpView view;
    std::vector<uint8_t> bytes;
    bool video;
};

std::vector<Sent> pollUntil(MediaSender& sender, int64_t fromUs, int64_t toUs, int64_t stepUs) {
    std::vector<Sent> out;
    RtpExtensionIds ids;
    ids.audioLevel = 1;
    ids.mid = 4;
    for (int64_t now = fromUs; now <= toUs; now += stepUs) {
        sender.poll(now, [&](const uint8_t* packet, size_t length, bool video) {
            out.push_back(Sent{RtpView{}, std::vector<uint8_t>(packet, packet + length), video});
        });
    }
    for (Sent& sent : out) assert_true(parseRtpPacket(sent.bytes.data(), sent.bytes.size(), ids, sent.view));
    return out;
}

TrackBinding binding(uint8_t payloadType, int audioLevelId, const char* mid) {
    TrackBinding b;
    b.active = true;
    b.payloadType = payloadType;
    b.ids.audioLevel = audioLevelId;
    b.ids.mid = 4;
    b.mid = mid;
    return b;
}

void a_speaker_sends_50_voiced_packets_a_second(void**) {
    MediaSender sender(AudioKind::Voice, 1111, false, 2222, VideoSettings{});
    sender.bindAudio(binding(111, 1, "0"));
    sender.start(0);
    const std::vector<Sent> sent = pollUntil(sender, 0, 999999, 5000);
    assert_int_equal(sent.size(), 50);
    for (size_t i = 1; i < sent.size(); ++i) {
        assert_int_equal(static_cast<uint16_t>(sent[i].view.header.sequence - sent[i - 1].view.header.sequence), 1);
        assert_int_equal(sent[i].view.header.timestamp - sent[i - 1].view.header.timestamp, 960);
    }
    assert_int_equal(sent[0].view.header.ssrc, 1111);
    assert_int_equal(sent[0].view.header.payloadType, 111);
    assert_int_equal(sent[0].view.header.audioLevel, 30);
    assert_true(sent[0].view.header.voice);
    assert_true(sent[0].view.header.mid == "0");
}

void dtx_sends_one_packet_every_400_ms_with_the_clock_running(void**) {
    MediaSender sender(AudioKind::Dtx, 1111, false, 2222, VideoSettings{});
    sender.bindAudio(binding(111, 1, "0"));
    sender.start(0);
    const std::vector<Sent> sent = pollUntil(sender, 0, 1999999, 5000);
    assert_int_equal(sent.size(), 5);
    assert_int_equal(sent[1].view.header.timestamp - sent[0].view.header.timestamp, 400 * 48);
    assert_int_equal(sent[0].view.header.audioLevel, 127);
    assert_false(sent[0].view.header.voice);
}

void negotiated_dtx_turns_noise_into_one_packet_per_400_ms(void**) {
    MediaSender sender(AudioKind::Noise, 1111, false, 2222, VideoSettings{});
    sender.bindAudio(binding(111, 1, "0"));
    sender.start(0);
    assert_int_equal(pollUntil(sender, 0, 199999, 5000).size(), 10);
    sender.useDtx(true, 200000);
    assert_true(sender.currentKind() == AudioKind::Dtx);
    // The packet already due at 200 ms goes out; then one per 400 ms.
    assert_int_equal(pollUntil(sender, 200000, 1399999, 5000).size(), 3);
}

void a_talk_spurt_after_dtx_starts_at_once_on_the_same_clock(void**) {
    MediaSender sender(AudioKind::Voice, 1111, false, 2222, VideoSettings{});
    sender.bindAudio(binding(111, 1, "0"));
    sender.setSpeech(false, -1, 0);  // a speaker who does not talk yet sends its quiet kind
    sender.useDtx(true, 0);
    sender.start(0);
    std::vector<Sent> sent = pollUntil(sender, 0, 100000, 5000);  // one DTX packet at 0
    assert_int_equal(sent.size(), 1);
    assert_false(sent[0].view.header.voice);
    const uint32_t start = sent[0].view.header.timestamp;
    sender.setSpeech(true, 20, 105000);  // the next DTX packet was not due before 400 ms
    sent = pollUntil(sender, 105000, 105000, 1);
    assert_int_equal(sent.size(), 1);
    assert_true(sent[0].view.header.voice);
    assert_int_equal(sent[0].view.header.audioLevel, 20);
    // The timestamp says when the frame was taken: 105 ms after the first.
    assert_int_equal(sent[0].view.header.timestamp - start, 105 * 48);
    assert_int_equal(pollUntil(sender, 110000, 309999, 5000).size(), 10);  // 125, 145 ... 305 ms
    // A murmur far below speech carries no voice flag (a sender's VAD would not call it voice).
    sender.setSpeech(true, 120, 310000);
    sent = pollUntil(sender, 325000, 325000, 1);
    assert_int_equal(sent.size(), 1);
    assert_int_equal(sent[0].view.header.audioLevel, 120);
    assert_false(sent[0].view.header.voice);
}

void nothing_is_sent_before_start_or_on_an_unnegotiated_line(void**) {
    MediaSender idle(AudioKind::Voice, 1, false, 2, VideoSettings{});
    idle.bindAudio(binding(111, 1, "0"));
    assert_int_equal(pollUntil(idle, 0, 100000, 5000).size(), 0);
    MediaSender unbound(AudioKind::Voice, 1, false, 2, VideoSettings{});
    unbound.start(0);
    assert_int_equal(pollUntil(unbound, 0, 100000, 5000).size(), 0);
}

void a_stalled_loop_catches_up_a_little_then_skips(void**) {
    MediaSender sender(AudioKind::Silence, 1, false, 2, VideoSettings{});
    sender.bindAudio(binding(111, 1, "0"));
    sender.start(0);
    const std::vector<Sent> burst = pollUntil(sender, 1000000, 1000000, 1);  // one poll, 1 s late
    assert_int_equal(burst.size(), 5);
    assert_true(sender.skipped() > 40);
    const std::vector<Sent> after = pollUntil(sender, 1005000, 1200000, 5000);
    assert_int_equal(after.size(), 10);  // back on the 20 ms cadence
    // The timestamp kept pace with the wall clock across the skip.
    const uint32_t elapsedTicks = after.back().view.header.timestamp - burst.front().view.header.timestamp;
    assert_true(elapsedTicks >= 1180 * 48 && elapsedTicks <= 1220 * 48);
}

void video_frames_start_with_a_key_frame_and_end_with_the_marker(void**) {
    VideoSettings settings;
    settings.bitrateKbps = 240;  // 2000 bytes a frame at 15 fps: 2 packets, 6000 for a key frame
    settings.framesPerSecond = 15;
    MediaSender sender(AudioKind::Silence, 1, true, 2, settings);
    sender.bindVideo(binding(96, 0, "1"));
    sender.start(0);
    std::vector<Sent> sent = pollUntil(sender, 0, 70000, 5000);  // frames at 0 and 66.7 ms
    std::vector<Sent> video;
    for (const Sent& s : sent)
        if (s.video) video.push_back(s);
    assert_int_equal(video.size(), 6 + 2);
    assert_true(vp8PayloadIsKeyframe(video[0].view.payload, video[0].view.payloadLength));
    assert_true(video[5].view.header.marker && !video[4].view.header.marker);
    assert_int_equal(video[6].view.header.timestamp - video[0].view.header.timestamp, 6000);
    assert_false(vp8PayloadIsKeyframe(video[6].view.payload, video[6].view.payloadLength));
    sender.requestKeyframe();
    sent = pollUntil(sender, 133334, 133334, 1);
    assert_true(vp8PayloadIsKeyframe(sent[0].view.payload, sent[0].view.payloadLength));
    assert_int_equal(sender.keyframes(), 2);
}

std::vector<uint8_t> packet(uint32_t ssrc, uint16_t sequence, int level, const char* mid) {
    RtpHeaderFields fields;
    fields.payloadType = 111;
    fields.sequence = sequence;
    fields.timestamp = sequence * 960u;
    fields.ssrc = ssrc;
    fields.audioLevel = level;
    fields.voice = level < 127;
    fields.mid = mid ? mid : "";
    RtpExtensionIds ids;
    ids.audioLevel = 1;
    ids.mid = 4;
    uint8_t bytes[kMaxRtpPacket];
    const uint8_t payload[4] = {0x78, 1, 2, 3};
    const size_t length = buildRtpPacket(bytes, fields, ids, payload, sizeof payload);
    return std::vector<uint8_t>(bytes, bytes + length);
}

void receive_log_routes_by_ssrc_then_by_mid(void**) {
    StreamRoute alice;
    alice.remoteId = 1234567890123456789;
    alice.ids.audioLevel = 1;
    alice.ids.mid = 4;
    StreamRoute bob = alice;
    bob.remoteId = 2234567890123456789;
    ReceiveLog log;
    log.setRoutes({{1000, alice}}, {{"2", alice}, {"3", bob}});
    for (uint16_t i = 0; i < 10; ++i) {
        const std::vector<uint8_t> a = packet(1000, i, 30, nullptr);
        log.onRtp(a.data(), a.size(), 1000 + i * 20000);
        const std::vector<uint8_t> b = packet(5555, i, 127, "3");  // an SSRC the SDP did not list yet
        log.onRtp(b.data(), b.size(), 2000 + i * 20000);
    }
    const std::vector<uint8_t> stray = packet(9999, 1, 30, "7");
    log.onRtp(stray.data(), stray.size(), 5000);
    assert_int_equal(log.unrouted(), 1);
    assert_int_equal(log.streams().size(), 2);
    const RemoteStream& fromAlice = log.streams().at({alice.remoteId, false});
    assert_int_equal(fromAlice.stats.packets(), 10);
    assert_int_equal(fromAlice.voicePackets, 10);
    assert_int_equal(fromAlice.lastLevel, 30);
    assert_int_equal(fromAlice.firstUs, 1000);
    const RemoteStream& fromBob = log.streams().at({bob.remoteId, false});
    assert_int_equal(fromBob.stats.packets(), 10);
    assert_int_equal(fromBob.voicePackets, 0);
    assert_int_equal(fromBob.lastLevel, 127);
    // Audio streams never ask for key frames.
    int asked = 0;
    log.requestMissingKeyframes(10000000, 1000000, [&](uint32_t) { ++asked; });
    assert_int_equal(asked, 0);
    // New routes (a re-offer) keep what was counted.
    log.setRoutes({}, {});
    assert_int_equal(log.streams().at({alice.remoteId, false}).stats.packets(), 10);
}

void a_video_stream_without_key_frame_asks_once_a_second(void**) {
    StreamRoute camera;
    camera.remoteId = 7;
    camera.video = true;
    ReceiveLog log;
    log.setRoutes({{3000, camera}}, {});
    uint8_t delta[64];
    buildVp8Payload(delta, sizeof delta, false, true, 1);
    RtpHeaderFields fields;
    fields.payloadType = 96;
    fields.ssrc = 3000;
    uint8_t bytes[kMaxRtpPacket];
    const size_t length = buildRtpPacket(bytes, fields, RtpExtensionIds{}, delta, sizeof delta);
    log.onRtp(bytes, length, 1000000);
    std::vector<uint32_t> asked;
    const auto ask = [&](uint32_t ssrc) { asked.push_back(ssrc); };
    log.requestMissingKeyframes(1500000, 1000000, ask);  // too early after the first packet
    log.requestMissingKeyframes(2000000, 1000000, ask);
    log.requestMissingKeyframes(2500000, 1000000, ask);  // asked half a second ago
    log.requestMissingKeyframes(3000000, 1000000, ask);
    assert_int_equal(asked.size(), 2);
    assert_int_equal(asked[0], 3000);
    uint8_t key[64];
    buildVp8Payload(key, sizeof key, true, true, 2);
    fields.sequence = 1;
    const size_t keyLength = buildRtpPacket(bytes, fields, RtpExtensionIds{}, key, sizeof key);
    log.onRtp(bytes, keyLength, 3100000);
    log.requestMissingKeyframes(9000000, 1000000, ask);
    assert_int_equal(asked.size(), 2);
    assert_int_equal(log.streams().at({7, true}).keyframes, 1);
}

void a_mark_counts_what_arrives_after_it(void**) {
    StreamRoute alice;
    alice.remoteId = 11;
    alice.ids.audioLevel = 1;
    alice.ids.mid = 4;
    ReceiveLog log;
    log.setRoutes({{1000, alice}}, {});
    const std::vector<uint8_t> quiet = packet(1000, 1, 127, nullptr);
    log.onRtp(quiet.data(), quiet.size(), 1000);
    log.mark(5000);
    const std::vector<uint8_t> still = packet(1000, 2, 127, nullptr);
    log.onRtp(still.data(), still.size(), 6000);
    const std::vector<uint8_t> voiced = packet(1000, 3, 30, nullptr);
    log.onRtp(voiced.data(), voiced.size(), 7000);
    const RemoteStream& stream = log.streams().at({11, false});
    assert_int_equal(stream.packetsAfterMark, 2);
    assert_int_equal(stream.voiceAfterMark, 1);
    assert_int_equal(stream.firstVoiceAfterMarkUs, 7000);
    assert_int_equal(stream.lastUs, 7000);
    assert_int_equal(log.packets(), 3);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_speaker_sends_50_voiced_packets_a_second),
        cmocka_unit_test(dtx_sends_one_packet_every_400_ms_with_the_clock_running),
        cmocka_unit_test(negotiated_dtx_turns_noise_into_one_packet_per_400_ms),
        cmocka_unit_test(a_talk_spurt_after_dtx_starts_at_once_on_the_same_clock),
        cmocka_unit_test(nothing_is_sent_before_start_or_on_an_unnegotiated_line),
        cmocka_unit_test(a_stalled_loop_catches_up_a_little_then_skips),
        cmocka_unit_test(video_frames_start_with_a_key_frame_and_end_with_the_marker),
        cmocka_unit_test(receive_log_routes_by_ssrc_then_by_mid),
        cmocka_unit_test(a_video_stream_without_key_frame_asks_once_a_second),
        cmocka_unit_test(a_mark_counts_what_arrives_after_it),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
