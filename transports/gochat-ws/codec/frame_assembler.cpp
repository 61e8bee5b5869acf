#include "transports/gochat-ws/codec/frame_assembler.hpp"

#include <utility>

namespace gochat::ws {

FrameAssembler::Status FrameAssembler::append(std::string_view chunk, bool binary, bool finalChunk,
                                              size_t remainingInFrame) {
    if (poisoned_) return Status::TooLarge;
    if (!inMessage_) {
        inMessage_ = true;
        binary_ = binary;
        buffer_.clear();
    }
    // Compare without adding first: `remainingInFrame` comes from the peer
    // and may be near SIZE_MAX.
    const size_t have = buffer_.size();
    if (chunk.size() > maxMessageBytes_ - have || remainingInFrame > maxMessageBytes_ - have - chunk.size()) {
        poisoned_ = true;
        buffer_.clear();
        buffer_.shrink_to_fit();
        return Status::TooLarge;
    }
    buffer_.append(chunk.data(), chunk.size());
    if (!finalChunk) return Status::NeedMore;
    inMessage_ = false;
    return Status::Complete;
}

std::string FrameAssembler::takeMessage() {
    std::string message = std::move(buffer_);
    buffer_.clear();
    return message;
}

}  // namespace gochat::ws
