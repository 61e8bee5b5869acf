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
constexpr int kVp8PayloadType = 96;

// SDP text of a server offer; empty on failure.
std::string writeOffer(const OfferPlan& plan, int64_t sdpSessionId);

// Per-line directions of a client answer; nullopt when it does not parse.
std::optional<std::vector<AnsweredLine>> readAnswer(const std::string& sdp);

}  // namespace gochat::sfu
