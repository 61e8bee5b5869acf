#include "transports/gochat-ws/codec/utf8.hpp"

#include <cstdint>

namespace gochat::ws {

bool isValidUtf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    const size_t size = text.size();
    size_t i = 0;
    while (i < size) {
        const uint8_t lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        size_t length = 0;
        uint8_t minSecond = 0x80, maxSecond = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) minSecond = 0xA0;  // overlong
            if (lead == 0xED) maxSecond = 0x9F;  // UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) minSecond = 0x90;  // overlong
            if (lead == 0xF4) maxSecond = 0x8F;  // above U+10FFFF
        } else {
            return false;
        }
        if (size - i < length) return false;
        if (bytes[i + 1] < minSecond || bytes[i + 1] > maxSecond) return false;
        for (size_t k = 2; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80) return false;
        }
        i += length;
    }
    return true;
}

}  // namespace gochat::ws
