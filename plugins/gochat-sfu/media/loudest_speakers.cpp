#include "plugins/gochat-sfu/media/loudest_speakers.hpp"

#include <algorithm>

namespace gochat::sfu {

void LoudestSpeakers::onAudioFanout(ChannelId channel, const std::shared_ptr<MediaSession>& publisher, bool audible) {
    if (!enabled()) return;
    const SessionId id = publisher->id();
    remove(id, audible ? channel : 0);
    if (!audible) {
        publisher->levelMeter().setForwarded(true);  // out of the selection: as without one
        return;
    }
    auto [entry, created] = rooms_.try_emplace(channel, settings_);
    Room& room = entry->second;
    const auto& members = room.members;
    if (std::find(members.begin(), members.end(), publisher) != members.end()) return;
    room.members.push_back(publisher);
    roomOf_[id] = channel;
    publisher->levelMeter().takePeak();
    refresh(room);
    // A newcomer to a contested room waits for the next round (at most
    // kIntervalMs): forwarding it first would let every join interrupt.
    publisher->levelMeter().setForwarded(!room.contested);
}

void LoudestSpeakers::forget(SessionId session) {
    if (enabled()) remove(session, 0);
}

void LoudestSpeakers::remove(SessionId session, ChannelId except) {
    const auto where = roomOf_.find(session);
    if (where == roomOf_.end() || where->second == except) return;
    const auto room = rooms_.find(where->second);
    roomOf_.erase(where);
    if (room == rooms_.end()) return;
    auto& members = room->second.members;
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [&](const std::shared_ptr<MediaSession>& m) { return m->id() == session; }),
                  members.end());
    refresh(room->second);
    if (members.empty()) rooms_.erase(room);
}

// A room with no more members than K forwards everyone; one that has more
// starts its rounds with fresh peaks.
void LoudestSpeakers::refresh(Room& room) {
    const bool contested = room.members.size() > static_cast<size_t>(settings_.limit);
    if (contested == room.contested) return;
    room.contested = contested;
    contested_ += contested ? 1 : -1;
    for (const std::shared_ptr<MediaSession>& member : room.members) {
        member->levelMeter().takePeak();
        if (!contested) member->levelMeter().setForwarded(true);
    }
}

void LoudestSpeakers::run(Millis now) {
    if (!active() || now < nextRound_) return;
    nextRound_ = now + kIntervalMs;
    for (auto& [channel, room] : rooms_) {
        if (!room.contested) continue;
        candidates_.clear();
        for (const std::shared_ptr<MediaSession>& member : room.members)
            candidates_.push_back({member->id(), member->levelMeter().takePeak()});
        const std::vector<SessionId> chosen = room.selector.select(candidates_, now);
        for (const std::shared_ptr<MediaSession>& member : room.members)
            member->levelMeter().setForwarded(std::find(chosen.begin(), chosen.end(), member->id()) != chosen.end());
    }
}

}  // namespace gochat::sfu
