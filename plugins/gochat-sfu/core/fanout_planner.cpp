// RoomRegistry: who forwards what to whom. After every change the room is
// settled: due offers go out, then each publication's set of subscriber
// lines is recomputed and handed to the adapter when it changed
// (docs/architecture.md, Media plane and Keyframes). An answer changes only
// the answerer's lines (and those of whoever is offered at the same time),
// so it updates only their entries (docs/benchmarks.md, Core).
#include "plugins/gochat-sfu/core/registry.hpp"

#include <algorithm>

namespace gochat::sfu {

namespace {

bool sameLine(const FanoutTarget& a, const FanoutTarget& b) {
    return a.subscriber == b.subscriber && a.mindex == b.mindex && a.binding == b.binding;
}

// Whether `now` lists a line (same subscriber line, same binding) that
// `before` did not.
bool gainsTarget(const std::vector<FanoutTarget>* before, const std::vector<FanoutTarget>& now) {
    for (const FanoutTarget& target : now) {
        const bool known = before && std::any_of(before->begin(), before->end(),
                                                 [&](const FanoutTarget& old) { return sameLine(old, target); });
        if (!known) return true;
    }
    return false;
}

// A fan-out lists its targets by subscriber session, then line (the order
// of the full recomputation, which walks the room's participants in order).
bool bySubscriber(const FanoutTarget& target, SessionId subscriber) { return target.subscriber < subscriber; }

}  // namespace

void RoomRegistry::settleLocked(Room& room, Millis now, Effects& effects) {
    for (auto& [session, participant] : room.participants)
        if (participant.offerDirty && !participant.offerInFlight && participant.offerDueAt <= now)
            effects.emplace_back(SendOffer{session, buildOfferLocked(room, participant, now)});
    updateFanoutsLocked(room, effects);
}

void RoomRegistry::settleLinesLocked(Room& room, Millis now, Effects& effects, const Participant* changed) {
    std::vector<const Participant*> touched;
    if (changed) touched.push_back(changed);
    for (auto& [session, participant] : room.participants) {
        if (!participant.offerDirty || participant.offerInFlight || participant.offerDueAt > now) continue;
        // An offer rebinds lines: they stop receiving until it is answered.
        effects.emplace_back(SendOffer{session, buildOfferLocked(room, participant, now)});
        if (&participant != changed) touched.push_back(&participant);
    }
    std::set<PublicationKey> updated, gained;
    for (const Participant* subscriber : touched) updateSubscriberFanoutsLocked(room, *subscriber, updated, gained);
    for (const PublicationKey& key : updated) emitFanoutLocked(room, key, gained.count(key) != 0, effects);
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

RoomRegistry::FanoutMap RoomRegistry::plannedFanoutsLocked(const Room& room) const {
    // One pass over every subscriber line (not publishers x subscribers x
    // lines): each ready line names the publication it carries.
    FanoutMap fresh;
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
    return fresh;
}

void RoomRegistry::updateFanoutsLocked(Room& room, Effects& effects) {
    FanoutMap fresh = plannedFanoutsLocked(room);
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

// The full recomputation's rule, applied to one subscriber's lines: its
// entries in each applied fan-out are replaced by what its lines now ask
// for. Publications did not change, so the set of fan-outs stays the same.
void RoomRegistry::updateSubscriberFanoutsLocked(Room& room, const Participant& subscriber,
                                                 std::set<PublicationKey>& changed, std::set<PublicationKey>& gained) {
    std::vector<std::pair<PublicationKey, FanoutTarget>> wanted;
    for (const Line& line : subscriber.lines) {
        if (!line.source || !line.ready || !room.appliedFanouts.count(*line.source)) continue;
        const Participant& publisher = room.participants.at(line.source->publisher);
        const std::optional<Publication>& publication = publisher.publication(line.kind);
        if (!publication || publication->trackId != line.trackId) continue;
        if (!forwardsLocked(room, publisher, line.kind, subscriber)) continue;
        wanted.emplace_back(*line.source,
                            FanoutTarget{subscriber.session, line.mindex, line.binding, line.payloadType});
    }
    // By publication, keeping line order within one: merged with the map's order below.
    std::stable_sort(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto next = wanted.begin();
    std::vector<FanoutTarget> mine;
    for (auto& [key, targets] : room.appliedFanouts) {
        mine.clear();
        while (next != wanted.end() && next->first < key) ++next;  // (every wanted key is applied)
        for (; next != wanted.end() && next->first == key; ++next) mine.push_back(next->second);
        const auto first = std::lower_bound(targets.begin(), targets.end(), subscriber.session, bySubscriber);
        auto last = first;
        while (last != targets.end() && last->subscriber == subscriber.session) ++last;
        if (std::equal(first, last, mine.begin(), mine.end())) continue;
        const bool gains = std::any_of(mine.begin(), mine.end(), [&](const FanoutTarget& target) {
            return std::none_of(first, last, [&](const FanoutTarget& old) { return sameLine(old, target); });
        });
        const auto at = targets.erase(first, last);
        targets.insert(at, mine.begin(), mine.end());
        changed.insert(key);
        if (gains) gained.insert(key);
    }
}

void RoomRegistry::emitFanoutLocked(const Room& room, const PublicationKey& key, bool gained, Effects& effects) const {
    const Publication* publication = publicationLocked(room, key);
    effects.emplace_back(SetFanout{key.publisher, key.kind, room.appliedFanouts.at(key),
                                   publication ? publication->payloadType : 0, room.channel});
    // As in updateFanoutsLocked: a video line that starts receiving needs a keyframe.
    if (key.kind == MediaKind::Video && gained) effects.emplace_back(RequestKeyframe{key.publisher});
}

bool RoomRegistry::fanoutsUpToDate() const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [channel, room] : rooms_)
        if (plannedFanoutsLocked(room) != room.appliedFanouts) return false;
    return true;
}

}  // namespace gochat::sfu
