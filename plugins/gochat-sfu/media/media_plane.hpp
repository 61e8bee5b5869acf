// The media plane: the per-packet relay, keyframe requests and their rate
// limit, and the publication of fan-out snapshots the relay reads. It knows
// the media server only through MediaPort (docs/architecture.md, Media
// plane).
//
// Threads: onRtp/onKeyframeRequest/onPeerUp run on the session's own media
// thread; requestKeyframe on any thread; everything else on the handler
// thread. No mutex anywhere: see media_session.hpp for the snapshots.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/media/media_counters.hpp"
#include "plugins/gochat-sfu/media/media_port.hpp"
#include "plugins/gochat-sfu/media/media_session.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace gochat::sfu {

class MediaPlane {
public:
    // At most one keyframe request per publisher per this many ms (the
    // server does not throttle them); one inside the window is deferred to
    // its end, never dropped: a late joiner would otherwise see nothing.
    static constexpr int64_t kKeyframeIntervalMs = 1000;

    explicit MediaPlane(MediaPort& port) : port_(port) {}

    // --- the session's own media thread
    // One packet from `publisher`: speaking detection, then one relay per
    // subscriber line of the publication's current fan-out.
    void onRtp(MediaSession& publisher, MediaPacket& packet);
    // A keyframe request (PLI/FIR) the subscriber's client sent, filed by
    // the server under `mindex`: it goes to the publisher that line receives
    // from, or, when that is not a receiving video line, to every publisher
    // the subscriber receives video from.
    void onKeyframeRequest(MediaSession& subscriber, int mindex);
    // DTLS is up: lines answered before could not receive the keyframes
    // asked for then, so every video source is asked again.
    void onPeerUp(MediaSession& subscriber);

    // --- any thread
    void requestKeyframe(MediaSession& publisher);

    // --- handler thread
    using SessionLookup = std::function<std::shared_ptr<MediaSession>(SessionId)>;
    // Makes `change` the publication's fan-out. Lines leaving it pause, and
    // resume with continuous numbering if listed again with the same binding.
    void installFanout(const std::shared_ptr<MediaSession>& publisher, const SetFanout& change,
                       const SessionLookup& find);
    // The session left: its snapshots go.
    void forget(const std::shared_ptr<MediaSession>& session);
    // Sends the keyframe requests whose window ended.
    void sendDeferredKeyframes(const std::vector<std::shared_ptr<MediaSession>>& sessions);
    bool keyframesWaiting() const { return deferredKeyframes_.load() > 0; }
    // Frees replaced snapshots nobody reads any more.
    void collectRetired();
    bool retiredWaiting() const { return !retired_.empty(); }

    // --- any thread: what the packet path counted (GET /metrics).
    const MediaCounters& counters() const { return counters_; }

private:
    struct Retired {
        std::shared_ptr<MediaSession> reader;  // whose media thread may still read it
        std::shared_ptr<const void> snapshot;
    };
    void retire(const std::shared_ptr<MediaSession>& reader, std::shared_ptr<const void> snapshot);
    void setVideoSource(const std::shared_ptr<MediaSession>& subscriber, int mindex,
                        const std::shared_ptr<MediaSession>& publisher);
    void dropVideoSource(const std::shared_ptr<MediaSession>& subscriber, int mindex, const MediaSession* publisher);
    void reportPayloadType(MediaSession& publisher, MediaKind kind, int payloadType);
    void detectSpeaking(MediaSession& publisher, int audioLevel);
    int64_t nowMs() const { return port_.nowUs() / 1000; }

    MediaPort& port_;
    MediaCounters counters_;                 // media threads add, scrapes read
    std::atomic<int> deferredKeyframes_{0};  // publishers with a request waiting
    std::vector<Retired> retired_;           // handler thread
};

}  // namespace gochat::sfu
