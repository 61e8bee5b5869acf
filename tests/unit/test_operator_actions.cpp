// An operator in the registry (docs/plugin-api.md, Admin API): the same
// actions as a moderator's requests without a requester and without a
// permission check, the same broadcasts and departures, refusals for what
// is not here; draining (docs/operations.md, Rolling upgrades); what
// operators are shown of rooms and participants.
#include "tests/unit/registry_fixture.hpp"

#include <string>
#include <vector>

using namespace gochat::sfu;
using namespace gochat::sfu::testing;

namespace {

constexpr UserId kAlice = 1111111111111111111;
constexpr UserId kBob = 2222222222222222222;
constexpr UserId kNobody = 3333333333333333333;
constexpr SessionId kAliceSession = 1;
constexpr SessionId kBobSession = 2;
constexpr ChannelId kElsewhere = 42;

// Alice and Bob, plain members (no moderation bit), hearing each other.
struct Call : RegistryFixture {
    Call() : RegistryFixture(RegistryConfig{}) {
        settle(kAliceSession, join(kAliceSession, kAlice, kVoice));
        settle(kBobSession, join(kBobSession, kBob, kVoice));
        settleEveryone({kAliceSession, kBobSession});
    }
};

void operator_mute_is_broadcast_to_everyone_with_no_requester_and_stops_forwarding(void**) {
    Call call;
    const OperatorResult result = call.registry.operatorServerMute(kChannel, kBob, true, call.now);
    assert_true(result.error == OperatorError::None);
    for (SessionId to : {kAliceSession, kBobSession}) {
        const WireEvent* notice = findEvent(result.effects, to, "server_muted");
        assert_non_null(notice);
        assert_int_equal(notice->t, 507);
        assert_int_equal(field<int64_t>(*notice, "user"), kBob);
        assert_true(field<bool>(*notice, "muted"));
        assert_false(notice->answersRequest);  // nobody asked through a socket
    }
    const std::vector<event::UserFlagChanged> flags = only<event::UserFlagChanged>(result.effects);
    assert_int_equal(flags.size(), 1);
    assert_int_equal(flags[0].requester, 0);
    const SetFanout* bobAudio = fanoutOf(result.effects, kBobSession, MediaKind::Audio);
    assert_non_null(bobAudio);
    assert_true(bobAudio->targets.empty());
    assert_true(call.registry.participantInfo(kBobSession)->serverMuted);

    const OperatorResult unmute = call.registry.operatorServerMute(kChannel, kBob, false, call.now);
    assert_false(field<bool>(*findEvent(unmute.effects, kAliceSession, "server_muted"), "muted"));
    assert_int_equal(fanoutOf(unmute.effects, kBobSession, MediaKind::Audio)->targets.size(), 1);
}

void operator_mute_matches_a_moderators_mute_but_for_the_requester(void**) {
    Call byOperator;
    RegistryFixture byModerator{RegistryConfig{}};
    byModerator.settle(kAliceSession, byModerator.join(kAliceSession, kAlice, kVoice | kMute));
    byModerator.settle(kBobSession, byModerator.join(kBobSession, kBob, kVoice));
    byModerator.settleEveryone({kAliceSession, kBobSession});
    const Effects theirs = byModerator.registry.serverMute(kAliceSession, kBob, true, byModerator.now);
    const Effects ours = byOperator.registry.operatorServerMute(kChannel, kBob, true, byOperator.now).effects;
    assert_int_equal(theirs.size(), ours.size());
    const std::vector<WireEvent> theirWire = wireEventsOf(theirs);
    const std::vector<WireEvent> ourWire = wireEventsOf(ours);
    assert_int_equal(theirWire.size(), ourWire.size());
    for (size_t i = 0; i < ourWire.size(); ++i) {
        assert_int_equal(ourWire[i].to, theirWire[i].to);
        assert_string_equal(ourWire[i].name.c_str(), theirWire[i].name.c_str());
        assert_int_equal(ourWire[i].t, theirWire[i].t);
        assert_true(ourWire[i].fields == theirWire[i].fields);
    }
}

void operator_deafen_is_broadcast_and_the_target_receives_nothing(void**) {
    Call call;
    const OperatorResult result = call.registry.operatorServerDeafen(kChannel, kBob, true, call.now);
    assert_true(result.error == OperatorError::None);
    for (SessionId to : {kAliceSession, kBobSession}) {
        const WireEvent* notice = findEvent(result.effects, to, "server_deafened");
        assert_non_null(notice);
        assert_int_equal(notice->t, 508);
        assert_true(field<bool>(*notice, "deafened"));
    }
    const SetFanout* toBob = fanoutOf(result.effects, kAliceSession, MediaKind::Audio);
    assert_non_null(toBob);
    assert_true(toBob->targets.empty());
    assert_true(call.registry.participantInfo(kBobSession)->deafened);
}

void operator_kick_tells_the_target_and_closes_its_peer(void**) {
    Call call;
    const OperatorResult result = call.registry.operatorKick(kChannel, kBob, call.now);
    assert_true(result.error == OperatorError::None);
    const WireEvent* notice = findEvent(result.effects, kBobSession, "kicked");
    assert_non_null(notice);
    assert_int_equal(notice->t, 510);
    assert_string_equal(errorOf(*notice).c_str(), "kicked");
    assert_true(notice->close.has_value());
    assert_null(findEvent(result.effects, kAliceSession, "ok"));  // nobody's request was answered
    assert_int_equal(only<ClosePeer>(result.effects).size(), 1);
    assert_false(call.registry.isJoined(kBobSession));
    assert_true(only<event::ParticipantLeft>(result.effects)[0].reason == LeaveReason::Kicked);
}

void operator_block_ejects_refuses_rejoin_and_unblock_lets_back(void**) {
    Call call;
    const OperatorResult blocked = call.registry.operatorBlock(kChannel, kBob, true, call.now);
    assert_true(blocked.error == OperatorError::None);
    assert_non_null(findEvent(blocked.effects, kBobSession, "blocked"));
    assert_non_null(findEvent(blocked.effects, kAliceSession, "block_changed"));
    assert_false(call.registry.isJoined(kBobSession));
    assert_true(call.registry.blockedIn(kChannel) == std::vector<UserId>{kBob});
    const Effects refused = call.join(5, kBob, kVoice);
    assert_string_equal(errorOf(*findEvent(refused, 5, "join_refused")).c_str(), "blocked");

    const OperatorResult unblocked = call.registry.operatorBlock(kChannel, kBob, false, call.now);
    assert_true(unblocked.error == OperatorError::None);
    assert_false(field<bool>(*findEvent(unblocked.effects, kAliceSession, "block_changed"), "block"));
    assert_true(call.registry.blockedIn(kChannel).empty());
    assert_non_null(findEvent(call.join(6, kBob, kVoice), 6, "joined"));
}

void operator_unblock_works_after_the_room_expired(void**) {
    Call call;
    call.registry.operatorBlock(kChannel, kBob, true, call.now);
    call.registry.leave(kAliceSession, LeaveReason::Left, call.now);
    call.registry.tick(call.now += 60'000);
    assert_int_equal(call.registry.roomCount(), 0);
    const OperatorResult unblocked = call.registry.operatorBlock(kChannel, kBob, false, call.now);
    assert_true(unblocked.error == OperatorError::None);
    const std::vector<event::UserFlagChanged> flags = only<event::UserFlagChanged>(unblocked.effects);
    assert_int_equal(flags.size(), 1);
    assert_true(flags[0].audience.empty());
    assert_non_null(findEvent(call.join(6, kBob, kVoice), 6, "joined"));
}

void operator_close_channel_removes_everyone_and_only_there(void**) {
    Call call;
    JoinRequest other;
    other.session = 7;
    other.channel = kElsewhere;
    other.user = kNobody;
    other.perms = kVoice;
    call.registry.join(other, call.now);
    const OperatorResult result = call.registry.operatorCloseChannel(kChannel, call.now);
    assert_true(result.error == OperatorError::None);
    for (SessionId session : {kAliceSession, kBobSession})
        assert_string_equal(errorOf(*findEvent(result.effects, session, "channel_closed")).c_str(), "channel closed");
    assert_int_equal(only<event::ParticipantLeft>(result.effects).size(), 2);
    assert_true(call.registry.isJoined(7));
    // The emptied room lingers for empty_room_ttl: closing it again is no error.
    assert_true(call.registry.operatorCloseChannel(kChannel, call.now).error == OperatorError::None);
}

void operator_actions_on_what_is_not_here_are_refused_and_change_nothing(void**) {
    Call call;
    struct Case {
        const char* what;
        OperatorResult result;
        OperatorError expected;
    };
    const std::vector<Case> cases = {
        {"mute, unknown channel", call.registry.operatorServerMute(kElsewhere, kBob, true, call.now),
         OperatorError::UnknownChannel},
        {"mute, unknown user", call.registry.operatorServerMute(kChannel, kNobody, true, call.now),
         OperatorError::UnknownUser},
        {"deafen, unknown channel", call.registry.operatorServerDeafen(kElsewhere, kBob, true, call.now),
         OperatorError::UnknownChannel},
        {"deafen, unknown user", call.registry.operatorServerDeafen(kChannel, kNobody, true, call.now),
         OperatorError::UnknownUser},
        {"kick, unknown channel", call.registry.operatorKick(kElsewhere, kBob, call.now),
         OperatorError::UnknownChannel},
        {"kick, unknown user", call.registry.operatorKick(kChannel, kNobody, call.now), OperatorError::UnknownUser},
        {"block, unknown channel", call.registry.operatorBlock(kElsewhere, kBob, true, call.now),
         OperatorError::UnknownChannel},
        {"block, unknown user", call.registry.operatorBlock(kChannel, kNobody, true, call.now),
         OperatorError::UnknownUser},
        {"unblock, unknown channel", call.registry.operatorBlock(kElsewhere, kBob, false, call.now),
         OperatorError::UnknownChannel},
        {"unblock, not blocked", call.registry.operatorBlock(kChannel, kBob, false, call.now),
         OperatorError::NotBlocked},
        {"close, unknown channel", call.registry.operatorCloseChannel(kElsewhere, call.now),
         OperatorError::UnknownChannel},
    };
    for (const Case& c : cases) {
        if (c.result.error != c.expected) fail_msg("%s: unexpected outcome", c.what);
        if (!c.result.effects.empty()) fail_msg("%s: effects on a refusal", c.what);
    }
    assert_true(call.registry.isJoined(kAliceSession) && call.registry.isJoined(kBobSession));
    assert_false(call.registry.participantInfo(kBobSession)->serverMuted);
    assert_true(call.registry.blockedIn(kChannel).empty());
}

void operator_can_lift_the_mute_of_a_user_who_left(void**) {
    Call call;
    call.registry.operatorServerMute(kChannel, kBob, true, call.now);
    call.registry.leave(kBobSession, LeaveReason::Left, call.now);
    const OperatorResult unmute = call.registry.operatorServerMute(kChannel, kBob, false, call.now);
    assert_true(unmute.error == OperatorError::None);
    assert_non_null(findEvent(unmute.effects, kAliceSession, "server_muted"));
    // Lifted, nothing names him here any more.
    assert_true(call.registry.operatorServerMute(kChannel, kBob, true, call.now).error == OperatorError::UnknownUser);
}

// --- draining (docs/operations.md, Rolling upgrades)

void draining_refuses_every_join_and_keeps_the_call(void**) {
    Call call;
    call.registry.setDraining(true);
    assert_true(call.registry.draining());
    const Effects refused = call.join(5, kNobody, kVoice);
    const WireEvent* notice = findEvent(refused, 5, "join_refused");
    assert_non_null(notice);
    assert_int_equal(notice->t, 500);
    assert_string_equal(errorOf(*notice).c_str(), "draining");
    assert_false(field<bool>(*notice, "ok"));
    assert_true(notice->close.has_value());
    assert_int_equal(notice->close->code, 1008);
    assert_string_equal(notice->close->reason.c_str(), "draining");
    // A move into a channel here is a new join, refused the same way.
    assert_string_equal(errorOf(*findEvent(call.join(6, kNobody, kVoice, kChannel, true), 6, "join_refused")).c_str(),
                        "draining");
    // So is the same user's second connection: it would be a new session here.
    assert_non_null(findEvent(call.join(8, kBob, kVoice), 8, "join_refused"));
    assert_true(call.registry.isJoined(kBobSession));
    assert_int_equal(call.registry.participantCount(), 2);
    // The call goes on: moderation, negotiation and leaving work as before.
    assert_true(call.registry.operatorServerMute(kChannel, kBob, true, call.now).error == OperatorError::None);
    assert_non_null(offerTo(call.registry.requestOffer(kAliceSession, call.now), kAliceSession));
    assert_non_null(findEvent(call.registry.leave(kBobSession, LeaveReason::Left, call.now), kBobSession, "left"));
    assert_int_equal(call.registry.participantCount(), 1);
}

void undraining_lets_joins_in_again(void**) {
    Call call;
    call.registry.setDraining(true);
    call.registry.setDraining(false);
    assert_false(call.registry.draining());
    assert_non_null(findEvent(call.join(5, kNobody, kVoice), 5, "joined"));
}

// --- what operators are shown

void rooms_and_participants_are_listed_with_their_state(void**) {
    Call call;
    call.now += 5'000;
    call.registry.muteSelf(kAliceSession, true, call.now);
    call.registry.operatorServerDeafen(kChannel, kBob, true, call.now);
    call.registry.setSpeaking(kBobSession, true);
    const std::vector<RoomInfo> rooms = call.registry.rooms();
    assert_int_equal(rooms.size(), 1);
    assert_int_equal(rooms[0].channel, kChannel);
    assert_int_equal(rooms[0].participants, 2);
    assert_int_equal(rooms[0].publishers, 2);
    assert_int_equal(rooms[0].createdAt, 1'000);

    const std::optional<std::vector<ParticipantInfo>> listed = call.registry.participantsOf(kChannel);
    assert_true(listed.has_value());
    assert_int_equal(listed->size(), 2);
    const ParticipantInfo& alice = (*listed)[0];  // join order
    const ParticipantInfo& bob = (*listed)[1];
    assert_int_equal(alice.user, kAlice);
    assert_int_equal(alice.session, kAliceSession);
    assert_int_equal(alice.perms, kVoice);
    assert_true(alice.selfMuted && !alice.serverMuted && !alice.deafened && !alice.speaking);
    assert_string_equal(alice.audioCodec.c_str(), "opus");
    assert_true(alice.videoCodec.empty());
    assert_int_equal(alice.joinedAt, 1'000);
    assert_int_equal(bob.user, kBob);
    assert_true(bob.deafened && bob.speaking && !bob.selfMuted);
    assert_false(call.registry.participantsOf(kElsewhere).has_value());
    assert_int_equal(call.registry.participantInfo(kBobSession)->channel, kChannel);
    assert_false(call.registry.participantInfo(99).has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(operator_mute_is_broadcast_to_everyone_with_no_requester_and_stops_forwarding),
        cmocka_unit_test(operator_mute_matches_a_moderators_mute_but_for_the_requester),
        cmocka_unit_test(operator_deafen_is_broadcast_and_the_target_receives_nothing),
        cmocka_unit_test(operator_kick_tells_the_target_and_closes_its_peer),
        cmocka_unit_test(operator_block_ejects_refuses_rejoin_and_unblock_lets_back),
        cmocka_unit_test(operator_unblock_works_after_the_room_expired),
        cmocka_unit_test(operator_close_channel_removes_everyone_and_only_there),
        cmocka_unit_test(operator_actions_on_what_is_not_here_are_refused_and_change_nothing),
        cmocka_unit_test(operator_can_lift_the_mute_of_a_user_who_left),
        cmocka_unit_test(draining_refuses_every_join_and_keeps_the_call),
        cmocka_unit_test(undraining_lets_joins_in_again),
        cmocka_unit_test(rooms_and_participants_are_listed_with_their_state),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
