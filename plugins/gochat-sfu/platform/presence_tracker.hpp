// Who is in which voice channel, as GoChat's webhook service must learn it
// (docs/operations.md, Joining a GoChat deployment): presence is per user
// and channel, not per session. Pure logic with an injected clock; the
// webhook client runs it under its own lock and sends what it returns.
//
// - A user's first session in a channel makes a join call; later sessions
//   of the same user (a replacing connection) make none.
// - A leave call only when the user's last session in the channel ends.
//   A session replaced by the same user's new connection (LeaveReason::
//   Replaced) makes none, whichever of the two the core reports first: the
//   new session is there already, or arrives next. Should it never arrive,
//   the leave follows after kReplacementGraceMs.
// - So each user's leave is made exactly once, and always after its join.
// - An occupied channel gets an alive call every aliveInterval, counted
//   from the moment it became occupied, and none once it is empty.
#pragma once

#include "plugins/gochat-sfu/core/events.hpp"
#include "plugins/gochat-sfu/platform/webhook_call.hpp"

#include <map>
#include <optional>
#include <set>
#include <vector>

namespace gochat::sfu {

class PresenceTracker {
public:
    // How long a user whose session was replaced stays present without any
    // session before the leave is made anyway.
    static constexpr Millis kReplacementGraceMs = 5000;

    explicit PresenceTracker(Millis aliveInterval) : aliveInterval_(aliveInterval) {}

    std::vector<WebhookCall> joined(const event::ParticipantJoined& joined, Millis now);
    std::vector<WebhookCall> left(const event::ParticipantLeft& left, Millis now);
    // Alive calls that are due, and leaves of replaced users whose new
    // session never came.
    std::vector<WebhookCall> due(Millis now);
    // When due() next has something, if ever.
    std::optional<Millis> nextDeadline() const;
    // Shutdown: a leave for every user still present; the tracker is empty after.
    std::vector<WebhookCall> everyoneLeaves();

    // Connected participants: the sessions joined and not yet left.
    size_t load() const { return sessions_; }
    size_t occupiedChannels() const { return channels_.size(); }

private:
    struct UserPresence {
        std::set<SessionId> sessions;
        GuildId guild = 0;
        std::optional<Millis> replacedAt;  // no session since then, a new one expected
    };
    struct ChannelPresence {
        std::map<UserId, UserPresence> users;
        GuildId guild = 0;
        Millis nextAlive = 0;
    };

    void leaveUser(ChannelId channel, ChannelPresence& presence, UserId user, std::vector<WebhookCall>& calls);

    const Millis aliveInterval_;
    std::map<ChannelId, ChannelPresence> channels_;
    size_t sessions_ = 0;
};

}  // namespace gochat::sfu
