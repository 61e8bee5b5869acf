#include "plugins/gochat-sfu/auth/base64url.hpp"

#include <cstdint>

namespace gochat::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of one base64url character, or -1. Plain ranges instead of
// <cctype>, whose answers depend on the locale.
int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    uint32_t bits = 0;
    int count = 0;  // bits held in `bits` not yet written
    for (unsigned char byte : bytes) {
        bits = (bits << 8) | byte;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out.push_back(kAlphabet[(bits >> count) & 0x3F]);
        }
        bits &= (1u << count) - 1;
    }
    if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
    return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
    // One leftover character carries only 6 bits: no byte can end there.
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        const int value = sextet(c);
        if (value < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<uint32_t>(value);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xFF));
        }
        bits &= (1u << count) - 1;
    }
    // Non-zero leftover bits would give a second spelling of the same bytes.
    if (bits != 0) return std::nullopt;
    return out;
}

bool isBase64UrlAlphabet(std::string_view text) {
    for (char c : text) {
        if (sextet(c) < 0) return false;
    }
    return true;
}

}  // namespace gochat::auth
