// A GoChat client (docs/protocol.md): the {op,t,d} envelope over one
// WebSocket, a join with a token minted by the plugin's own code
// (plugins/gochat-sfu/auth: mintToken), an answer to every server offer
// (its own audio and video on the first two lines, every remote line
// received), its host candidates trickled with t 503, and one
// PeerConnection in which it is the ICE-controlled answerer and the DTLS
// client.
#pragma once

#include "tools/loadgen/participant.hpp"
#include "tools/loadgen/peer_connection.hpp"
#include "tools/loadgen/sdp.hpp"
#include "tools/loadgen/ws_client.hpp"

#include <jansson.h>

#include <memory>
#include <string>
#include <vector>

namespace gochat::loadgen {

class GochatParticipant : public Participant {
public:
    GochatParticipant(const RunSettings& settings, const ParticipantSpec& spec);
    void start() override;
    void tick(int64_t nowUs) override;
    void leave() override;
    ParticipantSummary summary() const override;

private:
    void onOpen();
    void onText(std::string_view text);
    void onClosed(const std::string& why);
    void onRtc(int t, json_t* d);
    void handleOffer(const std::string& sdp);
    void handleCandidate(json_t* d);
    std::vector<LocalLine> planAnswer(const SdpSession& offer);
    void routeRemoteLines(const SdpSession& offer);
    void ensurePeer();
    void trickleLocalCandidates();
    void sendEnvelope(int op, int t, const std::string& dJson);
    void fail(const std::string& why);

    WsClient ws_;
    std::unique_ptr<PeerConnection> peer_;
    uint64_t sdpVersion_ = 0;
    uint64_t sdpSessionId_;
    bool trickled_ = false;
    bool leaving_ = false;
    std::vector<std::string> pendingCandidates_;  // server candidates before the first offer
    int64_t nextHeartbeatUs_ = 0;
    int64_t nextKeyframeCheckUs_ = 0;
    // The sender SSRC of this side's RTCP as a receiver; never used for RTP (rtp.hpp: buildKeyframeRequest).
    uint32_t receiverSsrc_ = g_random_int() | 1u;
};

}  // namespace gochat::loadgen
