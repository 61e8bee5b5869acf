// RoomRegistry: who forwards what to whom. After every change the room is
// settled: due offers go out, then each publication's set of subscriber
// lines is recomputed and handed to the adapter when it changed
// (docs/architecture.md, Media plane and Keyframes).
#include "plugins/gochat-sfu/core/registry.hpp"

#include <algorithm>

namespace gochat::sfu {

namespace {

// Whether `now` lists a line (same subscriber line, same binding) that
// `before` did not.
bool gainsTarget(const std::vector<FanoutTarget>* before, const std::vector<FanoutTarget>& now) {
    for (const FanoutTarget& target : now) {
        const bool known = before && std::any_of(before->begin(), before->end(), [&](const FanoutTarget& old) {
                               return old.subscriber == target.subscriber && old.mindex == target.mindex &&
                                      old.binding == target.binding;
                           });
        if (!known) return true;
    }
    return false;
}

}  // namespace

void RoomRegistry::settleLocked(Room& room, Millis now, Effects& effects) {
    for (auto& [session, participant] : room.participants)
        if (participant.offerDirty && !participant.offerInFlight && participant.offerDueAt <= now)
            effects.emplace_back(SendOffer{session, buildOfferLocked(room, participant, now)});
    updateFanoutsLocked(room, effects);
}

bool RoomRegistry::forwardsLocked(const Room& room, const Participant& publisher, MediaKind kind,
                                  const Participant& subscriber) const {
    if (kind == MediaKind::Audio) {
        if (!authorize(publisher.grants, Action::PublishAudio)) return false;
        if (publisher.selfMuted || room.serverMuted.count(publisher.user)) return false;
    } else if (!authorize(publisher.grants, Action::PublishVideo)) {
        return false;
    }
    if (room.serverDeafened.count(subscriber.user)) return false;
    return subscriber.locallyMuted.count(publisher.user) == 0;
}

void RoomRegistry::updateFanoutsLocked(Room& room, Effects& effects) {
    // One pass over every subscriber line (not publishers x subscribers x
    // lines): each ready line names the publication it carries.
    std::map<PublicationKey, std::vector<FanoutTarget>> fresh;
    for (const auto& [publisherSession, publisher] : room.participants)
        for (MediaKind kind : {MediaKind::Audio, MediaKind::Video})
            if (publisher.publication(kind)) fresh[PublicationKey{publisherSession, kind}];
    for (const auto& [subscriberSession, subscriber] : room.participants) {
        for (const Line& line : subscriber.lines) {
            if (!line.source || !line.ready) continue;
            auto targets = fresh.find(*line.source);
            if (targets == fresh.end()) continue;
            const Participant& publisher = room.participants.at(line.source->publisher);
            if (publisher.publication(line.kind)->trackId != line.trackId) continue;
            if (!forwardsLocked(room, publisher, line.kind, subscriber)) continue;
            targets->second.push_back(FanoutTarget{subscriberSession, line.mindex, line.binding, line.payloadType});
        }
    }
    for (const auto& [key, targets] : fresh) {
        auto applied = room.appliedFanouts.find(key);
        if (applied != room.appliedFanouts.end() && applied->second == targets) continue;
        const Publication* publication = publicationLocked(room, key);
        effects.emplace_back(
            SetFanout{key.publisher, key.kind, targets, publication ? publication->payloadType : 0, room.channel});
        // A video line that starts (or resumes) receiving a publication
        // joins mid-stream: its decoder needs a keyframe now. This covers a
        // newly answered line, a rebound one, an undeafen and a local
        // unmute alike (docs/architecture.md, Keyframes). The request follows
        // the SetFanout so the keyframe is forwarded to the new line.
        if (key.kind == MediaKind::Video &&
            gainsTarget(applied == room.appliedFanouts.end() ? nullptr : &applied->second, targets))
            effects.emplace_back(RequestKeyframe{key.publisher});
    }
    for (const auto& [key, targets] : room.appliedFanouts)
        if (!fresh.count(key)) effects.emplace_back(SetFanout{key.publisher, key.kind, {}, 0, room.channel});
    room.appliedFanouts = std::move(fresh);
}

}  // namespace gochat::sfu
