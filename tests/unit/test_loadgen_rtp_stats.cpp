// RFC 3550 receive statistics as the load generator keeps them per remote
// stream: expected, lost (A.3), sequence wrap, duplicates, reordering, a new
// SSRC on the same stream, and interarrival jitter (A.8).
#include "tools/loadgen/rtp_stats.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstdint>

using namespace gochat::loadgen;

namespace {

constexpr uint32_t kClock = 48000;
constexpr int64_t kPacketUs = 20000;
constexpr uint32_t kPacketTicks = 960;

void feed(RtpStreamStats& stats, uint32_t ssrc, uint16_t firstSequence, int count, int64_t& nowUs, uint32_t& ts,
          int skipEvery = 0) {
    for (int i = 0; i < count; ++i) {
        const auto sequence = static_cast<uint16_t>(firstSequence + i);
        if (!(skipEvery > 0 && i % skipEvery == skipEvery - 1)) stats.onPacket(ssrc, sequence, ts, nowUs);
        nowUs += kPacketUs;
        ts += kPacketTicks;
    }
}

void in_order_stream_loses_nothing_and_has_no_jitter(void**) {
    RtpStreamStats stats(kClock);
    int64_t now = 1000000;
    uint32_t ts = 12345;
    feed(stats, 7, 100, 500, now, ts);
    assert_int_equal(stats.packets(), 500);
    assert_int_equal(stats.expected(), 500);
    assert_int_equal(stats.lost(), 0);
    assert_true(stats.jitterMs() < 0.05);
}

void gaps_count_as_lost(void**) {
    RtpStreamStats stats(kClock);
    int64_t now = 0;
    uint32_t ts = 0;
    feed(stats, 7, 0, 100, now, ts, 10);     // every 10th missing
    assert_int_equal(stats.expected(), 99);  // the last one (index 99) never came, so the highest is 98
    assert_int_equal(stats.lost(), 9);
}

void sequence_wrap_is_one_stream(void**) {
    RtpStreamStats stats(kClock);
    int64_t now = 0;
    uint32_t ts = 0xFFFFF000u;  // the timestamp wraps too
    feed(stats, 7, 65500, 100, now, ts);
    assert_int_equal(stats.expected(), 100);
    assert_int_equal(stats.lost(), 0);
    assert_true(stats.jitterMs() < 0.05);
}

void duplicates_make_loss_negative_and_reordering_does_not_count(void**) {
    RtpStreamStats stats(kClock);
    stats.onPacket(7, 1, 0, 0);
    stats.onPacket(7, 3, 1920, 40000);
    stats.onPacket(7, 2, 960, 41000);  // late, not lost
    assert_int_equal(stats.lost(), 0);
    stats.onPacket(7, 3, 1920, 42000);  // duplicate
    assert_int_equal(stats.lost(), -1);
    assert_int_equal(stats.lateOrDuplicate(), 2);
}

void a_new_ssrc_starts_a_segment_and_keeps_the_old_counts(void**) {
    RtpStreamStats stats(kClock);
    int64_t now = 0;
    uint32_t ts = 0;
    feed(stats, 7, 1000, 50, now, ts);
    feed(stats, 8, 40000, 50, now, ts);  // the SFU reused the line for a new source
    assert_int_equal(stats.segments(), 2);
    assert_int_equal(stats.packets(), 100);
    assert_int_equal(stats.expected(), 100);
    assert_int_equal(stats.lost(), 0);
}

void alternating_arrival_offsets_converge_to_their_jitter(void**) {
    RtpStreamStats stats(kClock);
    uint32_t ts = 0;
    for (int i = 0; i < 400; ++i) {
        // Each packet 5 ms early or late: consecutive transit differences are 10 ms.
        const int64_t arrival = i * kPacketUs + (i % 2 ? 5000 : -5000) + 1000000;
        stats.onPacket(7, static_cast<uint16_t>(i), ts, arrival);
        ts += kPacketTicks;
    }
    assert_true(stats.jitterMs() > 9.5 && stats.jitterMs() < 10.1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(in_order_stream_loses_nothing_and_has_no_jitter),
        cmocka_unit_test(gaps_count_as_lost),
        cmocka_unit_test(sequence_wrap_is_one_stream),
        cmocka_unit_test(duplicates_make_loss_negative_and_reordering_does_not_count),
        cmocka_unit_test(a_new_ssrc_starts_a_segment_and_keeps_the_old_counts),
        cmocka_unit_test(alternating_arrival_offsets_converge_to_their_jitter),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
