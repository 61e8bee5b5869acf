// RoomRegistry: what operators are shown (docs/plugin-api.md, Admin API).
// Copies made under the lock, for any thread: the admin API answers them
// on Janus's threads without waiting for the handler thread.
#include "plugins/gochat-sfu/core/registry.hpp"

#include <algorithm>

namespace gochat::sfu {

std::vector<RoomInfo> RoomRegistry::rooms() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RoomInfo> out;
    out.reserve(rooms_.size());
    for (const auto& [channel, room] : rooms_) {
        RoomInfo info;
        info.channel = channel;
        info.participants = room.participants.size();
        info.publishers = static_cast<size_t>(
            std::count_if(room.participants.begin(), room.participants.end(),
                          [](const auto& entry) { return entry.second.audio || entry.second.video; }));
        info.createdAt = room.createdAt;
        out.push_back(info);
    }
    return out;
}

std::optional<std::vector<ParticipantInfo>> RoomRegistry::participantsOf(ChannelId channel) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = rooms_.find(channel);
    if (found == rooms_.end()) return std::nullopt;
    std::vector<const Participant*> ordered;
    for (const auto& [session, participant] : found->second.participants) ordered.push_back(&participant);
    std::sort(ordered.begin(), ordered.end(),
              [](const Participant* a, const Participant* b) { return a->joinOrder < b->joinOrder; });
    std::vector<ParticipantInfo> out;
    out.reserve(ordered.size());
    for (const Participant* participant : ordered) out.push_back(infoLocked(found->second, *participant));
    return out;
}

std::optional<ParticipantInfo> RoomRegistry::participantInfo(SessionId session) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto where = roomOfSession_.find(session);
    if (where == roomOfSession_.end()) return std::nullopt;
    auto room = rooms_.find(where->second);
    if (room == rooms_.end()) return std::nullopt;
    auto participant = room->second.participants.find(session);
    if (participant == room->second.participants.end()) return std::nullopt;
    return infoLocked(room->second, participant->second);
}

std::vector<UserId> RoomRegistry::blockedIn(ChannelId channel) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = blocked_.find(channel);
    if (found == blocked_.end()) return {};
    return std::vector<UserId>(found->second.begin(), found->second.end());
}

ParticipantInfo RoomRegistry::infoLocked(const Room& room, const Participant& participant) const {
    ParticipantInfo info;
    info.session = participant.session;
    info.channel = room.channel;
    info.user = participant.user;
    info.guild = participant.guild;
    info.perms = participant.perms;
    info.selfMuted = participant.selfMuted;
    info.serverMuted = room.serverMuted.count(participant.user) != 0;
    info.deafened = room.serverDeafened.count(participant.user) != 0;
    info.speaking = participant.speaking;
    if (participant.audio) info.audioCodec = participant.audio->codec;
    if (participant.video) info.videoCodec = participant.video->codec;
    info.joinedAt = participant.joinedAt;
    return info;
}

}  // namespace gochat::sfu
