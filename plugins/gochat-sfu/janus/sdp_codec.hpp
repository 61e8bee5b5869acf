// Turns the core's offer plans into SDP with Janus's SDP helpers, and
// client answers into the per-line summary the core reasons about.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gochat::sfu {

// Payload types are fixed per codec everywhere, so a publisher's packets
// need no PT rewrite on any subscriber line (notes §3).
constexpr int kOpusPayloadType = 111;

struct VideoCodec {
    const char* name;  // as Janus spells it in janus_sdp_get_codec_rtpmap
    int payloadType;
    const char* vp9Profile;   // JANUS_SDP_OA_VP9_PROFILE, or null
    const char* h264Profile;  // JANUS_SDP_OA_H264_PROFILE (adds packetization-mode=1), or null
};
// In preference order: a publisher's own video line offers all of them and
// browsers answer in the offerer's order, so VP8, which every GoChat client
// decodes, is what they send unless they cannot.
constexpr VideoCodec kVideoCodecs[] = {
    {"vp8", 96, nullptr, nullptr},
    {"vp9", 98, "0", nullptr},
    {"h264", 102, nullptr, "42e01f"},
};
const VideoCodec* findVideoCodec(const std::string& name);

// SDP text of a server offer; empty on failure.
std::string writeOffer(const OfferPlan& plan, int64_t sdpSessionId);

// Per-line directions of a client answer; nullopt when it does not parse.
std::optional<std::vector<AnsweredLine>> readAnswer(const std::string& sdp);

}  // namespace gochat::sfu
