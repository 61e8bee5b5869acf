// The media plane's object for one participant's PeerConnection: what the
// packet path needs (fan-out snapshots, keyframe rate limit, speaking
// detector), without room logic and without the media server's types.
//
// Snapshots (docs/architecture.md, Lock discipline): the handler thread
// publishes immutable snapshots through atomic pointers; the session's own
// media thread reads them inside a ReadSection, which only counts itself in
// an atomic. A replaced snapshot is freed on the handler thread once no
// ReadSection of its reader is open, so the packet path takes no mutex and
// never frees anything.
#pragma once

#include "plugins/gochat-sfu/core/speaker_selector.hpp"
#include "plugins/gochat-sfu/core/speaking_detector.hpp"
#include "plugins/gochat-sfu/core/types.hpp"
#include "plugins/gochat-sfu/media/rtp_continuity.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace gochat::sfu {

class MediaSession;

// Numbering of one subscriber line fed by one publication. Touched only on
// the publisher's media thread, except `resumePending`.
struct ForwardContext {
    RtpContinuity numbers;
    // Set by the handler when forwarding resumes after a pause (a mute, a
    // deafen): the next packet is rebased, nothing is renegotiated.
    std::atomic<bool> resumePending{false};
};

struct FanoutEntry {
    std::shared_ptr<MediaSession> subscriber;  // kept alive while listed
    int mindex = 0;                            // the subscriber's line
    std::shared_ptr<ForwardContext> context;
    uint64_t binding = 0;  // which pairing of line and publication
    int payloadType = 0;   // the subscriber line's type for the codec
};

struct Fanout {
    int sourcePayloadType = 0;  // what the publication's packets carry; others are not forwarded
    std::vector<FanoutEntry> entries;
};

// Which publisher feeds each of a subscriber's video lines that receive
// now, so a keyframe request from the subscriber reaches it.
using VideoSources = std::vector<std::pair<int, std::shared_ptr<MediaSession>>>;

class MediaSession {
public:
    // `peer` is the media server's handle for this PeerConnection; its
    // deleter releases it with the last holder of this session.
    MediaSession(SessionId id, std::shared_ptr<void> peer, SpeakingThresholds speaking)
        : id_(id), peer_(std::move(peer)), speakingDetector_(speaking) {}
    MediaSession(const MediaSession&) = delete;
    MediaSession& operator=(const MediaSession&) = delete;

    SessionId id() const { return id_; }
    void* peer() const { return peer_.get(); }

    std::atomic<bool>& started() { return started_; }  // DTLS is up
    std::atomic<bool>& closed() { return closed_; }    // destroyed: nothing more reaches it
    std::atomic<bool>& hangingUp() { return hangingUp_; }
    bool acceptsMedia() const {
        return started_.load(std::memory_order_acquire) && !closed_.load(std::memory_order_acquire);
    }

    // --- the session's own media thread
    class ReadSection {
    public:
        explicit ReadSection(const MediaSession& session) : session_(session) { session_.readers_.fetch_add(1); }
        ~ReadSection() { session_.readers_.fetch_sub(1); }
        ReadSection(const ReadSection&) = delete;
        ReadSection& operator=(const ReadSection&) = delete;

    private:
        const MediaSession& session_;
    };
    // Valid until the enclosing ReadSection ends.
    const Fanout* fanout(MediaKind kind) const { return fanoutView_[index(kind)].load(); }
    const VideoSources* videoSources() const { return videoSourcesView_.load(); }
    MediaSession* videoSourceOf(int mindex) const {
        if (const VideoSources* sources = videoSources())
            for (const auto& [line, publisher] : *sources)
                if (line == mindex) return publisher.get();
        return nullptr;
    }

    // --- handler thread: publish a snapshot, get the previous one back to
    // retire (MediaPlane::retire).
    std::shared_ptr<const Fanout> swapFanout(MediaKind kind, std::shared_ptr<const Fanout> next) {
        fanoutView_[index(kind)].store(next.get());
        return std::exchange(fanoutOwned_[index(kind)], std::move(next));
    }
    const std::shared_ptr<const Fanout>& currentFanout(MediaKind kind) const { return fanoutOwned_[index(kind)]; }
    std::shared_ptr<const VideoSources> swapVideoSources(std::shared_ptr<const VideoSources> next) {
        videoSourcesView_.store(next.get());
        return std::exchange(videoSourcesOwned_, std::move(next));
    }
    const std::shared_ptr<const VideoSources>& currentVideoSources() const { return videoSourcesOwned_; }
    // No ReadSection is open: snapshots replaced before this call are unused.
    bool quiescent() const { return readers_.load() == 0; }

    // Numbering state per own subscriber line, reused while the binding
    // stays. Handler thread only.
    struct LineForwarding {
        uint64_t binding = 0;
        std::shared_ptr<ForwardContext> context;
        bool forwarding = false;  // listed in the publisher's current fan-out
    };
    std::map<int, LineForwarding>& lineForwarding() { return lineForwarding_; }

    // Fed by this publisher's media thread with each audio packet's level.
    SpeakingDetector& speakingDetector() { return speakingDetector_; }
    // Its loudness for the room's selection of the K loudest, and the
    // verdict the relay obeys (media/loudest_speakers.hpp).
    AudioLevelMeter& levelMeter() { return levelMeter_; }
    // Media thread only: audio packets were held back by that verdict, so
    // the next forwarded one continues every line (RtpContinuity).
    bool& audioHeldBack() { return audioHeldBack_; }

    // Keyframe requests to this publisher: the time of the last one sent
    // (ms) and whether one waits for the rate-limit window to end.
    std::atomic<int64_t>& lastKeyframeRequest() { return lastKeyframeRequest_; }
    std::atomic<bool>& keyframeDeferred() { return keyframeDeferred_; }
    // The last unexpected payload type reported per kind, so a codec switch
    // is reported once, not per packet.
    std::atomic<int>& reportedPayloadType(MediaKind kind) { return reportedPayloadType_[index(kind)]; }

    // What this participant sent and received, for operators
    // (docs/plugin-api.md, Admin API): RTP bytes that reached the plugin on
    // its own lines (its media thread adds), and bytes relayed to it (each
    // publisher's media thread adds, per copy). Relaxed atomics, no lock.
    void countReceived(uint64_t bytes) { bytesIn_.fetch_add(bytes, std::memory_order_relaxed); }
    void countRelayedTo(uint64_t bytes) { bytesOut_.fetch_add(bytes, std::memory_order_relaxed); }
    uint64_t bytesIn() const { return bytesIn_.load(std::memory_order_relaxed); }
    uint64_t bytesOut() const { return bytesOut_.load(std::memory_order_relaxed); }
    // What this publisher sent on its own lines: RTP payload bytes per kind
    // (padding included, headers and header extensions not), added by its
    // media thread with relaxed atomics, read every 250 ms by the bitrate
    // limits (docs/operations.md, Bitrate limits). Only grows.
    void countInbound(MediaKind kind, uint64_t payloadBytes) {
        inboundPayloadBytes_[index(kind)].fetch_add(payloadBytes, std::memory_order_relaxed);
    }
    uint64_t inboundPayloadBytes(MediaKind kind) const {
        return inboundPayloadBytes_[index(kind)].load(std::memory_order_relaxed);
    }

    // The SDP o= session id stays constant for the PeerConnection.
    int64_t sdpSessionId() const { return static_cast<int64_t>(id_) + 1; }

private:
    static size_t index(MediaKind kind) { return kind == MediaKind::Audio ? 0 : 1; }

    const SessionId id_;
    const std::shared_ptr<void> peer_;  // Owned: one reference on the server's handle
    std::atomic<bool> started_{false};
    std::atomic<bool> closed_{false};
    std::atomic<bool> hangingUp_{false};

    mutable std::atomic<int> readers_{0};  // open ReadSections (0 or 1: one media thread)
    std::atomic<const Fanout*> fanoutView_[2] = {{nullptr}, {nullptr}};
    std::shared_ptr<const Fanout> fanoutOwned_[2];  // handler thread
    std::atomic<const VideoSources*> videoSourcesView_{nullptr};
    std::shared_ptr<const VideoSources> videoSourcesOwned_;  // handler thread

    std::map<int, LineForwarding> lineForwarding_;
    SpeakingDetector speakingDetector_;
    AudioLevelMeter levelMeter_;
    bool audioHeldBack_ = false;  // media thread
    std::atomic<int64_t> lastKeyframeRequest_{INT64_MIN / 2};
    std::atomic<bool> keyframeDeferred_{false};
    std::atomic<int> reportedPayloadType_[2] = {{-1}, {-1}};
    // Apart from each other and the rest: bytesOut_ is written by every
    // publisher this participant receives from.
    alignas(64) std::atomic<uint64_t> bytesIn_{0};
    alignas(64) std::atomic<uint64_t> bytesOut_{0};
    std::atomic<uint64_t> inboundPayloadBytes_[2] = {{0}, {0}};
};

}  // namespace gochat::sfu
