// The load generator's SDP: reading an offer the plugin really wrote (own
// audio and video lines, then a remote audio and a remote VP8 line with
// RTX), answering it line by line, and writing what Janus needs.
#include "tools/loadgen/sdp.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>

using namespace gochat::loadgen;

namespace {

// The second offer user 1234567890123456789 got from the plugin once user
// 2234567890123456789 (camera on) had joined, as Janus sent it (half-trickle).
const std::string kPluginOffer = R"(v=0
o=- 2 2 IN IP4 198.18.0.1
s=GoChat SFU
t=0 0
a=group:BUNDLE 0 1 2 3
a=ice-options:trickle
a=fingerprint:sha-256 0F:EF:73:CA:D1:91:A8:B5:2B:94:95:48:42:F5:BF:6E:B3:FC:C9:AC:AA:AF:B1:DF:A0:75:87:F1:B9:62:6E:DB
a=extmap-allow-mixed
a=msid-semantic: WMS *
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 198.18.0.1
a=recvonly
a=mid:0
a=rtcp-mux
a=ice-ufrag:jfkU
a=ice-pwd:johaG1nB+DzLsgT4qX0y7R
a=ice-options:trickle
a=setup:actpass
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=fmtp:111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1
a=msid:janus janus0
a=ssrc:1024390048 cname:janus
a=candidate:1 1 udp 2015363327 198.18.0.1 34567 typ host
a=end-of-candidates
m=video 9 UDP/TLS/RTP/SAVPF 96 98 102 97 99 103
c=IN IP4 198.18.0.1
a=recvonly
a=mid:1
a=rtcp-mux
a=ice-ufrag:jfkU
a=ice-pwd:johaG1nB+DzLsgT4qX0y7R
a=ice-options:trickle
a=setup:actpass
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=fmtp:98 profile-id=0
a=rtpmap:102 H264/90000
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=fmtp:102 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=msid:janus janus1
a=ssrc:2397739905 cname:janus
a=candidate:1 1 udp 2015363327 198.18.0.1 34567 typ host
a=end-of-candidates
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 198.18.0.1
a=sendonly
a=mid:2
a=rtcp-mux
a=ice-ufrag:jfkU
a=ice-pwd:johaG1nB+DzLsgT4qX0y7R
a=ice-options:trickle
a=setup:actpass
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=fmtp:111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1
a=msid:user-2234567890123456789 audio-2234567890123456789-2
a=ssrc:1624303399 cname:janus
a=candidate:1 1 udp 2015363327 198.18.0.1 34567 typ host
a=end-of-candidates
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 198.18.0.1
a=sendonly
a=mid:3
a=rtcp-mux
a=ice-ufrag:jfkU
a=ice-pwd:johaG1nB+DzLsgT4qX0y7R
a=ice-options:trickle
a=setup:actpass
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 3006139616 1613607967
a=msid:user-2234567890123456789 video-2234567890123456789-3
a=ssrc:3006139616 cname:janus
a=ssrc:1613607967 cname:janus
a=candidate:1 1 udp 2015363327 198.18.0.1 34567 typ host
a=end-of-candidates)";

SdpSession parsed(const std::string& text) {
    SdpSession session;
    std::string error;
    assert_true(parseSdp(text, session, error));
    return session;
}

void plugin_offer_is_read_line_by_line(void**) {
    const SdpSession offer = parsed(kPluginOffer);
    assert_int_equal(offer.version, 2);
    assert_int_equal(offer.media.size(), 4);
    assert_int_equal(offer.bundle.size(), 4);
    assert_string_equal(offer.fingerprintValue().substr(0, 8).c_str(), "sha-256 ");
    assert_false(offer.ufrag().empty());
    assert_false(offer.pwd().empty());
    assert_int_equal(offer.candidates().size(), 1);  // the same host candidate on every line, once
    const SdpMedia& ownAudio = offer.media[0];
    assert_string_equal(ownAudio.mid.c_str(), "0");
    assert_int_equal(static_cast<int>(ownAudio.direction), static_cast<int>(Direction::RecvOnly));
    assert_int_equal(ownAudio.extmapId(kAudioLevelUri), 1);
    assert_int_equal(ownAudio.extmapId(kMidUri), 4);
    assert_true(ownAudio.endOfCandidates);
    const SdpMedia& ownVideo = offer.media[1];
    assert_string_equal(ownVideo.primaryCodec()->name.c_str(), "VP8");
    assert_int_equal(ownVideo.extmapId(kAudioLevelUri), 0);
    const SdpMedia& remoteAudio = offer.media[2];
    assert_int_equal(static_cast<int>(remoteAudio.direction), static_cast<int>(Direction::SendOnly));
    assert_string_equal(remoteAudio.msidStream.c_str(), "user-2234567890123456789");
    assert_int_equal(remoteAudio.ssrcs.size(), 1);
    const SdpMedia& remoteVideo = offer.media[3];
    assert_int_equal(remoteVideo.ssrcs.size(), 2);  // media and RTX
    assert_int_equal(remoteVideo.primaryCodec()->payloadType, 96);
    assert_int_equal(remoteVideo.primaryCodec()->clockRate, 90000);
}

void usedtx_in_the_fmtp_asks_for_dtx(void**) {
    SdpSession offer = parsed(kPluginOffer);
    SdpMedia& ownAudio = offer.media[0];
    assert_false(offersDtx(ownAudio, 111));  // this offer predates DTX
    ownAudio.codecs[0].fmtp = "minptime=10;useinbandfec=1; usedtx=1";
    assert_true(offersDtx(ownAudio, 111));
    assert_false(offersDtx(ownAudio, 96));  // no such format on the line
    ownAudio.codecs[0].fmtp = "usedtx=0";
    assert_false(offersDtx(ownAudio, 111));
}

void answer_lines_keep_the_offered_codec_and_extension_ids(void**) {
    const SdpSession offer = parsed(kPluginOffer);
    const LocalLine audio = answerLine(offer.media[0], answerDirection(offer.media[0].direction, true, false));
    assert_int_equal(static_cast<int>(audio.direction), static_cast<int>(Direction::SendOnly));
    assert_int_equal(audio.codecs.size(), 1);
    assert_string_equal(audio.codecs[0].name.c_str(), "opus");
    assert_int_equal(audio.codecs[0].channels, 2);
    assert_true(audio.codecs[0].feedback.empty());  // transport-cc is not answered
    assert_int_equal(audio.extmaps.size(), 2);
    const LocalLine video = answerLine(offer.media[3], answerDirection(offer.media[3].direction, false, true));
    assert_int_equal(static_cast<int>(video.direction), static_cast<int>(Direction::RecvOnly));
    assert_int_equal(video.codecs.size(), 1);              // no RTX
    assert_int_equal(video.codecs[0].feedback.size(), 3);  // nack, nack pli, ccm fir
    assert_int_equal(video.extmaps.size(), 1);             // mid only
    assert_int_equal(video.extmaps[0].first, 4);
}

void answer_directions_follow_the_offer(void**) {
    assert_int_equal(static_cast<int>(answerDirection(Direction::RecvOnly, true, false)),
                     static_cast<int>(Direction::SendOnly));
    assert_int_equal(static_cast<int>(answerDirection(Direction::RecvOnly, false, true)),
                     static_cast<int>(Direction::Inactive));
    assert_int_equal(static_cast<int>(answerDirection(Direction::SendOnly, true, true)),
                     static_cast<int>(Direction::RecvOnly));
    assert_int_equal(static_cast<int>(answerDirection(Direction::SendRecv, true, true)),
                     static_cast<int>(Direction::SendRecv));
    assert_int_equal(static_cast<int>(answerDirection(Direction::Inactive, true, true)),
                     static_cast<int>(Direction::Inactive));
}

void written_answer_reads_back_with_our_transport(void**) {
    const SdpSession offer = parsed(kPluginOffer);
    std::vector<LocalLine> lines;
    for (size_t i = 0; i < offer.media.size(); ++i) {
        LocalLine line = answerLine(offer.media[i], answerDirection(offer.media[i].direction, i == 0, i >= 2));
        if (i == 0) {
            line.ssrc = 42;
            line.msidStream = "loadgen-1";
            line.msidTrack = "audio-1";
        }
        lines.push_back(line);
    }
    LocalTransport local;
    local.ufrag = "ufrg";
    local.pwd = "passwordpasswordpassword";
    local.fingerprint = "sha-256 AA:BB";
    local.candidates = {"candidate:1 1 UDP 2015363327 198.18.0.2 5000 typ host"};
    const std::string text = writeSdp(lines, local, 77, 2);
    assert_true(text.find("a=group:BUNDLE 0 1 2 3\r\n") != std::string::npos);
    const SdpSession answer = parsed(text);
    assert_int_equal(answer.version, 2);
    assert_int_equal(answer.media.size(), 4);
    assert_string_equal(answer.media[0].setup.c_str(), "active");
    assert_string_equal(answer.ufrag().c_str(), "ufrg");
    assert_int_equal(answer.media[0].ssrcs.size(), 1);
    assert_int_equal(answer.media[0].ssrcs[0], 42);
    assert_int_equal(static_cast<int>(answer.media[1].direction), static_cast<int>(Direction::Inactive));
    assert_true(answer.media[1].ssrcs.empty());
    assert_int_equal(static_cast<int>(answer.media[3].direction), static_cast<int>(Direction::RecvOnly));
    assert_int_equal(answer.media[0].candidates.size(), 1);  // candidates on the first bundled line only
    assert_true(answer.media[3].candidates.empty());
}

void data_channel_lines_are_refused_and_garbage_is_not_sdp(void**) {
    const SdpSession offer = parsed(
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "a=mid:d\r\n");
    const LocalLine line = answerLine(offer.media[0], Direction::SendRecv);
    assert_int_equal(line.port, 0);
    assert_true(writeSdp({line}, LocalTransport{}, 1, 1).find("m=application 0 ") != std::string::npos);
    SdpSession session;
    std::string error;
    assert_false(parseSdp("hello", session, error));
    assert_false(parseSdp("v=0\r\ns=-\r\n", session, error));
    assert_false(parseSdp("v=0\r\nm=audio\r\n", session, error));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(plugin_offer_is_read_line_by_line),
        cmocka_unit_test(usedtx_in_the_fmtp_asks_for_dtx),
        cmocka_unit_test(answer_lines_keep_the_offered_codec_and_extension_ids),
        cmocka_unit_test(answer_directions_follow_the_offer),
        cmocka_unit_test(written_answer_reads_back_with_our_transport),
        cmocka_unit_test(data_channel_lines_are_refused_and_garbage_is_not_sdp),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
