// Turns the core's offer and answer plans into SDP with Janus's SDP
// helpers (client SDP is read by sdp_reader.hpp).
#pragma once

#include "plugins/gochat-sfu/core/bitrate_limits.hpp"
#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gochat::sfu {

// Payload types come from core/codecs.hpp: fixed per codec in every server
// offer, so a publisher's packets need no rewrite unless a client offered
// its own (t 501).

// Format parameters the operator chooses (docs/operations.md, Audio).
struct SdpFormats {
    // usedtx=1 in the Opus format: a client's encoder stops sending during
    // silence and background noise (one packet per 400 ms).
    bool opusDtx = true;
    // On every audio m-line, whatever its direction (docs/operations.md,
    // Bitrate limits).
    AudioLineCap audioCap;
};

// SDP text of a server offer; empty on failure.
std::string writeOffer(const OfferPlan& plan, int64_t sdpSessionId, const SdpFormats& formats);

// SDP text answering `answer.clientOffer` line by line; empty on failure.
std::string writeAnswer(const SendAnswer& answer, int64_t sdpSessionId, const SdpFormats& formats);

}  // namespace gochat::sfu
