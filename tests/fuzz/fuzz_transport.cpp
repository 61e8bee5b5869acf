// Fuzz target: the transport's translation layer (transports/gochat-ws/codec).
//
// One input drives three things:
//  1. decodeClientText() on the whole input (one client text frame);
//  2. decodeJanus() on the whole input parsed as JSON (one Janus message);
//  3. a SignalSession fed the input line by line, as a socket would be:
//       "J <json>"  a message from Janus (onJanus)
//       "T" / "K" / "B" / "O" / "X"  join timeout / keepalive due / binary
//                   frame / Janus session over / message too big
//       anything else  a client text frame (onClientText)
//     Unless the input starts with '!', the session is first brought to
//     Ready (create -> session 11, attach -> handle 22), so the fuzzer
//     reaches the joined state by sending a `joined` plugin event.
// Invariants: every frame written to the client is a JSON object, every
// close reason fits a close frame (<= 123 bytes), bounded bookkeeping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_ref.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "transports/gochat-ws/codec/envelope_codec.hpp"
#include "transports/gochat-ws/codec/signal_session.hpp"

namespace {

using gochat::JsonRef;
using namespace gochat::ws;

void checkFrame(const std::string& frame) {
    JsonRef parsed = JsonRef::parse(frame);
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(json_is_object(parsed.get()));
}

void checkClose(const CloseRequest& close) {
    FUZZ_CHECK(close.reason.size() <= 123);
    FUZZ_CHECK(close.code >= 1000 && close.code <= 4999);
}

void checkEffects(const Effects& effects, const SignalSession& session) {
    for (const std::string& frame : effects.toClient) checkFrame(frame);
    for (const JsonRef& request : effects.toJanus) {
        FUZZ_CHECK(request);
        FUZZ_CHECK(json_is_object(request.get()));
    }
    if (effects.close) checkClose(*effects.close);
    FUZZ_CHECK(session.pendingTransactions() <= SignalSession::kMaxPendingTransactions);
}

JsonRef janusSuccess(const char* transaction, int64_t id) {
    JsonRef data = JsonRef::object();
    data.setInt("id", id);
    JsonRef reply = JsonRef::object();
    reply.setString("janus", "success").setString("transaction", transaction).set("data", std::move(data));
    return reply;
}

void decodeOneClientFrame(std::string_view text) {
    ClientMessage message = decodeClientText(text, 1700000000123);
    if (message.kind == ClientMessage::Kind::Heartbeat) checkFrame(message.reply.dump());
    if (message.kind == ClientMessage::Kind::PluginMessage) FUZZ_CHECK(message.body);
    if (message.kind == ClientMessage::Kind::Trickle) FUZZ_CHECK(message.candidate);
}

void decodeOneJanusMessage(std::string_view text) {
    // Janus hands transports whatever its core built; duplicates included.
    JsonRef message = JsonRef::parse(text, JSON_DECODE_ANY);
    if (!message) return;
    const std::string before = message.dump();
    JanusReply reply = decodeJanus(message.get());
    FUZZ_CHECK(message.dump() == before);  // decodeJanus never modifies Janus's message
    if (reply.kind == JanusReply::Kind::PluginEvent || reply.kind == JanusReply::Kind::Trickle) {
        checkFrame(reply.frame);
    }
    if (reply.close) checkClose(*reply.close);
}

void driveSession(std::string_view input) {
    SignalSession session(1, "janus.plugin.gochat.sfu");
    checkEffects(session.start(), session);
    if (!input.empty() && input.front() == '!') {
        input.remove_prefix(1);
    } else {
        session.onSessionCreated(11);
        JsonRef created = janusSuccess("gcws-1-1", 11);
        checkEffects(session.onJanus(created.get()), session);
        JsonRef attached = janusSuccess("gcws-1-2", 22);
        checkEffects(session.onJanus(attached.get()), session);
    }
    size_t lines = 0;
    while (!input.empty() && lines++ < 512) {
        const size_t end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
        Effects effects;
        if (line.size() > 2 && line.substr(0, 2) == "J ") {
            JsonRef message = JsonRef::parse(line.substr(2), JSON_DECODE_ANY);
            if (!message) continue;
            effects = session.onJanus(message.get());
        } else if (line == "T") {
            effects = session.onJoinTimeout();
        } else if (line == "K") {
            effects = session.onKeepaliveDue();
        } else if (line == "B") {
            effects = session.onClientBinary();
        } else if (line == "O") {
            effects = session.onSessionOver(session.sessionId(), false, false);
        } else if (line == "X") {
            effects = session.onClientTooLarge();
        } else {
            effects = session.onClientText(line, 1700000000123);
        }
        checkEffects(effects, session);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    decodeOneClientFrame(input);
    decodeOneJanusMessage(input);
    driveSession(input);
    return 0;
}
