#include "plugins/gochat-sfu/janus/sfu_plugin.hpp"

#include "common/c_holders.hpp"
#include "common/json_ref.hpp"
#include "common/overloaded.hpp"
#include "plugins/gochat-sfu/janus/sdp_reader.hpp"
#include "plugins/gochat-sfu/janus/event_notifier.hpp"
#include "plugins/gochat-sfu/janus/webhook_link.hpp"
#include "plugins/gochat-sfu/metrics/sfu_metrics.hpp"

#include <ctime>

namespace gochat::sfu {

namespace {

constexpr const char* kLogPrefix = "[gochat.sfu] ";
constexpr Millis kQuietCheckIntervalMs = 250;     // how often speakers who stopped sending are checked
constexpr Millis kDeferredKeyframeCheckMs = 100;  // granularity of rate-limited keyframe requests
constexpr Millis kRetiredSnapshotCheckMs = 10;    // a replaced snapshot waits for one packet at most

Millis earliest(std::optional<Millis> a, Millis b) { return a ? std::min(*a, b) : b; }

void logBitrateLimits(const BitrateLimits& limits) {
    if (!limits.capsAudio() && !limits.capsVideo()) return;
    std::string audio = "off";
    std::string video = "off";
    if (limits.capsAudio()) {
        const std::string margin = std::to_string(limits.audioMarginPercent);
        audio = std::to_string(limits.maxAudioKbps) + " kbps, " +
                (limits.enforcesAudio() ? "enforced with a " + margin + "% margin" : "asked in the SDP only");
    }
    if (limits.capsVideo()) video = std::to_string(limits.maxVideoKbps) + " kbps (REMB)";
    JANUS_LOG(LOG_INFO, "%sbitrate limits: audio %s; video %s\n", kLogPrefix, audio.c_str(), video.c_str());
}

bool isMetricsRequest(const json_t* body) {
    std::string name;
    return jsonGetString(body, "request", name) && name == "metrics";
}

}  // namespace

bool SfuPlugin::init(janus_callbacks* gateway, const char* configPath) {
    std::string error;
    std::optional<PluginSettings> settings = loadPluginSettings(configPath ? configPath : ".", error);
    if (!settings) {
        JANUS_LOG(LOG_FATAL, "%s%s\n", kLogPrefix, error.c_str());
        return false;
    }
    if (!settings->bits.valid()) {
        JANUS_LOG(LOG_FATAL, "%spermission bits must be within 0..62\n", kLogPrefix);
        return false;
    }
    gateway_ = gateway;
    settings_ = *settings;
    tokenPolicy_.secret = settings_.authSecret;
    tokenPolicy_.issuer = settings_.issuer;
    tokenPolicy_.leewaySeconds = settings_.tokenLeewaySeconds;

    RegistryConfig config;
    config.bits = settings_.bits;
    config.emptyRoomTtl = settings_.emptyRoomTtlSeconds * 1000;
    config.maxParticipants = static_cast<size_t>(settings_.maxParticipants);
    // 0 turns the timeout off (an answer is then awaited forever).
    config.answerTimeout = settings_.answerTimeoutSeconds > 0 ? settings_.answerTimeoutSeconds * 1000 : INT64_MAX / 2;
    registry_ = std::make_unique<RoomRegistry>(config);
    mediaPort_ = std::make_unique<JanusMediaPort>(gateway_, loop_);
    media_ = std::make_unique<MediaPlane>(*mediaPort_);
    bitrates_ = std::make_unique<BitrateMonitor>(*mediaPort_, settings_.limits);
    loudest_ = std::make_unique<LoudestSpeakers>(settings_.audio.selection);
    effects_ = std::make_unique<EffectRunner>(gateway_, sessions_, *media_, *loudest_,
                                              SdpFormats{settings_.audio.opusDtx, audioLineCap(settings_.limits)});
    // GoChat presence and discovery, off the handler thread (docs/operations.md).
    if (settings_.webhook.enabled()) {
        webhook_ = startWebhookClient(settings_.webhook);
        effects_->addObserver(*webhook_);
    }
    effects_->addObserver(roomCounters_);
    if (settings_.events) {
        eventNotifier_ =
            std::make_unique<EventNotifier>(gateway_, sessions_, HandlerEventOptions{settings_.speakingEvents});
        effects_->addObserver(*eventNotifier_);
    }
    admin_ = std::make_unique<AdminService>(*registry_, sessions_, loop_, *effects_, webhook_.get());

    running_ = true;
    loop_.start(*this);
    JANUS_LOG(LOG_INFO, "%sinitialized (issuer %s, leeway %llds, empty room ttl %llds, max participants %lld)\n",
              kLogPrefix, settings_.issuer.c_str(), static_cast<long long>(settings_.tokenLeewaySeconds),
              static_cast<long long>(settings_.emptyRoomTtlSeconds), static_cast<long long>(settings_.maxParticipants));
    logBitrateLimits(settings_.limits);
    JANUS_LOG(LOG_INFO, "%saudio: opus dtx %s, forwarding the %d loudest per room (0: everyone)\n", kLogPrefix,
              settings_.audio.opusDtx ? "on" : "off", settings_.audio.selection.limit);
    return true;
}

void SfuPlugin::shutdown() {
    if (!running_.exchange(false)) return;
    loop_.stop();
    // No more room events: leaves for everyone still present, in bounded time.
    if (webhook_) webhook_->stop();
    // The handler is gone: this thread is the control plane now.
    for (const std::shared_ptr<MediaSession>& session : sessions_.clear()) media_->forget(session);
    registry_.reset();
    JANUS_LOG(LOG_INFO, "%sdestroyed\n", kLogPrefix);
}

void SfuPlugin::createSession(janus_plugin_session* handle, int* error) {
    if (!running_) {
        *error = -1;
        return;
    }
    handle->plugin_handle = sessions_.add(handle, settings_.speaking).get();
    *error = 0;
}

janus_plugin_result* SfuPlugin::handleMessage(janus_plugin_session* handle, char* transaction, json_t* message,
                                              json_t* jsep) {
    // Janus hands over one reference to each argument (docs/architecture.md,
    // Object ownership).
    Work work;
    work.kind = Work::Kind::Message;
    work.body = JsonRef::adopt(message);
    work.jsep = JsonRef::adopt(jsep);
    const Owned<char, g_free> ownedTransaction(transaction);
    if (transaction) work.transaction = transaction;

    if (!running_) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "plugin shutting down", nullptr);
    work.session = sessions_.byHandle(handle);
    if (!work.session) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "no session for this handle", nullptr);
    if (!json_is_object(work.body.get()))
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "invalid message", nullptr);
    // Read-only and lock-light, so not queued behind the room's requests:
    // a scrape is answered even while the handler thread waits in push_event.
    if (isMetricsRequest(work.body.get()))
        return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, metricsAnswer().release());
    work.sessionId = work.session->id();
    if (!loop_.enqueue(std::move(work))) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "busy", nullptr);
    return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, nullptr, nullptr);
}

// Janus's task pool; `message` is borrowed, the answer a new object
// (docs/plugin-api.md, Admin API).
json_t* SfuPlugin::handleAdminMessage(json_t* message) {
    if (!running_ || !admin_) return adminErrorAnswer(AdminError{503, "the plugin is not running"}).release();
    return admin_->handle(message).release();
}

// On the handle's loop thread.
void SfuPlugin::setupMedia(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = sessions_.byHandle(handle);
    if (!session) return;
    session->hangingUp() = false;
    session->started().store(true, std::memory_order_release);
    media_->onPeerUp(*session);
    JANUS_LOG(LOG_VERB, "%ssession %llu: PeerConnection up\n", kLogPrefix,
              static_cast<unsigned long long>(session->id()));
}

void SfuPlugin::hangupMedia(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = sessions_.byHandle(handle);
    if (!session) return;
    // hangup_media and destroy_session can both end a participant; the
    // first one wins.
    if (session->hangingUp().exchange(true)) return;
    session->started().store(false, std::memory_order_release);
    enqueueDeparture(std::move(session));
}

void SfuPlugin::destroySession(janus_plugin_session* handle, int* error) {
    std::shared_ptr<MediaSession> session = sessions_.remove(handle);
    if (!session) {
        *error = -2;
        return;
    }
    session->closed().store(true, std::memory_order_release);
    session->started().store(false, std::memory_order_release);
    handle->plugin_handle = nullptr;
    enqueueDeparture(std::move(session));
    *error = 0;
}

// The registry forgets the participant and the media plane its snapshots,
// both on the handler thread.
void SfuPlugin::enqueueDeparture(std::shared_ptr<MediaSession> session) {
    Work departure;
    departure.kind = Work::Kind::Departure;
    departure.sessionId = session->id();
    departure.session = std::move(session);
    loop_.enqueue(std::move(departure));
}

json_t* SfuPlugin::querySession(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = sessions_.byHandle(handle);
    if (!session) return nullptr;
    // Janus holds the handle's mutex here: read, never wait for the handler.
    JsonRef info = JsonRef::object();
    info.setInt("session", static_cast<int64_t>(session->id()))
        .setBool("media", session->started().load())
        .setBool("joined", registry_ && registry_->isJoined(session->id()));
    if (running_ && admin_) admin_->describeSession(info, session->id());
    return info.release();
}

// ---- handler thread

void SfuPlugin::handle(Work& work) {
    switch (work.kind) {
        case Work::Kind::Departure:
            effects_->perform(registry_->leave(work.sessionId, LeaveReason::Disconnected, HandlerLoop::now()),
                              work.sessionId, {});
            if (work.session) media_->forget(work.session);
            loudest_->forget(work.sessionId);
            return;
        case Work::Kind::SpeakingChanged:
            effects_->perform(registry_->setSpeaking(work.sessionId, work.speaking), work.sessionId, {});
            return;
        case Work::Kind::PayloadTypeSeen:
            JANUS_LOG(LOG_VERB, "%ssession %llu: publisher sends %s payload type %d\n", kLogPrefix,
                      static_cast<unsigned long long>(work.sessionId), kindName(work.mediaKind), work.payloadType);
            effects_->perform(registry_->publisherSentPayloadType(work.sessionId, work.mediaKind, work.payloadType,
                                                                  HandlerLoop::now()),
                              work.sessionId, {});
            return;
        case Work::Kind::Message:
            if (!work.session->closed())
                handleRequest(*work.session, work.transaction, work.body.get(), work.jsep.get());
            return;
        case Work::Kind::Task:
            if (work.task) work.task();
            return;
        case Work::Kind::Stop: return;
    }
}

void SfuPlugin::runTimers(Millis now) {
    effects_->perform(registry_->tick(now), 0, {});
    stopQuietSpeakers(now);
    enforceBitrates(now);
    if (media_->keyframesWaiting()) media_->sendDeferredKeyframes(sessions_.all());
    loudest_->run(now);
    media_->collectRetired();
}

std::optional<Millis> SfuPlugin::nextDeadline(Millis now) {
    std::optional<Millis> deadline = registry_->nextDeadline();
    if (!registry_->voiceDetectedSessions().empty()) deadline = earliest(deadline, now + kQuietCheckIntervalMs);
    if (media_->keyframesWaiting()) deadline = earliest(deadline, now + kDeferredKeyframeCheckMs);
    if (media_->retiredWaiting()) deadline = earliest(deadline, now + kRetiredSnapshotCheckMs);
    if (std::optional<Millis> bitrates = bitrates_->nextDeadline()) deadline = earliest(deadline, *bitrates);
    if (loudest_->active()) deadline = earliest(deadline, loudest_->nextRound());
    return deadline;
}

void SfuPlugin::handleRequest(MediaSession& session, const std::string& transaction, const json_t* body,
                              const json_t* jsep) {
    const SessionId id = session.id();
    const Millis now = HandlerLoop::now();
    const DecodedRequest decoded = decodeRequest(body, jsep);
    Effects effects;
    if (const RequestError* error = std::get_if<RequestError>(&decoded)) {
        effects = error->request == RequestKind::Join
                      ? RoomRegistry::refuseJoin(id, Refusal::InvalidMessage)
                      : RoomRegistry::refuseRequest(id, error->request, Refusal::InvalidMessage);
    } else {
        const Request& request = std::get<Request>(decoded);
        if (needsJoin(request) && !registry_->isJoined(id))
            effects = RoomRegistry::refuseRequest(id, kindOf(request), Refusal::NotJoined);
        else
            effects = dispatch(session, request, now);
    }
    effects_->perform(effects, id, transaction);
}

// Every privileged request is authorised by the registry, whatever the
// transport it came through.
Effects SfuPlugin::dispatch(MediaSession& session, const Request& request, Millis now) {
    const SessionId id = session.id();
    return std::visit(Overloaded{
                          [&](const request::Join& r) { return handleJoin(id, r); },
                          [&](const request::Offer& r) { return handleClientOffer(id, r.sdp, now); },
                          [&](const request::Answer& r) { return handleAnswer(id, r.sdp, now); },
                          [&](const request::SpeakingReport& r) { return handleSpeakingReport(session, r.speaking); },
                          [&](const request::CloseChannel& r) { return handleCloseChannel(id, r, now); },
                          // Every other request has an applyToRegistry overload; one
                          // without it does not compile.
                          [&](const auto& r) { return applyToRegistry(*registry_, id, r, now); },
                      },
                      request);
}

// GoChat's web client reports its own voice gate. The level-based detector
// stays authoritative; the report only counts for a publisher whose packets
// carry no audio-level extension (docs/voice-control.md).
Effects SfuPlugin::handleSpeakingReport(MediaSession& session, bool speaking) {
    if (session.speakingDetector().sawAudioLevel()) return {};
    return registry_->setSpeaking(session.id(), speaking);
}

Effects SfuPlugin::handleJoin(SessionId session, const request::Join& join) {
    if (registry_->isJoined(session))
        return RoomRegistry::refuseRequest(session, RequestKind::Join, Refusal::InvalidMessage);
    const auth::TokenResult verified =
        auth::verifyToken(join.token, tokenPolicy_, static_cast<int64_t>(std::time(nullptr)));
    if (!verified.ok()) {
        // Never log the token itself: only why it failed.
        JANUS_LOG(LOG_INFO, "%ssession %llu: join refused, token %s\n", kLogPrefix,
                  static_cast<unsigned long long>(session), auth::tokenErrorName(verified.error));
        return RoomRegistry::refuseJoin(session, Refusal::Unauthorized);
    }
    JoinRequest request;
    request.session = session;
    request.channel = join.channel;
    request.user = verified.claims.userId;
    request.tokenChannel = verified.claims.channelId;
    request.perms = verified.claims.perms;
    request.moved = verified.claims.moved;
    request.guild = verified.claims.guildId;
    Effects effects = registry_->join(request, HandlerLoop::now());
    JANUS_LOG(LOG_INFO, "%ssession %llu: user %lld %s channel %lld\n", kLogPrefix,
              static_cast<unsigned long long>(session), static_cast<long long>(request.user),
              registry_->isJoined(session) ? "joined" : "was refused by", static_cast<long long>(join.channel));
    return effects;
}

// An operator closes a channel (docs/operations.md, Closing a channel). Checks in the order the
// contract gives: the admin token, then the body's channel, then whether
// the token may close that channel.
Effects SfuPlugin::handleCloseChannel(SessionId session, const request::CloseChannel& close, Millis now) {
    const auth::AdminTokenResult verified =
        auth::verifyAdminToken(close.token, tokenPolicy_, static_cast<int64_t>(std::time(nullptr)));
    if (!verified.ok()) {
        JANUS_LOG(LOG_INFO, "%ssession %llu: close_channel refused, admin token %s\n", kLogPrefix,
                  static_cast<unsigned long long>(session), auth::tokenErrorName(verified.error));
        return RoomRegistry::refuseRequest(session, RequestKind::CloseChannel, Refusal::Unauthorized);
    }
    if (close.channel == 0)
        return RoomRegistry::refuseRequest(session, RequestKind::CloseChannel, Refusal::InvalidMessage);
    if (verified.channelId != 0 && verified.channelId != close.channel) {
        JANUS_LOG(LOG_INFO, "%sclose_channel refused: the admin token is for channel %lld, not %lld\n", kLogPrefix,
                  static_cast<long long>(verified.channelId), static_cast<long long>(close.channel));
        return RoomRegistry::refuseRequest(session, RequestKind::CloseChannel, Refusal::ChannelMismatch);
    }
    Effects effects = registry_->closeChannel(close.channel, now);
    size_t removed = 0;
    for (const Effect& effect : effects) removed += std::holds_alternative<event::ParticipantLeft>(effect) ? 1 : 0;
    JANUS_LOG(LOG_INFO, "%schannel %lld closed by an operator: %zu participant(s) removed\n", kLogPrefix,
              static_cast<long long>(close.channel), removed);
    // Answered last: when the operator hears 204, everyone was told.
    effects.emplace_back(event::RequestDone{session, RequestKind::CloseChannel});
    return effects;
}

JsonRef SfuPlugin::metricsAnswer() {
    SfuMetrics metrics;
    metrics.rooms = registry_ ? registry_->roomCount() : 0;
    metrics.participants = registry_ ? registry_->participantCount() : 0;
    metrics.sessions = sessions_.size();
    metrics.events = roomCounters_.snapshot();
    if (media_) metrics.media = media_->counters().snapshot();
    metrics.webhook = webhookCounters();
    JsonRef d = JsonRef::object();
    d.setBool("ok", true).setInt("status", 200).setString("text", renderSfuMetrics(metrics));
    JsonRef data = JsonRef::object();
    data.setString("gochat", "metrics").setInt("t", 0).set("d", std::move(d));
    return data;
}

// The webhook client's (docs/operations.md, Joining a GoChat deployment); all zeros without a webhook.
WebhookCounters SfuPlugin::webhookCounters() { return webhook_ ? webhook_->counters() : WebhookCounters{}; }

Effects SfuPlugin::handleAnswer(SessionId session, const std::string& sdp, Millis now) {
    std::optional<std::vector<AnsweredLine>> lines = readAnswer(sdp);
    if (!lines) return RoomRegistry::refuseRequest(session, RequestKind::Answer, Refusal::InvalidMessage);
    return registry_->answer(session, *lines, now);
}

Effects SfuPlugin::handleClientOffer(SessionId session, const std::string& sdp, Millis now) {
    std::optional<std::vector<OfferedLine>> lines = readOffer(sdp);
    if (!lines) return RoomRegistry::refuseRequest(session, RequestKind::Offer, Refusal::InvalidMessage);
    return registry_->clientOffer(session, *lines, sdp, now);
}

// A publisher that stops sending altogether (a dropped connection, a client
// that stops its track) never reports silence; its detector is checked here.
void SfuPlugin::stopQuietSpeakers(Millis now) {
    for (SessionId id : registry_->voiceDetectedSessions()) {
        std::shared_ptr<MediaSession> session = sessions_.byId(id);
        if (session && !session->speakingDetector().quietFor(now)) continue;
        if (session) session->speakingDetector().requestReset();
        effects_->perform(registry_->setSpeaking(id, false), id, {});
    }
}

// A window over the audio cap is logged; the second one in a row removes
// the publisher, who is told why (docs/plugin-api.md, Events).
void SfuPlugin::enforceBitrates(Millis now) {
    if (!bitrates_->due(now)) return;  // the session list is copied only when due
    for (const AudioBitrateJudge::Verdict& over : bitrates_->tick(sessions_.all(), now)) {
        // Audio still arriving from someone already removed is not judged again.
        if (!registry_->isJoined(over.session)) continue;
        JANUS_LOG(LOG_WARN, "%ssession %llu: audio at %lld bps, over the cap of %lld kbps + %lld%% (%d window(s))%s\n",
                  kLogPrefix, static_cast<unsigned long long>(over.session), static_cast<long long>(over.measuredBps),
                  static_cast<long long>(settings_.limits.maxAudioKbps),
                  static_cast<long long>(settings_.limits.audioMarginPercent), over.windowsOver,
                  over.remove ? ": removed" : "");
        if (over.remove)
            effects_->perform(registry_->leave(over.session, LeaveReason::BitrateExceeded, now), over.session, {});
    }
}

// ---- media threads

// Runs on the publisher's loop thread for every packet: the media plane
// takes no lock and allocates nothing (docs/architecture.md, Media plane).
void SfuPlugin::incomingRtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
    if (!handle || g_atomic_int_get(&handle->stopped) || !packet || !packet->buffer) return;
    auto* session = static_cast<MediaSession*>(handle->plugin_handle);
    if (!session || session->closed().load(std::memory_order_acquire)) return;
    MediaPacket view;
    view.buffer = reinterpret_cast<uint8_t*>(packet->buffer);
    view.length = packet->length;
    view.video = packet->video != 0;
    view.mindex = packet->mindex;
    view.audioLevel = packet->extensions.audio_level;
    view.native = packet;
    const int arrivedOn = packet->mindex;
    media_->onRtp(*session, view);
    packet->mindex = arrivedOn;
}

// Runs on the subscriber's loop thread. Reports and NACKs are the core's
// business; keyframe requests (PLI, FIR) go to the publishers. Not only on
// video lines: Janus may file a browser's request under its audio line
// (media_plane.cpp, onKeyframeRequest).
void SfuPlugin::incomingRtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
    if (!handle || g_atomic_int_get(&handle->stopped) || !packet || !packet->buffer) return;
    auto* session = static_cast<MediaSession*>(handle->plugin_handle);
    if (!session || session->closed().load(std::memory_order_acquire)) return;
    if (!janus_rtcp_has_pli(packet->buffer, packet->length) && !janus_rtcp_has_fir(packet->buffer, packet->length))
        return;
    media_->onKeyframeRequest(*session, packet->mindex);
}

}  // namespace gochat::sfu
