// A WebSocket client on the GLib main loop: a non-blocking TCP socket
// watched with g_unix_fd_add, the RFC 6455 handshake and framing of
// ws_frame.hpp. ws:// only (the load generator talks to a local SFU). Text
// messages in and out; pings are answered; a close is reported once.
#pragma once

#include "tools/loadgen/ws_frame.hpp"

#include <glib.h>

#include <functional>
#include <string>
#include <string_view>

namespace gochat::loadgen {

// ws://host[:port]/path split up; false when the URL is not of that form.
struct WsUrl {
    std::string host;
    int port = 80;
    std::string path = "/";
    std::string hostHeader;  // host:port as written
};
bool parseWsUrl(std::string_view url, WsUrl& out);

class WsClient {
public:
    struct Callbacks {
        std::function<void()> onOpen;
        std::function<void(std::string_view text)> onText;
        // Called once: the connection failed, was refused or closed (by
        // either side); `why` says which.
        std::function<void(const std::string& why)> onClosed;
    };

    explicit WsClient(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // Starts connecting; false (and onClosed is not called) when the URL
    // does not resolve or the socket cannot be made.
    bool connect(const WsUrl& url, std::string& error, const std::string& protocol = {});
    void sendText(std::string_view text);
    // Sends a close frame and closes the socket; onClosed is not called.
    void close();
    bool open() const { return state_ == State::Open; }

private:
    enum class State { Idle, Connecting, Handshaking, Open, Closed };
    static gboolean onReady(gint fd, GIOCondition condition, gpointer self);
    void handleReadable();
    void handleWritable();
    void processFrames();
    void queue(std::string bytes);
    void updateWatch();
    void finish(const std::string& why, bool notify);

    Callbacks callbacks_;
    State state_ = State::Idle;
    int fd_ = -1;
    guint watch_ = 0;
    GIOCondition watched_ = GIOCondition(0);
    std::string key_;
    std::string input_;  // handshake bytes until the response head is complete
    std::string output_;
    size_t outputOffset_ = 0;
    WsFrameReader reader_;
};

}  // namespace gochat::loadgen
