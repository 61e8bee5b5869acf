// The load generator's RFC 6455 client framing: handshake, masking, and
// the reader of server frames (fragments, control frames, limits).
#include "tools/loadgen/ws_frame.hpp"
#include "tests/unit/cmocka.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace gochat::loadgen;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int value : values) out.push_back(static_cast<char>(value));
    return out;
}

void accept_key_is_the_rfc_example(void**) {
    // RFC 6455 1.3
    assert_string_equal(wsAcceptFor("dGhlIHNhbXBsZSBub25jZQ==").c_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

void handshake_request_names_host_path_key_and_protocol(void**) {
    const std::string plain = wsHandshakeRequest("127.0.0.1:3300", "/signal", "KEY");
    assert_int_equal(plain.find("GET /signal HTTP/1.1\r\nHost: 127.0.0.1:3300\r\n"), 0);
    assert_true(plain.find("Sec-WebSocket-Key: KEY\r\n") != std::string::npos);
    assert_true(plain.find("Sec-WebSocket-Protocol") == std::string::npos);
    assert_true(plain.size() > 4 && plain.substr(plain.size() - 4) == "\r\n\r\n");
    const std::string janus = wsHandshakeRequest("h", "/", "KEY", "janus-protocol");
    assert_true(janus.find("Sec-WebSocket-Protocol: janus-protocol\r\n") != std::string::npos);
}

void handshake_response_is_checked(void**) {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::string good =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    size_t consumed = 0;
    assert_int_equal(static_cast<int>(wsReadHandshake(good.substr(0, 40), key, consumed)),
                     static_cast<int>(WsHandshake::Incomplete));
    assert_int_equal(static_cast<int>(wsReadHandshake(good + "\x81\x00", key, consumed)),
                     static_cast<int>(WsHandshake::Accepted));
    assert_int_equal(consumed, good.size());
    std::string wrongKey = good;
    wrongKey.replace(wrongKey.find("s3pP"), 4, "AAAA");
    assert_int_equal(static_cast<int>(wsReadHandshake(wrongKey, key, consumed)),
                     static_cast<int>(WsHandshake::Refused));
    assert_int_equal(static_cast<int>(wsReadHandshake("HTTP/1.1 404 Not Found\r\n\r\n", key, consumed)),
                     static_cast<int>(WsHandshake::Refused));
}

void client_frames_are_masked(void**) {
    // RFC 6455 5.7: a masked "Hello"
    assert_true(wsEncodeClientFrame(WsOpcode::Text, "Hello", 0x37fa213d) ==
                bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    const std::string medium = wsEncodeClientFrame(WsOpcode::Text, std::string(256, 'x'), 1);
    assert_true(medium.substr(0, 4) == bytes({0x81, 0xFE, 0x01, 0x00}));
    assert_int_equal(medium.size(), 4 + 4 + 256);
    const std::string large = wsEncodeClientFrame(WsOpcode::Binary, std::string(65536, 'x'), 1);
    assert_true(large.substr(0, 10) == bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}));
}

void reader_joins_fragments_and_passes_control_frames_between_them(void**) {
    WsFrameReader reader;
    // RFC 6455 5.7: "Hel" + ping + "lo", fed one byte at a time.
    const std::string input = bytes({0x01, 0x03, 'H', 'e', 'l', 0x89, 0x02, 'h', 'i', 0x80, 0x02, 'l', 'o'});
    WsMessage message;
    std::vector<WsMessage> seen;
    for (char c : input) {
        reader.feed(&c, 1);
        while (reader.next(message) == WsFrameReader::Result::Message) seen.push_back(message);
    }
    assert_int_equal(seen.size(), 2);
    assert_int_equal(static_cast<int>(seen[0].opcode), static_cast<int>(WsOpcode::Ping));
    assert_string_equal(seen[0].payload.c_str(), "hi");
    assert_int_equal(static_cast<int>(seen[1].opcode), static_cast<int>(WsOpcode::Text));
    assert_string_equal(seen[1].payload.c_str(), "Hello");
}

void reader_reads_16_bit_lengths_and_several_frames_per_read(void**) {
    WsFrameReader reader;
    const std::string body(300, 'a');
    const std::string input = bytes({0x81, 0x7E, 0x01, 0x2C}) + body + bytes({0x81, 0x01, 'z'});
    reader.feed(input.data(), input.size());
    WsMessage message;
    assert_int_equal(static_cast<int>(reader.next(message)), static_cast<int>(WsFrameReader::Result::Message));
    assert_true(message.payload == body);
    assert_int_equal(static_cast<int>(reader.next(message)), static_cast<int>(WsFrameReader::Result::Message));
    assert_string_equal(message.payload.c_str(), "z");
    assert_int_equal(static_cast<int>(reader.next(message)), static_cast<int>(WsFrameReader::Result::NeedMore));
}

void reader_refuses_masked_oversize_and_stray_frames(void**) {
    WsMessage message;
    const std::pair<std::string, size_t> cases[] = {
        {bytes({0x81, 0x81, 1, 2, 3, 4, 'x'}), 1024},  // masked by the server
        {bytes({0x81, 0x7E, 0x08, 0x00}), 1024},       // 2048 bytes announced, limit 1024
        {bytes({0x80, 0x01, 'x'}), 1024},              // continuation of nothing
        {bytes({0x09, 0x00}), 1024},                   // fragmented ping
        {bytes({0xC1, 0x00}), 1024},                   // reserved bit
    };
    for (const auto& [input, limit] : cases) {
        WsFrameReader reader(limit);
        reader.feed(input.data(), input.size());
        assert_int_equal(static_cast<int>(reader.next(message)), static_cast<int>(WsFrameReader::Result::Error));
        assert_false(reader.error().empty());
    }
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(accept_key_is_the_rfc_example),
        cmocka_unit_test(handshake_request_names_host_path_key_and_protocol),
        cmocka_unit_test(handshake_response_is_checked),
        cmocka_unit_test(client_frames_are_masked),
        cmocka_unit_test(reader_joins_fragments_and_passes_control_frames_between_them),
        cmocka_unit_test(reader_reads_16_bit_lengths_and_several_frames_per_read),
        cmocka_unit_test(reader_refuses_masked_oversize_and_stray_frames),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
