// What Janus hands the transport for one of its transport sessions (a
// socket's, or an HTTP request's: docs/architecture-transport.md), from
// whichever Janus thread: queued under one leaf mutex, taken on the lws
// service thread. No other lock is ever taken while holding it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/json_ref.hpp"

namespace gochat::ws {

struct InboxItem {
    enum class Kind { JanusMessage, SessionCreated, SessionOver, SessionClaimed };
    Kind kind = Kind::JanusMessage;
    JsonRef message;  // JanusMessage
    uint64_t sessionId = 0;
    bool timeout = false;
    bool claimed = false;
};

class Inbox {
public:
    Inbox() = default;
    Inbox(const Inbox&) = delete;
    Inbox& operator=(const Inbox&) = delete;
    virtual ~Inbox() = default;

    // --- any thread ---
    // Queues an item unless the owner is gone; false means it was dropped.
    bool deliver(InboxItem item);

    // --- service thread ---
    std::vector<InboxItem> takeInbox();
    // After this, deliver() drops everything; returns what was still queued
    // so it is freed outside the lock.
    std::vector<InboxItem> markDead();

private:
    std::mutex mutex_;  // leaf: guards dead_ and inbox_
    bool dead_ = false;
    std::vector<InboxItem> inbox_;
};

// transport_p of a janus_transport_session; freed by Janus (p_free) when the
// transport session's last reference goes.
struct ConnectionBox {
    std::shared_ptr<Inbox> inbox;
};

}  // namespace gochat::ws
