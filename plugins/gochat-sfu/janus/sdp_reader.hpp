// Reads what the core needs from a client's answer or offer: per m-line its
// kind, direction, mid and codecs. Pure C++ (no Janus), so the unit tests
// drive it with tables (tests/unit/test_sdp_reader.cpp). The SDP it reads
// was already parsed and anonymised by the Janus core before the plugin
// gets it (docs/architecture.md, Negotiation model); what the plugin
// writes goes through Janus's own helpers (sdp_codec.cpp).
#pragma once

#include "plugins/gochat-sfu/core/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gochat::sfu {

// Per-line directions and codecs of a client answer (audio and video lines;
// others are skipped but counted); nullopt when it does not parse.
std::optional<std::vector<AnsweredLine>> readAnswer(const std::string& sdp);

// Per-line directions, mids and codecs (with the client's payload types) of
// a client offer; nullopt when it does not parse, has a line that is neither
// audio nor video, or a line without a usable mid.
std::optional<std::vector<OfferedLine>> readOffer(const std::string& sdp);

}  // namespace gochat::sfu
