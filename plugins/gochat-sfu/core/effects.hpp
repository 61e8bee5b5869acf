// What the core reports (events.hpp) and asks the adapter to do (the
// commands below) once the registry lock is released.
// Janus 1.1.2 deadlocks or blocks when its callbacks run under a plugin lock
// (push_event waits for ICE gathering; send_pli_stream takes the handle
// mutex), so the core only describes effects; the adapter performs them.
#pragma once

#include "plugins/gochat-sfu/core/events.hpp"
#include "plugins/gochat-sfu/core/types.hpp"

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gochat::sfu {

// One m-line of a server offer, in mindex order.
struct PlannedLine {
    int mindex = 0;
    std::string mid;
    MediaKind kind = MediaKind::Audio;
    Direction direction = Direction::Inactive;  // the server's view
    std::string streamId;                       // empty for lines that send nothing
    std::string trackId;
    // The one codec a remote line carries (the publisher's); empty for own
    // lines, which offer every codec the SFU forwards.
    std::string codec;
};

struct OfferPlan {
    uint64_t version = 0;  // becomes the SDP o= version: strictly increasing per session
    std::vector<PlannedLine> lines;
};

struct SendOffer {
    SessionId to = 0;
    OfferPlan plan;
};

// The answer to a client's offer: one line per offered m-line, in order. The
// adapter writes it against the client's SDP, which it carries unparsed.
struct SendAnswer {
    SessionId to = 0;
    OfferPlan plan;           // direction is the server's view; codec chosen per line
    std::string clientOffer;  // the SDP being answered
};

// One subscriber line a publication is forwarded to. `binding` names the
// pairing of that line with that publication: while it stays the same, the
// adapter keeps the line's sequence/timestamp continuity state.
struct FanoutTarget {
    SessionId subscriber = 0;
    int mindex = 0;
    uint64_t binding = 0;
    int payloadType = 0;  // what the subscriber's line negotiated for the codec

    bool operator==(const FanoutTarget& o) const {
        return subscriber == o.subscriber && mindex == o.mindex && binding == o.binding && payloadType == o.payloadType;
    }
};

// The complete set of lines a publication must now be forwarded to.
struct SetFanout {
    SessionId publisher = 0;
    MediaKind kind = MediaKind::Audio;
    std::vector<FanoutTarget> targets;
    // The payload type the publication's packets carry; others are not
    // forwarded (they would land on lines negotiated for another codec).
    int sourcePayloadType = 0;
    // The publisher's room (where its audio competes to be among the K
    // loudest forwarded, docs/voice-control.md).
    ChannelId channel = 0;
};

// Ask the publisher for a video keyframe (a new receiver needs one).
struct RequestKeyframe {
    SessionId publisher = 0;
};

// Close the participant's PeerConnection (it left or was removed).
struct ClosePeer {
    SessionId session = 0;
};

// Everything a registry call returns, in the order it must be carried out.
// A consumer visits it exhaustively: a new alternative does not compile
// until every consumer handles it.
using Effect = std::variant<event::JoinRefused, event::RequestRefused, event::RequestDone, event::ParticipantJoined,
                            event::ParticipantLeft, event::PublicationChanged, event::UserFlagChanged,
                            event::SpeakingChanged, SendOffer, SendAnswer, SetFanout, RequestKeyframe, ClosePeer>;
using Effects = std::vector<Effect>;

}  // namespace gochat::sfu
