#include "transports/gochat-ws/lws/inbox.hpp"

#include <utility>

namespace gochat::ws {

bool Inbox::deliver(InboxItem item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dead_) return false;
    inbox_.push_back(std::move(item));
    return true;
}

std::vector<InboxItem> Inbox::takeInbox() {
    std::vector<InboxItem> items;
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(inbox_);
    return items;
}

std::vector<InboxItem> Inbox::markDead() {
    std::vector<InboxItem> items;
    std::lock_guard<std::mutex> lock(mutex_);
    dead_ = true;
    items.swap(inbox_);
    return items;
}

}  // namespace gochat::ws
