#include "tools/loadgen/ws_frame.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace gochat::loadgen {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 1.3

std::string lowerCase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

// The value of header `name` (lower case) in a response head, or "" when absent.
std::string headerValue(std::string_view head, std::string_view name) {
    size_t start = head.find("\r\n");
    while (start != std::string_view::npos && start + 2 < head.size()) {
        start += 2;
        const size_t end = head.find("\r\n", start);
        const std::string_view line = head.substr(start, end == std::string_view::npos ? head.npos : end - start);
        const size_t colon = line.find(':');
        if (colon != std::string_view::npos && lowerCase(trim(line.substr(0, colon))) == name)
            return std::string(trim(line.substr(colon + 1)));
        start = end;
    }
    return {};
}

}  // namespace

std::string wsHandshakeRequest(std::string_view host, std::string_view path, std::string_view key,
                               std::string_view protocol) {
    std::string request = "GET ";
    request.append(path).append(" HTTP/1.1\r\nHost: ").append(host);
    request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
    request.append("\r\nSec-WebSocket-Version: 13\r\n");
    if (!protocol.empty()) request.append("Sec-WebSocket-Protocol: ").append(protocol).append("\r\n");
    request.append("\r\n");
    return request;
}

std::string wsAcceptFor(std::string_view key) {
    std::string input(key);
    input.append(kGuid);
    GChecksum* sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, reinterpret_cast<const guchar*>(input.data()), input.size());
    guint8 digest[20];
    gsize digestLength = sizeof digest;
    g_checksum_get_digest(sha1, digest, &digestLength);
    g_checksum_free(sha1);
    gchar* encoded = g_base64_encode(digest, digestLength);
    std::string accept(encoded);
    g_free(encoded);
    return accept;
}

WsHandshake wsReadHandshake(std::string_view buffer, std::string_view key, size_t& consumed) {
    const size_t end = buffer.find("\r\n\r\n");
    if (end == std::string_view::npos) return buffer.size() > 16384 ? WsHandshake::Refused : WsHandshake::Incomplete;
    const std::string_view head = buffer.substr(0, end + 2);
    const size_t firstSpace = head.find(' ');
    if (head.substr(0, 5) != "HTTP/" || firstSpace == head.npos || head.substr(firstSpace + 1, 4) != "101 ")
        return WsHandshake::Refused;
    if (lowerCase(headerValue(head, "upgrade")) != "websocket") return WsHandshake::Refused;
    if (headerValue(head, "sec-websocket-accept") != wsAcceptFor(key)) return WsHandshake::Refused;
    consumed = end + 4;
    return WsHandshake::Accepted;
}

std::string wsEncodeClientFrame(WsOpcode opcode, std::string_view payload, uint32_t mask) {
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
    const uint64_t length = payload.size();
    if (length < 126) {
        frame.push_back(static_cast<char>(0x80 | length));
    } else if (length <= 0xFFFF) {
        frame.push_back(static_cast<char>(0x80 | 126));
        frame.push_back(static_cast<char>(length >> 8));
        frame.push_back(static_cast<char>(length & 0xFF));
    } else {
        frame.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((length >> shift) & 0xFF));
    }
    const uint8_t maskBytes[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                                  static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
    frame.append(reinterpret_cast<const char*>(maskBytes), 4);
    for (size_t i = 0; i < payload.size(); ++i)
        frame.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ maskBytes[i % 4]));
    return frame;
}

WsFrameReader::Result WsFrameReader::fail(const char* why) {
    error_ = why;
    return Result::Error;
}

WsFrameReader::Result WsFrameReader::next(WsMessage& out) {
    for (;;) {
        if (!error_.empty()) return Result::Error;
        const auto* data = reinterpret_cast<const uint8_t*>(buffer_.data()) + offset_;
        const size_t available = buffer_.size() - offset_;
        if (available < 2) break;
        const bool fin = data[0] & 0x80;
        const auto opcode = static_cast<WsOpcode>(data[0] & 0x0F);
        if (data[0] & 0x70) return fail("reserved bits set");
        if (data[1] & 0x80) return fail("masked frame from the server");
        uint64_t length = data[1] & 0x7F;
        size_t header = 2;
        if (length == 126) {
            if (available < 4) break;
            length = (uint64_t{data[2]} << 8) | data[3];
            header = 4;
        } else if (length == 127) {
            if (available < 10) break;
            length = 0;
            for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
            header = 10;
        }
        if (length > maxMessageBytes_) return fail("frame too large");
        if (available < header + length) break;
        const std::string_view payload(reinterpret_cast<const char*>(data) + header, length);
        offset_ += header + length;
        const bool control = static_cast<uint8_t>(opcode) & 0x08;
        if (control) {
            if (!fin || length > 125) return fail("bad control frame");
            out = WsMessage{opcode, std::string(payload)};
            return Result::Message;
        }
        if (opcode == WsOpcode::Continuation) {
            if (!inFragmentedMessage_) return fail("continuation without a message");
        } else if (opcode == WsOpcode::Text || opcode == WsOpcode::Binary) {
            if (inFragmentedMessage_) return fail("new message inside a fragmented one");
            partialOpcode_ = opcode;
            partial_.clear();
        } else {
            return fail("unknown opcode");
        }
        if (partial_.size() + payload.size() > maxMessageBytes_) return fail("message too large");
        partial_.append(payload);
        inFragmentedMessage_ = !fin;
        if (fin) {
            out = WsMessage{partialOpcode_, std::move(partial_)};
            partial_.clear();
            return Result::Message;
        }
    }
    if (offset_ > 0 && offset_ == buffer_.size()) {
        buffer_.clear();
        offset_ = 0;
    } else if (offset_ > 65536) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    return Result::NeedMore;
}

}  // namespace gochat::loadgen
