// RTP as the load generator sends and reads it: headers with the one-byte
// header extensions it uses (RFC 6464 audio level, RFC 8843 mid), the
// pre-built Opus payloads of each kind of sender, VP8 payloads with the
// payload descriptor (RFC 7741) and a key frame header receivers can spot,
// and the RTCP feedback it reacts to (PLI, FIR). No codec work: payloads are
// the right size and shape, not decodable speech. Pure; unit-tested in
// tests/unit/test_loadgen_rtp.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gochat::loadgen {

constexpr size_t kMaxRtpPacket = 1500;
constexpr uint32_t kOpusClock = 48000;
constexpr uint32_t kVideoClock = 90000;

// The header extension ids negotiated for a line; 0 = not negotiated.
struct RtpExtensionIds {
    int audioLevel = 0;
    int mid = 0;
};

struct RtpHeaderFields {
    uint8_t payloadType = 0;
    bool marker = false;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    // RFC 6464: voice activity flag and level in -dBov (0 loudest, 127 silence); < 0: none.
    int audioLevel = -1;
    bool voice = false;
    std::string_view mid;  // empty: none
};

// Writes header, extensions and payload into `out` (kMaxRtpPacket bytes);
// returns the packet length, 0 when it does not fit.
size_t buildRtpPacket(uint8_t* out, const RtpHeaderFields& fields, const RtpExtensionIds& ids, const uint8_t* payload,
                      size_t payloadLength);

// What a received RTP packet says (after SRTP): header fields and, when
// present with the given ids, the audio level and mid.
struct RtpView {
    RtpHeaderFields header;
    const uint8_t* payload = nullptr;
    size_t payloadLength = 0;
};
bool parseRtpPacket(const uint8_t* data, size_t length, const RtpExtensionIds& ids, RtpView& out);

// RFC 5761 demultiplexing of one rtcp-mux'ed packet: RTCP packet types 192-223.
inline bool isRtcp(const uint8_t* data, size_t length) { return length >= 2 && data[1] >= 192 && data[1] <= 223; }
// A compound RTCP packet holds a picture loss indication (PSFB FMT 1) or a
// full intra request (PSFB FMT 4).
bool rtcpRequestsKeyframe(const uint8_t* data, size_t length);

// Writes a compound RTCP keyframe request from `senderSsrc` about
// `mediaSsrc` into `out` (44 bytes): a receiver report with one block about
// `mediaSsrc`, then a picture loss indication (RFC 4585 6.3.1), as browsers
// send it. Janus 1.1.2 finds the line of incoming RTCP by the sender SSRC,
// else by the first report block (a lone PLI matches no line), so
// `senderSsrc` must be one this side never sends RTP with. Returns the length.
size_t buildKeyframeRequest(uint8_t* out, uint32_t senderSsrc, uint32_t mediaSsrc);

// The level a speaker's voiced packets carry unless told otherwise (-dBov).
constexpr int kVoiceLevel = 30;
// A speaker's packets carry the RFC 6464 voice flag at this level or louder:
// its voice activity detector calls a murmur at -120 dBov no voice.
constexpr int kVoiceFlagLevel = 50;

// What a participant's microphone sends (PROTOCOL.md 3.3, 3.6).
enum class AudioKind { Voice, Noise, Silence, Dtx };
const char* audioKindName(AudioKind kind);
bool parseAudioKind(std::string_view name, AudioKind& out);

// One Opus packet of `kind`: pre-built bytes (a TOC byte for 20 ms frames and
// filler of the size libopus produces for that kind of input) and the level
// the sender reports for it.
struct OpusFrame {
    const uint8_t* bytes;
    size_t length;
    int level;   // RFC 6464 level, -dBov
    bool voice;  // RFC 6464 V flag
};
// `index` varies the voiced packet sizes as a real encoder's would.
OpusFrame opusFrame(AudioKind kind, uint32_t index);
// Milliseconds between two packets: 20, or 400 for DTX (one comfort noise
// frame every 400 ms, as Opus DTX in WebRTC sends).
uint32_t opusPacketIntervalMs(AudioKind kind);

// Writes one VP8 RTP payload (RFC 7741 descriptor + data) of `length` bytes
// for the packet starting at byte `offset` of a frame; the first packet of a
// key frame carries the VP8 key frame header (start code, 640x360). Returns
// the bytes written.
size_t buildVp8Payload(uint8_t* out, size_t length, bool keyframe, bool firstPacketOfFrame, uint16_t pictureId);
// Whether a VP8 RTP payload starts a key frame (what a receiver checks).
bool vp8PayloadIsKeyframe(const uint8_t* payload, size_t length);

}  // namespace gochat::loadgen
