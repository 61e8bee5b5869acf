// What the packet path counts for GET /metrics (docs/operations.md,
// Metrics): forwarded packets and bytes per kind, dropped packets per
// reason. Relaxed atomics only: counting takes no lock and allocates
// nothing, and a scrape reads each counter on its own (a scrape is no
// instant photograph of all of them together).
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gochat::sfu {

// Why a packet that reached the plugin was not handed to a subscriber.
enum class DropReason {
    Malformed,         // shorter than an RTP header
    WrongLine,         // arrived on a line that is not the publisher's own
    NoReceivers,       // nobody may receive it now (alone, muted, not allowed to publish)
    CodecMismatch,     // another payload type than the publication's (a codec switch in progress)
    ReceiverNotReady,  // one copy not sent: that subscriber's PeerConnection is not up (counted per copy)
    NotLoudest,        // audio of a publisher not among its room's K loudest (docs/voice-control.md)
};
inline constexpr size_t kDropReasonCount = 6;
inline constexpr std::array<DropReason, kDropReasonCount> kAllDropReasons = {
    DropReason::Malformed,     DropReason::WrongLine,        DropReason::NoReceivers,
    DropReason::CodecMismatch, DropReason::ReceiverNotReady, DropReason::NotLoudest};

class MediaCounters {
public:
    struct Snapshot {
        std::array<uint64_t, 2> forwardedPackets{};  // by MediaKind: audio, video
        std::array<uint64_t, 2> forwardedBytes{};
        std::array<uint64_t, kDropReasonCount> dropped{};
    };

    // --- media threads (any number at once)
    void forwarded(MediaKind kind, uint64_t packets, uint64_t bytes) {
        forwardedPackets_[index(kind)].fetch_add(packets, std::memory_order_relaxed);
        forwardedBytes_[index(kind)].fetch_add(bytes, std::memory_order_relaxed);
    }
    void dropped(DropReason reason, uint64_t packets = 1) {
        dropped_[static_cast<size_t>(reason)].fetch_add(packets, std::memory_order_relaxed);
    }

    // --- any thread
    Snapshot snapshot() const {
        Snapshot out;
        for (size_t i = 0; i < 2; ++i) {
            out.forwardedPackets[i] = forwardedPackets_[i].load(std::memory_order_relaxed);
            out.forwardedBytes[i] = forwardedBytes_[i].load(std::memory_order_relaxed);
        }
        for (size_t i = 0; i < kDropReasonCount; ++i) out.dropped[i] = dropped_[i].load(std::memory_order_relaxed);
        return out;
    }

    static size_t index(MediaKind kind) { return kind == MediaKind::Audio ? 0 : 1; }

private:
    // Each group on its own cache line: every publisher's loop thread adds
    // to the forwarded counters, drops are rarer.
    alignas(64) std::atomic<uint64_t> forwardedPackets_[2] = {{0}, {0}};
    alignas(64) std::atomic<uint64_t> forwardedBytes_[2] = {{0}, {0}};
    alignas(64) std::atomic<uint64_t> dropped_[kDropReasonCount] = {{0}, {0}, {0}, {0}, {0}, {0}};
};

}  // namespace gochat::sfu
