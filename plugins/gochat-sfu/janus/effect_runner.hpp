// Carries out what the core returned (core/effects.hpp): the plugin's
// events to clients (through the one table in wire_events.cpp), offers and
// answers, fan-outs for the media plane, keyframe requests, closes.
//
// NOTE: runs on the handler thread with no plugin lock held: push_event may
// block (ICE gathering) and the RTCP helpers take the handle mutex
// (docs/architecture.md, Lock discipline).
#pragma once

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/core/bitrate_limits.hpp"
#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/event_observer.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/janus/sdp_codec.hpp"
#include "plugins/gochat-sfu/janus/session_table.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"
#include "plugins/gochat-sfu/media/loudest_speakers.hpp"
#include "plugins/gochat-sfu/media/media_plane.hpp"

#include <string>
#include <utility>
#include <vector>

namespace gochat::sfu {

// A JSON object of the wire tables' fields (ids stay exact integers).
JsonRef jsonObjectOf(const std::vector<std::pair<std::string, WireValue>>& fields);

class EffectRunner {
public:
    EffectRunner(janus_callbacks* gateway, SessionTable& sessions, MediaPlane& media, LoudestSpeakers& loudest,
                 SdpFormats formats)
        : gateway_(gateway), sessions_(sessions), media_(media), loudest_(loudest), formats_(formats) {}

    // `current` and `transaction`: the request being handled, whose answers
    // carry its Janus transaction.
    void perform(const Effects& effects, SessionId current, const std::string& transaction);

    // Every performed effect is also shown to `observer` (set up before the
    // first request; it must outlive the runner).
    void addObserver(RoomEventObserver& observer) { observers_.push_back(&observer); }

private:
    void push(const WireEvent& event, SessionId current, const std::string& transaction);
    void pushJsep(MediaSession& target, const char* type, int t, const std::string& sdp, const char* transaction);
    void run(const Effect& effect, SessionId current, const std::string& transaction);

    janus_callbacks* const gateway_;  // Borrowed
    SessionTable& sessions_;
    MediaPlane& media_;
    LoudestSpeakers& loudest_;
    const SdpFormats formats_;
    std::vector<RoomEventObserver*> observers_;  // Borrowed
};

}  // namespace gochat::sfu
