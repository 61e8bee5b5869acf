// Strict UTF-8 validation (RFC 3629): no overlongs, no surrogates, nothing
// above U+10FFFF. A text frame that fails it is malformed input.
#pragma once

#include <string_view>

namespace gochat::ws {

bool isValidUtf8(std::string_view text);

}  // namespace gochat::ws
