// The load generator's packets: RTP headers with the RFC 6464 audio level
// and mid extensions, the Opus payload kinds, VP8 key frames, RTCP
// keyframe requests and RFC 5761 demultiplexing.
#include "tools/loadgen/rtp.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstring>

using namespace gochat::loadgen;

namespace {

void audio_packet_carries_level_and_mid_in_one_byte_extensions(void**) {
    RtpHeaderFields fields;
    fields.payloadType = 111;
    fields.sequence = 0xBEEF;
    fields.timestamp = 0x01020304;
    fields.ssrc = 0xCAFEBABE;
    fields.audioLevel = 30;
    fields.voice = true;
    fields.mid = "0";
    RtpExtensionIds ids;
    ids.audioLevel = 1;
    ids.mid = 4;
    const uint8_t payload[3] = {0x78, 0xAA, 0xBB};
    uint8_t packet[kMaxRtpPacket];
    const size_t length = buildRtpPacket(packet, fields, ids, payload, sizeof payload);
    // 12 header + 4 extension header + 4 (level 2 bytes, mid 2 bytes) + 3 payload
    assert_int_equal(length, 23);
    assert_int_equal(packet[0], 0x90);  // version 2, X
    assert_int_equal(packet[1], 111);
    const uint8_t extension[8] = {0xBE, 0xDE, 0x00, 0x01, 0x10, 0x80 | 30, 0x40, '0'};
    assert_memory_equal(packet + 12, extension, sizeof extension);
    RtpView view;
    assert_true(parseRtpPacket(packet, length, ids, view));
    assert_int_equal(view.header.sequence, 0xBEEF);
    assert_int_equal(view.header.timestamp, 0x01020304);
    assert_int_equal(view.header.ssrc, 0xCAFEBABE);
    assert_int_equal(view.header.audioLevel, 30);
    assert_true(view.header.voice);
    assert_true(view.header.mid == "0");
    assert_int_equal(view.payloadLength, 3);
    assert_memory_equal(view.payload, payload, 3);
}

void no_negotiated_extension_means_a_plain_header(void**) {
    RtpHeaderFields fields;
    fields.payloadType = 96;
    fields.marker = true;
    fields.audioLevel = 30;
    const uint8_t payload[1] = {1};
    uint8_t packet[kMaxRtpPacket];
    assert_int_equal(buildRtpPacket(packet, fields, RtpExtensionIds{}, payload, 1), 13);
    assert_int_equal(packet[0], 0x80);
    assert_int_equal(packet[1], 0x80 | 96);
    RtpView view;
    assert_true(parseRtpPacket(packet, 13, RtpExtensionIds{}, view));
    assert_true(view.header.marker);
    assert_int_equal(view.header.audioLevel, -1);
}

void parser_skips_csrcs_and_padding_and_refuses_truncation(void**) {
    // version 2, padding, one CSRC; then 2 payload bytes and 2 bytes of padding
    const uint8_t packet[] = {0xA1, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0x55, 0x66, 0, 2};
    RtpView view;
    assert_true(parseRtpPacket(packet, sizeof packet, RtpExtensionIds{}, view));
    assert_int_equal(view.payloadLength, 2);
    assert_int_equal(view.payload[0], 0x55);
    assert_false(parseRtpPacket(packet, 11, RtpExtensionIds{}, view));
    const uint8_t version1[12] = {0x40};
    assert_false(parseRtpPacket(version1, sizeof version1, RtpExtensionIds{}, view));
    const uint8_t shortExtension[] = {0x90, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 5, 0x10, 30};
    assert_false(parseRtpPacket(shortExtension, sizeof shortExtension, RtpExtensionIds{}, view));
}

void opus_kinds_have_their_sizes_levels_and_cadence(void**) {
    for (uint32_t i = 0; i < 8; ++i) {
        const OpusFrame voice = opusFrame(AudioKind::Voice, i);
        assert_true(voice.length >= 60 && voice.length <= 120);
        assert_int_equal(voice.level, 30);
        assert_true(voice.voice);
    }
    const OpusFrame noise = opusFrame(AudioKind::Noise, 0);
    assert_true(noise.length < 60 && noise.level >= 100 && !noise.voice);
    const OpusFrame silence = opusFrame(AudioKind::Silence, 0);
    assert_true(silence.length <= 4 && silence.level == 127 && !silence.voice);
    assert_int_equal(opusPacketIntervalMs(AudioKind::Voice), 20);
    assert_int_equal(opusPacketIntervalMs(AudioKind::Silence), 20);
    assert_int_equal(opusPacketIntervalMs(AudioKind::Dtx), 400);
    AudioKind kind;
    assert_true(parseAudioKind("dtx", kind) && kind == AudioKind::Dtx);
    assert_false(parseAudioKind("loud", kind));
}

void vp8_key_frames_are_recognised_and_only_on_the_first_packet(void**) {
    uint8_t payload[200];
    assert_int_equal(buildVp8Payload(payload, sizeof payload, true, true, 300), sizeof payload);
    assert_true(vp8PayloadIsKeyframe(payload, sizeof payload));
    assert_int_equal(payload[2], 0x80 | 1);  // 15-bit picture id 300
    assert_int_equal(payload[3], 300 & 0xFF);
    buildVp8Payload(payload, sizeof payload, true, false, 300);
    assert_false(vp8PayloadIsKeyframe(payload, sizeof payload));
    buildVp8Payload(payload, sizeof payload, false, true, 301);
    assert_false(vp8PayloadIsKeyframe(payload, sizeof payload));
    // A descriptor without extensions (X = 0), as other senders write it.
    const uint8_t plain[11] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
    assert_true(vp8PayloadIsKeyframe(plain, sizeof plain));
}

void rtcp_is_told_apart_and_keyframe_requests_found(void**) {
    const uint8_t receiverReport[8] = {0x80, 201, 0, 1, 0, 0, 0, 1};
    const uint8_t compound[20] = {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    const uint8_t fir[20] = {0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0};
    assert_true(isRtcp(receiverReport, sizeof receiverReport));
    assert_false(rtcpRequestsKeyframe(receiverReport, sizeof receiverReport));
    assert_true(rtcpRequestsKeyframe(compound, sizeof compound));
    assert_true(rtcpRequestsKeyframe(fir, sizeof fir));
    uint8_t request[44];
    assert_int_equal(buildKeyframeRequest(request, 1, 2), 44);
    assert_true(isRtcp(request, sizeof request) && rtcpRequestsKeyframe(request, sizeof request));
    // A receiver report whose first block names the stream (Janus finds the line by it), then the PLI.
    const uint8_t reportHead[12] = {0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2};
    const uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    assert_memory_equal(request, reportHead, sizeof reportHead);
    assert_memory_equal(request + 32, pli, sizeof pli);
    const uint8_t opusWithMarker[2] = {0x80, 0x80 | 111};  // 239: RTP, not RTCP
    const uint8_t vp8WithMarker[2] = {0x80, 0x80 | 96};    // 224
    assert_false(isRtcp(opusWithMarker, 2));
    assert_false(isRtcp(vp8WithMarker, 2));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(audio_packet_carries_level_and_mid_in_one_byte_extensions),
        cmocka_unit_test(no_negotiated_extension_means_a_plain_header),
        cmocka_unit_test(parser_skips_csrcs_and_padding_and_refuses_truncation),
        cmocka_unit_test(opus_kinds_have_their_sizes_levels_and_cadence),
        cmocka_unit_test(vp8_key_frames_are_recognised_and_only_on_the_first_packet),
        cmocka_unit_test(rtcp_is_told_apart_and_keyframe_requests_found),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
