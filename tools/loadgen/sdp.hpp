// The SDP the load generator reads (the SFU's offers, Janus's answers) and
// writes (its answers, and the VideoRoom publisher's offer). It reads what
// it needs of each m-line (kind, mid, direction, codecs, header extension
// ids, SSRCs, MSID, ICE and DTLS attributes, candidates) and writes only the
// attributes Janus needs from a peer. Pure; unit-tested in
// tests/unit/test_loadgen_sdp.cpp with an offer the plugin really wrote.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gochat::loadgen {

constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";

enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };
const char* directionName(Direction direction);
// What the answerer says to an offered direction when it wants to send
// (`send`) or receive (`receive`) as far as the offer allows.
Direction answerDirection(Direction offered, bool send, bool receive);

struct SdpCodec {
    int payloadType = -1;
    std::string name;  // as written in rtpmap ("opus", "VP8", "rtx")
    uint32_t clockRate = 0;
    int channels = 0;  // 0: not written
    std::string fmtp;
    std::vector<std::string> feedback;  // rtcp-fb values after the payload type
};

struct SdpMedia {
    std::string kind;  // audio, video, application
    int port = 9;
    std::string proto;
    std::vector<int> payloadTypes;  // in m-line order
    std::vector<SdpCodec> codecs;   // in m-line order
    std::string mid;
    Direction direction = Direction::SendRecv;
    std::vector<std::pair<int, std::string>> extmaps;  // id, uri
    std::vector<uint32_t> ssrcs;                       // a=ssrc lines, each once, in order
    std::string msidStream;
    std::string msidTrack;
    std::string iceUfrag, icePwd, fingerprint, setup;
    std::vector<std::string> candidates;  // "candidate:..." (without "a=")
    bool endOfCandidates = false;

    int extmapId(std::string_view uri) const;  // 0 when not negotiated
    const SdpCodec* codec(int payloadType) const;
    // The first codec that is not a retransmission format (rtx, red, ulpfec).
    const SdpCodec* primaryCodec() const;
};

struct SdpSession {
    uint64_t sessionId = 0;
    uint64_t version = 0;
    std::vector<std::string> bundle;
    std::string iceUfrag, icePwd, fingerprint, setup;  // session level
    std::vector<SdpMedia> media;

    // ICE and DTLS values of the bundle: the first m-line's, else the session's.
    std::string ufrag() const;
    std::string pwd() const;
    std::string fingerprintValue() const;         // "sha-256 AB:CD:..."
    std::vector<std::string> candidates() const;  // of every m-line, each once
};

bool parseSdp(std::string_view text, SdpSession& out, std::string& error);

// Whether the format `payloadType` of `media` asks for Opus DTX (usedtx=1
// in its fmtp: what the receiver of that line prefers, RFC 7587).
bool offersDtx(const SdpMedia& media, int payloadType);

// ---- writing

struct LocalTransport {
    std::string ufrag, pwd;
    std::string fingerprint;  // "sha-256 AB:CD:..."
    std::string setup = "active";
    std::vector<std::string> candidates;  // "candidate:..." written inline
};

struct LocalLine {
    std::string kind;
    int port = 9;  // 0: rejected
    std::string proto = "UDP/TLS/RTP/SAVPF";
    std::string mid;
    Direction direction = Direction::Inactive;
    std::vector<SdpCodec> codecs;
    std::vector<std::pair<int, std::string>> extmaps;
    uint32_t ssrc = 0;  // written with cname and msid when sending
    std::string msidStream, msidTrack;
};

// The answer line for one offered m-line: its mid and kind, the offer's
// primary codec (with its rtcp-fb), the audio-level and mid extensions at
// the offered ids, and `direction`; an m=application line or a refused one
// is answered with port 0.
LocalLine answerLine(const SdpMedia& offered, Direction direction);

std::string writeSdp(const std::vector<LocalLine>& lines, const LocalTransport& local, uint64_t sessionId,
                     uint64_t version);

}  // namespace gochat::loadgen
