// The plain Janus API over Janus's stock WebSocket transport
// ("janus-protocol"): one session per connection, requests with unique
// transactions, replies (success, error) to the request's handler, and
// everything a handle is told (events with their jsep, webrtcup, hangup) to
// one event handler. Keeps the session alive with a keepalive every 20 s
// (Janus's default session_timeout is 60 s and media does not count).
#pragma once

#include "common/json_ref.hpp"
#include "tools/loadgen/ws_client.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace gochat::loadgen {

class JanusConnection {
public:
    // `reply` is a borrowed "success" or "error" message.
    using ReplyHandler = std::function<void(json_t* reply)>;
    struct Callbacks {
        std::function<void()> onSession;  // the session exists: attach handles now
        // An asynchronous message about handle `sender` (janus "event", "hangup", ...), borrowed.
        std::function<void(int64_t sender, json_t* message)> onHandleMessage;
        std::function<void(const std::string& why)> onClosed;
    };

    explicit JanusConnection(Callbacks callbacks);
    // Connects and creates the session.
    bool open(const std::string& url, std::string& error);
    void attach(const std::string& plugin, std::function<void(int64_t handle, const std::string& error)> done);
    // A "message" to the plugin. `onReply` gets Janus's direct reply: an
    // "ack" (the plugin answers later with an event for `handle`), a
    // "success" carrying the plugin's synchronous answer, or an "error".
    void message(int64_t handle, JsonRef body, JsonRef jsep = {}, ReplyHandler onReply = {});
    void trickle(int64_t handle, const std::string& candidate);
    void trickleDone(int64_t handle);
    void tick(int64_t nowUs);
    // Destroys the session (best effort) and closes the socket.
    void close();
    bool ready() const { return session_ != 0; }

    // The "error" text of a reply or event: Janus's error, or the plugin's
    // "error" field; empty when there is none.
    static std::string errorOf(json_t* message);

private:
    void request(const char* verb, JsonRef fields, ReplyHandler handler);
    void onText(std::string_view text);

    Callbacks callbacks_;
    WsClient ws_;
    int64_t session_ = 0;
    uint64_t nextTransaction_ = 1;
    std::map<std::string, ReplyHandler> pending_;
    int64_t nextKeepaliveUs_ = 0;
    bool closing_ = false;
};

}  // namespace gochat::loadgen
