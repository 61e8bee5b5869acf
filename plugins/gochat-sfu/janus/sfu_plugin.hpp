// The plugin: Janus's callbacks in, the core's commands through the one
// handler thread, effects out through the EffectRunner, packets through the
// media plane (docs/architecture.md). The C entry points are in
// plugin_entry.cpp.
#pragma once

#include "plugins/gochat-sfu/auth/token_verifier.hpp"
#include "plugins/gochat-sfu/janus/admin_service.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/janus/effect_runner.hpp"
#include "plugins/gochat-sfu/janus/handler_loop.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/janus/janus_media_port.hpp"
#include "plugins/gochat-sfu/config/plugin_settings.hpp"
#include "plugins/gochat-sfu/janus/request_decoder.hpp"
#include "plugins/gochat-sfu/janus/session_table.hpp"
#include "plugins/gochat-sfu/media/bitrate_monitor.hpp"
#include "plugins/gochat-sfu/media/loudest_speakers.hpp"
#include "plugins/gochat-sfu/media/media_plane.hpp"
#include "plugins/gochat-sfu/platform/webhook_client.hpp"
#include "plugins/gochat-sfu/janus/event_notifier.hpp"
#include "plugins/gochat-sfu/metrics/room_counters.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace gochat::sfu {

class SfuPlugin final : private HandlerLoop::Owner {
public:
    bool init(janus_callbacks* gateway, const char* configPath);
    void shutdown();

    // Janus callbacks (docs/architecture.md, Threads: which thread runs each).
    void createSession(janus_plugin_session* handle, int* error);
    janus_plugin_result* handleMessage(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep);
    json_t* handleAdminMessage(json_t* message);
    void setupMedia(janus_plugin_session* handle);
    void hangupMedia(janus_plugin_session* handle);
    void destroySession(janus_plugin_session* handle, int* error);
    json_t* querySession(janus_plugin_session* handle);
    // The GoChat webhook client, null when webhook.url is not set; its
    // counters() may be read from any thread.
    const WebhookClient* webhook() const { return webhook_.get(); }
    void incomingRtp(janus_plugin_session* handle, janus_plugin_rtp* packet);
    void incomingRtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet);

private:
    // HandlerLoop::Owner (handler thread)
    void handle(Work& work) override;
    void runTimers(Millis now) override;
    std::optional<Millis> nextDeadline(Millis now) override;

    void handleRequest(MediaSession& session, const std::string& transaction, const json_t* body, const json_t* jsep);
    Effects dispatch(MediaSession& session, const Request& request, Millis now);
    Effects handleJoin(SessionId session, const request::Join& join);
    Effects handleAnswer(SessionId session, const std::string& sdp, Millis now);
    Effects handleClientOffer(SessionId session, const std::string& sdp, Millis now);
    Effects handleSpeakingReport(MediaSession& session, bool speaking);
    Effects handleCloseChannel(SessionId session, const request::CloseChannel& close, Millis now);
    // The `metrics` request, answered at once on the calling Janus thread
    // (docs/plugin-api.md, Operator requests): the event data with the text.
    JsonRef metricsAnswer();
    // The webhook client's counters; zeros while no webhook is configured.
    WebhookCounters webhookCounters();
    void stopQuietSpeakers(Millis now);
    // The bitrate limits' poll: REMBs, and removing who stayed over the
    // audio cap (docs/operations.md, Bitrate limits).
    void enforceBitrates(Millis now);
    void enqueueDeparture(std::shared_ptr<MediaSession> session);

    janus_callbacks* gateway_ = nullptr;  // Borrowed (the core outlives the plugin)
    PluginSettings settings_;
    auth::TokenPolicy tokenPolicy_;
    std::unique_ptr<RoomRegistry> registry_;  // Handler thread only (plus read-only counters)
    SessionTable sessions_;
    HandlerLoop loop_;
    std::unique_ptr<JanusMediaPort> mediaPort_;
    std::unique_ptr<MediaPlane> media_;
    std::unique_ptr<BitrateMonitor> bitrates_;      // Handler thread only
    std::unique_ptr<LoudestSpeakers> loudest_;      // handler thread
    RoomCounters roomCounters_;                     // observed by effects_; read by metrics scrapes
    std::unique_ptr<WebhookClient> webhook_;        // declared before effects_, which observes through it
    std::unique_ptr<EventNotifier> eventNotifier_;  // likewise; null when general.events = false
    std::unique_ptr<EffectRunner> effects_;
    std::unique_ptr<AdminService> admin_;  // after what it borrows
    std::atomic<bool> running_{false};
};

}  // namespace gochat::sfu
