// Runs the admin requests (docs/plugin-api.md, Admin API) Janus hands the
// plugin on a pool thread (handle_admin_message), and answers query_session
// (Admin `handle_info`) on Janus's requests thread.
//
// NOTE (docs/architecture.md, Threads and Lock discipline): reads are
// answered where they arrive, from copies the registry makes under its own
// lock (a leaf lock, never held while calling Janus), so they answer even
// while the handler thread waits in push_event. Actions are queued to the
// handler thread like a client's request, so their effects (broadcasts,
// fan-outs, closes, webhook presence, event handlers, metrics) run through
// the same EffectRunner; the pool thread waits for the answer at most
// kActionWait, holding no lock. query_session never waits: Janus calls it
// with the handle's mutex held, which the handler's push_event may need.
#pragma once

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/janus/admin_api.hpp"
#include "plugins/gochat-sfu/janus/effect_runner.hpp"
#include "plugins/gochat-sfu/janus/handler_loop.hpp"
#include "plugins/gochat-sfu/janus/session_table.hpp"
#include "plugins/gochat-sfu/platform/webhook_client.hpp"

#include <chrono>

namespace gochat::sfu {

class AdminService {
public:
    // How long a pool thread waits for the handler thread to carry out an
    // action. Longer than one push_event can block (about 5 s of ICE
    // gathering in half-trickle), shorter than Janus admin clients wait.
    static constexpr std::chrono::milliseconds kActionWait{8000};

    // All borrowed; `webhook` is null without webhook.url.
    AdminService(RoomRegistry& registry, SessionTable& sessions, HandlerLoop& loop, EffectRunner& effects,
                 WebhookClient* webhook)
        : registry_(registry), sessions_(sessions), loop_(loop), effects_(effects), webhook_(webhook) {}

    // Janus's task pool: the answer to one `message_plugin` request.
    JsonRef handle(const json_t* request);

    // The requests thread, under the handle's mutex: the participant's
    // state, or nothing when the session has not joined.
    void describeSession(JsonRef& into, SessionId session);

private:
    JsonRef status();
    JsonRef listRooms();
    JsonRef listParticipants(ChannelId channel);
    // Queues the action to the handler thread and waits for its answer.
    JsonRef runOnHandler(const AdminRequest& action);
    // --- handler thread
    JsonRef perform(const AdminRequest& action);
    JsonRef carryOut(const OperatorResult& result, ChannelId channel, UserId user, const std::string& what);
    JsonRef drain(bool draining);

    AdminClock clock() const;
    AdminTraffic trafficOf(SessionId session);

    RoomRegistry& registry_;
    SessionTable& sessions_;
    HandlerLoop& loop_;
    EffectRunner& effects_;
    WebhookClient* const webhook_;
};

}  // namespace gochat::sfu
