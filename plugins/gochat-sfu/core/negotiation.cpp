// RoomRegistry: negotiation (docs/architecture.md, Negotiation model). The
// server offers; one offer is in flight per participant; changes meanwhile
// fold into one debounced follow-up. Lines are never removed: a line whose
// source left goes inactive and is reused by the next track of its kind.
#include "plugins/gochat-sfu/core/registry.hpp"

#include "plugins/gochat-sfu/core/codecs.hpp"

#include <algorithm>

namespace gochat::sfu {

namespace {

void unbind(Line& line) {
    line.source.reset();
    line.trackId.clear();
    line.sourceUser = 0;
    line.binding = 0;
    line.ready = false;
}

Action publishAction(MediaKind kind) { return kind == MediaKind::Audio ? Action::PublishAudio : Action::PublishVideo; }

// The payload type a client's offer gives `codec` on one line, or -1.
int offeredPayloadType(const OfferedLine& line, const std::string& codec) {
    for (const auto& [name, pt] : line.codecs)
        if (name == codec) return pt;
    return -1;
}

}  // namespace

Effects RoomRegistry::answer(SessionId session, const std::vector<AnsweredLine>& answered, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return refuseRequest(session, RequestKind::Answer, Refusal::NotJoined);
    if (!participant->offerInFlight) return refuseRequest(session, RequestKind::Answer, Refusal::InvalidMessage);
    participant->offerInFlight = false;

    Effects effects;
    bool publicationsChanged = false;
    for (const AnsweredLine& reply : answered) {
        if (reply.mindex < 0 || static_cast<size_t>(reply.mindex) >= participant->lines.size()) continue;
        Line& line = participant->lines[reply.mindex];
        if (line.kind != reply.kind) continue;
        if (isOwnLine(reply.mindex)) {
            // Browsers send the first format of the OFFER that their answer
            // kept (not the answer's first), so follow our offer's order.
            std::vector<std::pair<std::string, int>> formats;
            for (const CodecInfo& codec : kCodecs)
                if (codec.kind == line.kind &&
                    (std::find(reply.codecs.begin(), reply.codecs.end(), codec.name) != reply.codecs.end() ||
                     reply.codec == codec.name))
                    formats.emplace_back(codec.name, codec.payloadType);
            // A client that answers its own line inactive or recvonly has
            // stopped publishing that kind (docs/protocol.md, Negotiation).
            if (settleOwnLineLocked(*participant, line, sends(reply.direction), std::move(formats), effects))
                publicationsChanged = true;
        } else if (line.source) {
            line.ready = receives(reply.direction);
        }
    }
    const bool firstAnswer = !participant->firstAnswerReceived;
    participant->firstAnswerReceived = true;
    // Others need new offers only when this participant's tracks changed;
    // changes made while this offer was unanswered already flagged it.
    if (publicationsChanged)
        markDirtyWhereNeededLocked(*room, now);
    else if (firstAnswer && linesOutOfDateLocked(*room, *participant))
        markDirtyLocked(*participant, now);
    // The follow-up to the first offer goes out at once, undebounced.
    if (firstAnswer && participant->offerDirty) participant->offerDueAt = now;
    // Unless its tracks changed, an answer changes only the answerer's lines.
    if (publicationsChanged)
        settleLocked(*room, now, effects);
    else
        settleLinesLocked(*room, now, effects, participant);
    return effects;
}

Effects RoomRegistry::clientOffer(SessionId session, const std::vector<OfferedLine>& offered, const std::string& sdp,
                                  Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return refuseRequest(session, RequestKind::Offer, Refusal::NotJoined);
    // Janus has no glare handling: while our offer waits for its answer, the
    // client must answer it first (and may offer again afterwards).
    if (participant->offerInFlight) return refuseRequest(session, RequestKind::Offer, Refusal::OfferInFlight);
    if (offered.size() < participant->lines.size())
        return refuseRequest(session, RequestKind::Offer, Refusal::InvalidMessage);
    for (size_t i = 0; i < offered.size(); ++i)
        if (offered[i].mindex != static_cast<int>(i) ||
            (i < participant->lines.size() && participant->lines[i].kind != offered[i].kind))
            return refuseRequest(session, RequestKind::Offer, Refusal::InvalidMessage);

    Effects effects;
    SendAnswer answer;
    answer.to = session;
    answer.clientOffer = sdp;
    for (const OfferedLine& line : offered)
        answer.plan.lines.push_back(answerClientLineLocked(*room, *participant, line, effects));
    participant->firstAnswerReceived = true;
    answer.plan.version = ++participant->offerVersion;
    effects.emplace(effects.begin(), std::move(answer));
    // Then resynchronise: whatever the client's offer lacked comes in a
    // debounced server offer after our answer.
    markDirtyWhereNeededLocked(*room, now);
    settleLocked(*room, now, effects);
    return effects;
}

// One line of our answer to a client's offer.
PlannedLine RoomRegistry::answerClientLineLocked(Room& room, Participant& participant, const OfferedLine& offered,
                                                 Effects& effects) {
    if (static_cast<size_t>(offered.mindex) == participant.lines.size()) {
        // A transceiver the client added: answered inactive, kept idle for a
        // later remote track of its kind.
        Line added = makeLine(offered.mindex, offered.kind);
        if (!offered.codecs.empty()) added.codec = offered.codecs.front().first;
        participant.lines.push_back(added);
    }
    Line& ours = participant.lines[offered.mindex];
    ours.mid = offered.mid;  // the client's mid is authoritative (and sticky in Janus)
    PlannedLine planned;
    planned.mindex = offered.mindex;
    planned.mid = offered.mid;
    planned.kind = offered.kind;
    if (isOwnLine(offered.mindex)) {
        // The client's first supported codec is what it will send; our
        // answer lists that codec only, with the client's payload type.
        std::vector<std::pair<std::string, int>> formats;
        for (const auto& [name, pt] : offered.codecs)
            if (const CodecInfo* info = findCodec(name); info && info->kind == offered.kind) {
                formats.emplace_back(name, pt);
                break;
            }
        planned.codec = formats.empty() ? (offered.kind == MediaKind::Audio ? "opus" : "vp8") : formats.front().first;
        settleOwnLineLocked(participant, ours, sends(offered.direction), std::move(formats), effects);
        planned.direction = participant.publication(offered.kind) ? Direction::RecvOnly : Direction::Inactive;
        return planned;
    }
    const Publication* publication = ours.source ? publicationLocked(room, *ours.source) : nullptr;
    const int pt = offeredPayloadType(offered, ours.codec);
    const bool sending = publication && publication->trackId == ours.trackId && pt >= 0 && receives(offered.direction);
    ours.ready = sending;
    if (pt >= 0) ours.payloadType = pt;
    planned.codec = pt >= 0 ? ours.codec : (offered.codecs.empty() ? "" : offered.codecs.front().first);
    if (sending) {
        planned.direction = Direction::SendOnly;
        planned.streamId = streamIdOf(ours.sourceUser);
        planned.trackId = ours.trackId;
    }
    return planned;
}

bool RoomRegistry::settleOwnLineLocked(Participant& participant, Line& line, bool clientSends,
                                       std::vector<std::pair<std::string, int>> formats, Effects& effects) {
    line.formats = std::move(formats);
    const bool publishing =
        clientSends && !line.formats.empty() && authorize(participant.grants, publishAction(line.kind));
    std::optional<Publication>& publication = participant.publication(line.kind);
    std::string codec;
    if (publishing) {
        const auto& [name, payloadType] = line.formats.front();
        // A codec change is a new publication: subscribers need a line
        // offered with the new codec.
        if (publication && publication->codec == name && publication->payloadType == payloadType) return false;
        publication = Publication{line.kind, newTrackIdLocked(participant.user, line.kind), name, payloadType};
        codec = name;
    } else {
        if (!publication) return false;
        publication.reset();
    }
    effects.emplace_back(
        event::PublicationChanged{participant.session, participant.user, participant.channel, line.kind, codec});
    return true;
}

Effects RoomRegistry::requestOffer(SessionId session, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return refuseRequest(session, RequestKind::Negotiate, Refusal::NotJoined);
    Effects effects;
    markDirtyLocked(*participant, now);
    settleLocked(*room, now, effects);
    return effects;
}

Effects RoomRegistry::publisherSentPayloadType(SessionId session, MediaKind kind, int payloadType, Millis now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Room* room = nullptr;
    Participant* participant = findLocked(session, &room);
    if (!participant) return {};
    const std::optional<Publication>& publication = participant->publication(kind);
    if (!publication || publication->payloadType == payloadType) return {};
    Line& own = participant->lines[kind == MediaKind::Audio ? kOwnAudioMindex : kOwnVideoMindex];
    auto format = std::find_if(own.formats.begin(), own.formats.end(),
                               [payloadType](const auto& entry) { return entry.second == payloadType; });
    if (format == own.formats.end()) return {};  // not negotiated: such packets are simply dropped
    // The format it really sends goes first; the others stay negotiated.
    std::vector<std::pair<std::string, int>> formats = own.formats;
    const auto sent = formats.begin() + (format - own.formats.begin());
    std::rotate(formats.begin(), sent, sent + 1);
    Effects effects;
    settleOwnLineLocked(*participant, own, true, std::move(formats), effects);
    markDirtyWhereNeededLocked(*room, now);
    settleLocked(*room, now, effects);
    return effects;
}

void RoomRegistry::markDirtyLocked(Participant& participant, Millis dueAt) {
    if (!participant.offerDirty) {
        participant.offerDirty = true;
        participant.offerDueAt = dueAt;
    }
}

void RoomRegistry::markDirtyWhereNeededLocked(Room& room, Millis now) {
    for (auto& [session, participant] : room.participants)
        if (linesOutOfDateLocked(room, participant)) markDirtyLocked(participant, now + config_.offerDebounce);
}

std::vector<PublicationKey> RoomRegistry::desiredSourcesLocked(const Room& room, const Participant& subscriber) const {
    // Every other participant's publications, oldest participant first, so
    // line order is stable for everyone.
    std::vector<const Participant*> others;
    for (const auto& [session, participant] : room.participants)
        if (session != subscriber.session) others.push_back(&participant);
    std::sort(others.begin(), others.end(),
              [](const Participant* a, const Participant* b) { return a->joinOrder < b->joinOrder; });
    std::vector<PublicationKey> desired;
    for (const Participant* other : others)
        for (MediaKind kind : {MediaKind::Audio, MediaKind::Video})
            if (other->publication(kind)) desired.push_back(PublicationKey{other->session, kind});
    return desired;
}

const Publication* RoomRegistry::publicationLocked(const Room& room, const PublicationKey& key) const {
    auto publisher = room.participants.find(key.publisher);
    if (publisher == room.participants.end()) return nullptr;
    const std::optional<Publication>& publication = publisher->second.publication(key.kind);
    return publication ? &*publication : nullptr;
}

bool RoomRegistry::linesOutOfDateLocked(const Room& room, const Participant& participant) const {
    // Until the first answer a participant only has its own lines; the
    // follow-up offer is scheduled by answer().
    if (!participant.firstAnswerReceived) return false;
    const std::vector<PublicationKey> desiredOrder = desiredSourcesLocked(room, participant);
    const std::set<PublicationKey> desired(desiredOrder.begin(), desiredOrder.end());
    size_t boundAndCurrent = 0;
    for (const Line& line : participant.lines) {
        if (!line.source) continue;
        const Publication* publication = publicationLocked(room, *line.source);
        if (!publication || !desired.count(*line.source) || publication->trackId != line.trackId) return true;
        ++boundAndCurrent;
    }
    return boundAndCurrent != desired.size();
}

// Frees lines whose source is gone, unwanted or republished, then binds
// every wanted source that has no line: an idle line of the same kind and
// codec first, so the SDP stays as small as the peak.
void RoomRegistry::bindWantedSourcesLocked(Room& room, Participant& participant) {
    std::vector<PublicationKey> desired = desiredSourcesLocked(room, participant);
    const std::set<PublicationKey> wanted(desired.begin(), desired.end());
    for (Line& line : participant.lines) {
        if (!line.source) continue;
        const Publication* publication = publicationLocked(room, *line.source);
        if (!publication || !wanted.count(*line.source) || publication->trackId != line.trackId) unbind(line);
    }
    std::set<PublicationKey> bound;
    for (const Line& line : participant.lines)
        if (line.source) bound.insert(*line.source);
    for (const PublicationKey& key : desired) {
        if (bound.count(key)) continue;
        const Participant& publisher = room.participants.at(key.publisher);
        const Publication& publication = *publisher.publication(key.kind);
        auto idle = std::find_if(participant.lines.begin(), participant.lines.end(), [&](const Line& line) {
            return !isOwnLine(line.mindex) && !line.source && line.kind == key.kind && line.codec == publication.codec;
        });
        if (idle == participant.lines.end()) {
            participant.lines.push_back(makeLine(static_cast<int>(participant.lines.size()), key.kind));
            idle = participant.lines.end() - 1;
        }
        idle->source = key;
        idle->codec = publication.codec;
        idle->trackId = publication.trackId;
        idle->sourceUser = publisher.user;
        idle->binding = nextBinding_++;
        idle->ready = false;
    }
}

OfferPlan RoomRegistry::buildOfferLocked(Room& room, Participant& participant, Millis now) {
    if (participant.firstAnswerReceived) bindWantedSourcesLocked(room, participant);
    participant.offerInFlight = true;
    participant.offerSentAt = now;
    participant.offerDirty = false;
    OfferPlan plan;
    plan.version = ++participant.offerVersion;
    for (Line& line : participant.lines) {
        PlannedLine planned;
        planned.mindex = line.mindex;
        planned.mid = line.mid;
        planned.kind = line.kind;
        if (isOwnLine(line.mindex)) {
            // Without the permission the line is still offered (the client
            // needs the transceiver) but inactive (docs/protocol.md, Negotiation).
            planned.direction =
                authorize(participant.grants, publishAction(line.kind)) ? Direction::RecvOnly : Direction::Inactive;
        } else {
            // Idle lines keep their last codec, so the m-line's format does
            // not change while it waits for reuse.
            planned.codec = line.codec;
            line.payloadType = serverPayloadType(line.codec, line.kind);
            if (line.source) {
                planned.direction = Direction::SendOnly;
                planned.streamId = streamIdOf(line.sourceUser);
                planned.trackId = line.trackId;
            }
        }
        plan.lines.push_back(std::move(planned));
    }
    return plan;
}

std::string RoomRegistry::newTrackIdLocked(UserId user, MediaKind kind) {
    return std::string(kind == MediaKind::Audio ? "audio-" : "video-") + std::to_string(user) + "-" +
           std::to_string(nextTrackSerial_++);
}

}  // namespace gochat::sfu
