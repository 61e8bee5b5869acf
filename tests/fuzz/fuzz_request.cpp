// Fuzz target: the plugin's native request decoding
// (plugins/gochat-sfu/janus/request_decoder.cpp, Jansson only) and the pure
// core RoomRegistry driven by what it decodes.
//
// Input: JSON text.
//  - An object: one Janus `message` body; a top-level "jsep" member, when
//    present, is passed as the jsep (Janus hands both separately).
//  - An array: a script of such bodies. Step i comes from session
//    (i % 4) + 1 (users 101..104); a decoded request is dispatched to one
//    RoomRegistry the way the adapter (sfu_plugin.cpp) does. A join's token
//    is not verified here: `perms` (integer) and `token_channel` in the
//    body stand for the verified claims. An offer's or answer's SDP is not
//    parsed (that needs Janus's SDP utilities): its bytes are turned into
//    m-line summaries, so the registry sees arbitrary line layouts.
//    The clock advances 20 ms a step and tick() runs after each.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/overloaded.hpp"
#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"
#include "plugins/gochat-sfu/janus/request_decoder.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using gochat::JsonRef;
using gochat::Overloaded;
using namespace gochat::sfu;

constexpr int64_t kAllPerms = (int64_t{1} << 20) | (int64_t{1} << 21) | (int64_t{1} << 22);

const char* const kCodecs[] = {"opus", "vp8", "vp9", "h264", "pcmu", ""};

std::vector<AnsweredLine> answeredLinesOf(const std::string& sdp) {
    std::vector<AnsweredLine> lines;
    for (size_t i = 0; i < sdp.size() && i < 16; ++i) {
        const auto c = static_cast<unsigned char>(sdp[i]);
        AnsweredLine line;
        line.mindex = c % 8;
        line.kind = (c & 0x10) ? MediaKind::Video : MediaKind::Audio;
        line.direction = static_cast<Direction>((c >> 5) & 3);
        line.codec = kCodecs[c % 6];
        lines.push_back(line);
    }
    return lines;
}

std::vector<OfferedLine> offeredLinesOf(const std::string& sdp) {
    std::vector<OfferedLine> lines;
    for (size_t i = 0; i < sdp.size() && i < 16; ++i) {
        const auto c = static_cast<unsigned char>(sdp[i]);
        OfferedLine line;
        line.mindex = c % 8;
        line.kind = (c & 0x10) ? MediaKind::Video : MediaKind::Audio;
        line.mid = std::to_string(c % 5);
        line.direction = static_cast<Direction>((c >> 5) & 3);
        for (int k = 0; k < (c % 3); ++k) line.codecs.emplace_back(kCodecs[(c + k) % 6], 96 + ((c + k) % 32));
        lines.push_back(line);
    }
    return lines;
}

Effects dispatch(RoomRegistry& rooms, SessionId id, const json_t* body, const Request& request, Millis now) {
    return std::visit(
        Overloaded{
            [&](const request::Join& r) {
                if (rooms.isJoined(id))
                    return RoomRegistry::refuseRequest(id, RequestKind::Join, Refusal::InvalidMessage);
                JoinRequest join;
                join.session = id;
                join.channel = r.channel;
                join.user = 100 + static_cast<UserId>(id);
                int64_t perms = kAllPerms;
                gochat::jsonGetInt64(body, "perms", perms);
                join.perms = perms;
                int64_t tokenChannel = 0;
                gochat::jsonGetInt64(body, "token_channel", tokenChannel);
                join.tokenChannel = tokenChannel;
                bool moved = false;
                gochat::jsonGetBool(body, "moved", moved);
                join.moved = moved;
                return rooms.join(join, now);
            },
            [&](const request::Offer& r) { return rooms.clientOffer(id, offeredLinesOf(r.sdp), r.sdp, now); },
            [&](const request::Answer& r) { return rooms.answer(id, answeredLinesOf(r.sdp), now); },
            [&](const request::SpeakingReport& r) { return rooms.setSpeaking(id, r.speaking); },
            // The admin token is the adapter's; the room's part is closeChannel.
            [&](const request::CloseChannel& r) { return r.channel ? rooms.closeChannel(r.channel, now) : Effects{}; },
            // The rest goes through the adapter's own overloads.
            [&](const auto& r) { return applyToRegistry(rooms, id, r, now); },
        },
        request);
}

// Decodes one body (+ jsep) the way the adapter does; returns the request.
const Request* decodeChecked(const json_t* body, const json_t* jsep, DecodedRequest& decoded) {
    const std::string before = body ? JsonRef::share(const_cast<json_t*>(body)).dump() : std::string();
    decoded = decodeRequest(body, jsep);
    if (body) FUZZ_CHECK(JsonRef::share(const_cast<json_t*>(body)).dump() == before);  // read-only
    if (const RequestError* error = std::get_if<RequestError>(&decoded)) {
        const int t = envelopeTypeOf(error->request);
        FUZZ_CHECK(t == 0 || (t >= 500 && t <= 512));
        return nullptr;
    }
    const Request* request = std::get_if<Request>(&decoded);
    FUZZ_CHECK(request != nullptr);
    const int t = envelopeTypeOf(kindOf(*request));
    FUZZ_CHECK(t == 0 || (t >= 500 && t <= 512));
    return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    JsonRef root = JsonRef::parse(std::string_view(reinterpret_cast<const char*>(data), size), JSON_DECODE_ANY);
    if (!root) {
        DecodedRequest decoded;
        decodeChecked(nullptr, nullptr, decoded);
        return 0;
    }
    if (!json_is_array(root.get())) {
        DecodedRequest decoded;
        decodeChecked(root.get(), json_object_get(root.get(), "jsep"), decoded);
        return 0;
    }

    RegistryConfig config;
    config.maxParticipants = 3;
    RoomRegistry rooms(config);
    Millis now = 1000;
    for (size_t i = 0; i < json_array_size(root.get()) && i < 256; ++i) {
        const json_t* body = json_array_get(root.get(), i);
        const SessionId id = (i % 4) + 1;
        now += 20;
        DecodedRequest decoded;
        const Request* request = decodeChecked(body, json_object_get(body, "jsep"), decoded);
        if (request) {
            // The adapter answers "not joined" to anything but a join (and an
            // operator's close_channel) before join.
            if (!needsJoin(*request) || rooms.isJoined(id)) {
                for (const WireEvent& event : wireEventsOf(dispatch(rooms, id, body, *request, now)))
                    FUZZ_CHECK(event.t == 0 || (event.t >= 500 && event.t <= 514));
            }
        }
        if (json_is_object(body) && json_object_get(body, "disconnect")) {
            rooms.leave(id, LeaveReason::Disconnected, now);
        }
        rooms.tick(now);
        if (json_is_object(body) && json_object_get(body, "wait")) {
            now += 15000;  // past empty_room_ttl
            rooms.tick(now);
        }
        FUZZ_CHECK(rooms.participantCount() <= 4);
    }
    for (SessionId id = 1; id <= 4; ++id) rooms.leave(id, LeaveReason::Disconnected, now);
    rooms.tick(now + 60000);
    FUZZ_CHECK(rooms.participantCount() == 0);
    FUZZ_CHECK(rooms.roomCount() == 0);
    return 0;
}
