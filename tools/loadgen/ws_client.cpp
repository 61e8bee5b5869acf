#include "tools/loadgen/ws_client.hpp"

#include <glib-unix.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gochat::loadgen {

bool parseWsUrl(std::string_view url, WsUrl& out) {
    constexpr std::string_view scheme = "ws://";
    if (url.substr(0, scheme.size()) != scheme) return false;
    url.remove_prefix(scheme.size());
    const size_t slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    out.hostHeader = std::string(authority);
    const size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        out.host = std::string(authority);
        out.port = 80;
    } else {
        out.host = std::string(authority.substr(0, colon));
        const std::string port(authority.substr(colon + 1));
        char* end = nullptr;
        const long value = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || value <= 0 || value > 65535) return false;
        out.port = static_cast<int>(value);
    }
    return !out.host.empty();
}

WsClient::~WsClient() { finish("destroyed", false); }

bool WsClient::connect(const WsUrl& url, std::string& error, const std::string& protocol) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    if (getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
        error = "cannot resolve " + url.host;
        return false;
    }
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        freeaddrinfo(found);
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int rc = ::connect(fd_, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc != 0 && errno != EINPROGRESS) {
        error = std::string("connect: ") + std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        return false;
    }
    guint8 nonce[16];
    for (auto& byte : nonce) byte = static_cast<guint8>(g_random_int_range(0, 256));
    gchar* key = g_base64_encode(nonce, sizeof nonce);
    key_ = key;
    g_free(key);
    state_ = State::Connecting;
    queue(wsHandshakeRequest(url.hostHeader, url.path, key_, protocol));
    return true;
}

void WsClient::sendText(std::string_view text) {
    if (state_ != State::Open) return;
    queue(wsEncodeClientFrame(WsOpcode::Text, text, g_random_int()));
}

void WsClient::close() {
    if (state_ == State::Open) {
        // Best effort: one write of the close frame (status 1000) before the socket goes.
        const std::string frame = wsEncodeClientFrame(WsOpcode::Close, std::string_view("\x03\xe8", 2), g_random_int());
        if (outputOffset_ == output_.size()) (void)::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
    }
    finish("closed by us", false);
}

void WsClient::queue(std::string bytes) {
    if (output_.size() == outputOffset_) {
        output_ = std::move(bytes);
        outputOffset_ = 0;
    } else {
        output_.append(bytes);
    }
    if (state_ == State::Open || state_ == State::Handshaking) handleWritable();
    updateWatch();
}

void WsClient::updateWatch() {
    if (fd_ < 0) return;
    GIOCondition wanted = GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR);
    if (state_ == State::Connecting || outputOffset_ < output_.size()) wanted = GIOCondition(wanted | G_IO_OUT);
    if (watch_ != 0 && wanted == watched_) return;
    if (watch_ != 0) g_source_remove(watch_);
    watch_ = g_unix_fd_add(fd_, wanted, &WsClient::onReady, this);
    watched_ = wanted;
}

gboolean WsClient::onReady(gint, GIOCondition condition, gpointer data) {
    auto* self = static_cast<WsClient*>(data);
    if (self->state_ == State::Connecting && (condition & (G_IO_OUT | G_IO_ERR | G_IO_HUP))) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            self->finish(std::string("connect: ") + std::strerror(error), true);
            return G_SOURCE_REMOVE;
        }
        self->state_ = State::Handshaking;
    }
    if (condition & G_IO_OUT) self->handleWritable();
    if (self->fd_ >= 0 && (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))) self->handleReadable();
    if (self->fd_ < 0) return G_SOURCE_REMOVE;  // finish() already removed the watch
    self->updateWatch();
    return self->watch_ != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void WsClient::handleWritable() {
    while (fd_ >= 0 && outputOffset_ < output_.size()) {
        const ssize_t sent = ::send(fd_, output_.data() + outputOffset_, output_.size() - outputOffset_, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            finish(std::string("send: ") + std::strerror(errno), true);
            return;
        }
        outputOffset_ += static_cast<size_t>(sent);
    }
    if (outputOffset_ == output_.size()) {
        output_.clear();
        outputOffset_ = 0;
    }
}

void WsClient::handleReadable() {
    char buffer[16384];
    for (;;) {
        const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got == 0) return finish("connection closed by the server", true);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            return finish(std::string("recv: ") + std::strerror(errno), true);
        }
        if (state_ == State::Handshaking) {
            input_.append(buffer, static_cast<size_t>(got));
            size_t consumed = 0;
            const WsHandshake result = wsReadHandshake(input_, key_, consumed);
            if (result == WsHandshake::Incomplete) continue;
            if (result == WsHandshake::Refused) return finish("handshake refused", true);
            state_ = State::Open;
            reader_.feed(input_.data() + consumed, input_.size() - consumed);
            input_.clear();
            if (callbacks_.onOpen) callbacks_.onOpen();
        } else if (state_ == State::Open) {
            reader_.feed(buffer, static_cast<size_t>(got));
        }
        if (state_ == State::Open) processFrames();
        if (fd_ < 0) return;
    }
}

void WsClient::processFrames() {
    WsMessage message;
    for (;;) {
        const WsFrameReader::Result result = reader_.next(message);
        if (result == WsFrameReader::Result::NeedMore) return;
        if (result == WsFrameReader::Result::Error) return finish("bad frame: " + reader_.error(), true);
        switch (message.opcode) {
            case WsOpcode::Text:
                if (callbacks_.onText) callbacks_.onText(message.payload);
                break;
            case WsOpcode::Ping: queue(wsEncodeClientFrame(WsOpcode::Pong, message.payload, g_random_int())); break;
            case WsOpcode::Close: {
                int code = 1005;
                if (message.payload.size() >= 2)
                    code = (static_cast<uint8_t>(message.payload[0]) << 8) | static_cast<uint8_t>(message.payload[1]);
                const std::string reason = message.payload.size() > 2 ? message.payload.substr(2) : std::string();
                return finish("closed by the server: " + std::to_string(code) + " " + reason, true);
            }
            default: break;  // binary and pong frames are not part of the protocols spoken here
        }
        if (fd_ < 0) return;
    }
}

void WsClient::finish(const std::string& why, bool notify) {
    if (state_ == State::Closed || state_ == State::Idle) {
        state_ = State::Closed;
        return;
    }
    state_ = State::Closed;
    if (watch_ != 0) g_source_remove(watch_);
    watch_ = 0;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (notify && callbacks_.onClosed) callbacks_.onClosed(why);
}

}  // namespace gochat::loadgen
