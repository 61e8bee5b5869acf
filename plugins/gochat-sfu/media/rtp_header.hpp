// The fixed RTP header fields the media plane reads and rewrites in place
// (RFC 3550 5.1), on a packet of at least kRtpHeaderBytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gochat::sfu::rtp {

constexpr size_t kRtpHeaderBytes = 12;

inline uint8_t payloadType(const uint8_t* p) { return p[1] & 0x7f; }
inline void setPayloadType(uint8_t* p, uint8_t type) { p[1] = static_cast<uint8_t>((p[1] & 0x80) | (type & 0x7f)); }
inline uint16_t sequence(const uint8_t* p) { return static_cast<uint16_t>(p[2] << 8 | p[3]); }
inline void setSequence(uint8_t* p, uint16_t value) {
    p[2] = static_cast<uint8_t>(value >> 8);
    p[3] = static_cast<uint8_t>(value);
}
inline uint32_t timestamp(const uint8_t* p) {
    return static_cast<uint32_t>(p[4]) << 24 | static_cast<uint32_t>(p[5]) << 16 | static_cast<uint32_t>(p[6]) << 8 |
           p[7];
}
inline void setTimestamp(uint8_t* p, uint32_t value) {
    p[4] = static_cast<uint8_t>(value >> 24);
    p[5] = static_cast<uint8_t>(value >> 16);
    p[6] = static_cast<uint8_t>(value >> 8);
    p[7] = static_cast<uint8_t>(value);
}
inline uint32_t ssrc(const uint8_t* p) {
    return static_cast<uint32_t>(p[8]) << 24 | static_cast<uint32_t>(p[9]) << 16 | static_cast<uint32_t>(p[10]) << 8 |
           p[11];
}

// The payload's size, padding included: what follows the fixed header,
// the CSRC list and the header extension (RFC 3550 5.1, 5.3.1); 0 when
// those claim more than the packet holds.
inline size_t payloadBytes(const uint8_t* p, size_t length) {
    size_t offset = kRtpHeaderBytes + 4 * static_cast<size_t>(p[0] & 0x0f);
    if (p[0] & 0x10) {  // X: a header extension follows the CSRCs
        if (offset + 4 > length) return 0;
        offset += 4 + 4 * (static_cast<size_t>(p[offset + 2]) << 8 | p[offset + 3]);
    }
    return offset <= length ? length - offset : 0;
}

}  // namespace gochat::sfu::rtp
