// The state of one voice channel: its participants, their publications and
// the m-lines each participant's PeerConnection holds. Plain data, guarded by
// the registry's lock; all behaviour lives in Registry.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "plugins/gochat-sfu/core/types.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gochat::sfu {

// A track a participant is sending to the SFU.
struct Publication {
    MediaKind kind = MediaKind::Audio;
    std::string trackId;  // unique per publication; a browser's MediaStreamTrack id
    std::string codec;    // what the publisher sends: "opus", "vp8", "vp9", "h264"
    int payloadType = 0;  // its payload type on the publisher's own line
};

// Names a publication across participants.
struct PublicationKey {
    SessionId publisher = 0;
    MediaKind kind = MediaKind::Audio;

    bool operator==(const PublicationKey& o) const { return publisher == o.publisher && kind == o.kind; }
    bool operator<(const PublicationKey& o) const {
        return publisher != o.publisher ? publisher < o.publisher : kind < o.kind;
    }
};

// One m-line of a participant's PeerConnection. Lines are never removed
// (JSEP and the Janus core both forbid it): a line whose source left goes
// inactive and is reused by the next publication of the same kind.
struct Line {
    int mindex = 0;
    MediaKind kind = MediaKind::Audio;
    std::string mid;
    std::optional<PublicationKey> source;  // empty for own lines and idle remote lines
    std::string trackId;                   // of the source, as offered
    std::string codec;                     // of the last source: a reused line keeps its codec
    int payloadType = 0;                   // as last negotiated on this line
    UserId sourceUser = 0;
    uint64_t binding = 0;  // changes whenever the source changes
    bool ready = false;    // the client accepted the current binding
    // Own lines: every format negotiated (codec, payload type), so a
    // publisher that sends another of them can be followed.
    std::vector<std::pair<std::string, int>> formats;
};

// The own lines every offer starts with (docs/protocol.md, Negotiation).
constexpr int kOwnAudioMindex = 0;
constexpr int kOwnVideoMindex = 1;

inline bool isOwnLine(int mindex) { return mindex == kOwnAudioMindex || mindex == kOwnVideoMindex; }

inline Line makeLine(int mindex, MediaKind kind) {
    Line line;
    line.mindex = mindex;
    line.kind = kind;
    line.mid = std::to_string(mindex);
    return line;
}

struct Participant {
    SessionId session = 0;
    UserId user = 0;
    ChannelId channel = 0;
    GuildId guild = 0;
    Grants grants;
    int64_t perms = 0;  // the token's mask, as it joined (shown to operators)
    uint64_t joinOrder = 0;
    Millis joinedAt = 0;

    std::optional<Publication> audio;
    std::optional<Publication> video;
    bool selfMuted = false;
    bool voiceDetected = false;     // what the speaking detector last said
    bool speaking = false;          // as last broadcast: voice that others can hear
    std::set<UserId> locallyMuted;  // users whose media this participant refuses

    std::vector<Line> lines;  // index == mindex

    // Negotiation: one offer in flight; changes meanwhile set `offerDirty`
    // and are folded into the next offer once the answer arrives.
    bool firstAnswerReceived = false;
    bool offerInFlight = false;
    Millis offerSentAt = 0;
    bool offerDirty = false;
    Millis offerDueAt = 0;
    uint64_t offerVersion = 0;

    const std::optional<Publication>& publication(MediaKind kind) const {
        return kind == MediaKind::Audio ? audio : video;
    }
    std::optional<Publication>& publication(MediaKind kind) { return kind == MediaKind::Audio ? audio : video; }
};

struct Room {
    ChannelId channel = 0;
    Millis createdAt = 0;
    std::map<SessionId, Participant> participants;
    // Moderation state keyed by user, so it survives a reconnect while the room lives.
    std::set<UserId> serverMuted;
    std::set<UserId> serverDeafened;
    std::optional<Millis> emptySince;
    // The fan-out last handed to the adapter, to emit only changes.
    std::map<PublicationKey, std::vector<FanoutTarget>> appliedFanouts;
};

}  // namespace gochat::sfu
