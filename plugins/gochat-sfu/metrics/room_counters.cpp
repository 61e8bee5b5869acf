#include "plugins/gochat-sfu/metrics/room_counters.hpp"

#include <type_traits>

namespace gochat::sfu {

namespace {

template <class Enum, size_t N>
void count(std::array<std::atomic<uint64_t>, N>& counters, Enum value) {
    const auto index = static_cast<size_t>(value);
    if (index < N) counters[index].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void RoomCounters::observe(const Effect& effect) {
    if (std::holds_alternative<event::ParticipantJoined>(effect)) {
        joins_.fetch_add(1, std::memory_order_relaxed);
    } else if (const auto* refused = std::get_if<event::JoinRefused>(&effect)) {
        count(joinRefusals_, refused->reason);
    } else if (const auto* left = std::get_if<event::ParticipantLeft>(&effect)) {
        count(leaves_, left->reason);
    } else if (std::holds_alternative<SendOffer>(effect)) {
        offers_.fetch_add(1, std::memory_order_relaxed);
    } else if (std::holds_alternative<SendAnswer>(effect)) {
        answers_.fetch_add(1, std::memory_order_relaxed);
    }
}

RoomCounters::Snapshot RoomCounters::snapshot() const {
    Snapshot out;
    out.joins = joins_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < out.joinRefusals.size(); ++i)
        out.joinRefusals[i] = joinRefusals_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < out.leaves.size(); ++i) out.leaves[i] = leaves_[i].load(std::memory_order_relaxed);
    out.offers = offers_.load(std::memory_order_relaxed);
    out.answers = answers_.load(std::memory_order_relaxed);
    return out;
}

}  // namespace gochat::sfu
