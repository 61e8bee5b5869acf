// Table tests of the pure envelope codec: client text -> action, Janus
// message -> client frame.
#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/envelope_codec.hpp"

using gochat::JsonRef;
using namespace gochat::ws;

namespace {

constexpr int64_t kNow = 1700000000123;

JsonRef parsed(const std::string& text) {
    JsonRef value = JsonRef::parse(text);
    assert_non_null(value.get());
    return value;
}

void heartbeat_echoes_19_digit_nonce_and_ts_exactly(void**) {
    ClientMessage m = decodeClientText(R"({"op":2,"d":{"nonce":9223372036854775807,"ts":1234567890123456789}})", kNow);
    assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Heartbeat));
    assert_string_equal(m.reply.dump().c_str(), R"({"op":2,"d":{"pong":true,"server_ts":1700000000123,)"
                                                R"("nonce":9223372036854775807,"ts":1234567890123456789}})");
}

void heartbeat_keeps_nonce_type_and_omits_absent_fields(void**) {
    struct Case {
        const char* in;
        const char* out;
    } cases[] = {
        {R"({"op":2,"d":{"nonce":"abc"}})", R"({"op":2,"d":{"pong":true,"server_ts":1700000000123,"nonce":"abc"}})"},
        {R"({"op":2,"d":{"ts":-5}})", R"({"op":2,"d":{"pong":true,"server_ts":1700000000123,"ts":-5}})"},
        {R"({"op":2,"d":{}})", R"({"op":2,"d":{"pong":true,"server_ts":1700000000123}})"},
        {R"({"op":2})", R"({"op":2,"d":{"pong":true,"server_ts":1700000000123}})"},
        {R"({"op":2,"d":{"nonce":{"x":[1,2]},"ts":1.5}})",
         R"({"op":2,"d":{"pong":true,"server_ts":1700000000123,"nonce":{"x":[1,2]},"ts":1.5}})"},
    };
    for (const Case& c : cases) {
        ClientMessage m = decodeClientText(c.in, kNow);
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Heartbeat));
        assert_string_equal(m.reply.dump().c_str(), c.out);
    }
}

void heartbeat_carrying_pong_is_not_answered(void**) {
    ClientMessage m = decodeClientText(R"({"op":2,"d":{"pong":true,"nonce":5}})", kNow);
    assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Ignored));
}

void malformed_envelopes_are_invalid_with_their_t(void**) {
    struct Case {
        std::string in;
        int64_t t;
    } cases[] = {
        {"not json", 0},
        {"[1,2]", 0},
        {"42", 0},
        {R"({"op":"7","t":500,"d":{}})", 0},
        {R"({"op":7.0,"t":500,"d":{}})", 0},
        {R"({"op":3,"t":12,"d":{}})", 12},
        {R"({"op":7,"d":{}})", 0},
        {R"({"op":7,"t":"500","d":{}})", 0},
        {R"({"op":7,"t":505,"d":[]})", 505},
        {R"({"op":7,"t":599,"d":{}})", 599},
        {R"({"op":2,"d":"ping"})", 0},
        {R"({"op":7,"t":500,"t":501,"d":{}})", 0},                          // duplicate keys
        {std::string("{\"op\":2,\"d\":{\"nonce\":\"\xC3\x28\"}}"), 0},      // broken UTF-8
        {std::string("{\"op\":2,\"d\":{\"nonce\":\"\xED\xA0\x80\"}}"), 0},  // surrogate
        {R"({"event":"dance","data":""})", 0},
        {R"({"hello":1})", 0},
    };
    for (const Case& c : cases) {
        ClientMessage m = decodeClientText(c.in, kNow);
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Invalid));
        assert_int_equal(m.t, c.t);
    }
}

void join_passes_channel_and_token_through(void**) {
    ClientMessage m =
        decodeClientText(R"({"op":7,"t":500,"d":{"channel":2230469276416868352,"token":"Bearer a.b.c"}})", kNow);
    assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::PluginMessage));
    assert_true(m.isJoin);
    assert_int_equal(m.t, 500);
    assert_string_equal(m.body.dump().c_str(),
                        R"({"request":"join","channel":2230469276416868352,"token":"Bearer a.b.c"})");
    assert_null(m.jsep.get());
}

void join_with_bad_channel_or_token_is_invalid(void**) {
    const char* cases[] = {
        R"({"op":7,"t":500,"d":{"channel":0,"token":"x"}})",
        R"({"op":7,"t":500,"d":{"channel":"5","token":"x"}})",
        R"({"op":7,"t":500,"d":{"channel":5.5,"token":"x"}})",
        R"({"op":7,"t":500,"d":{"token":"x"}})",
        R"({"op":7,"t":500,"d":{"channel":5,"token":""}})",
        R"({"op":7,"t":500,"d":{"channel":5,"token":7}})",
        R"({"op":7,"t":500,"d":{"channel":5}})",
        R"({"op":7,"t":500})",
    };
    for (const char* in : cases) {
        ClientMessage m = decodeClientText(in, kNow);
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Invalid));
        assert_int_equal(m.t, 500);
    }
}

void offer_and_answer_become_jsep(void**) {
    ClientMessage offer = decodeClientText(R"({"op":7,"t":501,"d":{"sdp":"v=0 o"}})", kNow);
    assert_string_equal(offer.body.dump().c_str(), R"({"request":"offer"})");
    assert_string_equal(offer.jsep.dump().c_str(), R"({"type":"offer","sdp":"v=0 o"})");
    ClientMessage answer = decodeClientText(R"({"op":7,"t":502,"d":{"sdp":"v=0 a"}})", kNow);
    assert_string_equal(answer.body.dump().c_str(), R"({"request":"answer"})");
    assert_string_equal(answer.jsep.dump().c_str(), R"({"type":"answer","sdp":"v=0 a"})");
    for (const char* in :
         {R"({"op":7,"t":502,"d":{}})", R"({"op":7,"t":502,"d":{"sdp":""}})", R"({"op":7,"t":501,"d":{"sdp":1}})"}) {
        assert_int_equal(static_cast<int>(decodeClientText(in, kNow).kind),
                         static_cast<int>(ClientMessage::Kind::Invalid));
    }
}

void candidates_map_to_janus_trickle(void**) {
    struct Case {
        const char* in;
        const char* candidate;  // nullptr: invalid
    } cases[] = {
        {R"({"op":7,"t":503,"d":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0}})",
         R"({"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0})"},
        {R"({"op":7,"t":503,"d":{"candidate":"c","sdpMid":null,"sdpMLineIndex":null}})", R"({"candidate":"c"})"},
        {R"({"op":7,"t":503,"d":{"candidate":""}})", R"({"completed":true})"},
        {R"({"op":7,"t":503,"d":{"completed":true}})", R"({"completed":true})"},
        {R"({"op":7,"t":503,"d":{"candidate":5}})", nullptr},
        {R"({"op":7,"t":503,"d":{}})", nullptr},
        {R"({"op":7,"t":503,"d":{"candidate":"c","sdpMid":0}})", nullptr},
        {R"({"op":7,"t":503,"d":{"candidate":"c","sdpMLineIndex":"0"}})", nullptr},
        {R"({"op":7,"t":503,"d":{"candidate":"c","sdpMLineIndex":-1}})", nullptr},
    };
    for (const Case& c : cases) {
        ClientMessage m = decodeClientText(c.in, kNow);
        assert_int_equal(m.t, 503);
        if (!c.candidate) {
            assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Invalid));
            continue;
        }
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Trickle));
        assert_string_equal(m.candidate.dump().c_str(), c.candidate);
    }
}

void voice_control_events_map_field_by_field(void**) {
    struct Case {
        const char* in;
        const char* body;  // nullptr: invalid
    } cases[] = {
        {R"({"op":7,"t":504,"d":{}})", R"({"request":"leave"})"},
        {R"({"op":7,"t":504})", R"({"request":"leave"})"},
        {R"({"op":7,"t":505,"d":{"muted":true}})", R"({"request":"mute_self","muted":true})"},
        {R"({"op":7,"t":505,"d":{"muted":1}})", nullptr},
        {R"({"op":7,"t":506,"d":{"user":9007199254740993,"muted":false}})",
         R"({"request":"mute_user","user":9007199254740993,"muted":false})"},
        {R"({"op":7,"t":506,"d":{"user":"1","muted":false}})", nullptr},
        {R"({"op":7,"t":507,"d":{"user":42,"muted":true}})", R"({"request":"server_mute","user":42,"muted":true})"},
        {R"({"op":7,"t":507,"d":{"user":42}})", nullptr},
        {R"({"op":7,"t":508,"d":{"user":42,"deafened":true}})",
         R"({"request":"server_deafen","user":42,"deafened":true})"},
        {R"({"op":7,"t":508,"d":{"user":42,"muted":true}})", nullptr},
        {R"({"op":7,"t":510,"d":{"user":42}})", R"({"request":"kick","user":42})"},
        {R"({"op":7,"t":510,"d":{"user":4.2}})", nullptr},
        {R"({"op":7,"t":511,"d":{"user":42,"block":false}})", R"({"request":"block","user":42,"block":false})"},
        {R"({"op":7,"t":512,"d":{"user":42,"channel":-7}})", R"({"request":"move","user":42,"channel":-7})"},
        {R"({"op":7,"t":512,"d":{"user":42}})", nullptr},
    };
    for (const Case& c : cases) {
        ClientMessage m = decodeClientText(c.in, kNow);
        if (!c.body) {
            assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Invalid));
            continue;
        }
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::PluginMessage));
        assert_string_equal(m.body.dump().c_str(), c.body);
        assert_false(m.isJoin);
    }
}

void gateway_events_509_and_513_are_ignored(void**) {
    for (const char* in : {R"({"op":7,"t":509,"d":{}})", R"({"op":7,"t":513,"d":{"x":1}})"}) {
        assert_int_equal(static_cast<int>(decodeClientText(in, kNow).kind),
                         static_cast<int>(ClientMessage::Kind::Ignored));
    }
}

void web_client_events_map_to_negotiate_and_speaking(void**) {
    struct Case {
        const char* in;
        const char* body;
    } cases[] = {
        {R"({"event":"negotiate","data":""})", R"({"request":"negotiate"})"},
        {R"({"event":"speaking","data":"1"})", R"({"request":"speaking","speaking":true})"},
        {R"({"event":"speaking","data":"0"})", R"({"request":"speaking","speaking":false})"},
        {R"({"event":"speaking","data":true})", R"({"request":"speaking","speaking":true})"},
        {R"({"event":"speaking","data":"yes"})", nullptr},
        {R"({"event":"speaking"})", nullptr},
    };
    for (const Case& c : cases) {
        ClientMessage m = decodeClientText(c.in, kNow);
        assert_int_equal(m.t, 0);
        if (!c.body) {
            assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::Invalid));
            continue;
        }
        assert_int_equal(static_cast<int>(m.kind), static_cast<int>(ClientMessage::Kind::PluginMessage));
        assert_string_equal(m.body.dump().c_str(), c.body);
    }
}

void janus_requests_carry_integer_ids_and_string_transaction(void**) {
    JsonRef body = JsonRef::object();
    body.setString("request", "offer");
    JsonRef jsep = JsonRef::object();
    jsep.setString("type", "offer").setString("sdp", "v=0");
    assert_string_equal(buildMessageRequest("gcws-1-3", 11, 22, std::move(body), std::move(jsep)).dump().c_str(),
                        R"({"janus":"message","session_id":11,"handle_id":22,"transaction":"gcws-1-3",)"
                        R"("body":{"request":"offer"},"jsep":{"type":"offer","sdp":"v=0"}})");
    assert_string_equal(buildCreateRequest("t1").dump().c_str(), R"({"janus":"create","transaction":"t1"})");
    assert_string_equal(buildAttachRequest("t2", 5, "janus.plugin.gochat.sfu").dump().c_str(),
                        R"({"janus":"attach","session_id":5,"plugin":"janus.plugin.gochat.sfu","transaction":"t2"})");
    assert_string_equal(buildKeepaliveRequest("t3", 5).dump().c_str(),
                        R"({"janus":"keepalive","session_id":5,"transaction":"t3"})");
    JsonRef candidate = JsonRef::object();
    candidate.setBool("completed", true);
    assert_string_equal(
        buildTrickleRequest("t4", 5, 6, std::move(candidate)).dump().c_str(),
        R"({"janus":"trickle","session_id":5,"handle_id":6,"transaction":"t4","candidate":{"completed":true}})");
}

void janus_replies_are_classified(void**) {
    JanusReply created =
        decodeJanus(parsed(R"({"janus":"success","transaction":"t1","data":{"id":8123456789}})").get());
    assert_int_equal(static_cast<int>(created.kind), static_cast<int>(JanusReply::Kind::Success));
    assert_string_equal(created.transaction.c_str(), "t1");
    assert_true(created.dataId == 8123456789ULL);

    JanusReply ack = decodeJanus(parsed(R"({"janus":"ack","session_id":1,"transaction":"t3"})").get());
    assert_int_equal(static_cast<int>(ack.kind), static_cast<int>(JanusReply::Kind::Ack));

    JanusReply error = decodeJanus(
        parsed(R"({"janus":"error","transaction":"t2","error":{"code":460,"reason":"No such plugin"}})").get());
    assert_int_equal(static_cast<int>(error.kind), static_cast<int>(JanusReply::Kind::Error));
    assert_int_equal(error.errorCode, 460);
    assert_string_equal(error.errorReason.c_str(), "No such plugin");

    struct Case {
        const char* in;
        JanusReply::Kind kind;
    } cases[] = {
        {R"({"janus":"timeout","session_id":1})", JanusReply::Kind::Timeout},
        {R"({"janus":"detached","session_id":1,"sender":2})", JanusReply::Kind::Detached},
        {R"({"janus":"webrtcup","session_id":1,"sender":2})", JanusReply::Kind::Ignored},
        {R"({"janus":"media","session_id":1,"sender":2,"type":"audio","receiving":true})", JanusReply::Kind::Ignored},
        {R"({"janus":"slowlink","session_id":1,"sender":2})", JanusReply::Kind::Ignored},
        {R"({"janus":"hangup","session_id":1,"sender":2,"reason":"x"})", JanusReply::Kind::Ignored},
        {R"({"janus":"trickle","candidate":{"completed":true}})", JanusReply::Kind::Ignored},
        {R"({"janus":"event","plugindata":{"data":{"gochat":"x","t":"500","d":{}}}})", JanusReply::Kind::Malformed},
        {R"({"janus":"event","plugindata":{"data":{"gochat":"x","t":500,"d":[]}}})", JanusReply::Kind::Malformed},
        {R"({"janus":"event"})", JanusReply::Kind::Malformed},
        {R"({"transaction":"x"})", JanusReply::Kind::Malformed},
    };
    for (const Case& c : cases) {
        assert_int_equal(static_cast<int>(decodeJanus(parsed(c.in).get()).kind), static_cast<int>(c.kind));
    }
}

void plugin_event_with_jsep_sets_sdp_without_touching_the_original(void**) {
    JsonRef event =
        parsed(R"({"janus":"event","session_id":1,"sender":2,"plugindata":{"plugin":"janus.plugin.gochat.sfu",)"
               R"("data":{"gochat":"offer","t":501,"d":{}}},"jsep":{"type":"offer","sdp":"v=0\r\n"}})");
    const std::string before = event.dump();
    JanusReply reply = decodeJanus(event.get());
    assert_int_equal(static_cast<int>(reply.kind), static_cast<int>(JanusReply::Kind::PluginEvent));
    assert_int_equal(reply.t, 501);
    assert_string_equal(reply.eventName.c_str(), "offer");
    assert_string_equal(reply.frame.c_str(), R"({"op":7,"t":501,"d":{"sdp":"v=0\r\n"}})");
    assert_false(reply.close.has_value());
    assert_string_equal(event.dump().c_str(), before.c_str());
}

void plugin_event_passes_d_through_with_exact_ids(void**) {
    JanusReply reply = decodeJanus(parsed(R"({"janus":"event","plugindata":{"data":{"gochat":"server_muted","t":507,)"
                                          R"("d":{"user":9223372036854775806,"muted":true}}}})")
                                       .get());
    assert_string_equal(reply.frame.c_str(), R"({"op":7,"t":507,"d":{"user":9223372036854775806,"muted":true}})");
    assert_false(reply.joinAccepted);
}

void joined_event_is_recognised(void**) {
    JanusReply joined = decodeJanus(
        parsed(
            R"({"janus":"event","transaction":"x","plugindata":{"data":{"gochat":"joined","t":500,"d":{"ok":true}}}})")
            .get());
    assert_true(joined.joinAccepted);
    JanusReply refused = decodeJanus(
        parsed(
            R"({"janus":"event","plugindata":{"data":{"gochat":"join_refused","t":500,"d":{"ok":false,"error":"forbidden"},)"
            R"("close":{"code":1008,"reason":"forbidden"}}}})")
            .get());
    assert_false(refused.joinAccepted);
    assert_true(refused.close.has_value());
    assert_int_equal(refused.close->code, 1008);
    assert_string_equal(refused.close->reason.c_str(), "forbidden");
    assert_string_equal(refused.frame.c_str(), R"({"op":7,"t":500,"d":{"ok":false,"error":"forbidden"}})");
}

void synchronous_success_with_plugindata_is_an_event(void**) {
    JanusReply reply =
        decodeJanus(parsed(R"({"janus":"success","transaction":"t9","plugindata":{"data":{"gochat":"error","t":507,)"
                           R"("d":{"ok":false,"error":"forbidden"}}}})")
                        .get());
    assert_int_equal(static_cast<int>(reply.kind), static_cast<int>(JanusReply::Kind::PluginEvent));
    assert_string_equal(reply.transaction.c_str(), "t9");
    JanusReply other = decodeJanus(
        parsed(R"({"janus":"success","transaction":"t9","plugindata":{"data":{"echotest":"event"}}})").get());
    assert_int_equal(static_cast<int>(other.kind), static_cast<int>(JanusReply::Kind::Success));
}

void server_trickle_becomes_503(void**) {
    JanusReply reply = decodeJanus(
        parsed(
            R"({"janus":"trickle","session_id":1,"sender":2,"candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:x"}})")
            .get());
    assert_int_equal(static_cast<int>(reply.kind), static_cast<int>(JanusReply::Kind::Trickle));
    assert_string_equal(reply.frame.c_str(),
                        R"({"op":7,"t":503,"d":{"candidate":"candidate:x","sdpMid":"0","sdpMLineIndex":0}})");
}

void close_codes_are_sanitised(void**) {
    struct Case {
        int64_t code;
        int expected;
    } cases[] = {{1000, 1000}, {1008, 1008}, {4010, 4010}, {3000, 3000}, {1005, 1011}, {1006, 1011},
                 {999, 1011},  {5000, 1011}, {-1, 1011},   {1015, 1011}, {2000, 1011}};
    for (const Case& c : cases) assert_int_equal(sanitizeClose(c.code, "x").code, c.expected);
    std::string longReason(200, 'a');
    assert_int_equal(sanitizeClose(1000, longReason).reason.size(), 123);
    // 122 ASCII bytes then a 2-byte character: cut before the character.
    std::string multibyte = std::string(122, 'a') + "\xC3\xA9" + "b";
    assert_int_equal(sanitizeClose(1000, multibyte).reason.size(), 122);
}

void rtc_error_frame_shape(void**) {
    assert_string_equal(encodeRtcError(500, "join timeout").c_str(),
                        R"({"op":7,"t":500,"d":{"ok":false,"error":"join timeout"}})");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heartbeat_echoes_19_digit_nonce_and_ts_exactly),
        cmocka_unit_test(heartbeat_keeps_nonce_type_and_omits_absent_fields),
        cmocka_unit_test(heartbeat_carrying_pong_is_not_answered),
        cmocka_unit_test(malformed_envelopes_are_invalid_with_their_t),
        cmocka_unit_test(join_passes_channel_and_token_through),
        cmocka_unit_test(join_with_bad_channel_or_token_is_invalid),
        cmocka_unit_test(offer_and_answer_become_jsep),
        cmocka_unit_test(candidates_map_to_janus_trickle),
        cmocka_unit_test(voice_control_events_map_field_by_field),
        cmocka_unit_test(gateway_events_509_and_513_are_ignored),
        cmocka_unit_test(web_client_events_map_to_negotiate_and_speaking),
        cmocka_unit_test(janus_requests_carry_integer_ids_and_string_transaction),
        cmocka_unit_test(janus_replies_are_classified),
        cmocka_unit_test(plugin_event_with_jsep_sets_sdp_without_touching_the_original),
        cmocka_unit_test(plugin_event_passes_d_through_with_exact_ids),
        cmocka_unit_test(joined_event_is_recognised),
        cmocka_unit_test(synchronous_success_with_plugindata_is_an_event),
        cmocka_unit_test(server_trickle_becomes_503),
        cmocka_unit_test(close_codes_are_sanitised),
        cmocka_unit_test(rtc_error_frame_shape),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
