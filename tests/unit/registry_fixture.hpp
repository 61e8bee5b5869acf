// The one fixture of the core's unit tests (test_registry.cpp,
// test_moderation.cpp): a RoomRegistry driven the way the adapter drives it,
// with an injected clock, answers like a browser's, and what clients would
// be told read through the adapter's wire table (janus/wire_events.hpp).
#pragma once

#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"
#include "tests/unit/cmocka.hpp"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

namespace gochat::sfu::testing {

constexpr ChannelId kChannel = 1234567890123456789;
constexpr int64_t kConnect = int64_t{1} << 20;
constexpr int64_t kSpeak = int64_t{1} << 21;
constexpr int64_t kVideo = int64_t{1} << 22;
constexpr int64_t kMute = int64_t{1} << 23;
constexpr int64_t kDeafen = int64_t{1} << 24;
constexpr int64_t kMove = int64_t{1} << 25;
constexpr int64_t kAdmin = int64_t{1} << 26;
constexpr int64_t kVoice = kConnect | kSpeak | kVideo;

template <class T>
std::vector<T> only(const Effects& effects) {
    std::vector<T> out;
    for (const Effect& effect : effects)
        if (const T* item = std::get_if<T>(&effect)) out.push_back(*item);
    return out;
}

// What the participants would be told (the adapter's wire table). Kept for
// the whole test run, so several results can be compared at once.
inline const WireEvent* findEvent(const Effects& effects, SessionId to, const std::string& name) {
    static std::deque<std::vector<WireEvent>> kept;
    kept.push_back(wireEventsOf(effects));
    for (const WireEvent& event : kept.back())
        if (event.to == to && event.name == name) return &event;
    return nullptr;
}

template <class T>
T field(const WireEvent& event, const std::string& key) {
    for (const auto& [name, value] : event.fields)
        if (name == key) return std::get<T>(value);
    fail_msg("event %s has no field %s", event.name.c_str(), key.c_str());
    return T{};
}

inline std::string errorOf(const WireEvent& event) {
    for (const auto& [key, value] : event.fields)
        if (key == "error") return std::get<std::string>(value);
    return {};
}

inline const SendOffer* offerTo(const Effects& effects, SessionId to) {
    for (const Effect& effect : effects)
        if (const SendOffer* offer = std::get_if<SendOffer>(&effect))
            if (offer->to == to) return offer;
    return nullptr;
}

inline const SetFanout* fanoutOf(const Effects& effects, SessionId publisher, MediaKind kind) {
    const SetFanout* last = nullptr;
    for (const Effect& effect : effects)
        if (const SetFanout* change = std::get_if<SetFanout>(&effect))
            if (change->publisher == publisher && change->kind == kind) last = change;
    return last;
}

// Drives a registry like the adapter would, keeping the current time.
struct RegistryFixture {
    static RegistryConfig smallRooms() {
        RegistryConfig config;
        config.emptyRoomTtl = 10'000;
        config.offerDebounce = 50;
        config.maxParticipants = 3;
        return config;
    }
    explicit RegistryFixture(RegistryConfig config = smallRooms()) : registry(config) {}

    RoomRegistry registry;
    Millis now = 1'000;

    Effects join(SessionId session, UserId user, int64_t perms = kVoice, ChannelId tokenChannel = kChannel,
                 bool moved = false) {
        JoinRequest request;
        request.session = session;
        request.channel = kChannel;
        request.user = user;
        request.tokenChannel = tokenChannel;
        request.perms = perms;
        request.moved = moved;
        return registry.join(request, now);
    }

    // Answers like a browser: own lines sent as allowed, every remote line received.
    Effects answerAll(SessionId session, const OfferPlan& plan, bool sendAudio = true, bool sendVideo = false) {
        std::vector<AnsweredLine> lines;
        for (const PlannedLine& line : plan.lines) {
            // Like a browser: the first codec of each line is named.
            const std::string codec = !line.codec.empty() ? line.codec : line.kind == MediaKind::Audio ? "opus" : "vp8";
            AnsweredLine answered{line.mindex, line.kind, Direction::Inactive, codec, {codec}};
            if (line.direction == Direction::RecvOnly) {
                const bool send = line.kind == MediaKind::Audio ? sendAudio : sendVideo;
                answered.direction = send ? Direction::SendOnly : Direction::Inactive;
            } else if (line.direction == Direction::SendOnly) {
                answered.direction = Direction::RecvOnly;
            }
            lines.push_back(answered);
        }
        return registry.answer(session, lines, now);
    }

    // Joins and completes negotiation until no offer is pending.
    OfferPlan joinAndSettle(SessionId session, UserId user, int64_t perms = kVoice) {
        Effects effects = join(session, user, perms);
        const SendOffer* offer = offerTo(effects, session);
        assert_non_null(offer);
        OfferPlan plan = offer->plan;
        Effects more = answerAll(session, plan);
        while (const SendOffer* next = offerTo(more, session)) {
            plan = next->plan;
            more = answerAll(session, plan);
        }
        return plan;
    }

    // Answers every offer to `session` in `effects`, and the ones that follow.
    void settle(SessionId session, Effects effects) {
        while (const SendOffer* offer = offerTo(effects, session)) effects = answerAll(session, offer->plan);
    }

    // Lets debounced re-offers fire and answers all of them.
    void settleEveryone(std::vector<SessionId> sessions) {
        for (int round = 0; round < 10; ++round) {
            now += 100;
            Effects effects = registry.tick(now);
            bool any = false;
            for (SessionId session : sessions) {
                while (const SendOffer* offer = offerTo(effects, session)) {
                    any = true;
                    effects = answerAll(session, offer->plan);
                }
            }
            if (!any) return;
        }
    }
};

}  // namespace gochat::sfu::testing
