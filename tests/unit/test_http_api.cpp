// The transport's plugin-backed HTTP endpoints (docs/operations.md, Closing a channel and Metrics),
// everything but the sockets: routing, the plugin request an HTTP request
// becomes, the HTTP answer the plugin's event becomes, the PluginCall
// state machine (create -> attach -> message -> answer -> destroy, errors,
// a Janus that never answers), and the transport's metrics text.
#include <string>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/http_api.hpp"
#include "transports/gochat-ws/codec/plugin_call.hpp"
#include "transports/gochat-ws/codec/signal_session.hpp"
#include "transports/gochat-ws/codec/transport_metrics.hpp"

using gochat::JsonRef;
using namespace gochat::ws;

namespace {

constexpr const char* kPlugin = "janus.plugin.gochat.sfu";

std::string stringField(const json_t* object, const char* key) {
    std::string value;
    gochat::jsonGetString(object, key, value);
    return value;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- routing and mapping

void api_paths_route_by_method_and_the_rest_is_static(void**) {
    assert_true(routeHttp(HttpMethod::Post, "/admin/channel/close", true) == HttpRoute::CloseChannel);
    assert_true(routeHttp(HttpMethod::Get, "/admin/channel/close", true) == HttpRoute::MethodNotAllowed);
    assert_true(routeHttp(HttpMethod::Get, "/metrics", true) == HttpRoute::Metrics);
    assert_true(routeHttp(HttpMethod::Post, "/metrics", true) == HttpRoute::MethodNotAllowed);
    // metrics_enabled = false: an unknown path like any other (404).
    assert_true(routeHttp(HttpMethod::Get, "/metrics", false) == HttpRoute::StaticFile);
    assert_true(routeHttp(HttpMethod::Get, "/", true) == HttpRoute::StaticFile);
    assert_true(routeHttp(HttpMethod::Get, "/admin/channel/close/", true) == HttpRoute::StaticFile);
    assert_true(routeHttp(HttpMethod::Get, "/metrics2", true) == HttpRoute::StaticFile);
}

void close_request_carries_the_header_and_an_integer_channel_only(void**) {
    JsonRef full = closeChannelRequest(std::string_view("Bearer abc"), R"({"channel_id":1234567890123456789})");
    assert_string_equal(full.dump().c_str(),
                        R"({"request":"close_channel","token":"Bearer abc","channel_id":1234567890123456789})");
    // Unparsable, not an object, a string id, no id: channel_id is left out
    // and the plugin answers 400 once the token passed.
    for (const char* body : {"", "{", "[1]", R"({"channel_id":"5"})", R"({"channel":5})", R"({"channel_id":5.0})",
                             R"({"channel_id":1,"channel_id":2})"}) {
        JsonRef request = closeChannelRequest(std::string_view("t"), body);
        assert_null(json_object_get(request.get(), "channel_id"));
        assert_string_equal(stringField(request.get(), "token").c_str(), "t");
    }
    // No header: no token (401 first).
    JsonRef anonymous = closeChannelRequest(std::nullopt, R"({"channel_id":5})");
    assert_null(json_object_get(anonymous.get(), "token"));
    assert_string_equal(metricsRequest().dump().c_str(), R"({"request":"metrics"})");
}

JsonRef pluginAnswer(const char* d) {
    return JsonRef::parse(std::string(R"({"gochat":"close_channel","t":0,"d":)") + d + "}");
}

void plugin_answers_become_statuses_and_json_errors(void**) {
    const HttpResponse done =
        responseFromPlugin(HttpRoute::CloseChannel, pluginAnswer(R"({"ok":true,"status":204})").get(), "");
    assert_int_equal(done.status, 204);
    assert_true(done.body.empty());
    struct Case {
        int status;
        const char* error;
    };
    for (const Case& c : {Case{401, "unauthorized"}, Case{400, "invalid body"}, Case{403, "channel mismatch"}}) {
        const std::string d = R"({"ok":false,"status":)" + std::to_string(c.status) + R"(,"error":")" + c.error + "\"}";
        const HttpResponse refused = responseFromPlugin(HttpRoute::CloseChannel, pluginAnswer(d.c_str()).get(), "");
        assert_int_equal(refused.status, c.status);
        assert_string_equal(refused.contentType.c_str(), "application/json");
        assert_string_equal(refused.body.c_str(), (std::string(R"({"error":")") + c.error + "\"}").c_str());
    }
    // Anything else from the plugin is not an answer.
    assert_int_equal(responseFromPlugin(HttpRoute::CloseChannel, pluginAnswer(R"({"ok":true})").get(), "").status, 503);
    assert_int_equal(responseFromPlugin(HttpRoute::CloseChannel, pluginAnswer(R"({"status":99})").get(), "").status,
                     503);
    assert_int_equal(responseFromPlugin(HttpRoute::CloseChannel, nullptr, "").status, 503);
}

void metrics_answer_is_the_plugins_text_then_the_transports(void**) {
    JsonRef data = JsonRef::parse(R"({"gochat":"metrics","t":0,"d":{"ok":true,"status":200,"text":"a 1\n"}})");
    const HttpResponse response = responseFromPlugin(HttpRoute::Metrics, data.get(), "b 2\n");
    assert_int_equal(response.status, 200);
    assert_string_equal(response.contentType.c_str(), "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(response.body.c_str(), "a 1\nb 2\n");
    assert_int_equal(unavailableResponse().status, 503);
    assert_string_equal(unavailableResponse().body.c_str(), R"({"error":"sfu unavailable"})");
    assert_int_equal(timeoutResponse().status, 504);
    assert_string_equal(timeoutResponse().body.c_str(), R"({"error":"sfu timeout"})");
}

// --- the PluginCall state machine

struct Call {
    PluginCall call{9, kPlugin, closeChannelRequest(std::string_view("tok"), R"({"channel_id":5})")};

    PluginCall::Step janus(const std::string& text) {
        JsonRef message = JsonRef::parse(text);
        assert_non_null(message.get());
        return call.onJanus(message.get());
    }
    static std::string tx(const PluginCall::Step& step) {
        assert_int_equal(step.toJanus.size(), 1);
        return stringField(step.toJanus[0].get(), "transaction");
    }
    // create and attach answered; returns the message request's transaction.
    std::string attach() {
        PluginCall::Step created = call.start();
        assert_string_equal(stringField(created.toJanus[0].get(), "janus").c_str(), "create");
        PluginCall::Step attaching =
            janus(R"({"janus":"success","transaction":")" + tx(created) + R"(","data":{"id":100}})");
        assert_string_equal(stringField(attaching.toJanus[0].get(), "janus").c_str(), "attach");
        assert_string_equal(stringField(attaching.toJanus[0].get(), "plugin").c_str(), kPlugin);
        PluginCall::Step asking =
            janus(R"({"janus":"success","session_id":100,"transaction":")" + tx(attaching) + R"(","data":{"id":200}})");
        const json_t* message = asking.toJanus[0].get();
        assert_string_equal(stringField(message, "janus").c_str(), "message");
        assert_string_equal(stringField(json_object_get(message, "body"), "request").c_str(), "close_channel");
        return tx(asking);
    }
    std::string event(const std::string& transaction) {
        return R"({"janus":"event","session_id":100,"sender":200,"transaction":")" + transaction +
               R"(","plugindata":{"plugin":"janus.plugin.gochat.sfu","data":{"gochat":"close_channel","t":0,"d":{"ok":true,"status":204}}}})";
    }
};

void call_goes_create_attach_message_answer_destroy(void**) {
    Call c;
    const std::string message = c.attach();
    assert_false(c.janus(R"({"janus":"ack","session_id":100,"transaction":")" + message + "\"}").settled);
    // An event of another transaction is not the answer.
    assert_false(c.janus(c.event("other")).settled);
    PluginCall::Step answered = c.janus(c.event(message));
    assert_true(answered.settled);
    assert_true(c.call.outcome() == PluginCall::Outcome::Answered);
    assert_int_equal(responseFromPlugin(HttpRoute::CloseChannel, c.call.answer().get(), "").status, 204);
    assert_string_equal(stringField(answered.toJanus[0].get(), "janus").c_str(), "destroy");
    assert_false(c.call.finished());
    c.janus(R"({"janus":"success","session_id":100,"transaction":")" + Call::tx(answered) + "\"}");
    assert_true(c.call.finished());
}

void a_synchronous_answer_in_the_success_reply_counts(void**) {
    Call c;
    const std::string message = c.attach();
    PluginCall::Step answered = c.janus(
        R"({"janus":"success","session_id":100,"sender":200,"transaction":")" + message +
        R"(","plugindata":{"plugin":"x","data":{"gochat":"metrics","t":0,"d":{"status":200,"text":"x 1\n"}}}})");
    assert_true(answered.settled);
    assert_true(c.call.outcome() == PluginCall::Outcome::Answered);
}

void no_plugin_or_a_janus_error_is_unavailable_and_the_session_goes(void**) {
    Call c;
    PluginCall::Step created = c.call.start();
    PluginCall::Step attaching =
        c.janus(R"({"janus":"success","transaction":")" + Call::tx(created) + R"(","data":{"id":100}})");
    PluginCall::Step failed = c.janus(R"({"janus":"error","session_id":100,"transaction":")" + Call::tx(attaching) +
                                      R"(","error":{"code":460,"reason":"No such plugin"}})");
    assert_true(failed.settled);
    assert_true(c.call.outcome() == PluginCall::Outcome::Unavailable);
    assert_string_equal(stringField(failed.toJanus[0].get(), "janus").c_str(), "destroy");
    assert_false(failed.log.empty());
    // A destroy that is never answered is given up at the next timeout.
    c.call.onTimeout();
    assert_true(c.call.finished());
}

void a_failed_create_has_nothing_to_destroy(void**) {
    Call c;
    PluginCall::Step created = c.call.start();
    PluginCall::Step failed =
        c.janus(R"({"janus":"error","transaction":")" + Call::tx(created) + R"(","error":{"code":490,"reason":"x"}})");
    assert_true(failed.settled && failed.toJanus.empty());
    assert_true(c.call.finished());
}

void a_janus_that_never_answers_times_out(void**) {
    Call c;
    c.call.start();
    PluginCall::Step late = c.call.onTimeout();
    assert_true(late.settled);
    assert_true(c.call.outcome() == PluginCall::Outcome::TimedOut);
    assert_true(late.toJanus.empty());  // no session yet: nothing to destroy
    assert_true(c.call.finished());
    // The plugin answering after the timeout changes nothing.
    Call d;
    const std::string message = d.attach();
    PluginCall::Step timedOut = d.call.onTimeout();
    assert_true(d.call.outcome() == PluginCall::Outcome::TimedOut);
    assert_string_equal(stringField(timedOut.toJanus[0].get(), "janus").c_str(), "destroy");
    assert_false(d.janus(d.event(message)).settled);
    assert_true(d.call.outcome() == PluginCall::Outcome::TimedOut);
}

void the_session_ending_under_the_call_is_unavailable(void**) {
    Call c;
    c.attach();
    assert_false(c.call.onSessionOver(12345).settled);  // not ours
    PluginCall::Step over = c.call.onSessionOver(100);
    assert_true(over.settled && over.toJanus.empty());
    assert_true(c.call.outcome() == PluginCall::Outcome::Unavailable);
    assert_true(c.call.finished());
}

// --- the transport's counters

void transport_metrics_have_their_own_names(void**) {
    TransportCounters counters;
    counters.connectionsAccepted = 3;
    counters.framesReceived = 10;
    counters.framesSent = 12;
    counters.refused(FrameRefusal::Binary);
    counters.joinTimeouts = 1;
    counters.answered("/admin/channel/close", 204);
    counters.answered("/admin/channel/close", 204);
    const std::string text = renderTransportMetrics(counters, 2);
    assert_true(contains(
        text, "# TYPE gochat_sfu_transport_open_connections gauge\ngochat_sfu_transport_open_connections 2\n"));
    assert_true(contains(text, "gochat_sfu_transport_connections_total 3\n"));
    assert_true(contains(text, "gochat_sfu_transport_frames_received_total 10\n"));
    assert_true(contains(text, "gochat_sfu_transport_frames_sent_total 12\n"));
    assert_true(contains(text, "gochat_sfu_transport_refused_frames_total{reason=\"binary\"} 1\n"));
    assert_true(contains(text, "gochat_sfu_transport_refused_frames_total{reason=\"too_large\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_transport_join_timeouts_total 1\n"));
    assert_true(
        contains(text, "gochat_sfu_transport_http_requests_total{path=\"/admin/channel/close\",code=\"204\"} 2\n"));
}

void refused_client_frames_say_why(void**) {
    SignalSession session(1, kPlugin);
    session.start();
    assert_true(session.onClientText("not json", 0).refused == FrameRefusal::Invalid);
    SignalSession other(2, kPlugin);
    other.start();
    assert_true(other.onClientBinary().refused == FrameRefusal::Binary);
    SignalSession third(3, kPlugin);
    assert_true(third.onClientTooLarge().refused == FrameRefusal::TooLarge);
    SignalSession fourth(4, kPlugin);
    fourth.start();
    assert_false(fourth.onClientText(R"({"op":2,"d":{}})", 0).refused.has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_paths_route_by_method_and_the_rest_is_static),
        cmocka_unit_test(close_request_carries_the_header_and_an_integer_channel_only),
        cmocka_unit_test(plugin_answers_become_statuses_and_json_errors),
        cmocka_unit_test(metrics_answer_is_the_plugins_text_then_the_transports),
        cmocka_unit_test(call_goes_create_attach_message_answer_destroy),
        cmocka_unit_test(a_synchronous_answer_in_the_success_reply_counts),
        cmocka_unit_test(no_plugin_or_a_janus_error_is_unavailable_and_the_session_goes),
        cmocka_unit_test(a_failed_create_has_nothing_to_destroy),
        cmocka_unit_test(a_janus_that_never_answers_times_out),
        cmocka_unit_test(the_session_ending_under_the_call_is_unavailable),
        cmocka_unit_test(transport_metrics_have_their_own_names),
        cmocka_unit_test(refused_client_frames_say_why),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
