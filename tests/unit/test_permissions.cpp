// Permission decisions: every action against the permission it needs,
// administrator override, `moved` tokens and configurable bits.
#include "plugins/gochat-sfu/core/permissions.hpp"
#include "tests/unit/cmocka.hpp"

#include <initializer_list>

using namespace gochat::sfu;

namespace {

const PermissionBits kBits;  // defaults: 20..26
int64_t bit(int n) { return int64_t{1} << n; }

void each_action_needs_its_permission(void**) {
    struct Case {
        Action action;
        int neededBit;
    };
    const Case cases[] = {
        {Action::Join, 20},         {Action::PublishAudio, 21}, {Action::PublishVideo, 22}, {Action::ServerMute, 23},
        {Action::ServerDeafen, 24}, {Action::Kick, 25},         {Action::Block, 25},        {Action::Move, 25},
    };
    for (const Case& c : cases) {
        assert_true(authorize(Grants::fromToken(bit(c.neededBit), false, kBits), c.action));
        assert_false(authorize(Grants::fromToken(0, false, kBits), c.action));
        // Every other single permission (but administrator) is not enough.
        for (int other = 20; other <= 25; ++other) {
            if (other == c.neededBit) continue;
            assert_false(authorize(Grants::fromToken(bit(other), false, kBits), c.action));
        }
    }
}

void administrator_passes_every_check(void**) {
    const Grants admin = Grants::fromToken(bit(26), false, kBits);
    for (Action action : {Action::Join, Action::PublishAudio, Action::PublishVideo, Action::ServerMute,
                          Action::ServerDeafen, Action::Kick, Action::Block, Action::Move})
        assert_true(authorize(admin, action));
}

void moved_token_grants_connect_speak_and_video_only(void**) {
    const Grants moved = Grants::fromToken(0, true, kBits);
    assert_true(authorize(moved, Action::Join));
    assert_true(authorize(moved, Action::PublishAudio));
    assert_true(authorize(moved, Action::PublishVideo));
    assert_false(authorize(moved, Action::ServerMute));
    assert_false(authorize(moved, Action::Kick));
}

void documented_bit_19_is_not_connect(void**) {
    // docs/voice-control.md, Permissions: tokens in the wild follow the code (bit 20).
    assert_false(authorize(Grants::fromToken(bit(19), false, kBits), Action::Join));
    assert_true(authorize(Grants::fromToken(7340032, false, kBits), Action::PublishVideo));  // Connect|Speak|Video
}

void bits_are_configurable(void**) {
    PermissionBits custom;
    custom.connect = 3;
    assert_true(authorize(Grants::fromToken(bit(3), false, custom), Action::Join));
    assert_false(authorize(Grants::fromToken(bit(20), false, custom), Action::Join));
    custom.speak = 63;
    assert_false(custom.valid());
}

void negative_mask_is_read_bitwise(void**) {
    // int64 masks with the top bit set must not be sign-extended into grants.
    assert_true(authorize(Grants::fromToken(INT64_MIN | bit(20), false, kBits), Action::Join));
    assert_false(authorize(Grants::fromToken(INT64_MIN, false, kBits), Action::Join));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_action_needs_its_permission),
        cmocka_unit_test(administrator_passes_every_check),
        cmocka_unit_test(moved_token_grants_connect_speak_and_video_only),
        cmocka_unit_test(documented_bit_19_is_not_connect),
        cmocka_unit_test(bits_are_configurable),
        cmocka_unit_test(negative_mask_is_read_bitwise),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
