// Reassembles one WebSocket message from the chunks libwebsockets delivers
// (a message may span several frames, a frame several callbacks), under a
// hard cap: the cap is checked against what the peer has announced, so an
// oversize message is refused before its bytes are buffered.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gochat::ws {

class FrameAssembler {
public:
    enum class Status { NeedMore, Complete, TooLarge };

    explicit FrameAssembler(size_t maxMessageBytes) : maxMessageBytes_(maxMessageBytes) {}

    // Feeds one chunk. `binary` is the message's opcode (read on its first
    // chunk), `finalChunk` marks the end of the message, and
    // `remainingInFrame` is what the current frame still announces.
    Status append(std::string_view chunk, bool binary, bool finalChunk, size_t remainingInFrame);

    // The completed message; valid after append returned Complete.
    std::string takeMessage();
    bool messageIsBinary() const { return binary_; }

private:
    size_t maxMessageBytes_;
    std::string buffer_;
    bool inMessage_ = false;
    bool binary_ = false;
    bool poisoned_ = false;  // once TooLarge, the socket is closing
};

}  // namespace gochat::ws
