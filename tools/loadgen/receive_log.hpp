// What one participant received, per remote stream: which remote user and
// kind a packet belongs to (by SSRC as the last SDP listed it, else by its
// mid header extension), RFC 3550 packets, loss and jitter, when the first
// packet came, how many carried the voice flag, and video key frames. Pure;
// unit-tested in tests/unit/test_loadgen_media.cpp.
#pragma once

#include "tools/loadgen/rtp.hpp"
#include "tools/loadgen/rtp_stats.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

namespace gochat::loadgen {

struct StreamRoute {
    int64_t remoteId = 0;  // the remote user (GoChat) or publisher (VideoRoom)
    bool video = false;
    RtpExtensionIds ids;  // as negotiated on that line
};

struct RemoteStream {
    explicit RemoteStream(bool isVideo) : video(isVideo), stats(isVideo ? kVideoClock : kOpusClock) {}
    bool video;
    RtpStreamStats stats;
    int64_t firstUs = -1;       // arrival of the first decrypted packet
    uint64_t voicePackets = 0;  // audio packets whose RFC 6464 V flag was set
    int lastLevel = -1;
    uint64_t keyframes = 0;  // video packets starting a VP8 key frame
    uint32_t lastSsrc = 0;
    int64_t lastPliUs = -1;
    int64_t lastUs = -1;  // arrival of the latest packet
    // After the log's mark, if any.
    uint64_t packetsAfterMark = 0;
    uint64_t voiceAfterMark = 0;
    int64_t firstVoiceAfterMarkUs = -1;
};

class ReceiveLog {
public:
    // Replaces the routing table (after each negotiated SDP). Streams
    // already seen keep their statistics.
    void setRoutes(std::unordered_map<uint32_t, StreamRoute> bySsrc,
                   std::unordered_map<std::string, StreamRoute> byMid);
    void onRtp(const uint8_t* data, size_t length, int64_t arrivalUs);

    using Key = std::pair<int64_t, bool>;  // remote id, video
    const std::map<Key, RemoteStream>& streams() const { return streams_; }
    uint64_t unrouted() const { return unrouted_; }
    // Packets attributed to a stream, all streams together.
    uint64_t packets() const { return packets_; }
    // From `nowUs` on, each stream also counts what arrives after it, and
    // when its first voiced packet did (a run's level change).
    void mark(int64_t nowUs) { markUs_ = nowUs; }
    // Video streams still waiting for a key frame `intervalUs` after their
    // first packet or their last request (a browser's decoder asks the same
    // way): calls `send(ssrc)` for each stream due at `nowUs`.
    template <typename Send>
    void requestMissingKeyframes(int64_t nowUs, int64_t intervalUs, Send&& send) {
        for (auto& [key, stream] : streams_) {
            if (!stream.video || stream.keyframes > 0 || stream.lastSsrc == 0) continue;
            const int64_t since = stream.lastPliUs >= 0 ? stream.lastPliUs : stream.firstUs;
            if (nowUs - since < intervalUs) continue;
            stream.lastPliUs = nowUs;
            send(stream.lastSsrc);
        }
    }

private:
    const StreamRoute* route(const uint8_t* data, size_t length, uint32_t ssrc) const;

    std::unordered_map<uint32_t, StreamRoute> bySsrc_;
    std::unordered_map<std::string, StreamRoute> byMid_;
    int midExtensionId_ = 0;  // any line's; Janus uses one id per PeerConnection
    std::map<Key, RemoteStream> streams_;
    uint64_t unrouted_ = 0;
    uint64_t packets_ = 0;
    int64_t markUs_ = -1;
};

}  // namespace gochat::loadgen
