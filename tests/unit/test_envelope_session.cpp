// The per-socket state machine: Janus session/handle setup, the join gate,
// error mapping through transactions, keepalives and closes.
#include <string>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/signal_session.hpp"

using gochat::JsonRef;
using namespace gochat::ws;

namespace {

constexpr int64_t kNow = 1700000000000;
constexpr const char* kPlugin = "janus.plugin.gochat.sfu";
constexpr const char* kJoin = R"({"op":7,"t":500,"d":{"channel":789,"token":"tok"}})";

std::string stringField(const JsonRef& object, const char* key) {
    std::string value;
    gochat::jsonGetString(object.get(), key, value);
    return value;
}

struct Harness {
    SignalSession session{7, kPlugin};

    Effects janus(const std::string& text) {
        JsonRef message = JsonRef::parse(text);
        assert_non_null(message.get());
        return session.onJanus(message.get());
    }
    Effects reply(const char* kind, const std::string& transaction, const std::string& extra = "") {
        return janus(std::string(R"({"janus":")") + kind + R"(","transaction":")" + transaction + "\"" + extra + "}");
    }
    // Runs create and attach; returns nothing, asserts the requests' shape.
    void attach() {
        Effects created = session.start();
        assert_int_equal(created.toJanus.size(), 1);
        assert_string_equal(stringField(created.toJanus[0], "janus").c_str(), "create");
        Effects attaching = reply("success", stringField(created.toJanus[0], "transaction"), R"(,"data":{"id":100})");
        assert_int_equal(attaching.toJanus.size(), 1);
        assert_string_equal(stringField(attaching.toJanus[0], "janus").c_str(), "attach");
        assert_string_equal(stringField(attaching.toJanus[0], "plugin").c_str(), kPlugin);
        Effects ready = reply("success", stringField(attaching.toJanus[0], "transaction"),
                              R"(,"session_id":100,"data":{"id":200})");
        assert_true(ready.toJanus.empty());
        assert_int_equal(session.handleId(), 200);
    }
    Effects joinedEvent() {
        return janus(R"({"janus":"event","session_id":100,"sender":200,"plugindata":{"plugin":"x",)"
                     R"("data":{"gochat":"joined","t":500,"d":{"ok":true}}}})");
    }
    // attach + join + joined.
    void join() {
        attach();
        Effects sent = session.onClientText(kJoin, kNow);
        assert_int_equal(sent.toJanus.size(), 1);
        reply("ack", stringField(sent.toJanus[0], "transaction"));
        Effects joined = joinedEvent();
        assert_int_equal(joined.toClient.size(), 1);
        assert_string_equal(joined.toClient[0].c_str(), R"({"op":7,"t":500,"d":{"ok":true}})");
        assert_true(session.joined());
    }
};

void assertRefused(const Effects& effects) {
    assert_int_equal(effects.toClient.size(), 1);
    assert_string_equal(effects.toClient[0].c_str(), R"({"op":7,"t":500,"d":{"ok":false,"error":"invalid message"}})");
    assert_true(effects.close.has_value());
    assert_int_equal(effects.close->code, 1008);
    assert_true(effects.toJanus.empty());
}

void join_before_attach_is_queued_then_sent_as_message(void**) {
    Harness h;
    Effects created = h.session.start();
    Effects early = h.session.onClientText(kJoin, kNow);
    assert_true(early.toJanus.empty());
    assert_true(early.toClient.empty());
    assert_true(h.session.joinRequested());
    Effects attaching = h.reply("success", stringField(created.toJanus[0], "transaction"), R"(,"data":{"id":100})");
    Effects ready = h.reply("success", stringField(attaching.toJanus[0], "transaction"), R"(,"data":{"id":200})");
    assert_int_equal(ready.toJanus.size(), 1);
    assert_string_equal(ready.toJanus[0].dump().c_str(),
                        R"({"janus":"message","session_id":100,"handle_id":200,"transaction":"gcws-7-3",)"
                        R"("body":{"request":"join","channel":789,"token":"tok"}})");
}

void heartbeat_is_answered_before_join_without_janus(void**) {
    Harness h;
    h.session.start();
    Effects pong = h.session.onClientText(R"({"op":2,"d":{"nonce":1}})", kNow);
    assert_int_equal(pong.toClient.size(), 1);
    assert_true(pong.toJanus.empty());
    assert_false(pong.close.has_value());
}

void other_rtc_before_join_is_refused_and_closed(void**) {
    for (const char* in : {R"({"op":7,"t":505,"d":{"muted":true}})", R"({"op":7,"t":502,"d":{"sdp":"x"}})",
                           R"({"op":7,"t":509,"d":{}})" /* ignored even before join */}) {
        Harness h;
        h.attach();
        Effects effects = h.session.onClientText(in, kNow);
        if (std::string(in).find("509") != std::string::npos) {
            assert_false(effects.close.has_value());
            continue;
        }
        assertRefused(effects);
        assert_true(h.session.closing());
    }
}

void malformed_and_binary_before_join_are_refused(void**) {
    Harness h1;
    h1.attach();
    assertRefused(h1.session.onClientText("{nope", kNow));
    Harness h2;
    h2.attach();
    assertRefused(h2.session.onClientBinary());
    Harness h3;
    h3.attach();
    assertRefused(h3.session.onClientText(R"({"op":7,"t":500,"d":{"channel":0,"token":"x"}})", kNow));
}

void second_join_while_first_is_pending_is_refused(void**) {
    Harness h;
    h.attach();
    assert_int_equal(h.session.onClientText(kJoin, kNow).toJanus.size(), 1);
    assertRefused(h.session.onClientText(kJoin, kNow));
}

void web_client_events_before_join_are_ignored_after_join_forwarded(void**) {
    Harness h;
    h.attach();
    Effects before = h.session.onClientText(R"({"event":"speaking","data":"1"})", kNow);
    assert_true(before.toJanus.empty());
    assert_false(before.close.has_value());
    Effects sent = h.session.onClientText(kJoin, kNow);
    h.reply("ack", stringField(sent.toJanus[0], "transaction"));  // Janus acks every message
    h.joinedEvent();
    Effects after = h.session.onClientText(R"({"event":"negotiate","data":""})", kNow);
    assert_int_equal(after.toJanus.size(), 1);
    assert_string_equal(after.toJanus[0].dump().c_str(),
                        R"({"janus":"message","session_id":100,"handle_id":200,"transaction":"gcws-7-4",)"
                        R"("body":{"request":"negotiate"}})");
    (void)sent;
}

void malformed_after_join_answers_invalid_and_goes_on(void**) {
    Harness h;
    h.join();
    struct Case {
        const char* in;
        const char* out;
    } cases[] = {
        {"garbage", R"({"op":7,"t":0,"d":{"ok":false,"error":"invalid message"}})"},
        {R"({"op":7,"t":507,"d":{"user":"x","muted":true}})",
         R"({"op":7,"t":507,"d":{"ok":false,"error":"invalid message"}})"},
        {R"({"op":7,"t":777,"d":{}})", R"({"op":7,"t":777,"d":{"ok":false,"error":"invalid message"}})"},
    };
    for (const Case& c : cases) {
        Effects effects = h.session.onClientText(c.in, kNow);
        assert_int_equal(effects.toClient.size(), 1);
        assert_string_equal(effects.toClient[0].c_str(), c.out);
        assert_false(effects.close.has_value());
    }
    Effects binary = h.session.onClientBinary();
    assert_string_equal(binary.toClient[0].c_str(), R"({"op":7,"t":0,"d":{"ok":false,"error":"invalid message"}})");
    assert_false(binary.close.has_value());
    assert_false(h.session.closing());
}

void janus_error_maps_back_to_the_envelope_t(void**) {
    Harness h;
    h.join();
    Effects sent = h.session.onClientText(R"({"op":7,"t":508,"d":{"user":1,"deafened":true}})", kNow);
    assert_int_equal(sent.toJanus.size(), 1);
    Effects error = h.reply("error", stringField(sent.toJanus[0], "transaction"),
                            R"J(,"error":{"code":456,"reason":"Missing mandatory element (body)"})J");
    assert_int_equal(error.toClient.size(), 1);
    assert_string_equal(error.toClient[0].c_str(), R"({"op":7,"t":508,"d":{"ok":false,"error":"invalid message"}})");
    assert_false(error.close.has_value());
    // Acked transactions are forgotten: an error for them is not mapped.
    Effects trickle = h.session.onClientText(R"({"op":7,"t":503,"d":{"candidate":"c"}})", kNow);
    const std::string tx = stringField(trickle.toJanus[0], "transaction");
    h.reply("ack", tx);
    assert_true(h.reply("error", tx, R"(,"error":{"code":1,"reason":"x"})").toClient.empty());
}

void janus_error_for_the_join_refuses_it(void**) {
    Harness h;
    h.attach();
    Effects sent = h.session.onClientText(kJoin, kNow);
    assertRefused(h.reply("error", stringField(sent.toJanus[0], "transaction"),
                          R"(,"error":{"code":459,"reason":"No such handle"})"));
}

void join_refused_event_is_sent_then_closes_as_told(void**) {
    Harness h;
    h.attach();
    h.session.onClientText(kJoin, kNow);
    Effects refused =
        h.janus(R"({"janus":"event","plugindata":{"data":{"gochat":"join_refused","t":500,)"
                R"("d":{"ok":false,"error":"unauthorized"},"close":{"code":1008,"reason":"unauthorized"}}}})");
    assert_int_equal(refused.toClient.size(), 1);
    assert_string_equal(refused.toClient[0].c_str(), R"({"op":7,"t":500,"d":{"ok":false,"error":"unauthorized"}})");
    assert_int_equal(refused.close->code, 1008);
    assert_string_equal(refused.close->reason.c_str(), "unauthorized");
    assert_false(refused.abort);
    assert_false(h.session.joined());
    // Once closing, nothing else is translated.
    assert_true(h.session.onClientText(R"({"op":2,"d":{}})", kNow).toClient.empty());
    assert_true(h.joinedEvent().toClient.empty());
}

void replaced_event_closes_with_4010(void**) {
    Harness h;
    h.join();
    Effects replaced = h.janus(R"({"janus":"event","plugindata":{"data":{"gochat":"replaced","t":500,)"
                               R"("d":{"ok":false,"error":"replaced"},"close":{"code":4010,"reason":"replaced"}}}})");
    assert_int_equal(replaced.close->code, 4010);
    assert_string_equal(replaced.close->reason.c_str(), "replaced");
}

void attach_error_closes_1011_with_a_log_line(void**) {
    Harness h;
    Effects created = h.session.start();
    Effects attaching = h.reply("success", stringField(created.toJanus[0], "transaction"), R"(,"data":{"id":100})");
    Effects failed = h.reply("error", stringField(attaching.toJanus[0], "transaction"),
                             R"(,"error":{"code":460,"reason":"No such plugin 'janus.plugin.gochat.sfu'"})");
    assert_true(failed.close.has_value());
    assert_int_equal(failed.close->code, 1011);
    assert_false(failed.log.empty());
    assert_int_equal(static_cast<int>(failed.log[0].level), static_cast<int>(LogLevel::Warn));
}

void join_timeout_refuses_only_when_no_join_arrived(void**) {
    Harness idle;
    idle.attach();
    Effects timeout = idle.session.onJoinTimeout();
    assert_int_equal(timeout.toClient.size(), 1);
    assert_string_equal(timeout.toClient[0].c_str(), R"({"op":7,"t":500,"d":{"ok":false,"error":"join timeout"}})");
    assert_int_equal(timeout.close->code, 1008);

    Harness pending;
    pending.attach();
    pending.session.onClientText(kJoin, kNow);
    Effects none = pending.session.onJoinTimeout();
    assert_true(none.toClient.empty());
    assert_false(none.close.has_value());
}

void keepalive_needs_a_session_and_its_error_closes(void**) {
    Harness h;
    assert_true(h.session.onKeepaliveDue().toJanus.empty());
    h.attach();
    Effects keepalive = h.session.onKeepaliveDue();
    assert_int_equal(keepalive.toJanus.size(), 1);
    assert_string_equal(keepalive.toJanus[0].dump().c_str(),
                        R"({"janus":"keepalive","session_id":100,"transaction":"gcws-7-3"})");
    h.reply("ack", "gcws-7-3");
    assert_int_equal(h.session.pendingTransactions(), 0);
    Effects again = h.session.onKeepaliveDue();
    Effects lost = h.reply("error", stringField(again.toJanus[0], "transaction"),
                           R"(,"error":{"code":458,"reason":"No such session"})");
    assert_int_equal(lost.close->code, 1011);
}

void timeout_detached_and_session_over_close_1011(void**) {
    Harness a;
    a.join();
    assert_int_equal(a.janus(R"({"janus":"timeout","session_id":100})").close->code, 1011);
    Harness b;
    b.join();
    assert_int_equal(b.janus(R"({"janus":"detached","session_id":100,"sender":200})").close->code, 1011);
    Harness c;
    c.join();
    assert_false(c.session.onSessionOver(999, true, false).close.has_value());
    assert_int_equal(c.session.onSessionOver(100, true, false).close->code, 1011);
}

void media_events_are_ignored(void**) {
    Harness h;
    h.join();
    for (const char* in : {R"({"janus":"webrtcup","session_id":100,"sender":200})",
                           R"({"janus":"media","session_id":100,"sender":200,"type":"audio","receiving":true})",
                           R"({"janus":"slowlink","session_id":100,"sender":200,"uplink":true,"lost":3})",
                           R"({"janus":"hangup","session_id":100,"sender":200,"reason":"DTLS alert"})"}) {
        Effects effects = h.janus(in);
        assert_true(effects.toClient.empty());
        assert_false(effects.close.has_value());
    }
}

void offers_and_candidates_reach_the_client(void**) {
    Harness h;
    h.join();
    Effects offer = h.janus(
        R"({"janus":"event","plugindata":{"data":{"gochat":"offer","t":501,"d":{}}},"jsep":{"type":"offer","sdp":"v=0"}})");
    assert_string_equal(offer.toClient[0].c_str(), R"({"op":7,"t":501,"d":{"sdp":"v=0"}})");
    Effects candidate = h.janus(
        R"({"janus":"trickle","session_id":100,"sender":200,"candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:1"}})");
    assert_string_equal(candidate.toClient[0].c_str(),
                        R"({"op":7,"t":503,"d":{"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0}})");
    assert_true(h.janus(R"({"janus":"trickle","candidate":{"completed":true}})").toClient.empty());
}

void left_event_closes_normally(void**) {
    Harness h;
    h.join();
    Effects leave = h.session.onClientText(R"({"op":7,"t":504,"d":{}})", kNow);
    assert_string_equal(stringField(leave.toJanus[0], "janus").c_str(), "message");
    Effects left = h.janus(
        R"({"janus":"event","plugindata":{"data":{"gochat":"left","t":504,"d":{"ok":true},"close":{"code":1000,"reason":"leave"}}}})");
    assert_string_equal(left.toClient[0].c_str(), R"({"op":7,"t":504,"d":{"ok":true}})");
    assert_int_equal(left.close->code, 1000);
}

void a_leave_queued_behind_a_message_still_reaches_janus_after_the_socket_closed(void**) {
    Harness h;
    h.join();
    Effects first = h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);
    h.session.onClientText(R"({"op":7,"t":506,"d":{"user":5,"muted":true}})", kNow);
    Effects leave = h.session.onClientText(R"({"op":7,"t":504,"d":{}})", kNow);
    assert_true(leave.toJanus.empty());
    assert_true(h.session.leaveRequested());
    h.session.onSocketClosed();
    // Only the leave is kept: the mute of another user means nothing now.
    assert_int_equal(h.session.queuedMessages(), 1);
    assert_true(h.session.requestInJanus());
    Effects released = h.reply("ack", stringField(first.toJanus[0], "transaction"));
    assert_int_equal(released.toJanus.size(), 1);
    assert_string_equal(released.toJanus[0].dump().c_str(),
                        (std::string(R"({"janus":"message","session_id":100,"handle_id":200,"transaction":")") +
                         stringField(released.toJanus[0], "transaction") + R"(","body":{"request":"leave"}})")
                            .c_str());
    assert_true(released.toClient.empty());
    assert_true(h.session.requestInJanus());
    h.reply("ack", stringField(released.toJanus[0], "transaction"));
    assert_false(h.session.requestInJanus());
}

void a_socket_closed_without_leave_drops_what_was_queued(void**) {
    Harness h;
    h.join();
    Effects first = h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);
    h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":false}})", kNow);
    h.session.onSocketClosed();
    assert_false(h.session.leaveRequested());
    assert_int_equal(h.session.queuedMessages(), 0);
    assert_true(h.session.requestInJanus());  // the first is still in Janus
    Effects settled = h.reply("ack", stringField(first.toJanus[0], "transaction"));
    assert_true(settled.toJanus.empty());
    assert_false(h.session.requestInJanus());
}

void oversize_message_aborts_with_1009(void**) {
    Harness h;
    h.join();
    Effects effects = h.session.onClientTooLarge();
    assert_true(effects.abort);
    assert_int_equal(effects.close->code, 1009);
}

void messages_reach_janus_one_at_a_time_in_order(void**) {
    // Janus may reorder concurrent `message` requests of one handle, so the
    // second waits for the first's ack; trickles are not held back.
    Harness h;
    h.join();
    Effects first = h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);
    assert_int_equal(first.toJanus.size(), 1);
    Effects second = h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":false}})", kNow);
    assert_true(second.toJanus.empty());
    assert_int_equal(h.session.queuedMessages(), 1);
    Effects trickle = h.session.onClientText(
        R"({"op":7,"t":503,"d":{"candidate":"candidate:1 1 udp 1 198.18.0.2 5000 typ host"}})", kNow);
    assert_int_equal(trickle.toJanus.size(), 1);
    assert_string_equal(stringField(trickle.toJanus[0], "janus").c_str(), "trickle");
    Effects released = h.reply("ack", stringField(first.toJanus[0], "transaction"));
    assert_int_equal(released.toJanus.size(), 1);
    assert_string_equal(
        released.toJanus[0].dump().c_str(),
        (std::string(R"({"janus":"message","session_id":100,"handle_id":200,"transaction":")") +
         stringField(released.toJanus[0], "transaction") + R"(","body":{"request":"mute_self","muted":false}})")
            .c_str());
    assert_int_equal(h.session.queuedMessages(), 0);
}

void queued_requests_are_bounded_by_bytes_too(void**) {
    Harness h;
    h.join();
    h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);  // in Janus
    const std::string bigOffer = R"({"op":7,"t":501,"d":{"sdp":")" + std::string(200 * 1024, 'x') + R"("}})";
    for (int i = 0; i < 5; ++i)
        assert_true(h.session.onClientText(bigOffer, kNow).toClient.empty());  // 1000 KiB queued
    Effects overflow = h.session.onClientText(bigOffer, kNow);
    assert_int_equal(overflow.toClient.size(), 1);
    assert_string_equal(overflow.toClient[0].c_str(), R"({"op":7,"t":501,"d":{"ok":false,"error":"invalid message"}})");
}

void an_error_reply_also_releases_the_next_message(void**) {
    Harness h;
    h.join();
    Effects first = h.session.onClientText(R"({"op":7,"t":504,"d":{}})", kNow);
    h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);
    Effects released =
        h.reply("error", stringField(first.toJanus[0], "transaction"), R"(,"error":{"code":458,"reason":"gone"})");
    assert_int_equal(released.toJanus.size(), 1);
}

void a_client_flooding_requests_is_answered_beyond_the_queue_bound(void**) {
    Harness h;
    h.join();
    h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);  // in Janus
    for (size_t i = 0; i < SignalSession::kMaxQueuedMessages; ++i)
        assert_true(h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow).toClient.empty());
    Effects overflow = h.session.onClientText(R"({"op":7,"t":506,"d":{"user":1,"muted":true}})", kNow);
    assert_int_equal(overflow.toClient.size(), 1);
    assert_string_equal(overflow.toClient[0].c_str(), R"({"op":7,"t":506,"d":{"ok":false,"error":"invalid message"}})");
    assert_false(overflow.close.has_value());
}

void transaction_map_stays_bounded(void**) {
    Harness h;
    h.join();
    for (int i = 0; i < 1000; ++i) h.session.onClientText(R"({"op":7,"t":505,"d":{"muted":true}})", kNow);
    assert_true(h.session.pendingTransactions() <= SignalSession::kMaxPendingTransactions);
}

void transactions_are_unique_per_connection(void**) {
    SignalSession a(1, kPlugin), b(2, kPlugin);
    std::string ta = stringField(a.start().toJanus[0], "transaction");
    std::string tb = stringField(b.start().toJanus[0], "transaction");
    assert_string_not_equal(ta.c_str(), tb.c_str());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_before_attach_is_queued_then_sent_as_message),
        cmocka_unit_test(heartbeat_is_answered_before_join_without_janus),
        cmocka_unit_test(other_rtc_before_join_is_refused_and_closed),
        cmocka_unit_test(malformed_and_binary_before_join_are_refused),
        cmocka_unit_test(second_join_while_first_is_pending_is_refused),
        cmocka_unit_test(web_client_events_before_join_are_ignored_after_join_forwarded),
        cmocka_unit_test(malformed_after_join_answers_invalid_and_goes_on),
        cmocka_unit_test(janus_error_maps_back_to_the_envelope_t),
        cmocka_unit_test(janus_error_for_the_join_refuses_it),
        cmocka_unit_test(join_refused_event_is_sent_then_closes_as_told),
        cmocka_unit_test(replaced_event_closes_with_4010),
        cmocka_unit_test(attach_error_closes_1011_with_a_log_line),
        cmocka_unit_test(join_timeout_refuses_only_when_no_join_arrived),
        cmocka_unit_test(keepalive_needs_a_session_and_its_error_closes),
        cmocka_unit_test(timeout_detached_and_session_over_close_1011),
        cmocka_unit_test(media_events_are_ignored),
        cmocka_unit_test(offers_and_candidates_reach_the_client),
        cmocka_unit_test(left_event_closes_normally),
        cmocka_unit_test(oversize_message_aborts_with_1009),
        cmocka_unit_test(a_leave_queued_behind_a_message_still_reaches_janus_after_the_socket_closed),
        cmocka_unit_test(a_socket_closed_without_leave_drops_what_was_queued),
        cmocka_unit_test(messages_reach_janus_one_at_a_time_in_order),
        cmocka_unit_test(an_error_reply_also_releases_the_next_message),
        cmocka_unit_test(queued_requests_are_bounded_by_bytes_too),
        cmocka_unit_test(a_client_flooding_requests_is_answered_beyond_the_queue_bound),
        cmocka_unit_test(transaction_map_stays_bounded),
        cmocka_unit_test(transactions_are_unique_per_connection),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
