// The adapter: Janus callbacks in, core commands through one handler thread,
// effects out through the Janus callbacks, and the per-packet relay.
//
// Threads (notes §1): handle_message runs on Janus's task pool and only
// enqueues; the handler thread owns every RoomRegistry call and performs the
// effects after the registry lock is released; setup_media, incoming_rtp,
// hangup_media and destroy_session run on each handle's own loop thread.
// The lock discipline is written down in docs/architecture.md.
#include "plugins/gochat-sfu/auth/token_verifier.hpp"
#include "plugins/gochat-sfu/core/registry.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/janus/media_session.hpp"
#include "plugins/gochat-sfu/janus/plugin_config.hpp"
#include "plugins/gochat-sfu/janus/request_decoder.hpp"
#include "plugins/gochat-sfu/janus/sdp_codec.hpp"
#include "plugins/gochat-sfu/janus/wire_events.hpp"
#include "plugins/gochat-sfu/janus/shim.h"
#include "common/json_ref.hpp"
#include "common/overloaded.hpp"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace gochat::sfu {
namespace {

constexpr const char* kLogPrefix = "[gochat.sfu] ";
constexpr size_t kMaxQueuedWork = 20000;      // beyond this, requests are refused rather than buffered
constexpr int64_t kKeyframeIntervalMs = 1000; // at most one PLI per publisher per second
constexpr Millis kQuietCheckIntervalMs = 250;  // how often speakers who stopped sending are checked
constexpr Millis kDeferredKeyframeCheckMs = 100;  // granularity of rate-limited keyframe requests

Millis monotonicNow() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

JsonRef eventJson(const WireEvent& event) {
    JsonRef data = JsonRef::object();
    for (const auto& [key, value] : event.fields) {
        std::visit(Overloaded{
                       [&](int64_t number) { data.setInt(key.c_str(), number); },
                       [&](bool flag) { data.setBool(key.c_str(), flag); },
                       [&](const std::string& text) { data.setString(key.c_str(), text); },
                   },
                   value);
    }
    JsonRef root = JsonRef::object();
    root.setString("gochat", event.name).setInt("t", event.t).set("d", std::move(data));
    if (event.close) {
        JsonRef close = JsonRef::object();
        close.setInt("code", event.close->code).setString("reason", event.close->reason);
        root.set("close", std::move(close));
    }
    return root;
}

struct Work {
    enum class Kind { Message, Departure, SpeakingChanged, PayloadTypeSeen, Stop };
    Kind kind = Kind::Stop;
    std::shared_ptr<MediaSession> session;  // Message: keeps the handle alive until handled
    SessionId sessionId = 0;
    bool speaking = false;  // SpeakingChanged
    MediaKind mediaKind = MediaKind::Audio;  // PayloadTypeSeen
    int payloadType = 0;                     // PayloadTypeSeen
    std::string transaction;
    JsonRef body;
    JsonRef jsep;
};

class SfuPlugin {
public:
    bool init(janus_callbacks* gateway, const char* configPath);
    void shutdown();

    void createSession(janus_plugin_session* handle, int* error);
    janus_plugin_result* handleMessage(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep);
    json_t* handleAdminMessage(json_t* message);
    void setupMedia(janus_plugin_session* handle);
    void hangupMedia(janus_plugin_session* handle);
    void destroySession(janus_plugin_session* handle, int* error);
    json_t* querySession(janus_plugin_session* handle);
    void incomingRtp(janus_plugin_session* handle, janus_plugin_rtp* packet);
    void incomingRtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet);

private:
    void runHandler();
    bool enqueue(Work work);
    void handleWork(Work& work);
    void handleRequest(MediaSession& session, const std::string& transaction, const json_t* body, const json_t* jsep);
    Effects dispatch(MediaSession& session, const Request& request, Millis now);
    Effects handleJoin(SessionId session, const request::Join& join);
    Effects handleAnswer(SessionId session, const std::string& sdp, Millis now);
    Effects handleClientOffer(SessionId session, const std::string& sdp, Millis now);
    Effects handleSpeakingReport(MediaSession& session, bool speaking);
    void perform(const Effects& effects, SessionId current, const std::string& transaction);
    void requestKeyframe(MediaSession& publisher);
    void pushJsep(MediaSession& target, const char* type, int t, const std::string& sdp, const char* transaction);
    void stopQuietSpeakers(Millis now);
    void sendDeferredKeyframes(Millis now);
    void wakeHandler();
    void detectSpeaking(MediaSession& session, const janus_plugin_rtp& packet);
    void reportPayloadType(MediaSession& session, MediaKind kind, int payloadType);
    std::shared_ptr<MediaSession> findByHandle(janus_plugin_session* handle);
    std::shared_ptr<MediaSession> findById(SessionId id);

    janus_callbacks* gateway_ = nullptr;  // Borrowed (the core outlives the plugin)
    PluginSettings settings_;
    auth::TokenPolicy tokenPolicy_;
    std::unique_ptr<RoomRegistry> registry_;  // Handler thread only (plus read-only counters)

    // NOTE: leaf lock guarding the two session tables only; nothing is called
    // while holding it.
    std::mutex sessionsMutex_;
    std::unordered_map<janus_plugin_session*, std::shared_ptr<MediaSession>> sessionsByHandle_;
    std::unordered_map<SessionId, std::shared_ptr<MediaSession>> sessionsById_;
    SessionId nextSessionId_ = 1;

    // NOTE: leaf lock guarding the work queue only.
    std::mutex queueMutex_;
    std::condition_variable queueReady_;
    std::deque<Work> queue_;
    std::thread handler_;
    std::atomic<bool> running_{false};
    // Publishers with a keyframe request waiting for its rate-limit window.
    std::atomic<int> deferredKeyframes_{0};
    bool wakeRequested_ = false;  // guarded by queueMutex_
};


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

    running_ = true;
    handler_ = std::thread([this] { runHandler(); });
    JANUS_LOG(LOG_INFO, "%sinitialized (issuer %s, leeway %llds, empty room ttl %llds, max participants %lld)\n", kLogPrefix,
              settings_.issuer.c_str(), static_cast<long long>(settings_.tokenLeewaySeconds),
              static_cast<long long>(settings_.emptyRoomTtlSeconds), static_cast<long long>(settings_.maxParticipants));
    return true;
}

void SfuPlugin::shutdown() {
    if (!running_.exchange(false)) return;
    Work stop;
    stop.kind = Work::Kind::Stop;
    {
        std::lock_guard<std::mutex> lock(queueMutex_);
        queue_.push_back(std::move(stop));
    }
    queueReady_.notify_one();
    if (handler_.joinable()) handler_.join();
    std::unordered_map<janus_plugin_session*, std::shared_ptr<MediaSession>> sessions;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        sessions.swap(sessionsByHandle_);
        sessionsById_.clear();
    }
    for (auto& [handle, session] : sessions) {
        session->setFanout(MediaKind::Audio, nullptr);
        session->setFanout(MediaKind::Video, nullptr);
    }
    registry_.reset();
    JANUS_LOG(LOG_INFO, "%sdestroyed\n", kLogPrefix);
}

std::shared_ptr<MediaSession> SfuPlugin::findByHandle(janus_plugin_session* handle) {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto found = sessionsByHandle_.find(handle);
    if (found == sessionsByHandle_.end() || found->second->closed()) return nullptr;
    return found->second;
}

std::shared_ptr<MediaSession> SfuPlugin::findById(SessionId id) {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto found = sessionsById_.find(id);
    return found == sessionsById_.end() ? nullptr : found->second;
}

void SfuPlugin::createSession(janus_plugin_session* handle, int* error) {
    if (!running_) {
        *error = -1;
        return;
    }
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    auto session = std::make_shared<MediaSession>(handle, nextSessionId_++, settings_.speaking);
    handle->plugin_handle = session.get();
    sessionsById_[session->id()] = session;
    sessionsByHandle_[handle] = std::move(session);
    *error = 0;
}

janus_plugin_result* SfuPlugin::handleMessage(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep) {
    // Janus hands over one reference to each argument (notes §2).
    Work work;
    work.kind = Work::Kind::Message;
    work.body = JsonRef::adopt(message);
    work.jsep = JsonRef::adopt(jsep);
    if (transaction) work.transaction = transaction;
    g_free(transaction);

    if (!running_) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "plugin shutting down", nullptr);
    work.session = findByHandle(handle);
    if (!work.session) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "no session for this handle", nullptr);
    if (!json_is_object(work.body.get())) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "invalid message", nullptr);
    work.sessionId = work.session->id();
    if (!enqueue(std::move(work))) return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "busy", nullptr);
    return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, nullptr, nullptr);
}

json_t* SfuPlugin::handleAdminMessage(json_t* message) {
    std::string request;
    JsonRef reply = JsonRef::object();
    if (!message || !jsonGetString(message, "request", request) || request != "status") {
        reply.setString("error", "unknown request (supported: status)");
        return reply.release();
    }
    size_t sessions = 0;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        sessions = sessionsById_.size();
    }
    reply.setInt("rooms", static_cast<int64_t>(registry_ ? registry_->roomCount() : 0))
        .setInt("participants", static_cast<int64_t>(registry_ ? registry_->participantCount() : 0))
        .setInt("sessions", static_cast<int64_t>(sessions));
    return reply.release();
}

bool SfuPlugin::enqueue(Work work) {
    {
        std::lock_guard<std::mutex> lock(queueMutex_);
        if (queue_.size() >= kMaxQueuedWork && work.kind == Work::Kind::Message) return false;
        queue_.push_back(std::move(work));
    }
    queueReady_.notify_one();
    return true;
}

void SfuPlugin::setupMedia(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = findByHandle(handle);
    if (!session) return;
    session->hangingUp() = false;
    session->started().store(true, std::memory_order_release);
    // Lines answered before DTLS came up could not receive the keyframes
    // requested then: ask every video source again now.
    if (auto sources = session->videoSourceList())
        for (const auto& [mindex, source] : *sources)
            if (std::shared_ptr<MediaSession> publisher = source.lock()) requestKeyframe(*publisher);
    JANUS_LOG(LOG_VERB, "%ssession %llu: PeerConnection up\n", kLogPrefix, static_cast<unsigned long long>(session->id()));
}

void SfuPlugin::hangupMedia(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = findByHandle(handle);
    if (!session) return;
    // hangup_media and destroy_session can both end a participant; the
    // first one wins.
    if (session->hangingUp().exchange(true)) return;
    session->started().store(false, std::memory_order_release);
    Work departure;
    departure.kind = Work::Kind::Departure;
    departure.sessionId = session->id();
    enqueue(std::move(departure));
}

void SfuPlugin::destroySession(janus_plugin_session* handle, int* error) {
    std::shared_ptr<MediaSession> session;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        auto found = sessionsByHandle_.find(handle);
        if (found == sessionsByHandle_.end()) {
            *error = -2;
            return;
        }
        session = std::move(found->second);
        sessionsByHandle_.erase(found);
        sessionsById_.erase(session->id());
    }
    session->closed().store(true, std::memory_order_release);
    session->started().store(false, std::memory_order_release);
    if (session->keyframeDeferred().exchange(false)) deferredKeyframes_.fetch_sub(1);
    handle->plugin_handle = nullptr;
    Work departure;
    departure.kind = Work::Kind::Departure;
    departure.sessionId = session->id();
    enqueue(std::move(departure));
    *error = 0;
    // Fan-out snapshots may still hold `session`; the last one drops the handle reference.
}

json_t* SfuPlugin::querySession(janus_plugin_session* handle) {
    std::shared_ptr<MediaSession> session = findByHandle(handle);
    if (!session) return nullptr;
    JsonRef info = JsonRef::object();
    info.setInt("session", static_cast<int64_t>(session->id()))
        .setBool("media", session->started().load())
        .setBool("joined", registry_ && registry_->isJoined(session->id()));
    return info.release();
}

void SfuPlugin::runHandler() {
    for (;;) {
        // The deadline is read before taking the queue lock (no nesting);
        // only this thread changes the registry, so it cannot move meanwhile.
        std::optional<Millis> deadline = registry_->nextDeadline();
        if (!registry_->voiceDetectedSessions().empty()) {
            const Millis quietCheck = monotonicNow() + kQuietCheckIntervalMs;
            deadline = deadline ? std::min(*deadline, quietCheck) : quietCheck;
        }
        if (deferredKeyframes_.load() > 0) {
            const Millis keyframeCheck = monotonicNow() + kDeferredKeyframeCheckMs;
            deadline = deadline ? std::min(*deadline, keyframeCheck) : keyframeCheck;
        }
        std::optional<Work> work;
        {
            std::unique_lock<std::mutex> lock(queueMutex_);
            auto ready = [this] { return !queue_.empty() || wakeRequested_; };
            if (!ready()) {
                if (deadline) {
                    const Millis wait = std::max<Millis>(0, *deadline - monotonicNow());
                    queueReady_.wait_for(lock, std::chrono::milliseconds(wait), ready);
                } else {
                    queueReady_.wait(lock, ready);
                }
            }
            wakeRequested_ = false;
            if (!queue_.empty()) {
                work.emplace(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        if (work) {
            if (work->kind == Work::Kind::Stop) return;
            try {
                handleWork(*work);
            } catch (const std::exception& e) {
                JANUS_LOG(LOG_ERR, "%sfailed to handle work: %s\n", kLogPrefix, e.what());
            }
        }
        try {
            const Millis now = monotonicNow();
            perform(registry_->tick(now), 0, {});
            stopQuietSpeakers(now);
            sendDeferredKeyframes(now);
        } catch (const std::exception& e) {
            JANUS_LOG(LOG_ERR, "%sfailed to run timers: %s\n", kLogPrefix, e.what());
        }
    }
}

void SfuPlugin::handleWork(Work& work) {
    if (work.kind == Work::Kind::Departure) {
        perform(registry_->leave(work.sessionId, LeaveReason::Disconnected, monotonicNow()), work.sessionId, {});
        return;
    }
    if (work.kind == Work::Kind::SpeakingChanged) {
        perform(registry_->setSpeaking(work.sessionId, work.speaking), work.sessionId, {});
        return;
    }
    if (work.kind == Work::Kind::PayloadTypeSeen) {
        JANUS_LOG(LOG_VERB, "%ssession %llu: publisher sends %s payload type %d\n", kLogPrefix,
                  static_cast<unsigned long long>(work.sessionId), kindName(work.mediaKind), work.payloadType);
        perform(registry_->publisherSentPayloadType(work.sessionId, work.mediaKind, work.payloadType, monotonicNow()),
                work.sessionId, {});
        return;
    }
    if (work.session->closed()) return;
    handleRequest(*work.session, work.transaction, work.body.get(), work.jsep.get());
}

void SfuPlugin::handleRequest(MediaSession& session, const std::string& transaction, const json_t* body, const json_t* jsep) {
    const SessionId id = session.id();
    const Millis now = monotonicNow();
    const DecodedRequest decoded = decodeRequest(body, jsep);
    Effects effects;
    if (const RequestError* error = std::get_if<RequestError>(&decoded)) {
        effects = error->request == RequestKind::Join ? RoomRegistry::refuseJoin(id, Refusal::InvalidMessage)
                                                      : RoomRegistry::refuseRequest(id, error->request, Refusal::InvalidMessage);
    } else {
        const Request& request = std::get<Request>(decoded);
        if (!std::holds_alternative<request::Join>(request) && !registry_->isJoined(id))
            effects = RoomRegistry::refuseRequest(id, kindOf(request), Refusal::NotJoined);
        else
            effects = dispatch(session, request, now);
    }
    perform(effects, id, transaction);
}

// Every privileged request is authorised by the registry, whatever the
// transport it came through.
Effects SfuPlugin::dispatch(MediaSession& session, const Request& request, Millis now) {
    const SessionId id = session.id();
    return std::visit(
        Overloaded{
            [&](const request::Join& r) { return handleJoin(id, r); },
            [&](const request::Offer& r) { return handleClientOffer(id, r.sdp, now); },
            [&](const request::Answer& r) { return handleAnswer(id, r.sdp, now); },
            [&](const request::SpeakingReport& r) { return handleSpeakingReport(session, r.speaking); },
            // Every other request has an applyToRegistry overload; one
            // without it does not compile.
            [&](const auto& r) { return applyToRegistry(*registry_, id, r, now); },
        },
        request);
}

// GoChat's web client reports its own voice gate. The level-based detector
// stays authoritative; the report only counts for a publisher whose packets
// carry no audio-level extension (PROTOCOL.md 3.6).
Effects SfuPlugin::handleSpeakingReport(MediaSession& session, bool speaking) {
    if (session.speakingDetector().sawAudioLevel()) return {};
    return registry_->setSpeaking(session.id(), speaking);
}

Effects SfuPlugin::handleJoin(SessionId session, const request::Join& join) {
    if (registry_->isJoined(session)) return RoomRegistry::refuseRequest(session, RequestKind::Join, Refusal::InvalidMessage);
    const auth::TokenResult verified = auth::verifyToken(join.token, tokenPolicy_, static_cast<int64_t>(std::time(nullptr)));
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
    Effects effects = registry_->join(request, monotonicNow());
    JANUS_LOG(LOG_INFO, "%ssession %llu: user %lld %s channel %lld\n", kLogPrefix, static_cast<unsigned long long>(session),
              static_cast<long long>(request.user), registry_->isJoined(session) ? "joined" : "was refused by",
              static_cast<long long>(join.channel));
    return effects;
}

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

// NOTE: runs on the handler thread with no plugin lock held: push_event may
// block (ICE gathering) and the RTCP helpers take the handle mutex.
void SfuPlugin::perform(const Effects& effects, SessionId current, const std::string& transaction) {
    for (const Effect& effect : effects) {
        for (const WireEvent& event : wireEventsOf(effect)) {
            std::shared_ptr<MediaSession> target = findById(event.to);
            if (!target) continue;
            JsonRef data = eventJson(event);
            const char* tx = (event.answersRequest && event.to == current && !transaction.empty()) ? transaction.c_str() : nullptr;
            gateway_->push_event(target->handle(), gochat_sfu_descriptor(), tx, data.get(), nullptr);
        }
        std::visit(
            Overloaded{
                // Events: what clients are told came from wireEventsOf above.
                [](const event::JoinRefused&) {},
                [](const event::RequestRefused&) {},
                [](const event::RequestDone&) {},
                [](const event::ParticipantJoined&) {},
                [](const event::ParticipantLeft&) {},
                [](const event::PublicationChanged&) {},
                [](const event::UserFlagChanged&) {},
                [](const event::SpeakingChanged&) {},
                [&](const SendOffer& offer) {
                    std::shared_ptr<MediaSession> target = findById(offer.to);
                    if (!target) return;
                    pushJsep(*target, "offer", 501, writeOffer(offer.plan, target->sdpSessionId()), nullptr);
                },
                [&](const SendAnswer& reply) {
                    std::shared_ptr<MediaSession> target = findById(reply.to);
                    if (!target) return;
                    const char* tx = (reply.to == current && !transaction.empty()) ? transaction.c_str() : nullptr;
                    pushJsep(*target, "answer", 502, writeAnswer(reply, target->sdpSessionId()), tx);
                },
                [&](const SetFanout& change) {
                    std::shared_ptr<MediaSession> publisher = findById(change.publisher);
                    if (!publisher) return;
                    // Lines leaving this fan-out pause; their context is kept
                    // for a resume as long as the binding stays.
                    if (std::shared_ptr<const Fanout> previous = publisher->fanout(change.kind))
                        for (const FanoutEntry& entry : previous->entries) {
                            MediaSession::LineForwarding& line = entry.subscriber->lineForwarding()[entry.mindex];
                            if (line.binding == entry.binding) line.forwarding = false;  // not if rebound meanwhile
                        }
                    auto fanout = std::make_shared<Fanout>();
                    fanout->sourcePayloadType = change.sourcePayloadType;
                    fanout->entries.reserve(change.targets.size());
                    for (const FanoutTarget& target : change.targets) {
                        std::shared_ptr<MediaSession> subscriber = findById(target.subscriber);
                        if (!subscriber) continue;
                        MediaSession::LineForwarding& line = subscriber->lineForwarding()[target.mindex];
                        if (line.binding != target.binding || !line.context) {
                            line.binding = target.binding;
                            line.context = std::make_shared<ForwardContext>();
                        } else if (!line.forwarding) {
                            line.context->resumePending.store(true, std::memory_order_release);
                        }
                        line.forwarding = true;
                        if (change.kind == MediaKind::Video) subscriber->setVideoSource(target.mindex, publisher);
                        fanout->entries.push_back(
                            FanoutEntry{std::move(subscriber), target.mindex, line.context, target.binding, target.payloadType});
                    }
                    publisher->setFanout(change.kind, std::move(fanout));
                },
                [&](const RequestKeyframe& request) {
                    if (std::shared_ptr<MediaSession> publisher = findById(request.publisher)) requestKeyframe(*publisher);
                },
                [&](const ClosePeer& close) {
                    if (std::shared_ptr<MediaSession> target = findById(close.session)) gateway_->close_pc(target->handle());
                },
            },
            effect);
    }
}

// A publisher that stops sending altogether (a dropped connection, a client
// that stops its track) never reports silence; its detector is checked here.
void SfuPlugin::stopQuietSpeakers(Millis now) {
    for (SessionId id : registry_->voiceDetectedSessions()) {
        std::shared_ptr<MediaSession> session = findById(id);
        if (session && !session->speakingDetector().quietFor(now)) continue;
        if (session) session->speakingDetector().requestReset();
        perform(registry_->setSpeaking(id, false), id, {});
    }
}

// At most one PLI per publisher per second (the core does not throttle
// them); a request inside that window is deferred to its end, never dropped:
// a late joiner waiting for its first keyframe would otherwise see nothing.
// May run on any thread; holds no lock while calling the core.
// Pushes an offer or answer: the event names it, the jsep carries the SDP.
void SfuPlugin::pushJsep(MediaSession& target, const char* type, int t, const std::string& sdp, const char* transaction) {
    if (sdp.empty()) {
        JANUS_LOG(LOG_ERR, "%ssession %llu: could not write the %s\n", kLogPrefix, static_cast<unsigned long long>(target.id()), type);
        return;
    }
    JsonRef jsep = JsonRef::object();
    jsep.setString("type", type).setString("sdp", sdp);
    WireEvent event;
    event.name = type;
    event.t = t;
    JsonRef data = eventJson(event);
    const int rc = gateway_->push_event(target.handle(), gochat_sfu_descriptor(), transaction, data.get(), jsep.get());
    if (rc != 0)
        JANUS_LOG(LOG_VERB, "%ssession %llu: %s not delivered (%d)\n", kLogPrefix, static_cast<unsigned long long>(target.id()), type, rc);
}

void SfuPlugin::requestKeyframe(MediaSession& publisher) {
    const int64_t now = monotonicNow();
    int64_t last = publisher.lastKeyframeRequest().load();
    if (now - last >= kKeyframeIntervalMs && publisher.lastKeyframeRequest().compare_exchange_strong(last, now)) {
        // send_pli (without _stream) would also hit every sendonly remote
        // line of this PeerConnection; target the publisher's own video line.
        gateway_->send_pli_stream(publisher.handle(), kOwnVideoMindex);
        return;
    }
    if (!publisher.keyframeDeferred().exchange(true)) {
        deferredKeyframes_.fetch_add(1);
        wakeHandler();
    }
}

void SfuPlugin::wakeHandler() {
    {
        std::lock_guard<std::mutex> lock(queueMutex_);
        wakeRequested_ = true;
    }
    queueReady_.notify_one();
}

void SfuPlugin::sendDeferredKeyframes(Millis now) {
    if (deferredKeyframes_.load() == 0) return;
    std::vector<std::shared_ptr<MediaSession>> sessions;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        for (const auto& [id, session] : sessionsById_)
            if (session->keyframeDeferred().load()) sessions.push_back(session);
    }
    for (const std::shared_ptr<MediaSession>& publisher : sessions) {
        if (now - publisher->lastKeyframeRequest().load() < kKeyframeIntervalMs) continue;
        if (!publisher->keyframeDeferred().exchange(false)) continue;
        deferredKeyframes_.fetch_sub(1);
        requestKeyframe(*publisher);
    }
}

// Media path: runs on the publisher's loop thread for every packet. No
// allocation, no registry lock: one uncontended per-publisher lock to copy
// the snapshot pointer, then relays.
void SfuPlugin::incomingRtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
    if (!handle || g_atomic_int_get(&handle->stopped) || !packet || !packet->buffer || packet->length < 12) return;
    auto* session = static_cast<MediaSession*>(handle->plugin_handle);
    if (!session || session->closed().load(std::memory_order_acquire)) return;
    const MediaKind kind = packet->video ? MediaKind::Video : MediaKind::Audio;
    // Only the own lines carry a participant's media; anything else is dropped.
    if (packet->mindex != (kind == MediaKind::Audio ? kOwnAudioMindex : kOwnVideoMindex)) return;
    // Detection runs even when nobody receives (muted users are detected,
    // and shown speaking the moment they are unmuted while talking).
    if (kind == MediaKind::Audio) detectSpeaking(*session, *packet);
    std::shared_ptr<const Fanout> fanout = session->fanout(kind);
    if (!fanout || fanout->entries.empty()) return;

    auto* header = reinterpret_cast<janus_rtp_header*>(packet->buffer);
    const uint8_t payloadType = header->type;
    // A browser may send any format its answer kept: packets of another
    // codec than the publication's would be undecodable on the subscribers'
    // lines. Drop them and let the control plane follow the switch.
    if (fanout->sourcePayloadType > 0 && payloadType != fanout->sourcePayloadType) {
        reportPayloadType(*session, kind, payloadType);
        return;
    }
    const uint32_t timestamp = header->timestamp;
    const uint16_t sequence = header->seq_number;
    const int mindex = packet->mindex;
    for (const FanoutEntry& entry : fanout->entries) {
        if (!entry.subscriber->acceptsMedia()) continue;
        ForwardContext& context = *entry.context;
        if (context.resumePending.load(std::memory_order_acquire) && context.resumePending.exchange(false)) {
            context.rtp.seq_reset = TRUE;
            context.rtp.ts_reset = TRUE;
        }
        janus_rtp_header_update(header, &context.rtp, packet->video, 0);
        // Types differ only when one side offered its own (t 501).
        if (entry.payloadType > 0) header->type = static_cast<uint8_t>(entry.payloadType);
        packet->mindex = entry.mindex;
        // relay_rtp copies the buffer, so restoring right after is safe; the
        // audio level and other extensions travel in packet->extensions.
        gateway_->relay_rtp(entry.subscriber->handle(), packet);
        header->timestamp = timestamp;
        header->seq_number = sequence;
        header->type = payloadType;
    }
    packet->mindex = mindex;
}

// On the publisher's loop: queues work once per new payload type seen.
void SfuPlugin::reportPayloadType(MediaSession& session, MediaKind kind, int payloadType) {
    if (session.reportedPayloadType(kind).exchange(payloadType) == payloadType) return;
    Work work;
    work.kind = Work::Kind::PayloadTypeSeen;
    work.sessionId = session.id();
    work.mediaKind = kind;
    work.payloadType = payloadType;
    enqueue(std::move(work));
}

// Per audio packet, on the publisher's loop: allocation-free; only a change
// of verdict (a few times per sentence at most) queues work.
void SfuPlugin::detectSpeaking(MediaSession& session, const janus_plugin_rtp& packet) {
    const int level = packet.extensions.audio_level;
    if (level < 0) return;  // no audio-level extension on this packet
    const SpeakingDetector::Change change = session.speakingDetector().onAudioLevel(level, monotonicNow());
    if (change == SpeakingDetector::Change::None) return;
    Work work;
    work.kind = Work::Kind::SpeakingChanged;
    work.sessionId = session.id();
    work.speaking = change == SpeakingDetector::Change::Started;
    enqueue(std::move(work));
}

// Runs on the subscriber's loop. Reports and NACKs are the core's business;
// keyframe requests (PLI, FIR) on a remote video line go to its publisher,
// rate-limited there. No plugin lock is held when calling the core.
void SfuPlugin::incomingRtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
    if (!handle || g_atomic_int_get(&handle->stopped) || !packet || !packet->video || !packet->buffer) return;
    auto* session = static_cast<MediaSession*>(handle->plugin_handle);
    if (!session || session->closed().load(std::memory_order_acquire)) return;
    if (!janus_rtcp_has_pli(packet->buffer, packet->length) && !janus_rtcp_has_fir(packet->buffer, packet->length)) return;
    if (std::shared_ptr<MediaSession> publisher = session->videoSourceOf(packet->mindex)) requestKeyframe(*publisher);
}

// Never destroyed: Janus may exit without calling destroy (for example when
// no API transport loads), and a static destructor would then meet a live
// handler thread and abort the process.
SfuPlugin& instance() {
    static SfuPlugin* const plugin = new SfuPlugin();
    return *plugin;
}

}  // namespace
}  // namespace gochat::sfu

// ---- C entry points (shim.h). No exception crosses this boundary. ----
using gochat::sfu::instance;

extern "C" int gochat_sfu_init(janus_callbacks* callback, const char* config_path) {
    try {
        return instance().init(callback, config_path) ? 0 : -1;
    } catch (...) {
        return -1;
    }
}
extern "C" void gochat_sfu_destroy(void) {
    try {
        instance().shutdown();
    } catch (...) {
    }
}
extern "C" void gochat_sfu_create_session(janus_plugin_session* handle, int* error) {
    try {
        instance().createSession(handle, error);
    } catch (...) {
        *error = -1;
    }
}
extern "C" janus_plugin_result* gochat_sfu_handle_message(janus_plugin_session* handle, char* transaction, json_t* message, json_t* jsep) {
    try {
        return instance().handleMessage(handle, transaction, message, jsep);
    } catch (...) {
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "internal error", nullptr);
    }
}
extern "C" json_t* gochat_sfu_handle_admin_message(json_t* message) {
    try {
        return instance().handleAdminMessage(message);
    } catch (...) {
        return nullptr;
    }
}
extern "C" void gochat_sfu_setup_media(janus_plugin_session* handle) {
    try {
        instance().setupMedia(handle);
    } catch (...) {
    }
}
extern "C" void gochat_sfu_incoming_rtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
    try {
        instance().incomingRtp(handle, packet);
    } catch (...) {
    }
}
extern "C" void gochat_sfu_incoming_rtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
    try {
        instance().incomingRtcp(handle, packet);
    } catch (...) {
    }
}
extern "C" void gochat_sfu_hangup_media(janus_plugin_session* handle) {
    try {
        instance().hangupMedia(handle);
    } catch (...) {
    }
}
extern "C" void gochat_sfu_destroy_session(janus_plugin_session* handle, int* error) {
    try {
        instance().destroySession(handle, error);
    } catch (...) {
        *error = -1;
    }
}
extern "C" json_t* gochat_sfu_query_session(janus_plugin_session* handle) {
    try {
        return instance().querySession(handle);
    } catch (...) {
        return nullptr;
    }
}
