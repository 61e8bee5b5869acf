// Reading clients' SDP (janus/sdp_reader.cpp), table-driven: each case is
// an SDP (as Janus hands it to the plugin: anonymised, no candidates) and
// the per-line summary the core must get, or a refusal.
#include "plugins/gochat-sfu/janus/sdp_reader.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>
#include <vector>

using namespace gochat::sfu;

namespace {

const char* kSession = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n";

// A Chromium answer to a server offer: its own audio sent (Opus, with the
// RED and DTMF formats it keeps), its camera off (inactive), one remote
// camera received with VP8 and its rtx.
const std::string kChromiumAnswer =
    std::string(kSession) +
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 126\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103\r\na=mid:1\r\na=inactive\r\na=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:97 rtx/90000\r\na=rtpmap:98 VP9/90000\r\na=rtpmap:99 rtx/90000\r\na=rtpmap:102 H264/90000\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:2\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n";

struct AnswerCase {
    const char* name;
    std::string sdp;
    bool parses;
    std::vector<AnsweredLine> lines;  // when it parses
};

std::vector<AnswerCase> answerCases() {
    const std::string oneAudio =
        std::string(kSession) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n";
    return {
        {"chromium answer",
         kChromiumAnswer,
         true,
         {{0, MediaKind::Audio, Direction::SendOnly, "opus", {"opus"}},
          {1, MediaKind::Video, Direction::Inactive, "vp8", {"vp8", "vp9", "h264"}},
          {2, MediaKind::Video, Direction::RecvOnly, "vp8", {"vp8"}}}},
        {"no direction attribute is sendrecv",
         oneAudio,
         true,
         {{0, MediaKind::Audio, Direction::SendRecv, "opus", {"opus"}}}},
        {"port 0 is inactive",
         std::string(kSession) +
             "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n",
         true,
         {{0, MediaKind::Audio, Direction::Inactive, "opus", {"opus"}}}},
        {"newline-only line ends",
         "v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 RTP/AVP 111\na=rtpmap:111 OPUS/48000/2\na=recvonly\n",
         true,
         {{0, MediaKind::Audio, Direction::RecvOnly, "opus", {"opus"}}}},
        {"codecs the SFU does not forward are left out",
         std::string(kSession) + "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n",
         true,
         {{0, MediaKind::Audio, Direction::SendRecv, "", {}}}},
        {"a data channel is skipped but counted",
         std::string(kSession) + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n" +
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\n",
         true,
         {{1, MediaKind::Audio, Direction::SendRecv, "opus", {"opus"}}}},
        {"no session at all", "", false, {}},
        {"not an SDP", "hello world", false, {}},
        {"no version line first", "o=- 1 2 IN IP4 0.0.0.0\r\nv=0\r\n", false, {}},
        {"garbage port", std::string(kSession) + "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", false, {}},
        {"garbage format", std::string(kSession) + "m=video 9 UDP/TLS/RTP/SAVPF 96 vp8\r\n", false, {}},
        {"truncated m line", std::string(kSession) + "m=audio 9\r\n", false, {}},
    };
}

void each_answer_reads_as_the_table_says(void**) {
    for (const AnswerCase& c : answerCases()) {
        const std::optional<std::vector<AnsweredLine>> lines = readAnswer(c.sdp);
        if (lines.has_value() != c.parses) fail_msg("%s: parses %d, expected %d", c.name, lines.has_value(), c.parses);
        if (!c.parses) continue;
        if (lines->size() != c.lines.size())
            fail_msg("%s: %zu lines, expected %zu", c.name, lines->size(), c.lines.size());
        for (size_t i = 0; i < c.lines.size(); ++i) {
            const AnsweredLine& got = (*lines)[i];
            const AnsweredLine& want = c.lines[i];
            if (got.mindex != want.mindex || got.kind != want.kind || got.direction != want.direction ||
                got.codec != want.codec || got.codecs != want.codecs)
                fail_msg("%s: line %zu differs (mindex %d, direction %d, codec '%s', %zu codecs)", c.name, i,
                         got.mindex, static_cast<int>(got.direction), got.codec.c_str(), got.codecs.size());
        }
    }
}

struct OfferCase {
    const char* name;
    std::string sdp;
    bool parses;
    std::vector<OfferedLine> lines;
};

std::vector<OfferCase> offerCases() {
    const std::string audio =
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"
        "a=rtpmap:0 PCMU/8000\r\n";
    const std::string video =
        "m=video 9 UDP/TLS/RTP/SAVPF 100 101 98\r\na=mid:1\r\na=sendonly\r\na=rtpmap:100 VP8/90000\r\n"
        "a=rtpmap:101 rtx/90000\r\na=rtpmap:98 opus/48000/2\r\n";
    return {
        {"the client's own payload types are kept",
         kSession + audio + video,
         true,
         {{0, MediaKind::Audio, "0", Direction::SendRecv, {{"opus", 111}}},
          // opus on a video line is no video codec
          {1, MediaKind::Video, "1", Direction::SendOnly, {{"vp8", 100}}}}},
        {"a data channel is refused",
         kSession + audio + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n",
         false,
         {}},
        {"a line without a mid is refused",
         std::string(kSession) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
         false,
         {}},
        {"a mid longer than 16 characters is refused",
         std::string(kSession) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:abcdefghijklmnopq\r\n",
         false,
         {}},
        {"not an SDP", "v=1\r\n", false, {}},
    };
}

void each_offer_reads_as_the_table_says(void**) {
    for (const OfferCase& c : offerCases()) {
        const std::optional<std::vector<OfferedLine>> lines = readOffer(c.sdp);
        if (lines.has_value() != c.parses) fail_msg("%s: parses %d, expected %d", c.name, lines.has_value(), c.parses);
        if (!c.parses) continue;
        if (lines->size() != c.lines.size())
            fail_msg("%s: %zu lines, expected %zu", c.name, lines->size(), c.lines.size());
        for (size_t i = 0; i < c.lines.size(); ++i) {
            const OfferedLine& got = (*lines)[i];
            const OfferedLine& want = c.lines[i];
            if (got.mindex != want.mindex || got.kind != want.kind || got.mid != want.mid ||
                got.direction != want.direction || got.codecs != want.codecs)
                fail_msg("%s: line %zu differs (mid '%s', direction %d, %zu codecs)", c.name, i, got.mid.c_str(),
                         static_cast<int>(got.direction), got.codecs.size());
        }
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_answer_reads_as_the_table_says),
        cmocka_unit_test(each_offer_reads_as_the_table_says),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
