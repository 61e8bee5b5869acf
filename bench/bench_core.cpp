// Prints the cost of the core's hot spots; figures are kept in
// docs/benchmarks.md. Run with `make bench`. Not a test: nothing here asserts
// a time.
#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/core/speaking_detector.hpp"

#include <chrono>
#include <cstdio>
#include <vector>

using namespace gochat::sfu;
using Clock = std::chrono::steady_clock;

namespace {

double nanosSince(Clock::time_point start) {
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// Per audio packet on the publisher's media thread.
void benchSpeakingDetector() {
    SpeakingDetector detector;
    const int packets = 20'000'000;
    int changes = 0;
    const auto start = Clock::now();
    for (int i = 0; i < packets; ++i) {
        // 1 s of voice, 1 s of silence, at the 20 ms Opus pace.
        const int level = (i / 50) % 2 ? 127 : 20;
        changes += detector.onAudioLevel(level, static_cast<Millis>(i) * 20) != SpeakingDetector::Change::None;
    }
    std::printf("speaking detector: %.1f ns per packet (%d verdict changes over %d packets)\n",
                nanosSince(start) / packets, changes, packets);
}

std::vector<AnsweredLine> browserAnswer(const OfferPlan& plan) {
    std::vector<AnsweredLine> lines;
    for (const PlannedLine& line : plan.lines) {
        Direction direction = Direction::Inactive;
        if (line.direction == Direction::RecvOnly && line.kind == MediaKind::Audio) direction = Direction::SendOnly;
        if (line.direction == Direction::SendOnly) direction = Direction::RecvOnly;
        lines.push_back({line.mindex, line.kind, direction, line.kind == MediaKind::Audio ? "opus" : "vp8", {}});
    }
    return lines;
}

// Answers every offer in `effects` and whatever those answers trigger.
size_t settle(RoomRegistry& registry, Effects effects, Millis now) {
    size_t offers = 0;
    while (!effects.empty()) {
        Effects next;
        for (const Effect& effect : effects)
            if (const SendOffer* offer = std::get_if<SendOffer>(&effect)) {
                ++offers;
                Effects more = registry.answer(offer->to, browserAnswer(offer->plan), now);
                next.insert(next.end(), more.begin(), more.end());
            }
        effects = std::move(next);
    }
    return offers;
}

// The control plane as a room fills and empties: every join makes everyone
// renegotiate, so the cost per join grows with the room.
void benchRoomChurn(size_t roomSize) {
    RegistryConfig config;
    config.offerDebounce = 0;
    RoomRegistry registry(config);
    const int rounds = roomSize >= 100 ? 1 : roomSize >= 50 ? 3 : 20;
    Millis now = 1;
    size_t offers = 0;
    const auto start = Clock::now();
    for (int round = 0; round < rounds; ++round) {
        for (size_t i = 0; i < roomSize; ++i) {
            const SessionId session = round * 1000 + i + 1;
            JoinRequest join{session, 42, static_cast<UserId>(i + 1), 42, int64_t{7} << 20, false};
            offers += settle(registry, registry.join(join, now), now);
            ++now;
            offers += settle(registry, registry.tick(now), now);
        }
        for (size_t i = 0; i < roomSize; ++i) {
            offers += settle(registry, registry.leave(round * 1000 + i + 1, LeaveReason::Disconnected, now), now);
            ++now;
            offers += settle(registry, registry.tick(now), now);
        }
    }
    const double perChange = nanosSince(start) / (rounds * roomSize * 2);
    if (!registry.fanoutsUpToDate()) std::printf("room of %3zu: FAN-OUTS OUT OF DATE\n", roomSize);
    std::printf("room of %3zu: %8.1f us per join or leave, all renegotiations included (%zu offers)\n", roomSize,
                perChange / 1000, offers);
}

}  // namespace

int main() {
    benchSpeakingDetector();
    for (size_t size : {2, 10, 25, 50, 100}) benchRoomChurn(size);
    return 0;
}
