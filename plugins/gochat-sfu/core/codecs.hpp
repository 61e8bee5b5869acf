// The codecs the SFU forwards and the payload type it uses for each when it
// writes the offer. Publishers keep their own payload types when they offer
// first (t 501); the relay then rewrites the type per subscriber line.
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <string>

namespace gochat::sfu {

struct CodecInfo {
    const char* name;  // lower case, as Janus names it
    MediaKind kind;
    int payloadType;  // in server offers
};

// Video in preference order: browsers answer in the offerer's order, so VP8,
// which every GoChat client decodes, is what they send unless they cannot.
constexpr CodecInfo kCodecs[] = {
    {"opus", MediaKind::Audio, 111},
    {"vp8", MediaKind::Video, 96},
    {"vp9", MediaKind::Video, 98},
    {"h264", MediaKind::Video, 102},
};

inline const CodecInfo* findCodec(const std::string& name) {
    for (const CodecInfo& codec : kCodecs)
        if (name == codec.name) return &codec;
    return nullptr;
}

// The payload type of `codec` in server offers; the kind's first codec when empty.
inline int serverPayloadType(const std::string& codec, MediaKind kind) {
    if (const CodecInfo* info = findCodec(codec)) return info->payloadType;
    return kind == MediaKind::Audio ? kCodecs[0].payloadType : kCodecs[1].payloadType;
}

}  // namespace gochat::sfu
