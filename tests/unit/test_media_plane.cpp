// The media plane with a fake media server (MediaPort): what subscribers
// receive across a pause and a resume, payload-type rewrite, a publisher's
// codec switch, keyframe requests and their rate limit, where a browser's
// keyframe request goes, and when replaced snapshots are freed. The clock
// is the fake's: no test sleeps.
#include "plugins/gochat-sfu/media/media_plane.hpp"
#include "plugins/gochat-sfu/media/rtp_header.hpp"
#include "tests/unit/cmocka.hpp"

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace gochat::sfu;

namespace {

struct Relayed {
    void* peer;
    int mindex;
    uint16_t sequence;
    uint32_t timestamp;
    uint8_t payloadType;
};

class FakePort final : public MediaPort {
public:
    int64_t nowUs() const override { return now; }
    void relay(void* peer, const MediaPacket& packet) override {
        relayed.push_back(Relayed{peer, packet.mindex, rtp::sequence(packet.buffer), rtp::timestamp(packet.buffer),
                                  rtp::payloadType(packet.buffer)});
    }
    bool peerStopped(void*) const override { return false; }
    void sendKeyframeRequest(void* peer) override { keyframeRequests.push_back(peer); }
    void sendBitrateCap(void* peer, uint32_t bitsPerSecond) override { bitrateCaps.emplace_back(peer, bitsPerSecond); }
    void speakingChanged(SessionId session, bool speaking) override { speakingChanges.emplace_back(session, speaking); }
    void payloadTypeSeen(SessionId session, MediaKind, int payloadType) override {
        payloadTypesSeen.emplace_back(session, payloadType);
    }
    void keyframeDeferred() override { ++deferrals; }

    int64_t now = 1'000'000'000;
    std::vector<Relayed> relayed;
    std::vector<void*> keyframeRequests;
    std::vector<std::pair<void*, uint32_t>> bitrateCaps;
    std::vector<std::pair<SessionId, bool>> speakingChanges;
    std::vector<std::pair<SessionId, int>> payloadTypesSeen;
    int deferrals = 0;
};

// One fixture for every test: a port, a plane and sessions by id.
struct Fixture {
    FakePort port;
    MediaPlane plane{port};
    std::map<SessionId, std::shared_ptr<MediaSession>> sessions;
    std::map<SessionId, std::unique_ptr<int>> peers;  // a distinct address per session

    // Snapshots hold sessions (a publisher's fan-out its subscribers, a
    // subscriber's video sources its publishers): dropping them all breaks
    // those cycles, as the plugin does when sessions leave, so LeakSanitizer
    // sees nothing left (configure --enable-sanitizers).
    ~Fixture() {
        for (auto& [id, session] : sessions) plane.forget(session);
        plane.collectRetired();
    }

    std::shared_ptr<MediaSession> session(SessionId id) {
        auto found = sessions.find(id);
        if (found != sessions.end()) return found->second;
        peers[id] = std::make_unique<int>(static_cast<int>(id));
        auto created = std::make_shared<MediaSession>(id, std::shared_ptr<void>(peers[id].get(), [](void*) {}),
                                                      SpeakingThresholds{});
        created->started().store(true);
        sessions[id] = created;
        return created;
    }
    void* peerOf(SessionId id) { return peers.at(id).get(); }
    MediaPlane::SessionLookup lookup() {
        return [this](SessionId id) {
            auto found = sessions.find(id);
            return found == sessions.end() ? nullptr : found->second;
        };
    }
    void fanout(SessionId publisher, MediaKind kind, std::vector<FanoutTarget> targets, int sourcePayloadType) {
        for (const FanoutTarget& target : targets) session(target.subscriber);
        plane.installFanout(session(publisher), SetFanout{publisher, kind, std::move(targets), sourcePayloadType},
                            lookup());
    }
    // One RTP packet from `publisher` on its own line of `kind`.
    void send(SessionId publisher, MediaKind kind, uint16_t sequence, uint32_t timestamp, uint8_t payloadType,
              int audioLevel = -1) {
        std::array<uint8_t, 32> buffer{};
        buffer[0] = 0x80;
        rtp::setPayloadType(buffer.data(), payloadType);
        rtp::setSequence(buffer.data(), sequence);
        rtp::setTimestamp(buffer.data(), timestamp);
        buffer[8] = 0x12, buffer[9] = 0x34, buffer[10] = 0x56, buffer[11] = 0x78;
        MediaPacket packet;
        packet.buffer = buffer.data();
        packet.length = buffer.size();
        packet.video = kind == MediaKind::Video;
        packet.mindex = kind == MediaKind::Audio ? 0 : 1;
        packet.audioLevel = audioLevel;
        plane.onRtp(*session(publisher), packet);
        // The publisher's buffer is left as it came, whatever was relayed.
        assert_int_equal(rtp::sequence(buffer.data()), sequence);
        assert_int_equal(rtp::timestamp(buffer.data()), timestamp);
        assert_int_equal(rtp::payloadType(buffer.data()), payloadType);
        assert_int_equal(packet.mindex, kind == MediaKind::Audio ? 0 : 1);
    }
};

constexpr SessionId kAlice = 1, kBob = 2, kCarol = 3;
constexpr uint8_t kOpus = 111, kVp8 = 96, kVp9 = 98;
constexpr int64_t kFrameUs = 20'000;  // one Opus packet
constexpr uint32_t kFrameTicks = 960;

uint64_t droppedFor(const MediaPlane& plane, DropReason reason) {
    return plane.counters().snapshot().dropped[static_cast<size_t>(reason)];
}

void a_paused_line_resumes_right_after_its_last_packet(void**) {
    Fixture f;
    const FanoutTarget bobLine{kBob, 2, 7, 0};
    f.fanout(kAlice, MediaKind::Audio, {bobLine}, kOpus);
    for (uint16_t i = 0; i < 5; ++i) {
        f.send(kAlice, MediaKind::Audio, 1000 + i, 50'000 + i * kFrameTicks, kOpus);
        f.port.now += kFrameUs;
    }
    assert_int_equal(f.port.relayed.size(), 5);
    const Relayed lastBefore = f.port.relayed.back();
    assert_int_equal(lastBefore.mindex, 2);
    assert_ptr_equal(lastBefore.peer, f.peerOf(kBob));

    f.fanout(kAlice, MediaKind::Audio, {}, kOpus);  // Bob mutes Alice
    for (uint16_t i = 5; i < 55; ++i) {
        f.send(kAlice, MediaKind::Audio, 1000 + i, 50'000 + i * kFrameTicks, kOpus);
        f.port.now += kFrameUs;
    }
    assert_int_equal(f.port.relayed.size(), 5);

    f.fanout(kAlice, MediaKind::Audio, {bobLine}, kOpus);  // and unmutes her
    f.send(kAlice, MediaKind::Audio, 1055, 50'000 + 55 * kFrameTicks, kOpus);
    f.send(kAlice, MediaKind::Audio, 1056, 50'000 + 56 * kFrameTicks, kOpus);
    assert_int_equal(f.port.relayed.size(), 7);
    const Relayed resumed = f.port.relayed[5];
    // No gap to NACK: the next sequence number; the timestamp moved on by
    // the time that passed (51 packets of 20 ms at 48 kHz).
    assert_int_equal(resumed.sequence, static_cast<uint16_t>(lastBefore.sequence + 1));
    assert_int_equal(resumed.timestamp, lastBefore.timestamp + 51 * kFrameTicks);
    assert_int_equal(f.port.relayed[6].sequence, static_cast<uint16_t>(resumed.sequence + 1));
    assert_int_equal(f.port.relayed[6].timestamp, resumed.timestamp + kFrameTicks);
}

// Not among the room's K loudest (media/loudest_speakers.hpp): the packets
// are held back, the level still reaches the meter, and every line goes on
// without a gap when the publisher is forwarded again.
void audio_held_back_by_the_selection_resumes_every_line_without_a_gap(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 7, 0}, {kCarol, 2, 8, 0}}, kOpus);
    f.send(kAlice, MediaKind::Audio, 1000, 50'000, kOpus, 30);
    f.port.now += kFrameUs;
    assert_int_equal(f.port.relayed.size(), 2);
    assert_int_equal(f.session(kAlice)->levelMeter().takePeak(), 97);

    f.session(kAlice)->levelMeter().setForwarded(false);
    for (uint16_t i = 1; i < 11; ++i) {
        f.send(kAlice, MediaKind::Audio, 1000 + i, 50'000 + i * kFrameTicks, kOpus, 100);
        f.port.now += kFrameUs;
    }
    assert_int_equal(f.port.relayed.size(), 2);
    assert_int_equal(droppedFor(f.plane, DropReason::NotLoudest), 10);
    assert_int_equal(f.session(kAlice)->levelMeter().takePeak(), 27);  // still measured

    f.session(kAlice)->levelMeter().setForwarded(true);
    f.send(kAlice, MediaKind::Audio, 1011, 50'000 + 11 * kFrameTicks, kOpus, 30);
    assert_int_equal(f.port.relayed.size(), 4);
    for (size_t line = 0; line < 2; ++line) {
        const Relayed& before = f.port.relayed[line];
        const Relayed& after = f.port.relayed[2 + line];
        assert_ptr_equal(before.peer, after.peer);
        assert_int_equal(after.sequence, static_cast<uint16_t>(before.sequence + 1));
        assert_int_equal(after.timestamp, before.timestamp + 11 * kFrameTicks);
    }
    // Video is never held back by the audio selection.
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 9, 0}}, kVp8);
    f.session(kAlice)->levelMeter().setForwarded(false);
    f.send(kAlice, MediaKind::Video, 1, 100, kVp8);
    assert_int_equal(f.port.relayed.size(), 5);
}

void a_rebound_line_starts_afresh(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 7, 0}}, kOpus);
    f.send(kAlice, MediaKind::Audio, 1000, 50'000, kOpus);
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 8, 0}}, kOpus);  // another binding of the same line
    f.send(kAlice, MediaKind::Audio, 4000, 90'000, kOpus);
    assert_int_equal(f.port.relayed[1].sequence, 4000);
    assert_int_equal(f.port.relayed[1].timestamp, 90'000);
}

void a_line_negotiated_with_another_type_gets_its_own(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 100}, {kCarol, 4, 2, 0}}, kVp8);
    f.send(kAlice, MediaKind::Video, 1, 3000, kVp8);
    assert_int_equal(f.port.relayed.size(), 2);
    assert_int_equal(f.port.relayed[0].payloadType, 100);
    assert_int_equal(f.port.relayed[0].mindex, 3);
    assert_int_equal(f.port.relayed[1].payloadType, kVp8);
    assert_int_equal(f.port.relayed[1].mindex, 4);
}

void packets_of_another_codec_are_dropped_and_reported_once(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 0}}, kVp8);
    f.send(kAlice, MediaKind::Video, 1, 3000, kVp9);
    f.send(kAlice, MediaKind::Video, 2, 3000, kVp9);
    assert_true(f.port.relayed.empty());
    assert_int_equal(f.port.payloadTypesSeen.size(), 1);
    assert_int_equal(f.port.payloadTypesSeen[0].first, kAlice);
    assert_int_equal(f.port.payloadTypesSeen[0].second, kVp9);
    // The control plane follows: the publication is now VP9.
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 2, 0}}, kVp9);
    f.send(kAlice, MediaKind::Video, 3, 6000, kVp9);
    assert_int_equal(f.port.relayed.size(), 1);
    assert_int_equal(f.port.relayed[0].payloadType, kVp9);
}

void packets_on_other_lines_than_the_own_ones_are_dropped(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 1, 0}}, kOpus);
    std::array<uint8_t, 16> buffer{};
    rtp::setPayloadType(buffer.data(), kOpus);
    MediaPacket packet;
    packet.buffer = buffer.data();
    packet.length = buffer.size();
    packet.mindex = 4;  // a line Alice receives on
    f.plane.onRtp(*f.session(kAlice), packet);
    packet.mindex = 0;
    packet.length = 8;  // shorter than an RTP header
    f.plane.onRtp(*f.session(kAlice), packet);
    assert_true(f.port.relayed.empty());
}

void keyframe_requests_inside_a_second_are_deferred_not_dropped(void**) {
    Fixture f;
    MediaSession& alice = *f.session(kAlice);
    f.plane.requestKeyframe(alice);
    f.plane.requestKeyframe(alice);
    f.plane.requestKeyframe(alice);
    assert_int_equal(f.port.keyframeRequests.size(), 1);
    assert_int_equal(f.port.deferrals, 1);
    assert_true(f.plane.keyframesWaiting());
    f.port.now += 500'000;
    f.plane.sendDeferredKeyframes({f.session(kAlice)});
    assert_int_equal(f.port.keyframeRequests.size(), 1);  // still inside the window
    f.port.now += 500'000;
    f.plane.sendDeferredKeyframes({f.session(kAlice)});
    assert_int_equal(f.port.keyframeRequests.size(), 2);
    assert_false(f.plane.keyframesWaiting());
    assert_ptr_equal(f.port.keyframeRequests[1], f.peerOf(kAlice));
}

void a_keyframe_request_on_a_receiving_line_goes_to_its_publisher(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 0}}, kVp8);
    f.fanout(kCarol, MediaKind::Video, {{kBob, 5, 2, 0}}, kVp8);
    f.plane.onKeyframeRequest(*f.session(kBob), 5);
    assert_int_equal(f.port.keyframeRequests.size(), 1);
    assert_ptr_equal(f.port.keyframeRequests[0], f.peerOf(kCarol));
}

// Chromium's requests arrive filed under the viewer's own line (Janus
// matches the sender SSRC first): every camera it watches is asked.
void a_keyframe_request_filed_under_an_own_line_reaches_every_camera_watched(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 0}}, kVp8);
    f.fanout(kCarol, MediaKind::Video, {{kBob, 5, 2, 0}}, kVp8);
    f.plane.onKeyframeRequest(*f.session(kBob), 1);
    assert_int_equal(f.port.keyframeRequests.size(), 2);
    // A line that no longer receives (Bob muted Carol locally) is not asked.
    f.fanout(kCarol, MediaKind::Video, {}, kVp8);
    f.port.now += 2'000'000;
    f.plane.onKeyframeRequest(*f.session(kBob), 0);
    assert_int_equal(f.port.keyframeRequests.size(), 3);
    assert_ptr_equal(f.port.keyframeRequests[2], f.peerOf(kAlice));
}

void peer_up_asks_every_camera_it_receives_for_a_keyframe(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 0}}, kVp8);
    f.plane.onPeerUp(*f.session(kBob));
    assert_int_equal(f.port.keyframeRequests.size(), 1);
    assert_ptr_equal(f.port.keyframeRequests[0], f.peerOf(kAlice));
}

// A snapshot replaced while its reader is inside a read section stays
// alive until the section ends, and is freed by the control plane.
void a_replaced_snapshot_outlives_the_read_section_that_holds_it(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Audio, {{kCarol, 2, 1, 0}}, kOpus);
    std::weak_ptr<MediaSession> carol = f.session(kCarol);
    f.sessions.erase(kCarol);  // only Alice's fan-out holds Carol now
    {
        MediaSession::ReadSection reading(*f.session(kAlice));
        const Fanout* inUse = f.session(kAlice)->fanout(MediaKind::Audio);
        f.fanout(kAlice, MediaKind::Audio, {}, kOpus);
        assert_true(f.plane.retiredWaiting());
        f.plane.collectRetired();
        assert_false(carol.expired());
        assert_int_equal(inUse->entries.size(), 1);
    }
    f.plane.collectRetired();
    assert_false(f.plane.retiredWaiting());
    assert_true(carol.expired());
}

void a_departed_session_drops_its_snapshots(void**) {
    Fixture f;
    f.fanout(kAlice, MediaKind::Video, {{kBob, 3, 1, 0}}, kVp8);
    std::weak_ptr<MediaSession> bob = f.session(kBob);
    f.plane.forget(f.session(kAlice));
    f.sessions.erase(kBob);
    assert_true(bob.expired());
    assert_null(f.session(kAlice)->fanout(MediaKind::Video));
}

void voice_levels_start_the_speaking_indicator(void**) {
    Fixture f;
    for (int i = 0; i < 10; ++i) {
        f.send(kAlice, MediaKind::Audio, static_cast<uint16_t>(i), i * kFrameTicks, kOpus, 20);
        f.port.now += kFrameUs;
    }
    assert_int_equal(f.port.speakingChanges.size(), 1);
    assert_int_equal(f.port.speakingChanges[0].first, kAlice);
    assert_true(f.port.speakingChanges[0].second);
}

// What GET /metrics reports (docs/operations.md, Metrics): one forwarded
// packet per subscriber copy, bytes likewise, drops by reason.
void forwarded_and_dropped_packets_are_counted(void**) {
    Fixture f;
    f.send(kAlice, MediaKind::Audio, 1, 100, kOpus);  // nobody receives yet
    assert_int_equal(droppedFor(f.plane, DropReason::NoReceivers), 1);
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 7, 0}, {kCarol, 2, 8, 0}}, kOpus);
    f.fanout(kBob, MediaKind::Video, {{kCarol, 3, 9, 0}}, kVp8);
    f.send(kAlice, MediaKind::Audio, 2, 1060, kOpus);
    f.send(kAlice, MediaKind::Audio, 3, 2020, kOpus);
    f.send(kBob, MediaKind::Video, 1, 100, kVp8);
    MediaCounters::Snapshot counted = f.plane.counters().snapshot();
    assert_int_equal(counted.forwardedPackets[MediaCounters::index(MediaKind::Audio)], 4);
    assert_int_equal(counted.forwardedBytes[MediaCounters::index(MediaKind::Audio)], 4 * 32);
    assert_int_equal(counted.forwardedPackets[MediaCounters::index(MediaKind::Video)], 1);
    assert_int_equal(counted.forwardedPackets[MediaCounters::index(MediaKind::Video)], f.port.relayed.size() - 4);

    f.send(kAlice, MediaKind::Audio, 4, 2980, kVp9);  // another codec than the publication's
    assert_int_equal(droppedFor(f.plane, DropReason::CodecMismatch), 1);
    f.session(kCarol)->started().store(false);  // Carol's PeerConnection is not up
    f.send(kAlice, MediaKind::Audio, 5, 3940, kOpus);
    assert_int_equal(droppedFor(f.plane, DropReason::ReceiverNotReady), 1);
    counted = f.plane.counters().snapshot();
    assert_int_equal(counted.forwardedPackets[MediaCounters::index(MediaKind::Audio)], 5);

    std::array<uint8_t, 8> runt{};
    MediaPacket shortPacket;
    shortPacket.buffer = runt.data();
    shortPacket.length = runt.size();
    f.plane.onRtp(*f.session(kAlice), shortPacket);
    assert_int_equal(droppedFor(f.plane, DropReason::Malformed), 1);
}

// What operators see per participant (docs/plugin-api.md, Admin API):
// every byte that reached the plugin from it, every byte relayed to it.
void each_sessions_bytes_in_and_out_are_counted(void**) {
    Fixture f;
    f.send(kAlice, MediaKind::Audio, 1, 100, kOpus);  // nobody receives: still received
    assert_int_equal(f.session(kAlice)->bytesIn(), 32);
    f.fanout(kAlice, MediaKind::Audio, {{kBob, 2, 7, 0}, {kCarol, 2, 8, 0}}, kOpus);
    f.fanout(kBob, MediaKind::Video, {{kCarol, 3, 9, 0}}, kVp8);
    f.send(kAlice, MediaKind::Audio, 2, 1060, kOpus);
    f.send(kAlice, MediaKind::Audio, 3, 2020, kOpus);
    f.send(kBob, MediaKind::Video, 1, 100, kVp8);
    f.session(kCarol)->started().store(false);  // not sent to Carol: not counted for her
    f.send(kAlice, MediaKind::Audio, 4, 2980, kOpus);
    assert_int_equal(f.session(kAlice)->bytesIn(), 4 * 32);
    assert_int_equal(f.session(kAlice)->bytesOut(), 0);
    assert_int_equal(f.session(kBob)->bytesIn(), 32);
    assert_int_equal(f.session(kBob)->bytesOut(), 3 * 32);
    assert_int_equal(f.session(kCarol)->bytesIn(), 0);
    assert_int_equal(f.session(kCarol)->bytesOut(), 3 * 32);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_paused_line_resumes_right_after_its_last_packet),
        cmocka_unit_test(a_rebound_line_starts_afresh),
        cmocka_unit_test(audio_held_back_by_the_selection_resumes_every_line_without_a_gap),
        cmocka_unit_test(a_line_negotiated_with_another_type_gets_its_own),
        cmocka_unit_test(packets_of_another_codec_are_dropped_and_reported_once),
        cmocka_unit_test(packets_on_other_lines_than_the_own_ones_are_dropped),
        cmocka_unit_test(keyframe_requests_inside_a_second_are_deferred_not_dropped),
        cmocka_unit_test(a_keyframe_request_on_a_receiving_line_goes_to_its_publisher),
        cmocka_unit_test(a_keyframe_request_filed_under_an_own_line_reaches_every_camera_watched),
        cmocka_unit_test(peer_up_asks_every_camera_it_receives_for_a_keyframe),
        cmocka_unit_test(a_replaced_snapshot_outlives_the_read_section_that_holds_it),
        cmocka_unit_test(a_departed_session_drops_its_snapshots),
        cmocka_unit_test(voice_levels_start_the_speaking_indicator),
        cmocka_unit_test(forwarded_and_dropped_packets_are_counted),
        cmocka_unit_test(each_sessions_bytes_in_and_out_are_counted),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
