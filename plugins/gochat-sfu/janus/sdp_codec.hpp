// Turns the core's offer plans into SDP with Janus's SDP helpers, and
// client answers into the per-line summary the core reasons about.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gochat::sfu {

// Payload types come from core/codecs.hpp: fixed per codec in every server
// offer, so a publisher's packets need no rewrite unless a client offered
// its own (t 501).

// SDP text of a server offer; empty on failure.
std::string writeOffer(const OfferPlan& plan, int64_t sdpSessionId);

// Per-line directions of a client answer; nullopt when it does not parse.
std::optional<std::vector<AnsweredLine>> readAnswer(const std::string& sdp);

// Per-line directions, mids and codecs of a client offer; nullopt when it
// does not parse.
std::optional<std::vector<OfferedLine>> readOffer(const std::string& sdp);

// SDP text answering `answer.clientOffer` line by line; empty on failure.
std::string writeAnswer(const SendAnswer& answer, int64_t sdpSessionId);

}  // namespace gochat::sfu
