// plugins/gochat-sfu/platform/presence_tracker: which presence calls GoChat's
// webhook service gets for which room events (docs/operations.md, Joining a
// GoChat deployment), with an injected clock.
#include "plugins/gochat-sfu/platform/presence_tracker.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>
#include <vector>

using namespace gochat::sfu;

namespace {

constexpr Millis kAlive = 60'000;
constexpr ChannelId kChannel = 1234567890123456789;
constexpr ChannelId kOtherChannel = 1234567890123456790;
constexpr UserId kAlice = 9007199254740993;  // 2^53 + 1
constexpr UserId kBob = 9007199254740995;
constexpr GuildId kGuild = 7777777777777777777;

event::ParticipantJoined joinedEvent(SessionId session, UserId user, ChannelId channel = kChannel,
                                     GuildId guild = kGuild) {
    return event::ParticipantJoined{session, user, channel, guild};
}

event::ParticipantLeft leftEvent(SessionId session, UserId user, LeaveReason reason, ChannelId channel = kChannel) {
    event::ParticipantLeft left;
    left.session = session;
    left.user = user;
    left.channel = channel;
    left.guild = kGuild;
    left.reason = reason;
    return left;
}

std::string describe(const std::vector<WebhookCall>& calls) {
    std::string out;
    for (const WebhookCall& call : calls)
        out += std::string(webhookPathName(call.path)) + "(" + std::to_string(call.channel) + "," +
               std::to_string(call.user) + "," + std::to_string(call.guild) + ") ";
    return out;
}

void expectCalls(const std::vector<WebhookCall>& got, const std::vector<WebhookCall>& want) {
    bool same = got.size() == want.size();
    for (size_t i = 0; same && i < got.size(); ++i)
        same = got[i].path == want[i].path && got[i].channel == want[i].channel && got[i].user == want[i].user &&
               got[i].guild == want[i].guild;
    if (!same) fail_msg("got [%s], want [%s]", describe(got).c_str(), describe(want).c_str());
}

WebhookCall call(WebhookPath path, UserId user, ChannelId channel = kChannel, GuildId guild = kGuild) {
    return WebhookCall{path, channel, user, guild};
}

void a_users_first_session_joins_and_its_end_leaves_once(void**) {
    PresenceTracker tracker(kAlive);
    expectCalls(tracker.joined(joinedEvent(1, kAlice), 0), {call(WebhookPath::Join, kAlice)});
    assert_int_equal(tracker.load(), 1);
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Left), 10), {call(WebhookPath::Leave, kAlice)});
    assert_int_equal(tracker.load(), 0);
    assert_int_equal(tracker.occupiedChannels(), 0);
    // Reported again, or never joined: no second leave, no leave before a join.
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Disconnected), 20), {});
    expectCalls(tracker.left(leftEvent(2, kBob, LeaveReason::Kicked), 20), {});
}

void every_way_of_leaving_but_replaced_makes_a_leave(void**) {
    const LeaveReason reasons[] = {LeaveReason::Left,    LeaveReason::Disconnected, LeaveReason::Kicked,
                                   LeaveReason::Blocked, LeaveReason::Moved,        LeaveReason::Timeout};
    SessionId session = 1;
    for (LeaveReason reason : reasons) {
        PresenceTracker tracker(kAlive);
        expectCalls(tracker.joined(joinedEvent(session, kAlice), 0), {call(WebhookPath::Join, kAlice)});
        expectCalls(tracker.left(leftEvent(session, kAlice, reason), 5), {call(WebhookPath::Leave, kAlice)});
        ++session;
    }
}

void a_missing_guild_stays_zero_so_the_body_leaves_it_out(void**) {
    PresenceTracker tracker(kAlive);
    expectCalls(tracker.joined(joinedEvent(1, kAlice, kChannel, 0), 0), {call(WebhookPath::Join, kAlice, kChannel, 0)});
    expectCalls(tracker.everyoneLeaves(), {call(WebhookPath::Leave, kAlice, kChannel, 0)});
}

// The core reports the old session's departure first, then the newcomer
// (core/registry.cpp, join): presence never ends in between.
void a_replaced_session_reported_before_its_successor_makes_no_leave_and_no_second_join(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Replaced), 100), {});
    assert_int_equal(tracker.load(), 0);
    expectCalls(tracker.joined(joinedEvent(2, kAlice), 100), {});
    assert_int_equal(tracker.load(), 1);
    expectCalls(tracker.due(100 + PresenceTracker::kReplacementGraceMs), {});
    expectCalls(tracker.left(leftEvent(2, kAlice, LeaveReason::Left), 200), {call(WebhookPath::Leave, kAlice)});
}

void a_replaced_session_reported_after_its_successor_makes_no_leave(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    expectCalls(tracker.joined(joinedEvent(2, kAlice), 100), {});
    assert_int_equal(tracker.load(), 2);
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Replaced), 100), {});
    assert_int_equal(tracker.load(), 1);
    expectCalls(tracker.left(leftEvent(2, kAlice, LeaveReason::Disconnected), 300), {call(WebhookPath::Leave, kAlice)});
}

// Only the last session of the user ends the presence, whatever the reason
// the earlier ones gave.
void a_leave_comes_only_with_the_users_last_session(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    tracker.joined(joinedEvent(2, kAlice), 0);
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Disconnected), 10), {});
    expectCalls(tracker.left(leftEvent(2, kAlice, LeaveReason::Disconnected), 20), {call(WebhookPath::Leave, kAlice)});
}

void a_replacement_that_never_comes_leaves_after_the_grace(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    tracker.left(leftEvent(1, kAlice, LeaveReason::Replaced), 1000);
    assert_int_equal(*tracker.nextDeadline(), 1000 + PresenceTracker::kReplacementGraceMs);
    expectCalls(tracker.due(1000 + PresenceTracker::kReplacementGraceMs - 1), {});
    expectCalls(tracker.due(1000 + PresenceTracker::kReplacementGraceMs), {call(WebhookPath::Leave, kAlice)});
    assert_int_equal(tracker.occupiedChannels(), 0);
    assert_false(tracker.nextDeadline().has_value());
}

void a_moved_user_leaves_one_channel_and_joins_the_other(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    expectCalls(tracker.left(leftEvent(1, kAlice, LeaveReason::Moved), 10), {call(WebhookPath::Leave, kAlice)});
    expectCalls(tracker.joined(joinedEvent(2, kAlice, kOtherChannel), 20),
                {call(WebhookPath::Join, kAlice, kOtherChannel)});
}

void an_occupied_channel_is_alive_every_interval_and_an_empty_one_never(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 1000);
    tracker.joined(joinedEvent(2, kBob), 30'000);
    assert_int_equal(*tracker.nextDeadline(), 1000 + kAlive);
    expectCalls(tracker.due(1000 + kAlive - 1), {});
    expectCalls(tracker.due(1000 + kAlive), {call(WebhookPath::Alive, 0)});
    expectCalls(tracker.due(1000 + kAlive + 1), {});
    // A late check sends one alive, not a burst, and the next is an interval away.
    expectCalls(tracker.due(1000 + 4 * kAlive), {call(WebhookPath::Alive, 0)});
    assert_int_equal(*tracker.nextDeadline(), 1000 + 5 * kAlive);
    tracker.left(leftEvent(1, kAlice, LeaveReason::Left), 1000 + 4 * kAlive + 1);
    tracker.left(leftEvent(2, kBob, LeaveReason::Left), 1000 + 4 * kAlive + 2);
    assert_false(tracker.nextDeadline().has_value());
    expectCalls(tracker.due(1000 + 10 * kAlive), {});
}

void each_channel_has_its_own_alive_with_its_guild(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice, kChannel, kGuild), 0);
    tracker.joined(joinedEvent(2, kBob, kOtherChannel, 0), 0);
    expectCalls(tracker.due(kAlive),
                {call(WebhookPath::Alive, 0, kChannel, kGuild), call(WebhookPath::Alive, 0, kOtherChannel, 0)});
}

void load_counts_connected_sessions_across_channels(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    tracker.joined(joinedEvent(2, kBob), 0);
    tracker.joined(joinedEvent(3, kAlice, kOtherChannel), 0);
    assert_int_equal(tracker.load(), 3);
    assert_int_equal(tracker.occupiedChannels(), 2);
    tracker.left(leftEvent(2, kBob, LeaveReason::Kicked), 1);
    assert_int_equal(tracker.load(), 2);
}

void shutdown_leaves_everyone_still_present_once(void**) {
    PresenceTracker tracker(kAlive);
    tracker.joined(joinedEvent(1, kAlice), 0);
    tracker.joined(joinedEvent(2, kBob), 0);
    tracker.joined(joinedEvent(3, kBob, kOtherChannel), 0);
    tracker.left(leftEvent(1, kAlice, LeaveReason::Replaced), 5);  // replaced, successor not yet reported
    expectCalls(tracker.everyoneLeaves(), {call(WebhookPath::Leave, kAlice), call(WebhookPath::Leave, kBob),
                                           call(WebhookPath::Leave, kBob, kOtherChannel)});
    assert_int_equal(tracker.load(), 0);
    expectCalls(tracker.everyoneLeaves(), {});
    expectCalls(tracker.left(leftEvent(2, kBob, LeaveReason::Disconnected), 10), {});
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_users_first_session_joins_and_its_end_leaves_once),
        cmocka_unit_test(every_way_of_leaving_but_replaced_makes_a_leave),
        cmocka_unit_test(a_missing_guild_stays_zero_so_the_body_leaves_it_out),
        cmocka_unit_test(a_replaced_session_reported_before_its_successor_makes_no_leave_and_no_second_join),
        cmocka_unit_test(a_replaced_session_reported_after_its_successor_makes_no_leave),
        cmocka_unit_test(a_leave_comes_only_with_the_users_last_session),
        cmocka_unit_test(a_replacement_that_never_comes_leaves_after_the_grace),
        cmocka_unit_test(a_moved_user_leaves_one_channel_and_joins_the_other),
        cmocka_unit_test(an_occupied_channel_is_alive_every_interval_and_an_empty_one_never),
        cmocka_unit_test(each_channel_has_its_own_alive_with_its_guild),
        cmocka_unit_test(load_counts_connected_sessions_across_channels),
        cmocka_unit_test(shutdown_leaves_everyone_still_present_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
