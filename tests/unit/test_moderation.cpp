// Voice control in the registry (docs/voice-control.md): every privileged
// event against each permission, the administrator override, broadcasts,
// what persists, and the speaking state muted users never show.
#include "tests/unit/registry_fixture.hpp"

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

using namespace gochat::sfu;
using namespace gochat::sfu::testing;

namespace {

constexpr UserId kMod = 1111111111111111111;
constexpr UserId kBob = 2222222222222222222;
constexpr SessionId kModSession = 1;
constexpr SessionId kBobSession = 2;

// A moderator with `modPerms` and Bob, both publishing audio to each other.
struct Room2 : RegistryFixture {
    explicit Room2(int64_t modPerms) : RegistryFixture(RegistryConfig{}) {
        settle(kModSession, join(kModSession, kMod, kVoice | modPerms));
        settle(kBobSession, join(kBobSession, kBob, kVoice));
        tickAndSettle();
    }
    void tickAndSettle() { settleEveryone({kModSession, kBobSession}); }
};

struct Privileged {
    const char* name;
    int t;
    int64_t needed;
    std::function<Effects(Room2&)> act;
};

std::vector<Privileged> privilegedEvents() {
    return {
        {"server_mute", 507, kMute, [](Room2& r) { return r.registry.serverMute(kModSession, kBob, true, r.now); }},
        {"server_deafen", 508, kDeafen,
         [](Room2& r) { return r.registry.serverDeafen(kModSession, kBob, true, r.now); }},
        {"kick", 510, kMove, [](Room2& r) { return r.registry.kick(kModSession, kBob, r.now); }},
        {"block", 511, kMove, [](Room2& r) { return r.registry.block(kModSession, kBob, true, r.now); }},
        {"move", 512, kMove, [](Room2& r) { return r.registry.move(kModSession, kBob, 42, r.now); }},
    };
}

void each_privileged_event_without_its_permission_is_forbidden_and_changes_nothing(void**) {
    for (const Privileged& event : privilegedEvents()) {
        for (int64_t other : {int64_t{0}, kMute, kDeafen, kMove}) {
            if (other == event.needed) continue;
            Room2 room(other);
            const Effects effects = event.act(room);
            const WireEvent* error = findEvent(effects, kModSession, "error");
            assert_non_null(error);
            assert_int_equal(error->t, event.t);
            assert_string_equal(field<std::string>(*error, "error").c_str(), "forbidden");
            assert_int_equal(effects.size(), 1);  // nothing else happened
            assert_true(room.registry.isJoined(kBobSession));
        }
    }
}

void each_privileged_event_with_its_permission_or_admin_takes_effect(void**) {
    for (const Privileged& event : privilegedEvents()) {
        for (int64_t grant : {event.needed, kAdmin}) {
            Room2 room(grant);
            const Effects effects = event.act(room);
            assert_null(findEvent(effects, kModSession, "error"));
        }
    }
}

void server_mute_is_broadcast_and_stops_forwarding_for_everyone(void**) {
    Room2 room(kMute);
    const Effects effects = room.registry.serverMute(kModSession, kBob, true, room.now);
    for (SessionId to : {kModSession, kBobSession}) {
        const WireEvent* notice = findEvent(effects, to, "server_muted");
        assert_non_null(notice);
        assert_int_equal(notice->t, 507);
        assert_int_equal(field<int64_t>(*notice, "user"), kBob);
        assert_true(field<bool>(*notice, "muted"));
    }
    assert_true(findEvent(effects, kModSession, "server_muted")->answersRequest);
    const SetFanout* bobAudio = fanoutOf(effects, kBobSession, MediaKind::Audio);
    assert_non_null(bobAudio);
    assert_true(bobAudio->targets.empty());
    const Effects unmute = room.registry.serverMute(kModSession, kBob, false, room.now);
    assert_int_equal(fanoutOf(unmute, kBobSession, MediaKind::Audio)->targets.size(), 1);
}

void server_mute_survives_the_targets_reconnect(void**) {
    Room2 room(kMute);
    room.registry.serverMute(kModSession, kBob, true, room.now);
    room.registry.leave(kBobSession, LeaveReason::Disconnected, room.now);
    room.settle(3, room.join(3, kBob, kVoice));
    room.tickAndSettle();
    // Bob's new session publishes, but the mute held: only lifting it makes
    // his audio reach the moderator.
    const Effects effects = room.registry.serverMute(kModSession, kBob, false, room.now);
    const SetFanout* audio = fanoutOf(effects, 3, MediaKind::Audio);
    assert_non_null(audio);
    assert_int_equal(audio->targets.size(), 1);
    assert_int_equal(audio->targets[0].subscriber, kModSession);
}

void server_deafen_stops_everything_the_target_receives(void**) {
    Room2 room(kDeafen);
    const Effects effects = room.registry.serverDeafen(kModSession, kBob, true, room.now);
    const SetFanout* toBob = fanoutOf(effects, kModSession, MediaKind::Audio);
    assert_non_null(toBob);
    assert_true(toBob->targets.empty());
    assert_non_null(findEvent(effects, kBobSession, "server_deafened"));
}

void self_mute_stops_own_audio_for_all(void**) {
    Room2 room(0);
    const Effects effects = room.registry.muteSelf(kBobSession, true, room.now);
    assert_non_null(findEvent(effects, kBobSession, "ok"));
    assert_true(fanoutOf(effects, kBobSession, MediaKind::Audio)->targets.empty());
}

void local_mute_affects_only_the_requester(void**) {
    Room2 room(0);
    const Effects effects = room.registry.muteUserLocally(kModSession, kBob, true, room.now);
    const SetFanout* bobAudio = fanoutOf(effects, kBobSession, MediaKind::Audio);
    assert_non_null(bobAudio);
    assert_true(bobAudio->targets.empty());                         // the moderator was Bob's only receiver
    assert_null(fanoutOf(effects, kModSession, MediaKind::Audio));  // Bob still hears the moderator
    const Effects restore = room.registry.muteUserLocally(kModSession, kBob, false, room.now);
    assert_int_equal(fanoutOf(restore, kBobSession, MediaKind::Audio)->targets.size(), 1);
}

void kick_tells_and_disconnects_the_target(void**) {
    Room2 room(kMove);
    const Effects effects = room.registry.kick(kModSession, kBob, room.now);
    const WireEvent* notice = findEvent(effects, kBobSession, "kicked");
    assert_non_null(notice);
    assert_int_equal(notice->t, 510);
    assert_string_equal(field<std::string>(*notice, "error").c_str(), "kicked");
    assert_true(notice->close.has_value());
    assert_non_null(findEvent(effects, kModSession, "ok"));
    assert_false(room.registry.isJoined(kBobSession));
}

void kick_or_move_of_absent_user_is_not_found(void**) {
    Room2 room(kMove);
    const Effects kick = room.registry.kick(kModSession, 99, room.now);
    assert_string_equal(field<std::string>(*findEvent(kick, kModSession, "error"), "error").c_str(), "not found");
    const Effects move = room.registry.move(kModSession, 99, 5, room.now);
    assert_string_equal(field<std::string>(*findEvent(move, kModSession, "error"), "error").c_str(), "not found");
}

void move_tells_the_target_its_new_channel(void**) {
    Room2 room(kMove);
    const Effects effects = room.registry.move(kModSession, kBob, 777, room.now);
    const WireEvent* notice = findEvent(effects, kBobSession, "moved");
    assert_non_null(notice);
    assert_int_equal(field<int64_t>(*notice, "channel"), 777);
    assert_false(room.registry.isJoined(kBobSession));
}

void block_ejects_refuses_rejoin_and_outlives_the_room(void**) {
    Room2 room(kMove);
    const Effects effects = room.registry.block(kModSession, kBob, true, room.now);
    assert_non_null(findEvent(effects, kBobSession, "blocked"));
    assert_non_null(findEvent(effects, kModSession, "block_changed"));
    room.registry.leave(kModSession, LeaveReason::Disconnected, room.now);
    room.registry.tick(room.now += 60'000);  // the room expires...
    assert_int_equal(room.registry.roomCount(), 0);
    const Effects rejoin = room.join(5, kBob, kVoice);  // ...the block does not
    assert_string_equal(field<std::string>(*findEvent(rejoin, 5, "join_refused"), "error").c_str(), "blocked");
    const Effects moved = room.join(6, kBob, kVoice, kChannel, true);
    assert_non_null(findEvent(moved, 6, "joined"));
}

void unblock_lets_the_user_back(void**) {
    Room2 room(kMove);
    room.registry.block(kModSession, kBob, true, room.now);
    room.registry.block(kModSession, kBob, false, room.now);
    const Effects rejoin = room.join(5, kBob, kVoice);
    assert_non_null(findEvent(rejoin, 5, "joined"));
}

void speaking_is_announced_to_others_as_a_string_id(void**) {
    Room2 room(0);
    const Effects effects = room.registry.setSpeaking(kBobSession, true);
    const WireEvent* notice = findEvent(effects, kModSession, "speaking");
    assert_non_null(notice);
    assert_int_equal(notice->t, 514);
    assert_string_equal(field<std::string>(*notice, "user_id").c_str(), "2222222222222222222");
    assert_true(field<bool>(*notice, "speaking"));
    assert_null(findEvent(effects, kBobSession, "speaking"));
    assert_true(room.registry.setSpeaking(kBobSession, true).empty());  // no repeat
}

void muted_users_are_never_speaking_and_unmuting_shows_them_again(void**) {
    Room2 room(kMute);
    room.registry.setSpeaking(kBobSession, true);
    const Effects muted = room.registry.serverMute(kModSession, kBob, true, room.now);
    const WireEvent* stop = findEvent(muted, kModSession, "speaking");
    assert_non_null(stop);
    assert_false(field<bool>(*stop, "speaking"));
    assert_true(room.registry.setSpeaking(kBobSession, true).empty());
    const Effects unmuted = room.registry.serverMute(kModSession, kBob, false, room.now);
    assert_true(field<bool>(*findEvent(unmuted, kModSession, "speaking"), "speaking"));
    const Effects selfMuted = room.registry.muteSelf(kBobSession, true, room.now);
    assert_false(field<bool>(*findEvent(selfMuted, kModSession, "speaking"), "speaking"));
}

void newcomer_learns_who_is_already_speaking(void**) {
    Room2 room(0);
    room.registry.setSpeaking(kBobSession, true);
    const Effects effects = room.join(3, 3333333333333333333, kVoice);
    const WireEvent* notice = findEvent(effects, 3, "speaking");
    assert_non_null(notice);
    assert_string_equal(field<std::string>(*notice, "user_id").c_str(), "2222222222222222222");
    assert_true(field<bool>(*notice, "speaking"));
    assert_null(findEvent(effects, kModSession, "speaking"));  // the others knew already
}

void moderation_before_join_is_refused(void**) {
    RoomRegistry registry{RegistryConfig{}};
    const Effects effects = registry.kick(9, kBob, 0);
    assert_string_equal(field<std::string>(*findEvent(effects, 9, "error"), "error").c_str(), "not joined");
}

// --- an operator closes the channel (docs/operations.md, Closing a channel)

void close_channel_tells_everyone_and_closes_every_peer(void**) {
    Room2 room(kMove);
    room.registry.setSpeaking(kBobSession, true);
    const Effects effects = room.registry.closeChannel(kChannel, room.now);
    for (SessionId session : {kModSession, kBobSession}) {
        const WireEvent* notice = findEvent(effects, session, "channel_closed");
        assert_non_null(notice);
        assert_int_equal(notice->t, 510);
        assert_string_equal(errorOf(*notice).c_str(), "channel closed");
        assert_true(notice->close.has_value());
        assert_int_equal(notice->close->code, 1000);
        assert_string_equal(notice->close->reason.c_str(), "channel closed");
        assert_false(room.registry.isJoined(session));
    }
    const std::vector<event::ParticipantLeft> left = only<event::ParticipantLeft>(effects);
    assert_int_equal(left.size(), 2);
    for (const event::ParticipantLeft& one : left) assert_true(one.reason == LeaveReason::Closed);
    assert_int_equal(only<ClosePeer>(effects).size(), 2);
    // Nobody is left to re-offer, to tell who stops speaking, or to forward to.
    assert_true(only<SendOffer>(effects).empty());
    assert_true(only<event::SpeakingChanged>(effects).empty());
    for (const SetFanout& fanout : only<SetFanout>(effects)) assert_true(fanout.targets.empty());
    assert_int_equal(room.registry.participantCount(), 0);
}

void close_channel_leaves_other_channels_alone(void**) {
    Room2 room(0);
    JoinRequest elsewhere;
    elsewhere.session = 7;
    elsewhere.channel = 42;
    elsewhere.user = 7777777777777777777;
    elsewhere.perms = kVoice;
    assert_int_equal(only<event::ParticipantJoined>(room.registry.join(elsewhere, room.now)).size(), 1);
    const Effects effects = room.registry.closeChannel(42, room.now);
    assert_int_equal(only<event::ParticipantLeft>(effects).size(), 1);
    assert_null(findEvent(effects, kModSession, "channel_closed"));
    assert_null(findEvent(effects, kBobSession, "channel_closed"));
    assert_true(room.registry.isJoined(kModSession) && room.registry.isJoined(kBobSession));
}

void close_channel_of_an_empty_or_unknown_channel_changes_nothing(void**) {
    Room2 room(0);
    assert_true(room.registry.closeChannel(99, room.now).empty());
    room.registry.closeChannel(kChannel, room.now);
    assert_true(room.registry.closeChannel(kChannel, room.now).empty());
}

void close_channel_keeps_the_block_list_and_lets_others_rejoin(void**) {
    Room2 room(kMove);
    constexpr UserId kEve = 3333333333333333333;
    room.registry.block(kModSession, kEve, true, room.now);
    room.registry.closeChannel(kChannel, room.now);
    const Effects refused = room.join(5, kEve, kVoice);
    assert_string_equal(errorOf(*findEvent(refused, 5, "join_refused")).c_str(), "blocked");
    assert_non_null(findEvent(room.join(6, kBob, kVoice), 6, "joined"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_privileged_event_without_its_permission_is_forbidden_and_changes_nothing),
        cmocka_unit_test(each_privileged_event_with_its_permission_or_admin_takes_effect),
        cmocka_unit_test(server_mute_is_broadcast_and_stops_forwarding_for_everyone),
        cmocka_unit_test(server_mute_survives_the_targets_reconnect),
        cmocka_unit_test(server_deafen_stops_everything_the_target_receives),
        cmocka_unit_test(self_mute_stops_own_audio_for_all),
        cmocka_unit_test(local_mute_affects_only_the_requester),
        cmocka_unit_test(kick_tells_and_disconnects_the_target),
        cmocka_unit_test(kick_or_move_of_absent_user_is_not_found),
        cmocka_unit_test(move_tells_the_target_its_new_channel),
        cmocka_unit_test(block_ejects_refuses_rejoin_and_outlives_the_room),
        cmocka_unit_test(unblock_lets_the_user_back),
        cmocka_unit_test(speaking_is_announced_to_others_as_a_string_id),
        cmocka_unit_test(muted_users_are_never_speaking_and_unmuting_shows_them_again),
        cmocka_unit_test(newcomer_learns_who_is_already_speaking),
        cmocka_unit_test(moderation_before_join_is_refused),
        cmocka_unit_test(close_channel_tells_everyone_and_closes_every_peer),
        cmocka_unit_test(close_channel_leaves_other_channels_alone),
        cmocka_unit_test(close_channel_of_an_empty_or_unknown_channel_changes_nothing),
        cmocka_unit_test(close_channel_keeps_the_block_list_and_lets_others_rejoin),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
