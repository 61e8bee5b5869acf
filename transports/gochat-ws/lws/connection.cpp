#include "transports/gochat-ws/lws/connection.hpp"

#include <utility>

namespace gochat::ws {

Connection::Connection(uint64_t connectionId, struct lws* socket, std::string plugin, size_t maxMessageSize)
    : id(connectionId), wsi(socket), session(connectionId, std::move(plugin)), assembler(maxMessageSize) {
    joinTimer.owner = this;
    keepaliveTimer.owner = this;
    lingerTimer.owner = this;
}

bool Connection::deliver(InboxItem item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dead_) return false;
    inbox_.push_back(std::move(item));
    return true;
}

std::vector<InboxItem> Connection::takeInbox() {
    std::vector<InboxItem> items;
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(inbox_);
    return items;
}

std::vector<InboxItem> Connection::markDead() {
    std::vector<InboxItem> items;
    std::lock_guard<std::mutex> lock(mutex_);
    dead_ = true;
    items.swap(inbox_);
    return items;
}

void Connection::enqueueFrame(const std::string& text) {
    std::string frame(LWS_PRE, '\0');
    frame += text;
    outboundBytes += text.size();
    outbound.push_back(std::move(frame));
}

void Connection::dropOutbound() {
    outbound.clear();
    outboundBytes = 0;
}

}  // namespace gochat::ws
