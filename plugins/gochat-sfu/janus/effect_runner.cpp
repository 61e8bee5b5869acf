#include "plugins/gochat-sfu/janus/effect_runner.hpp"

#include "common/json_ref.hpp"
#include "common/overloaded.hpp"
#include "plugins/gochat-sfu/janus/sdp_codec.hpp"
#include "plugins/gochat-sfu/janus/shim.h"

namespace gochat::sfu {

namespace {

constexpr const char* kLogPrefix = "[gochat.sfu] ";

// {"gochat": name, "t": t, "d": {...}, "close"?: {...}} (docs/plugin-api.md).
JsonRef eventJson(const WireEvent& event) {
    JsonRef data = jsonObjectOf(event.fields);
    JsonRef root = JsonRef::object();
    root.setString("gochat", event.name).setInt("t", event.t).set("d", std::move(data));
    if (event.close) {
        JsonRef close = JsonRef::object();
        close.setInt("code", event.close->code).setString("reason", event.close->reason);
        root.set("close", std::move(close));
    }
    return root;
}

}  // namespace

JsonRef jsonObjectOf(const std::vector<std::pair<std::string, WireValue>>& fields) {
    JsonRef object = JsonRef::object();
    for (const auto& [key, value] : fields) {
        std::visit(Overloaded{
                       [&](int64_t number) { object.setInt(key.c_str(), number); },
                       [&](bool flag) { object.setBool(key.c_str(), flag); },
                       [&](const std::string& text) { object.setString(key.c_str(), text); },
                   },
                   value);
    }
    return object;
}

void EffectRunner::perform(const Effects& effects, SessionId current, const std::string& transaction) {
    for (const Effect& effect : effects) {
        for (const WireEvent& event : wireEventsOf(effect)) push(event, current, transaction);
        run(effect, current, transaction);
        for (RoomEventObserver* observer : observers_) observer->observe(effect);
    }
}

void EffectRunner::push(const WireEvent& event, SessionId current, const std::string& transaction) {
    std::shared_ptr<MediaSession> target = sessions_.byId(event.to);
    if (!target) return;
    JsonRef data = eventJson(event);
    const bool answers = event.answersRequest && event.to == current && !transaction.empty();
    gateway_->push_event(static_cast<janus_plugin_session*>(target->peer()), gochat_sfu_descriptor(),
                         answers ? transaction.c_str() : nullptr, data.get(), nullptr);
}

// Every alternative is named: a new one does not compile until it is
// handled here (events: what clients are told came from wireEventsOf).
void EffectRunner::run(const Effect& effect, SessionId current, const std::string& transaction) {
    std::visit(Overloaded{
                   [](const event::JoinRefused&) {},
                   [](const event::RequestRefused&) {},
                   [](const event::RequestDone&) {},
                   [](const event::ParticipantJoined&) {},
                   [](const event::ParticipantLeft&) {},
                   [](const event::PublicationChanged&) {},
                   [](const event::UserFlagChanged&) {},
                   [](const event::SpeakingChanged&) {},
                   [&](const SendOffer& offer) {
                       if (std::shared_ptr<MediaSession> target = sessions_.byId(offer.to))
                           pushJsep(*target, "offer", 501, writeOffer(offer.plan, target->sdpSessionId(), formats_),
                                    nullptr);
                   },
                   [&](const SendAnswer& reply) {
                       std::shared_ptr<MediaSession> target = sessions_.byId(reply.to);
                       if (!target) return;
                       const char* tx = (reply.to == current && !transaction.empty()) ? transaction.c_str() : nullptr;
                       pushJsep(*target, "answer", 502, writeAnswer(reply, target->sdpSessionId(), formats_), tx);
                   },
                   [&](const SetFanout& change) {
                       std::shared_ptr<MediaSession> publisher = sessions_.byId(change.publisher);
                       if (!publisher) return;
                       media_.installFanout(publisher, change, [this](SessionId id) { return sessions_.byId(id); });
                       if (change.kind == MediaKind::Audio)
                           loudest_.onAudioFanout(change.channel, publisher, !change.targets.empty());
                   },
                   [&](const RequestKeyframe& request) {
                       if (std::shared_ptr<MediaSession> publisher = sessions_.byId(request.publisher))
                           media_.requestKeyframe(*publisher);
                   },
                   [&](const ClosePeer& close) {
                       if (std::shared_ptr<MediaSession> target = sessions_.byId(close.session))
                           gateway_->close_pc(static_cast<janus_plugin_session*>(target->peer()));
                   },
               },
               effect);
}

// An offer or answer: the event names it, the jsep carries the SDP.
void EffectRunner::pushJsep(MediaSession& target, const char* type, int t, const std::string& sdp,
                            const char* transaction) {
    if (sdp.empty()) {
        JANUS_LOG(LOG_ERR, "%ssession %llu: could not write the %s\n", kLogPrefix,
                  static_cast<unsigned long long>(target.id()), type);
        return;
    }
    JsonRef jsep = JsonRef::object();
    jsep.setString("type", type).setString("sdp", sdp);
    WireEvent event;
    event.name = type;
    event.t = t;
    JsonRef data = eventJson(event);
    const int rc = gateway_->push_event(static_cast<janus_plugin_session*>(target.peer()), gochat_sfu_descriptor(),
                                        transaction, data.get(), jsep.get());
    if (rc != 0)
        JANUS_LOG(LOG_VERB, "%ssession %llu: %s not delivered (%d)\n", kLogPrefix,
                  static_cast<unsigned long long>(target.id()), type, rc);
}

}  // namespace gochat::sfu
