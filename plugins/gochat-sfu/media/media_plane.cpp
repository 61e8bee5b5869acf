#include "plugins/gochat-sfu/media/media_plane.hpp"

#include "plugins/gochat-sfu/core/room.hpp"
#include "plugins/gochat-sfu/media/rtp_header.hpp"

#include <algorithm>
#include <utility>

namespace gochat::sfu {

namespace {

constexpr uint32_t kAudioClockKhz = 48;  // Opus
constexpr uint32_t kVideoClockKhz = 90;

}  // namespace

// Per packet: no allocation, no lock, nothing freed (docs/architecture.md,
// Media plane).
void MediaPlane::onRtp(MediaSession& publisher, MediaPacket& packet) {
    if (!packet.buffer) return;
    publisher.countReceived(packet.length);
    if (packet.length < rtp::kRtpHeaderBytes) return counters_.dropped(DropReason::Malformed);
    const MediaKind kind = packet.video ? MediaKind::Video : MediaKind::Audio;
    // Only the own lines carry a participant's media; anything else is dropped.
    if (packet.mindex != (kind == MediaKind::Audio ? kOwnAudioMindex : kOwnVideoMindex))
        return counters_.dropped(DropReason::WrongLine);
    // What the publisher sends, forwarded or not: the bitrate limits judge
    // it (docs/operations.md, Bitrate limits). One relaxed add.
    publisher.countInbound(kind, rtp::payloadBytes(packet.buffer, packet.length));
    // Detection runs even when nobody receives (muted users are detected,
    // and shown speaking the moment they are unmuted while talking).
    if (kind == MediaKind::Audio) {
        detectSpeaking(publisher, packet.audioLevel);
        if (packet.audioLevel >= 0) publisher.levelMeter().onLevel(packet.audioLevel);
    }

    MediaSession::ReadSection reading(publisher);
    const Fanout* fanout = publisher.fanout(kind);
    if (!fanout || fanout->entries.empty()) return counters_.dropped(DropReason::NoReceivers);
    uint8_t* header = packet.buffer;
    const uint8_t payloadType = rtp::payloadType(header);
    // A browser may send any format its answer kept: packets of another
    // codec than the publication's would be undecodable on the subscribers'
    // lines. Drop them and let the control plane follow the switch.
    if (fanout->sourcePayloadType > 0 && payloadType != fanout->sourcePayloadType) {
        reportPayloadType(publisher, kind, payloadType);
        return counters_.dropped(DropReason::CodecMismatch);
    }
    // Not among the room's K loudest: held back; the first packet forwarded
    // again continues every line where it stopped (no gap to NACK).
    bool resumeAll = false;
    if (kind == MediaKind::Audio) {
        if (!publisher.levelMeter().forwarded()) {
            publisher.audioHeldBack() = true;
            return counters_.dropped(DropReason::NotLoudest);
        }
        resumeAll = std::exchange(publisher.audioHeldBack(), false);
    }
    const uint16_t sequence = rtp::sequence(header);
    const uint32_t timestamp = rtp::timestamp(header);
    const uint32_t ssrc = rtp::ssrc(header);
    const int64_t now = port_.nowUs();
    const uint32_t clockKhz = packet.video ? kVideoClockKhz : kAudioClockKhz;
    const int arrivedOn = packet.mindex;
    uint64_t relayed = 0;
    uint64_t notReady = 0;
    for (const FanoutEntry& entry : fanout->entries) {
        MediaSession& subscriber = *entry.subscriber;
        if (!subscriber.acceptsMedia() || port_.peerStopped(subscriber.peer())) {
            ++notReady;
            continue;
        }
        ForwardContext& context = *entry.context;
        const bool resumed =
            (context.resumePending.load(std::memory_order_acquire) && context.resumePending.exchange(false)) ||
            resumeAll;
        const RtpContinuity::Numbers numbers = context.numbers.next(ssrc, sequence, timestamp, now, clockKhz, resumed);
        rtp::setSequence(header, numbers.sequence);
        rtp::setTimestamp(header, numbers.timestamp);
        // Types differ only when one side offered its own (t 501).
        rtp::setPayloadType(header, entry.payloadType > 0 ? static_cast<uint8_t>(entry.payloadType) : payloadType);
        packet.mindex = entry.mindex;
        // The server copies the packet, so restoring right after is safe;
        // the audio level and other extensions travel beside the buffer.
        port_.relay(subscriber.peer(), packet);
        subscriber.countRelayedTo(packet.length);
        ++relayed;
    }
    rtp::setSequence(header, sequence);
    rtp::setTimestamp(header, timestamp);
    rtp::setPayloadType(header, payloadType);
    packet.mindex = arrivedOn;
    // One relaxed add per counter and packet, not per copy.
    if (relayed) counters_.forwarded(kind, relayed, relayed * packet.length);
    if (notReady) counters_.dropped(DropReason::ReceiverNotReady, notReady);
}

void MediaPlane::onKeyframeRequest(MediaSession& subscriber, int mindex) {
    MediaSession::ReadSection reading(subscriber);
    if (MediaSession* publisher = subscriber.videoSourceOf(mindex)) {
        requestKeyframe(*publisher);
        return;
    }
    // Janus 1.1.2 files incoming RTCP under the line whose SSRC matches the
    // packet's SENDER SSRC, and Chromium sends its keyframe requests from
    // one of its own sending SSRCs: they arrive on the viewer's own audio or
    // video line, and the line they are about cannot be told (the plugin
    // never sees the SSRCs Janus gives its lines). So every publisher this
    // viewer receives video from is asked, each within its rate limit
    // (docs/architecture.md, Keyframes).
    if (const VideoSources* sources = subscriber.videoSources())
        for (const auto& [line, publisher] : *sources) requestKeyframe(*publisher);
}

void MediaPlane::onPeerUp(MediaSession& subscriber) {
    MediaSession::ReadSection reading(subscriber);
    if (const VideoSources* sources = subscriber.videoSources())
        for (const auto& [mindex, publisher] : *sources) requestKeyframe(*publisher);
}

void MediaPlane::requestKeyframe(MediaSession& publisher) {
    const int64_t now = nowMs();
    int64_t last = publisher.lastKeyframeRequest().load();
    if (now - last >= kKeyframeIntervalMs && publisher.lastKeyframeRequest().compare_exchange_strong(last, now)) {
        port_.sendKeyframeRequest(publisher.peer());
        return;
    }
    if (!publisher.keyframeDeferred().exchange(true)) {
        deferredKeyframes_.fetch_add(1);
        port_.keyframeDeferred();
    }
}

void MediaPlane::sendDeferredKeyframes(const std::vector<std::shared_ptr<MediaSession>>& sessions) {
    if (deferredKeyframes_.load() == 0) return;
    const int64_t now = nowMs();
    for (const std::shared_ptr<MediaSession>& publisher : sessions) {
        if (!publisher->keyframeDeferred().load()) continue;
        if (now - publisher->lastKeyframeRequest().load() < kKeyframeIntervalMs) continue;
        if (!publisher->keyframeDeferred().exchange(false)) continue;
        deferredKeyframes_.fetch_sub(1);
        requestKeyframe(*publisher);
    }
}

void MediaPlane::installFanout(const std::shared_ptr<MediaSession>& publisher, const SetFanout& change,
                               const SessionLookup& find) {
    // Lines leaving this fan-out pause; their numbering is kept for a
    // resume as long as the binding stays.
    const std::shared_ptr<const Fanout>& previous = publisher->currentFanout(change.kind);
    if (previous) {
        for (const FanoutEntry& entry : previous->entries) {
            MediaSession::LineForwarding& line = entry.subscriber->lineForwarding()[entry.mindex];
            if (line.binding != entry.binding) continue;  // rebound meanwhile
            line.forwarding = false;
            if (change.kind == MediaKind::Video) dropVideoSource(entry.subscriber, entry.mindex, publisher.get());
        }
    }
    auto fanout = std::make_shared<Fanout>();
    fanout->sourcePayloadType = change.sourcePayloadType;
    fanout->entries.reserve(change.targets.size());
    for (const FanoutTarget& target : change.targets) {
        std::shared_ptr<MediaSession> subscriber = find(target.subscriber);
        if (!subscriber) continue;
        MediaSession::LineForwarding& line = subscriber->lineForwarding()[target.mindex];
        if (line.binding != target.binding || !line.context) {
            line.binding = target.binding;
            line.context = std::make_shared<ForwardContext>();
        } else if (!line.forwarding) {
            line.context->resumePending.store(true, std::memory_order_release);
        }
        line.forwarding = true;
        if (change.kind == MediaKind::Video) setVideoSource(subscriber, target.mindex, publisher);
        fanout->entries.push_back(
            FanoutEntry{subscriber, target.mindex, line.context, target.binding, target.payloadType});
    }
    retire(publisher, publisher->swapFanout(change.kind, std::move(fanout)));
}

void MediaPlane::forget(const std::shared_ptr<MediaSession>& session) {
    for (MediaKind kind : {MediaKind::Audio, MediaKind::Video}) {
        if (!session->currentFanout(kind)) continue;
        installFanout(session, SetFanout{session->id(), kind, {}, 0}, {});  // pauses its lines
        retire(session, session->swapFanout(kind, nullptr));
    }
    retire(session, session->swapVideoSources(nullptr));
    session->lineForwarding().clear();
    if (session->keyframeDeferred().exchange(false)) deferredKeyframes_.fetch_sub(1);
}

void MediaPlane::setVideoSource(const std::shared_ptr<MediaSession>& subscriber, int mindex,
                                const std::shared_ptr<MediaSession>& publisher) {
    auto updated = std::make_shared<VideoSources>();
    if (const std::shared_ptr<const VideoSources>& current = subscriber->currentVideoSources())
        for (const auto& entry : *current)
            if (entry.first != mindex) updated->push_back(entry);
    updated->emplace_back(mindex, publisher);
    retire(subscriber, subscriber->swapVideoSources(std::move(updated)));
}

void MediaPlane::dropVideoSource(const std::shared_ptr<MediaSession>& subscriber, int mindex,
                                 const MediaSession* publisher) {
    const std::shared_ptr<const VideoSources>& current = subscriber->currentVideoSources();
    if (!current) return;
    auto updated = std::make_shared<VideoSources>();
    for (const auto& entry : *current)
        if (entry.first != mindex || entry.second.get() != publisher) updated->push_back(entry);
    if (updated->size() == current->size()) return;
    retire(subscriber, subscriber->swapVideoSources(updated->empty() ? nullptr : std::move(updated)));
}

void MediaPlane::retire(const std::shared_ptr<MediaSession>& reader, std::shared_ptr<const void> snapshot) {
    if (!snapshot) return;
    // The swap came first: a ReadSection opened after it sees the new
    // snapshot, so none open now means nobody holds the old one.
    if (reader->quiescent()) return;  // `snapshot` is freed here, on this thread
    retired_.push_back(Retired{reader, std::move(snapshot)});
}

void MediaPlane::collectRetired() {
    retired_.erase(
        std::remove_if(retired_.begin(), retired_.end(), [](const Retired& r) { return r.reader->quiescent(); }),
        retired_.end());
}

void MediaPlane::reportPayloadType(MediaSession& publisher, MediaKind kind, int payloadType) {
    if (publisher.reportedPayloadType(kind).exchange(payloadType) == payloadType) return;
    port_.payloadTypeSeen(publisher.id(), kind, payloadType);
}

// Allocation-free; only a change of verdict (a few times per sentence at
// most) reaches the control plane.
void MediaPlane::detectSpeaking(MediaSession& publisher, int audioLevel) {
    if (audioLevel < 0) return;  // no audio-level extension on this packet
    const SpeakingDetector::Change change = publisher.speakingDetector().onAudioLevel(audioLevel, nowMs());
    if (change == SpeakingDetector::Change::None) return;
    port_.speakingChanged(publisher.id(), change == SpeakingDetector::Change::Started);
}

}  // namespace gochat::sfu
