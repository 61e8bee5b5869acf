#include "transports/gochat-ws/lws/connection.hpp"

#include <utility>

namespace gochat::ws {

Connection::Connection(uint64_t connectionId, struct lws* socket, std::string plugin, size_t maxMessageSize)
    : id(connectionId), wsi(socket), session(connectionId, std::move(plugin)), assembler(maxMessageSize) {
    joinTimer.owner = this;
    keepaliveTimer.owner = this;
    lingerTimer.owner = this;
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
