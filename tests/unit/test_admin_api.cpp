// The admin requests' decoder and answers (docs/plugin-api.md, Admin API):
// every request by name with its fields, ids as integers or decimal
// strings, the reverses (unblock, undrain), refusals as Janus's error
// object, and a participant's JSON with exact int64 ids.
#include "plugins/gochat-sfu/janus/admin_api.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>

using namespace gochat;
using namespace gochat::sfu;

namespace {

DecodedAdminRequest decode(const char* text) {
    JsonRef request = JsonRef::parse(text);
    assert_non_null(request.get());
    return decodeAdminRequest(request.get());
}

template <class T>
T decodedAs(const char* text) {
    DecodedAdminRequest decoded = decode(text);
    if (const AdminError* error = std::get_if<AdminError>(&decoded)) fail_msg("%s: %s", text, error->reason.c_str());
    const AdminRequest& request = std::get<AdminRequest>(decoded);
    if (!std::holds_alternative<T>(request)) fail_msg("%s: another request", text);
    return std::get<T>(request);
}

AdminError refusalOf(const char* text) {
    DecodedAdminRequest decoded = decode(text);
    if (!std::holds_alternative<AdminError>(decoded)) fail_msg("%s was accepted", text);
    return std::get<AdminError>(decoded);
}

void every_request_is_decoded_with_its_fields(void**) {
    decodedAs<admin::Status>(R"({"request":"status"})");
    decodedAs<admin::ListRooms>(R"({"request":"list_rooms"})");
    assert_int_equal(
        decodedAs<admin::ListParticipants>(R"({"request":"list_participants","channel":9007199254740993})").channel,
        9007199254740993);
    const admin::Mute mute = decodedAs<admin::Mute>(R"({"request":"mute","channel":1,"user":2})");
    assert_true(mute.channel == 1 && mute.user == 2 && mute.muted);
    assert_false(decodedAs<admin::Mute>(R"({"request":"mute","channel":1,"user":2,"muted":false})").muted);
    assert_true(decodedAs<admin::Deafen>(R"({"request":"deafen","channel":1,"user":2})").deafened);
    assert_int_equal(decodedAs<admin::Kick>(R"({"request":"kick","channel":1,"user":2})").user, 2);
    assert_true(decodedAs<admin::Block>(R"({"request":"block","channel":1,"user":2})").block);
    assert_false(decodedAs<admin::Block>(R"({"request":"unblock","channel":1,"user":2})").block);
    assert_int_equal(decodedAs<admin::CloseChannel>(R"({"request":"close_channel","channel":5})").channel, 5);
    assert_true(decodedAs<admin::Drain>(R"({"request":"drain"})").draining);
    assert_false(decodedAs<admin::Drain>(R"({"request":"undrain"})").draining);
}

void ids_may_be_decimal_strings_and_stay_exact(void**) {
    const admin::Kick kick =
        decodedAs<admin::Kick>(R"({"request":"kick","channel":"1234567890123456789","user":"9223372036854775807"})");
    assert_true(kick.channel == 1234567890123456789);
    assert_true(kick.user == INT64_MAX);
}

void malformed_requests_are_refused_with_400_and_a_reason(void**) {
    for (const char* text :
         {R"({"request":"mute","user":2})", R"({"request":"mute","channel":0,"user":2})",
          R"({"request":"mute","channel":1,"user":"2x"})", R"({"request":"kick","channel":1.5,"user":2})",
          R"({"request":"mute","channel":1,"user":2,"muted":"yes"})", R"({"request":"list_participants"})",
          R"({"request":"frobnicate"})", R"({"request":7})", R"({})"}) {
        const AdminError error = refusalOf(text);
        if (error.code != 400) fail_msg("%s: code %d", text, error.code);
        if (error.reason.empty()) fail_msg("%s: no reason", text);
    }
    assert_true(refusalOf(R"({"request":"frobnicate"})").reason.find("unknown request \"frobnicate\"") == 0);
    assert_true(std::holds_alternative<AdminError>(decodeAdminRequest(nullptr)));
}

void reads_and_actions_are_told_apart_and_named(void**) {
    assert_false(isAdminAction(AdminRequest{admin::Status{}}));
    assert_false(isAdminAction(AdminRequest{admin::ListParticipants{}}));
    assert_true(isAdminAction(AdminRequest{admin::Kick{}}));
    assert_true(isAdminAction(AdminRequest{admin::Drain{}}));
    assert_string_equal(adminRequestName(AdminRequest{admin::Block{1, 2, false}}).c_str(), "unblock");
    assert_string_equal(adminRequestName(AdminRequest{admin::Drain{false}}).c_str(), "undrain");
    assert_string_equal(adminRequestName(AdminRequest{admin::CloseChannel{}}).c_str(), "close_channel");
}

void refusals_use_janus_error_objects(void**) {
    const AdminError unknown = adminErrorOf(OperatorError::UnknownUser, 789, 42);
    assert_int_equal(unknown.code, 404);
    assert_string_equal(adminErrorAnswer(unknown).dump().c_str(),
                        R"({"ok":false,"error":{"code":404,"reason":"no such user: 42 is not in channel 789"}})");
    assert_int_equal(adminErrorOf(OperatorError::UnknownChannel, 789, 0).code, 404);
    assert_int_equal(adminErrorOf(OperatorError::NotBlocked, 789, 42).code, 404);
}

void a_participant_is_written_with_exact_ids_and_unix_times(void**) {
    ParticipantInfo p;
    p.session = 3;
    p.channel = 1234567890123456789;
    p.user = 9007199254740993;
    p.perms = 7340032;
    p.serverMuted = true;
    p.audioCodec = "opus";
    p.joinedAt = 10'000;
    const AdminClock clock{70'000, 1'700'000'000'000};  // joined a minute ago
    JsonRef out = JsonRef::object();
    writeParticipant(out, p, AdminTraffic{1000, 2000}, clock);
    assert_string_equal(out.dump().c_str(),
                        R"({"session":3,"channel":1234567890123456789,"user":9007199254740993,"perms":7340032,)"
                        R"("muted":false,"server_muted":true,"deafened":false,"speaking":false,)"
                        R"("publishing":{"audio":"opus"},"joined_at":1699999940,"bytes_in":1000,"bytes_out":2000})");
    RoomInfo room{42, 2, 1, 10'000};
    assert_string_equal(roomJson(room, clock).dump().c_str(),
                        R"({"channel":42,"participants":2,"publishers":1,"age":60})");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_request_is_decoded_with_its_fields),
        cmocka_unit_test(ids_may_be_decimal_strings_and_stay_exact),
        cmocka_unit_test(malformed_requests_are_refused_with_400_and_a_reason),
        cmocka_unit_test(reads_and_actions_are_told_apart_and_named),
        cmocka_unit_test(refusals_use_janus_error_objects),
        cmocka_unit_test(a_participant_is_written_with_exact_ids_and_unix_times),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
