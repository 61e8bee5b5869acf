// The media plane's view of Janus (media/media_port.hpp): relays through
// the core, keyframe requests as PLIs on the publisher's own video line,
// and control notifications queued for the handler thread.
#pragma once

#include "plugins/gochat-sfu/core/room.hpp"
#include "plugins/gochat-sfu/janus/handler_loop.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/media/media_port.hpp"

namespace gochat::sfu {

class JanusMediaPort final : public MediaPort {
public:
    JanusMediaPort(janus_callbacks* gateway, HandlerLoop& loop) : gateway_(gateway), loop_(loop) {}

    int64_t nowUs() const override { return janus_get_monotonic_time(); }

    void relay(void* peer, const MediaPacket& packet) override {
        auto* native = static_cast<janus_plugin_rtp*>(packet.native);
        native->mindex = packet.mindex;
        gateway_->relay_rtp(static_cast<janus_plugin_session*>(peer), native);
    }

    bool peerStopped(void* peer) const override {
        return g_atomic_int_get(&static_cast<janus_plugin_session*>(peer)->stopped) != 0;
    }

    // send_pli (without _stream) would also hit every sendonly remote line
    // of this PeerConnection; target the publisher's own video line. Never
    // called under a plugin lock: it takes the handle mutex (Janus 1.1.2,
    // docs/architecture.md, Lock discipline).
    void sendKeyframeRequest(void* peer) override {
        gateway_->send_pli_stream(static_cast<janus_plugin_session*>(peer), kOwnVideoMindex);
    }

    // send_remb (mindex -1) would land on whichever video line Janus 1.1.2
    // created last, in a single PeerConnection usually a remote one; the
    // REMB is built here and relayed on the publisher's own video line,
    // where Janus sets its SSRCs (the camera's) and prepends an RR. Janus
    // sends no REMB of its own (docs/operations.md, Bitrate limits). Never
    // called under a plugin lock, like sendKeyframeRequest.
    void sendBitrateCap(void* peer, uint32_t bitsPerSecond) override {
        char buffer[24];
        if (janus_rtcp_remb(buffer, sizeof(buffer), bitsPerSecond) < 0) return;
        janus_plugin_rtcp packet{};
        packet.mindex = kOwnVideoMindex;
        packet.video = TRUE;
        packet.buffer = buffer;
        packet.length = sizeof(buffer);
        gateway_->relay_rtcp(static_cast<janus_plugin_session*>(peer), &packet);
    }

    void speakingChanged(SessionId session, bool speaking) override {
        Work work;
        work.kind = Work::Kind::SpeakingChanged;
        work.sessionId = session;
        work.speaking = speaking;
        loop_.enqueue(std::move(work));
    }

    void payloadTypeSeen(SessionId session, MediaKind kind, int payloadType) override {
        Work work;
        work.kind = Work::Kind::PayloadTypeSeen;
        work.sessionId = session;
        work.mediaKind = kind;
        work.payloadType = payloadType;
        loop_.enqueue(std::move(work));
    }

    void keyframeDeferred() override { loop_.wake(); }

private:
    janus_callbacks* const gateway_;  // Borrowed (the core outlives the plugin)
    HandlerLoop& loop_;
};

}  // namespace gochat::sfu
