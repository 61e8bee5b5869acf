// Decoding the plugin's native API requests: every request with its fields,
// wrong types, missing fields, unknown names, and the `t` errors answer on.
#include "plugins/gochat-sfu/janus/request_decoder.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"
#include "common/json_ref.hpp"
#include "tests/unit/cmocka.hpp"

#include <initializer_list>
#include <string>

using namespace gochat;
using namespace gochat::sfu;

namespace {

DecodedRequest decode(const char* body, const char* jsep = nullptr) {
    JsonRef b = JsonRef::parse(body);
    JsonRef j = jsep ? JsonRef::parse(jsep) : JsonRef();
    return decodeRequest(b.get(), j.get());
}

const RequestError* errorOf(const DecodedRequest& decoded) { return std::get_if<RequestError>(&decoded); }

template <class T>
const T* requestOf(const DecodedRequest& decoded) {
    const Request* request = std::get_if<Request>(&decoded);
    return request ? std::get_if<T>(request) : nullptr;
}

void join_keeps_int64_channel_exact(void**) {
    const DecodedRequest decoded = decode(R"({"request":"join","channel":1234567890123456789,"token":"Bearer x"})");
    const auto* join = requestOf<request::Join>(decoded);
    assert_non_null(join);
    assert_true(join->channel == 1234567890123456789);
    assert_string_equal(join->token.c_str(), "Bearer x");
}

void malformed_join_is_a_refused_join(void**) {
    for (const char* body :
         {R"({"request":"join","channel":0,"token":"x"})", R"({"request":"join","channel":"5","token":"x"})",
          R"({"request":"join","channel":5,"token":""})", R"({"request":"join","channel":5})",
          R"({"request":"join","channel":5.5,"token":"x"})"}) {
        const DecodedRequest decoded = decode(body);
        const RequestError* error = errorOf(decoded);
        assert_non_null(error);
        assert_true(error->request == RequestKind::Join);
        assert_int_equal(envelopeTypeOf(error->request), 500);
    }
}

void each_voice_control_request_decodes_its_fields(void**) {
    assert_true(requestOf<request::MuteSelf>(decode(R"({"request":"mute_self","muted":true})"))->muted);
    assert_true(requestOf<request::MuteUser>(decode(R"({"request":"mute_user","user":7,"muted":false})"))->user == 7);
    assert_true(
        requestOf<request::ServerMute>(decode(R"({"request":"server_mute","user":9223372036854775807,"muted":true})"))
            ->user == INT64_MAX);
    assert_true(
        requestOf<request::ServerDeafen>(decode(R"({"request":"server_deafen","user":3,"deafened":true})"))->deafened);
    assert_true(requestOf<request::Kick>(decode(R"({"request":"kick","user":4})"))->user == 4);
    assert_true(requestOf<request::Block>(decode(R"({"request":"block","user":5,"block":true})"))->block);
    assert_true(requestOf<request::Move>(decode(R"({"request":"move","user":6,"channel":8})"))->channel == 8);
    assert_non_null(requestOf<request::Leave>(decode(R"({"request":"leave"})")));
    assert_non_null(requestOf<request::Negotiate>(decode(R"({"request":"negotiate"})")));
    assert_true(requestOf<request::SpeakingReport>(decode(R"({"request":"speaking","speaking":true})"))->speaking);
}

void wrong_field_types_answer_on_the_requests_t(void**) {
    struct Case {
        const char* body;
        int t;
    };
    const Case cases[] = {
        {R"({"request":"mute_self","muted":"yes"})", 505},
        {R"({"request":"mute_user","user":"7","muted":true})", 506},
        {R"({"request":"server_mute","user":1})", 507},
        {R"({"request":"server_deafen","user":1,"deafened":1})", 508},
        {R"({"request":"kick","user":1.5})", 510},
        {R"({"request":"block","user":1,"block":null})", 511},
        {R"({"request":"move","user":1,"channel":0})", 512},
        {R"({"request":"speaking","speaking":"1"})", 0},
    };
    for (const Case& c : cases) {
        const DecodedRequest decoded = decode(c.body);
        const RequestError* error = errorOf(decoded);
        assert_non_null(error);
        assert_int_equal(envelopeTypeOf(error->request), c.t);
        assert_false(error->request == RequestKind::Join);
    }
}

void offers_and_answers_need_a_matching_jsep(void**) {
    assert_non_null(requestOf<request::Answer>(decode(R"({"request":"answer"})", R"({"type":"answer","sdp":"v=0"})")));
    assert_non_null(requestOf<request::Offer>(decode(R"({"request":"offer"})", R"({"type":"offer","sdp":"v=0"})")));
    assert_int_equal(envelopeTypeOf(errorOf(decode(R"({"request":"answer"})"))->request), 502);
    assert_int_equal(
        envelopeTypeOf(errorOf(decode(R"({"request":"answer"})", R"({"type":"offer","sdp":"v=0"})"))->request), 502);
    assert_int_equal(envelopeTypeOf(errorOf(decode(R"({"request":"offer"})", R"({"type":"offer","sdp":""})"))->request),
                     501);
    assert_int_equal(envelopeTypeOf(errorOf(decode(R"({"request":"offer"})", R"([1,2])"))->request), 501);
}

void unknown_or_nameless_requests_are_invalid(void**) {
    for (const char* body :
         {R"({"request":"explode"})", R"({"request":5})", R"({})", R"([])", R"("join")", R"({"request":"JOIN"})"}) {
        const DecodedRequest decoded = decode(body);
        const RequestError* error = errorOf(decoded);
        assert_non_null(error);
        assert_int_equal(envelopeTypeOf(error->request), 0);
    }
    assert_non_null(errorOf(decodeRequest(nullptr, nullptr)));
}

void replies_use_each_requests_envelope_t(void**) {
    assert_int_equal(envelopeTypeOf(kindOf(Request{request::Join{}})), 500);
    assert_int_equal(envelopeTypeOf(kindOf(Request{request::Leave{}})), 504);
    assert_int_equal(envelopeTypeOf(kindOf(Request{request::Move{}})), 512);
    assert_int_equal(envelopeTypeOf(kindOf(Request{request::Negotiate{}})), 0);
}

// The plugin applies the order of docs/operations.md, Closing a channel (token, body, channel), so the
// decoder never refuses a close_channel: missing or mistyped fields read as
// empty and 0.
void close_channel_decodes_whatever_fields_it_has(void**) {
    const DecodedRequest decoded =
        decode(R"({"request":"close_channel","token":"Bearer t","channel_id":1234567890123456789})");
    const auto* full = requestOf<request::CloseChannel>(decoded);
    assert_non_null(full);
    assert_string_equal(full->token.c_str(), "Bearer t");
    assert_true(full->channel == 1234567890123456789);
    for (const char* body :
         {R"({"request":"close_channel"})", R"({"request":"close_channel","token":5,"channel_id":"9"})",
          R"({"request":"close_channel","channel_id":9.5,"token":null})"}) {
        const DecodedRequest partialDecoded = decode(body);
        const auto* partial = requestOf<request::CloseChannel>(partialDecoded);
        assert_non_null(partial);
        assert_true(partial->token.empty());
        assert_true(partial->channel == 0);
    }
}

void only_join_and_close_channel_are_valid_before_joining(void**) {
    assert_false(needsJoin(Request{request::Join{}}));
    assert_false(needsJoin(Request{request::CloseChannel{}}));
    assert_true(needsJoin(Request{request::Leave{}}));
    assert_true(needsJoin(Request{request::Kick{}}));
    assert_int_equal(envelopeTypeOf(kindOf(Request{request::CloseChannel{}})), 0);
}

// Its answers name the HTTP status of docs/operations.md, Closing a channel.
void close_channel_answers_carry_the_http_status(void**) {
    struct Case {
        Refusal reason;
        int64_t status;
        const char* error;
    };
    for (const Case& c :
         {Case{Refusal::Unauthorized, 401, "unauthorized"}, Case{Refusal::InvalidMessage, 400, "invalid body"},
          Case{Refusal::ChannelMismatch, 403, "channel mismatch"}}) {
        const std::vector<WireEvent> events =
            wireEventsOf(Effect{event::RequestRefused{3, RequestKind::CloseChannel, c.reason}});
        assert_int_equal(events.size(), 1);
        const WireEvent& answer = events.front();
        assert_int_equal(answer.to, 3);
        assert_string_equal(answer.name.c_str(), "close_channel");
        assert_true(answer.answersRequest);
        assert_false(answer.close.has_value());
        bool sawStatus = false, sawError = false;
        for (const auto& [key, value] : answer.fields) {
            if (key == "status") sawStatus = std::get<int64_t>(value) == c.status;
            if (key == "error") sawError = std::get<std::string>(value) == c.error;
        }
        assert_true(sawStatus && sawError);
    }
    const std::vector<WireEvent> done = wireEventsOf(Effect{event::RequestDone{3, RequestKind::CloseChannel}});
    assert_int_equal(done.size(), 1);
    bool ok = false;
    for (const auto& [key, value] : done.front().fields) {
        if (key == "status") ok = std::get<int64_t>(value) == 204;
        assert_string_not_equal(key.c_str(), "error");
    }
    assert_true(ok);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_keeps_int64_channel_exact),
        cmocka_unit_test(malformed_join_is_a_refused_join),
        cmocka_unit_test(each_voice_control_request_decodes_its_fields),
        cmocka_unit_test(wrong_field_types_answer_on_the_requests_t),
        cmocka_unit_test(offers_and_answers_need_a_matching_jsep),
        cmocka_unit_test(unknown_or_nameless_requests_are_invalid),
        cmocka_unit_test(replies_use_each_requests_envelope_t),
        cmocka_unit_test(close_channel_decodes_whatever_fields_it_has),
        cmocka_unit_test(only_join_and_close_channel_are_valid_before_joining),
        cmocka_unit_test(close_channel_answers_carry_the_http_status),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
