#include "plugins/gochat-sfu/platform/presence_tracker.hpp"

#include <algorithm>

namespace gochat::sfu {

std::vector<WebhookCall> PresenceTracker::joined(const event::ParticipantJoined& joined, Millis now) {
    auto [where, fresh] = channels_.try_emplace(joined.channel);
    ChannelPresence& channel = where->second;
    if (fresh) channel.nextAlive = now + aliveInterval_;
    if (joined.guild != 0) channel.guild = joined.guild;
    UserPresence& user = channel.users[joined.user];
    const bool present = !user.sessions.empty() || user.replacedAt;
    if (!user.sessions.insert(joined.session).second) return {};
    ++sessions_;
    user.replacedAt.reset();
    user.guild = joined.guild;
    if (present) return {};
    return {WebhookCall{WebhookPath::Join, joined.channel, joined.user, joined.guild}};
}

std::vector<WebhookCall> PresenceTracker::left(const event::ParticipantLeft& left, Millis now) {
    auto channel = channels_.find(left.channel);
    if (channel == channels_.end()) return {};
    auto user = channel->second.users.find(left.user);
    if (user == channel->second.users.end() || user->second.sessions.erase(left.session) == 0) return {};
    --sessions_;
    if (!user->second.sessions.empty()) return {};
    if (left.reason == LeaveReason::Replaced) {
        user->second.replacedAt = now;
        return {};
    }
    std::vector<WebhookCall> calls;
    leaveUser(left.channel, channel->second, left.user, calls);
    if (channel->second.users.empty()) channels_.erase(channel);
    return calls;
}

void PresenceTracker::leaveUser(ChannelId channel, ChannelPresence& presence, UserId user,
                                std::vector<WebhookCall>& calls) {
    auto it = presence.users.find(user);
    if (it == presence.users.end()) return;
    calls.push_back(WebhookCall{WebhookPath::Leave, channel, user, it->second.guild});
    sessions_ -= it->second.sessions.size();
    presence.users.erase(it);
}

std::vector<WebhookCall> PresenceTracker::due(Millis now) {
    std::vector<WebhookCall> calls;
    for (auto channel = channels_.begin(); channel != channels_.end();) {
        ChannelPresence& presence = channel->second;
        std::vector<UserId> gone;
        for (const auto& [user, state] : presence.users)
            if (state.sessions.empty() && state.replacedAt && now - *state.replacedAt >= kReplacementGraceMs)
                gone.push_back(user);
        for (UserId user : gone) leaveUser(channel->first, presence, user, calls);
        if (presence.users.empty()) {
            channel = channels_.erase(channel);
            continue;
        }
        if (presence.nextAlive <= now) {
            calls.push_back(WebhookCall{WebhookPath::Alive, channel->first, 0, presence.guild});
            // A late check does not make a burst: the next one is a whole
            // interval away.
            presence.nextAlive += aliveInterval_;
            if (presence.nextAlive <= now) presence.nextAlive = now + aliveInterval_;
        }
        ++channel;
    }
    return calls;
}

std::optional<Millis> PresenceTracker::nextDeadline() const {
    std::optional<Millis> next;
    auto consider = [&next](Millis at) { next = next ? std::min(*next, at) : at; };
    for (const auto& [id, channel] : channels_) {
        consider(channel.nextAlive);
        for (const auto& [user, state] : channel.users)
            if (state.replacedAt) consider(*state.replacedAt + kReplacementGraceMs);
    }
    return next;
}

std::vector<WebhookCall> PresenceTracker::everyoneLeaves() {
    std::vector<WebhookCall> calls;
    for (auto& [id, channel] : channels_)
        for (const auto& [user, state] : channel.users)
            calls.push_back(WebhookCall{WebhookPath::Leave, id, user, state.guild});
    channels_.clear();
    sessions_ = 0;
    return calls;
}

}  // namespace gochat::sfu
