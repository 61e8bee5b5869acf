// RFC 6455 for a client: the opening handshake's request and the check of
// the server's accept key, client frames (always masked) and an incremental
// reader of server frames (never masked). Pure: no sockets, no GLib loop, so
// the framing is unit-tested on its own (tests/unit/test_loadgen_ws_frame.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gochat::loadgen {

enum class WsOpcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

// The HTTP/1.1 upgrade request for `path` on `host` (host:port as written
// in the URL) with the base64 `key` (16 random bytes), asking for
// `protocol` when not empty (Janus's stock transport: "janus-protocol").
std::string wsHandshakeRequest(std::string_view host, std::string_view path, std::string_view key,
                               std::string_view protocol = {});
// The Sec-WebSocket-Accept value a server must answer for `key`.
std::string wsAcceptFor(std::string_view key);

// What the server's handshake response says.
enum class WsHandshake { Incomplete, Accepted, Refused };
// Reads the response at the start of `buffer`; on Accepted, `consumed` is the
// length of the response head (frames may follow in the same read).
WsHandshake wsReadHandshake(std::string_view buffer, std::string_view key, size_t& consumed);

// One client frame: FIN set, masked with `mask` (RFC 6455 5.3).
std::string wsEncodeClientFrame(WsOpcode opcode, std::string_view payload, uint32_t mask);

// A complete message from the server: a text or binary message (fragments
// joined), or a control frame.
struct WsMessage {
    WsOpcode opcode = WsOpcode::Text;
    std::string payload;
};

// Feeds bytes in, takes messages out. Refuses masked server frames,
// fragmented control frames, unexpected continuations and messages above
// `maxMessageBytes`; after an error it stays failed.
class WsFrameReader {
public:
    explicit WsFrameReader(size_t maxMessageBytes = 4 * 1024 * 1024) : maxMessageBytes_(maxMessageBytes) {}
    enum class Result { NeedMore, Message, Error };
    void feed(const char* data, size_t length) { buffer_.append(data, length); }
    // Takes the next complete message out of what was fed.
    Result next(WsMessage& out);
    const std::string& error() const { return error_; }

private:
    Result fail(const char* why);
    size_t maxMessageBytes_;
    std::string buffer_;
    size_t offset_ = 0;  // bytes of buffer_ already consumed
    std::string partial_;
    WsOpcode partialOpcode_ = WsOpcode::Text;
    bool inFragmentedMessage_ = false;
    std::string error_;
};

}  // namespace gochat::loadgen
