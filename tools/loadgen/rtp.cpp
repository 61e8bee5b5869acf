#include "tools/loadgen/rtp.hpp"

#include <array>
#include <cstring>

namespace gochat::loadgen {

namespace {

constexpr uint16_t kOneByteProfile = 0xBEDE;  // RFC 8285 one-byte header extensions

void put16(uint8_t* at, uint16_t value) {
    at[0] = static_cast<uint8_t>(value >> 8);
    at[1] = static_cast<uint8_t>(value);
}
void put32(uint8_t* at, uint32_t value) {
    for (int i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}
uint16_t get16(const uint8_t* at) { return static_cast<uint16_t>((at[0] << 8) | at[1]); }
uint32_t get32(const uint8_t* at) {
    return (uint32_t{at[0]} << 24) | (uint32_t{at[1]} << 16) | (uint32_t{at[2]} << 8) | at[3];
}

// Writes the one-byte extension block; returns its length (0: none).
size_t writeExtensions(uint8_t* out, const RtpHeaderFields& fields, const RtpExtensionIds& ids) {
    uint8_t elements[32];
    size_t used = 0;
    if (ids.audioLevel > 0 && ids.audioLevel < 15 && fields.audioLevel >= 0) {
        elements[used++] = static_cast<uint8_t>(ids.audioLevel << 4);  // length 1 -> L = 0
        elements[used++] = static_cast<uint8_t>((fields.voice ? 0x80 : 0) | (fields.audioLevel & 0x7F));
    }
    if (ids.mid > 0 && ids.mid < 15 && !fields.mid.empty() && fields.mid.size() <= 16) {
        elements[used++] = static_cast<uint8_t>((ids.mid << 4) | (fields.mid.size() - 1));
        std::memcpy(elements + used, fields.mid.data(), fields.mid.size());
        used += fields.mid.size();
    }
    if (used == 0) return 0;
    const size_t words = (used + 3) / 4;
    put16(out, kOneByteProfile);
    put16(out + 2, static_cast<uint16_t>(words));
    std::memcpy(out + 4, elements, used);
    std::memset(out + 4 + used, 0, words * 4 - used);
    return 4 + words * 4;
}

void readExtensions(const uint8_t* block, size_t length, const RtpExtensionIds& ids, RtpHeaderFields& out) {
    size_t at = 0;
    while (at < length) {
        const uint8_t first = block[at];
        if (first == 0) {  // padding
            ++at;
            continue;
        }
        const int id = first >> 4;
        const size_t size = static_cast<size_t>(first & 0x0F) + 1;
        if (id == 15 || at + 1 + size > length) return;
        const uint8_t* value = block + at + 1;
        if (id == ids.audioLevel && ids.audioLevel > 0) {
            out.voice = value[0] & 0x80;
            out.audioLevel = value[0] & 0x7F;
        } else if (id == ids.mid && ids.mid > 0) {
            out.mid = std::string_view(reinterpret_cast<const char*>(value), size);
        }
        at += 1 + size;
    }
}

// Filler for payloads: fixed pseudo-random bytes, so packets look like
// compressed data to anything that inspects them, at no cost per packet.
const std::array<uint8_t, kMaxRtpPacket>& fillerBytes() {
    static const std::array<uint8_t, kMaxRtpPacket> bytes = [] {
        std::array<uint8_t, kMaxRtpPacket> out{};
        uint32_t state = 0x2545F491u;
        for (auto& byte : out) {
            state = state * 1664525u + 1013904223u;
            byte = static_cast<uint8_t>(state >> 24);
        }
        return out;
    }();
    return bytes;
}

// TOC bytes (RFC 6716 3.1), one 20 ms frame (code 0), mono: config 15 is
// hybrid fullband (speech), 9 SILK wideband (quiet noise), 31 CELT fullband
// (what libopus emits for digital silence).
constexpr uint8_t kTocHybrid20 = 15 << 3;
constexpr uint8_t kTocSilk20 = 9 << 3;
constexpr uint8_t kTocCelt20 = 31 << 3;

struct OpusTable {
    std::array<std::array<uint8_t, 128>, 4> voiced;  // four sizes, cycled
    std::array<uint8_t, 40> noise;
    std::array<uint8_t, 3> silence;
    std::array<uint8_t, 6> dtx;
};
constexpr size_t kVoicedSizes[4] = {88, 104, 120, 96};

const OpusTable& opusTable() {
    static const OpusTable table = [] {
        OpusTable t{};
        const auto& filler = fillerBytes();
        for (size_t i = 0; i < t.voiced.size(); ++i) {
            std::memcpy(t.voiced[i].data(), filler.data() + 17 * i, t.voiced[i].size());
            t.voiced[i][0] = kTocHybrid20;
        }
        std::memcpy(t.noise.data(), filler.data() + 300, t.noise.size());
        t.noise[0] = kTocSilk20;
        t.silence = {kTocCelt20, 0xFF, 0xFE};
        std::memcpy(t.dtx.data(), filler.data() + 400, t.dtx.size());
        t.dtx[0] = kTocSilk20;
        return t;
    }();
    return table;
}

}  // namespace

size_t buildRtpPacket(uint8_t* out, const RtpHeaderFields& fields, const RtpExtensionIds& ids, const uint8_t* payload,
                      size_t payloadLength) {
    uint8_t extensions[40];
    const size_t extensionLength = writeExtensions(extensions, fields, ids);
    const size_t total = 12 + extensionLength + payloadLength;
    if (total > kMaxRtpPacket) return 0;
    out[0] = static_cast<uint8_t>(0x80 | (extensionLength ? 0x10 : 0));
    out[1] = static_cast<uint8_t>((fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7F));
    put16(out + 2, fields.sequence);
    put32(out + 4, fields.timestamp);
    put32(out + 8, fields.ssrc);
    std::memcpy(out + 12, extensions, extensionLength);
    if (payloadLength) std::memcpy(out + 12 + extensionLength, payload, payloadLength);
    return total;
}

bool parseRtpPacket(const uint8_t* data, size_t length, const RtpExtensionIds& ids, RtpView& out) {
    if (length < 12 || (data[0] >> 6) != 2) return false;
    out = RtpView{};
    RtpHeaderFields& header = out.header;
    header.marker = data[1] & 0x80;
    header.payloadType = data[1] & 0x7F;
    header.sequence = get16(data + 2);
    header.timestamp = get32(data + 4);
    header.ssrc = get32(data + 8);
    size_t at = 12 + 4 * static_cast<size_t>(data[0] & 0x0F);
    if (at > length) return false;
    if (data[0] & 0x10) {
        if (at + 4 > length) return false;
        const uint16_t profile = get16(data + at);
        const size_t words = get16(data + at + 2);
        if (at + 4 + 4 * words > length) return false;
        if (profile == kOneByteProfile) readExtensions(data + at + 4, 4 * words, ids, header);
        at += 4 + 4 * words;
    }
    size_t end = length;
    if (data[0] & 0x20) {  // padding: the last byte says how much
        const uint8_t padding = data[length - 1];
        if (padding == 0 || padding > end - at) return false;
        end -= padding;
    }
    out.payload = data + at;
    out.payloadLength = end - at;
    return true;
}

bool rtcpRequestsKeyframe(const uint8_t* data, size_t length) {
    size_t at = 0;
    while (at + 4 <= length) {
        const uint8_t fmt = data[at] & 0x1F;
        const uint8_t type = data[at + 1];
        const size_t size = 4 * (static_cast<size_t>(get16(data + at + 2)) + 1);
        if (type == 206 && (fmt == 1 || fmt == 4)) return true;
        at += size;
    }
    return false;
}

size_t buildKeyframeRequest(uint8_t* out, uint32_t senderSsrc, uint32_t mediaSsrc) {
    out[0] = 0x81;  // version 2, one report block
    out[1] = 201;   // receiver report
    put16(out + 2, 7);
    put32(out + 4, senderSsrc);
    std::memset(out + 8, 0, 24);  // the block: nothing lost, no timing
    put32(out + 8, mediaSsrc);
    uint8_t* pli = out + 32;
    pli[0] = 0x81;  // version 2, FMT 1
    pli[1] = 206;   // payload-specific feedback
    put16(pli + 2, 2);
    put32(pli + 4, senderSsrc);
    put32(pli + 8, mediaSsrc);
    return 44;
}

const char* audioKindName(AudioKind kind) {
    switch (kind) {
        case AudioKind::Voice: return "voice";
        case AudioKind::Noise: return "noise";
        case AudioKind::Silence: return "silence";
        case AudioKind::Dtx: return "dtx";
    }
    return "?";
}

bool parseAudioKind(std::string_view name, AudioKind& out) {
    for (AudioKind kind : {AudioKind::Voice, AudioKind::Noise, AudioKind::Silence, AudioKind::Dtx}) {
        if (name == audioKindName(kind)) {
            out = kind;
            return true;
        }
    }
    return false;
}

OpusFrame opusFrame(AudioKind kind, uint32_t index) {
    const OpusTable& table = opusTable();
    switch (kind) {
        case AudioKind::Voice: {
            const size_t which = index % table.voiced.size();
            return {table.voiced[which].data(), kVoicedSizes[which], kVoiceLevel, true};
        }
        case AudioKind::Noise: return {table.noise.data(), table.noise.size(), 100, false};
        case AudioKind::Silence: return {table.silence.data(), table.silence.size(), 127, false};
        case AudioKind::Dtx: return {table.dtx.data(), table.dtx.size(), 127, false};
    }
    return {table.silence.data(), table.silence.size(), 127, false};
}

uint32_t opusPacketIntervalMs(AudioKind kind) { return kind == AudioKind::Dtx ? 400 : 20; }

size_t buildVp8Payload(uint8_t* out, size_t length, bool keyframe, bool firstPacketOfFrame, uint16_t pictureId) {
    constexpr size_t kDescriptor = 4;  // X=1; I=1 with a 15-bit picture id (M=1)
    if (length < kDescriptor + 10) return 0;
    out[0] = static_cast<uint8_t>(0x80 | (firstPacketOfFrame ? 0x10 : 0));  // X, S, partition 0
    out[1] = 0x80;                                                          // I
    out[2] = static_cast<uint8_t>(0x80 | ((pictureId >> 8) & 0x7F));
    out[3] = static_cast<uint8_t>(pictureId & 0xFF);
    std::memcpy(out + kDescriptor, fillerBytes().data(), length - kDescriptor);
    if (firstPacketOfFrame) {
        uint8_t* frame = out + kDescriptor;
        // RFC 6386 9.1 frame tag: P (0 = key frame), version 0, show_frame 1, first partition size.
        const uint32_t firstPartition = 100;
        const uint32_t tag = (keyframe ? 0u : 1u) | (1u << 4) | (firstPartition << 5);
        frame[0] = static_cast<uint8_t>(tag);
        frame[1] = static_cast<uint8_t>(tag >> 8);
        frame[2] = static_cast<uint8_t>(tag >> 16);
        if (keyframe) {
            frame[3] = 0x9d;
            frame[4] = 0x01;
            frame[5] = 0x2a;
            frame[6] = 640 & 0xFF;
            frame[7] = 640 >> 8;
            frame[8] = 360 & 0xFF;
            frame[9] = 360 >> 8;
        }
    }
    return length;
}

bool vp8PayloadIsKeyframe(const uint8_t* payload, size_t length) {
    if (length < 1) return false;
    size_t at = 1;
    const bool start = payload[0] & 0x10;
    const uint8_t partition = payload[0] & 0x07;
    if (payload[0] & 0x80) {  // X: extension byte
        if (length < 2) return false;
        const uint8_t x = payload[1];
        at = 2;
        if (x & 0x80) {  // I: picture id, 7 or 15 bits
            if (at >= length) return false;
            at += (payload[at] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) ++at;  // L: TL0PICIDX
        if (x & 0x30) ++at;  // T or K: TID/KEYIDX
    }
    if (!start || partition != 0 || at + 10 > length) return false;
    const uint8_t* frame = payload + at;
    return (frame[0] & 0x01) == 0 && frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a;
}

}  // namespace gochat::loadgen
