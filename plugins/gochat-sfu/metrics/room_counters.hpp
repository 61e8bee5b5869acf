// Counts what happens in rooms for GET /metrics: joins, join refusals by
// reason, departures by reason, offers and answers the SFU sent. A
// RoomEventObserver: it sees every effect on the handler thread, after it
// was carried out (core/event_observer.hpp); scrapes read it from any
// thread. Relaxed atomics: no lock, and nothing here is on the media path.
#pragma once

#include "plugins/gochat-sfu/core/event_observer.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gochat::sfu {

// Every value of the enums counted, in declaration order (a new value
// fails to compile in metrics text until it is listed and named there).
inline constexpr std::array<Refusal, 10> kAllRefusals = {
    Refusal::InvalidMessage,  Refusal::Unauthorized, Refusal::Forbidden, Refusal::Blocked,
    Refusal::RoomFull,        Refusal::NotJoined,    Refusal::NotFound,  Refusal::OfferInFlight,
    Refusal::ChannelMismatch, Refusal::Draining};
inline constexpr std::array<LeaveReason, 9> kAllLeaveReasons = {
    LeaveReason::Left,     LeaveReason::Disconnected, LeaveReason::Kicked,
    LeaveReason::Blocked,  LeaveReason::Moved,        LeaveReason::Timeout,
    LeaveReason::Replaced, LeaveReason::Closed,       LeaveReason::BitrateExceeded};

// The counters are indexed by the enum's value: each list must be in order.
template <class Enum, size_t N>
constexpr bool inDeclarationOrder(const std::array<Enum, N>& values) {
    for (size_t i = 0; i < N; ++i)
        if (static_cast<size_t>(values[i]) != i) return false;
    return true;
}
static_assert(inDeclarationOrder(kAllRefusals));
static_assert(inDeclarationOrder(kAllLeaveReasons));

class RoomCounters final : public RoomEventObserver {
public:
    struct Snapshot {
        uint64_t joins = 0;
        std::array<uint64_t, kAllRefusals.size()> joinRefusals{};  // by Refusal value
        std::array<uint64_t, kAllLeaveReasons.size()> leaves{};    // by LeaveReason value
        uint64_t offers = 0;                                       // server offers sent
        uint64_t answers = 0;                                      // answers to client offers sent
    };

    void observe(const Effect& effect) override;
    Snapshot snapshot() const;

private:
    std::atomic<uint64_t> joins_{0};
    std::array<std::atomic<uint64_t>, kAllRefusals.size()> joinRefusals_{};
    std::array<std::atomic<uint64_t>, kAllLeaveReasons.size()> leaves_{};
    std::atomic<uint64_t> offers_{0};
    std::atomic<uint64_t> answers_{0};
};

}  // namespace gochat::sfu
