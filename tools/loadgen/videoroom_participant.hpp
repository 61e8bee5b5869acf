// A participant of Janus's stock VideoRoom, the way a VideoRoom application
// does an N-party call: through Janus's stock WebSocket transport, one
// publisher handle (it offers its audio and video: ICE controlling, and
// a=setup:active so it stays the DTLS client) and one multistream
// subscriber handle receiving every other publisher's streams (Janus
// offers; it answers with "start"), subscribing to each new publisher as
// it appears. Rooms are created beforehand by VideoRoomSetup.
#pragma once

#include "tools/loadgen/janus_connection.hpp"
#include "tools/loadgen/participant.hpp"
#include "tools/loadgen/peer_connection.hpp"
#include "tools/loadgen/sdp.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gochat::loadgen {

// Creates each room of the run (publishers = its participants and room for
// churn, audio level extension on, opus_dtx as asked); a room that already
// exists is fine. `done("")` once all
// exist, `done(error)` otherwise.
class VideoRoomSetup {
public:
    VideoRoomSetup(const RunSettings& settings, const std::vector<ParticipantSpec>& specs,
                   std::function<void(const std::string& error)> done);

private:
    void createNext();

    JanusConnection connection_;
    std::function<void(const std::string&)> done_;
    std::vector<std::pair<int64_t, int>> rooms_;  // room, participants
    bool opusDtx_ = false;                        // RunSettings::videoRoomOpusDtx
    size_t next_ = 0;
    int64_t handle_ = 0;
};

class VideoRoomParticipant : public Participant {
public:
    VideoRoomParticipant(const RunSettings& settings, const ParticipantSpec& spec);
    void start() override;
    void tick(int64_t nowUs) override;
    void leave() override;
    ParticipantSummary summary() const override;

private:
    void onSession();
    void onHandleMessage(int64_t sender, json_t* message);
    void onPublisherEvent(json_t* data, json_t* jsep);
    void onSubscriberEvent(json_t* data, json_t* jsep);
    void learnPublishers(json_t* list);
    void publish();
    void applyPublisherAnswer(const std::string& sdp);
    void updateSubscription();
    void answerSubscriberOffer(const std::string& sdp, json_t* streams);
    std::unique_ptr<PeerConnection> makePeer(bool controlling, bool publisher, int64_t handle);
    void fail(const std::string& why);

    JanusConnection connection_;
    int64_t publisherHandle_ = 0;
    int64_t subscriberHandle_ = 0;
    std::unique_ptr<PeerConnection> publisherPeer_;
    std::unique_ptr<PeerConnection> subscriberPeer_;
    std::set<int64_t> feeds_;       // other publishers in the room
    std::set<int64_t> subscribed_;  // feeds asked for in a join or subscribe
    bool subscriberAttaching_ = false;
    bool subscriptionBusy_ = false;  // a join/subscribe is waiting for its offer
    bool leaving_ = false;
    int64_t nextKeyframeCheckUs_ = 0;
    // The sender SSRC of this side's RTCP as a receiver; never used for RTP (rtp.hpp: buildKeyframeRequest).
    uint32_t receiverSsrc_ = g_random_int() | 1u;
    uint64_t sdpVersion_ = 0;
    uint64_t sdpSessionId_;
};

}  // namespace gochat::loadgen
