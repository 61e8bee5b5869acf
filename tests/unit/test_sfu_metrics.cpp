// The plugin's part of GET /metrics (docs/operations.md, Metrics): what the room
// counters count as the registry's effects go by, and the text every name
// of the contract's table appears in, with its HELP and TYPE lines.
#include "plugins/gochat-sfu/metrics/sfu_metrics.hpp"
#include "tests/unit/registry_fixture.hpp"

#include <string>
#include <vector>

using namespace gochat::sfu;
using namespace gochat::sfu::testing;

namespace {

constexpr UserId kAnn = 1111111111111111111;
constexpr UserId kBen = 2222222222222222222;

// Shows every effect to the counters, as the effect runner does.
struct Counted : RegistryFixture {
    RoomCounters counters;
    Effects seen(Effects effects) {
        for (const Effect& effect : effects) counters.observe(effect);
        return effects;
    }
};

uint64_t leaves(const RoomCounters::Snapshot& s, LeaveReason reason) { return s.leaves[static_cast<size_t>(reason)]; }
uint64_t refusals(const RoomCounters::Snapshot& s, Refusal reason) {
    return s.joinRefusals[static_cast<size_t>(reason)];
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void joins_refusals_leaves_and_offers_are_counted(void**) {
    Counted room;
    Effects first = room.seen(room.join(1, kAnn));
    room.seen(room.answerAll(1, offerTo(first, 1)->plan));
    room.seen(room.join(2, kBen, kSpeak));                          // no Connect: forbidden
    room.seen(RoomRegistry::refuseJoin(3, Refusal::Unauthorized));  // a bad token, as the adapter refuses it
    room.seen(room.join(4, kBen));
    room.seen(room.registry.leave(4, LeaveReason::Left, room.now));
    room.seen(room.join(5, kBen));
    room.seen(room.registry.closeChannel(kChannel, room.now));
    const RoomCounters::Snapshot counted = room.counters.snapshot();
    assert_int_equal(counted.joins, 3);
    assert_int_equal(refusals(counted, Refusal::Forbidden), 1);
    assert_int_equal(refusals(counted, Refusal::Unauthorized), 1);
    assert_int_equal(leaves(counted, LeaveReason::Left), 1);
    assert_int_equal(leaves(counted, LeaveReason::Closed), 2);
    assert_int_equal(leaves(counted, LeaveReason::Kicked), 0);
    assert_true(counted.offers >= 3);  // every join's first offer at least
    assert_int_equal(counted.answers, 0);
}

void labels_are_the_wire_texts_and_the_contracts_reasons(void**) {
    // The join refusal label is exactly the t=500 error a client reads.
    for (Refusal reason : kAllRefusals) assert_string_equal(refusalLabel(reason), refusalText(reason));
    const std::vector<std::string> expected = {"left",    "disconnected", "kicked", "blocked",         "moved",
                                               "timeout", "replaced",     "closed", "bitrate_exceeded"};
    for (size_t i = 0; i < kAllLeaveReasons.size(); ++i)
        assert_string_equal(leaveReasonLabel(kAllLeaveReasons[i]), expected[i].c_str());
}

void every_name_of_the_contract_is_rendered_with_help_and_type(void**) {
    SfuMetrics metrics;
    metrics.rooms = 2;
    metrics.participants = 5;
    const std::string text = renderSfuMetrics(metrics);
    const std::vector<std::pair<std::string, std::string>> table = {
        {"gochat_sfu_rooms", "gauge"},
        {"gochat_sfu_participants", "gauge"},
        {"gochat_sfu_joins_total", "counter"},
        {"gochat_sfu_join_refusals_total", "counter"},
        {"gochat_sfu_leaves_total", "counter"},
        {"gochat_sfu_forwarded_packets_total", "counter"},
        {"gochat_sfu_forwarded_bytes_total", "counter"},
        {"gochat_sfu_dropped_packets_total", "counter"},
        {"gochat_sfu_offers_total", "counter"},
        {"gochat_sfu_answers_total", "counter"},
        {"gochat_sfu_webhook_calls_total", "counter"},
        {"gochat_sfu_heartbeat_last_success_timestamp_seconds", "gauge"},
    };
    for (const auto& [name, type] : table) {
        assert_true(contains(text, "# HELP " + name + " "));
        assert_true(contains(text, "# TYPE " + name + " " + type + "\n"));
    }
    assert_true(contains(text, "\ngochat_sfu_rooms 2\n"));
    assert_true(contains(text, "\ngochat_sfu_participants 5\n"));
    assert_true(contains(text, "gochat_sfu_join_refusals_total{reason=\"room full\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_leaves_total{reason=\"closed\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_forwarded_packets_total{kind=\"audio\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_forwarded_bytes_total{kind=\"video\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_heartbeat_last_success_timestamp_seconds 0\n"));
    // Refusals a join never gets are shown only once they happened.
    assert_false(contains(text, "reason=\"not joined\""));
    assert_int_equal(text.back(), '\n');
}

void counted_values_reach_the_text(void**) {
    SfuMetrics metrics;
    metrics.events.joins = 7;
    metrics.events.joinRefusals[static_cast<size_t>(Refusal::NotFound)] = 1;
    metrics.events.leaves[static_cast<size_t>(LeaveReason::Kicked)] = 3;
    metrics.media.forwardedPackets[MediaCounters::index(MediaKind::Video)] = 12345678901234ull;
    metrics.media.dropped[static_cast<size_t>(DropReason::CodecMismatch)] = 4;
    metrics.webhook.calls[static_cast<size_t>(WebhookPath::Leave)][static_cast<size_t>(WebhookOutcome::Timeout)] = 2;
    metrics.webhook.lastHeartbeatSuccessUnix = 1700000000;
    const std::string text = renderSfuMetrics(metrics);
    assert_true(contains(text, "\ngochat_sfu_joins_total 7\n"));
    assert_true(contains(text, "gochat_sfu_join_refusals_total{reason=\"not found\"} 1\n"));
    assert_true(contains(text, "gochat_sfu_leaves_total{reason=\"kicked\"} 3\n"));
    assert_true(contains(text, "gochat_sfu_forwarded_packets_total{kind=\"video\"} 12345678901234\n"));
    assert_true(contains(text, "gochat_sfu_dropped_packets_total{reason=\"codec_mismatch\"} 4\n"));
    assert_true(contains(text, "gochat_sfu_webhook_calls_total{path=\"leave\",outcome=\"timeout\"} 2\n"));
    assert_true(contains(text, "gochat_sfu_webhook_calls_total{path=\"heartbeat\",outcome=\"dropped\"} 0\n"));
    assert_true(contains(text, "gochat_sfu_heartbeat_last_success_timestamp_seconds 1700000000\n"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joins_refusals_leaves_and_offers_are_counted),
        cmocka_unit_test(labels_are_the_wire_texts_and_the_contracts_reasons),
        cmocka_unit_test(every_name_of_the_contract_is_rendered_with_help_and_type),
        cmocka_unit_test(counted_values_reach_the_text),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
