// Unpadded base64url (RFC 4648 section 5): the encoding of every JWS segment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gochat::auth {

// Encodes bytes without '=' padding, as JWS requires.
std::string base64UrlEncode(std::string_view bytes);

// Strict decoding: only the URL-safe alphabet, no padding, no whitespace and
// zero trailing bits, so every byte string has exactly one accepted spelling
// (lenient decoders are how two parsers come to disagree about one token).
std::optional<std::string> base64UrlDecode(std::string_view text);

// True when every character belongs to the base64url alphabet ('=' does not).
bool isBase64UrlAlphabet(std::string_view text);

}  // namespace gochat::auth
