// The adapter's object for one Janus handle (one participant's
// PeerConnection): what the media path needs, without any room logic.
#pragma once

#include "plugins/gochat-sfu/core/speaking_detector.hpp"
#include "plugins/gochat-sfu/core/types.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace gochat::sfu {

class MediaSession;

// Sequence/timestamp continuity of one subscriber line fed by one
// publication. Touched only on the publisher's Janus loop thread.
struct ForwardContext {
    janus_rtp_switching_context rtp;
    // Set by the handler when forwarding resumes after a pause (a mute, a
    // deafen): the next packet rebases seq and ts so the receiver sees a
    // continuous stream with no gap to NACK and no renegotiation.
    std::atomic<bool> resumePending{false};
    ForwardContext() { janus_rtp_switching_context_reset(&rtp); }
};

struct FanoutEntry {
    std::shared_ptr<MediaSession> subscriber;  // keeps its handle alive while listed
    int mindex = 0;                            // the subscriber's line
    std::shared_ptr<ForwardContext> context;
    uint64_t binding = 0;                      // which pairing of line and publication
    int payloadType = 0;                       // the subscriber line's type for the codec
};

// Immutable once published: the media path reads a snapshot, the handler
// thread swaps in a new one.
struct Fanout {
    int sourcePayloadType = 0;  // what the publication's packets carry; others are not forwarded
    std::vector<FanoutEntry> entries;
};

class MediaSession {
public:
    MediaSession(janus_plugin_session* handle, SessionId id, SpeakingThresholds speaking)
        : handle_(handle), id_(id), speakingDetector_(speaking) {}
    // Janus gives the plugin the first reference on the handle (notes §2);
    // it is dropped with the last holder of this session, so a fan-out
    // snapshot still in use never sees a freed handle.
    ~MediaSession() { janus_refcount_decrease(&handle_->ref); }
    MediaSession(const MediaSession&) = delete;
    MediaSession& operator=(const MediaSession&) = delete;

    janus_plugin_session* handle() const { return handle_; }
    SessionId id() const { return id_; }

    // Media may flow to this session (DTLS is up and it was not torn down).
    bool acceptsMedia() const {
        return started_.load(std::memory_order_acquire) && !closed_.load(std::memory_order_acquire) &&
               !g_atomic_int_get(&handle_->stopped);
    }
    std::atomic<bool>& started() { return started_; }
    std::atomic<bool>& closed() { return closed_; }
    std::atomic<bool>& hangingUp() { return hangingUp_; }

    // NOTE: fanoutMutex_ is per session and held only to copy or swap a
    // snapshot pointer: by this session's own loop (once per packet) and by
    // the handler thread (on changes). Never held while relaying.
    std::shared_ptr<const Fanout> fanout(MediaKind kind) const {
        std::lock_guard<std::mutex> lock(fanoutMutex_);
        return fanouts_[index(kind)];
    }
    void setFanout(MediaKind kind, std::shared_ptr<const Fanout> fanout) {
        std::shared_ptr<const Fanout> previous;
        {
            std::lock_guard<std::mutex> lock(fanoutMutex_);
            previous = std::exchange(fanouts_[index(kind)], std::move(fanout));
        }
        // `previous` is released here, outside the lock.
    }

    // Which publisher feeds each of this subscriber's video lines, so a
    // keyframe request from the subscriber's browser reaches it. Weak: a
    // publisher's fan-out already holds its subscribers strongly.
    std::shared_ptr<MediaSession> videoSourceOf(int mindex) const {
        std::shared_ptr<const VideoSources> sources;
        {
            std::lock_guard<std::mutex> lock(fanoutMutex_);
            sources = videoSources_;
        }
        if (sources)
            for (const auto& [line, publisher] : *sources)
                if (line == mindex) return publisher.lock();
        return nullptr;
    }
    // Handler thread only (copy-on-write; changes are rare).
    void setVideoSource(int mindex, const std::shared_ptr<MediaSession>& publisher) {
        auto updated = std::make_shared<VideoSources>();
        if (std::shared_ptr<const VideoSources> current = videoSourceList()) *updated = *current;
        bool replaced = false;
        for (auto& [line, source] : *updated)
            if (line == mindex) {
                source = publisher;
                replaced = true;
            }
        if (!replaced) updated->emplace_back(mindex, publisher);
        std::lock_guard<std::mutex> lock(fanoutMutex_);
        videoSources_ = std::move(updated);
    }
    std::shared_ptr<const std::vector<std::pair<int, std::weak_ptr<MediaSession>>>> videoSourceList() const {
        std::lock_guard<std::mutex> lock(fanoutMutex_);
        return videoSources_;
    }

    // Continuity state per own subscriber line, reused while the binding
    // stays. Handler thread only.
    struct LineForwarding {
        uint64_t binding = 0;
        std::shared_ptr<ForwardContext> context;
        bool forwarding = false;  // listed in the publisher's current fan-out
    };
    std::map<int, LineForwarding>& lineForwarding() { return lineForwarding_; }

    // Fed by this publisher's loop thread with each audio packet's level.
    SpeakingDetector& speakingDetector() { return speakingDetector_; }

    // Rate limit for keyframe requests to this publisher (ms, monotonic).
    std::atomic<int64_t>& lastKeyframeRequest() { return lastKeyframeRequest_; }
    // The last unexpected payload type reported for each kind (media
    // thread), so a publisher's codec switch is reported once, not per packet.
    std::atomic<int>& reportedPayloadType(MediaKind kind) { return reportedPayloadType_[index(kind)]; }

    // A request that came inside the rate-limit window, sent when it ends.
    std::atomic<bool>& keyframeDeferred() { return keyframeDeferred_; }

    // The SDP o= session id stays constant for the PeerConnection.
    int64_t sdpSessionId() const { return static_cast<int64_t>(id_) + 1; }

private:
    static size_t index(MediaKind kind) { return kind == MediaKind::Audio ? 0 : 1; }

    janus_plugin_session* const handle_;  // Owned: one reference (see destructor)
    const SessionId id_;
    std::atomic<bool> started_{false};
    std::atomic<bool> closed_{false};
    std::atomic<bool> hangingUp_{false};
    mutable std::mutex fanoutMutex_;
    std::shared_ptr<const Fanout> fanouts_[2];  // Snapshot (read by this publisher's loop)
    using VideoSources = std::vector<std::pair<int, std::weak_ptr<MediaSession>>>;
    std::shared_ptr<const VideoSources> videoSources_;  // Snapshot (read by this subscriber's loop)
    std::map<int, LineForwarding> lineForwarding_;
    SpeakingDetector speakingDetector_;
    std::atomic<int64_t> lastKeyframeRequest_{0};
    std::atomic<bool> keyframeDeferred_{false};
    std::atomic<int> reportedPayloadType_[2] = {{-1}, {-1}};
};

}  // namespace gochat::sfu
