// What the media plane needs from the media server it runs in, and nothing
// more: the Janus adapter implements it (janus/janus_media_port.cpp), the
// unit tests implement it with a fake (tests/unit/test_media_plane.cpp).
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <cstddef>
#include <cstdint>

namespace gochat::sfu {

// One RTP packet as it arrived from a publisher. The media plane rewrites
// the header in place for each subscriber line and restores it afterwards.
struct MediaPacket {
    uint8_t* buffer = nullptr;
    size_t length = 0;
    bool video = false;
    int mindex = 0;          // the line it arrived on; set to the subscriber's line in relay()
    int audioLevel = -1;     // RFC 6464 level (0..127), -1 without the extension
    void* native = nullptr;  // the server's own packet, handed back in relay()
};

class MediaPort {
public:
    virtual ~MediaPort() = default;

    virtual int64_t nowUs() const = 0;  // monotonic microseconds

    // --- called on media threads, per packet: must not block or allocate
    // Hands `packet` (header rewritten, mindex = the subscriber's line) to `peer`.
    virtual void relay(void* peer, const MediaPacket& packet) = 0;
    // The peer's PeerConnection is being torn down: send it nothing.
    virtual bool peerStopped(void* peer) const = 0;

    // --- any thread, never under a lock of the plane
    // Asks the publisher behind `peer` for a keyframe on its own video line.
    virtual void sendKeyframeRequest(void* peer) = 0;
    // Asks the publisher behind `peer` to keep its video under
    // `bitsPerSecond` (a REMB on its own video line).
    virtual void sendBitrateCap(void* peer, uint32_t bitsPerSecond) = 0;

    // --- notifications for the control plane: queued, never blocking
    virtual void speakingChanged(SessionId session, bool speaking) = 0;
    virtual void payloadTypeSeen(SessionId session, MediaKind kind, int payloadType) = 0;
    // A keyframe request waits for its rate-limit window to end: the
    // control plane calls MediaPlane::sendDeferredKeyframes() soon.
    virtual void keyframeDeferred() = 0;
};

}  // namespace gochat::sfu
