#include "plugins/gochat-sfu/janus/admin_service.hpp"

#include "common/overloaded.hpp"
#include "plugins/gochat-sfu/janus/janus_api.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace gochat::sfu {

namespace {

constexpr const char* kLogPrefix = "[gochat.sfu] ";

// One action on its way through the handler thread. The pool thread gives
// up on it after AdminService::kActionWait: still queued, it is then never
// carried out (the answer says so); already running, it completes.
struct PendingAction {
    enum class State { Queued, Running, Done, Abandoned };
    std::mutex mutex;  // NOTE: leaf lock: this struct only
    std::condition_variable done;
    State state = State::Queued;
    JsonRef answer;
};

size_t leaversOf(const Effects& effects) {
    size_t removed = 0;
    for (const Effect& effect : effects) removed += std::holds_alternative<event::ParticipantLeft>(effect) ? 1 : 0;
    return removed;
}

bool isOk(const JsonRef& answer) { return json_is_true(json_object_get(answer.get(), "ok")); }

}  // namespace

JsonRef AdminService::handle(const json_t* request) {
    DecodedAdminRequest decoded = decodeAdminRequest(request);
    if (const AdminError* error = std::get_if<AdminError>(&decoded)) return adminErrorAnswer(*error);
    const AdminRequest& admin = std::get<AdminRequest>(decoded);
    if (isAdminAction(admin)) return runOnHandler(admin);
    return std::visit(Overloaded{
                          [&](const admin::Status&) { return status(); },
                          [&](const admin::ListRooms&) { return listRooms(); },
                          [&](const admin::ListParticipants& r) { return listParticipants(r.channel); },
                          [&](const auto&) {
                              return adminErrorAnswer(AdminError{500, "not a read"});
                          },
                      },
                      admin);
}

JsonRef AdminService::status() {
    JsonRef answer = adminOkAnswer();
    answer.setInt("rooms", static_cast<int64_t>(registry_.roomCount()))
        .setInt("participants", static_cast<int64_t>(registry_.participantCount()))
        .setInt("sessions", static_cast<int64_t>(sessions_.size()))
        .setBool("draining", registry_.draining())
        .setString("heartbeat", !webhook_                     ? "off"
                                : webhook_->heartbeatPaused() ? "paused"
                                                              : "on");
    return answer;
}

JsonRef AdminService::listRooms() {
    const AdminClock now = clock();
    JsonRef rooms = JsonRef::array();
    for (const RoomInfo& room : registry_.rooms()) json_array_append_new(rooms.get(), roomJson(room, now).release());
    JsonRef answer = adminOkAnswer();
    answer.set("rooms", std::move(rooms));
    return answer;
}

JsonRef AdminService::listParticipants(ChannelId channel) {
    std::optional<std::vector<ParticipantInfo>> listed = registry_.participantsOf(channel);
    if (!listed) return adminErrorAnswer(adminErrorOf(OperatorError::UnknownChannel, channel, 0));
    const AdminClock now = clock();
    JsonRef participants = JsonRef::array();
    for (const ParticipantInfo& participant : *listed) {
        JsonRef entry = JsonRef::object();
        writeParticipant(entry, participant, trafficOf(participant.session), now);
        json_array_append_new(participants.get(), entry.release());
    }
    JsonRef answer = adminOkAnswer();
    answer.setInt("channel", channel)
        .set("participants", std::move(participants))
        .set("blocked", idArray(registry_.blockedIn(channel)));
    return answer;
}

void AdminService::describeSession(JsonRef& into, SessionId session) {
    if (std::optional<ParticipantInfo> participant = registry_.participantInfo(session))
        writeParticipant(into, *participant, trafficOf(session), clock());
}

JsonRef AdminService::runOnHandler(const AdminRequest& action) {
    auto pending = std::make_shared<PendingAction>();
    Work work;
    work.kind = Work::Kind::Task;
    work.task = [this, pending, action] {
        {
            std::lock_guard<std::mutex> lock(pending->mutex);
            if (pending->state == PendingAction::State::Abandoned) return;
            pending->state = PendingAction::State::Running;
        }
        JsonRef answer = perform(action);
        {
            std::lock_guard<std::mutex> lock(pending->mutex);
            pending->answer = std::move(answer);
            pending->state = PendingAction::State::Done;
        }
        pending->done.notify_all();
    };
    if (!loop_.enqueue(std::move(work)))
        return adminErrorAnswer(AdminError{503, "busy: the SFU's request queue is full; not carried out"});
    std::unique_lock<std::mutex> lock(pending->mutex);
    if (pending->done.wait_for(lock, kActionWait, [&] { return pending->state == PendingAction::State::Done; }))
        return std::move(pending->answer);
    const std::string name = adminRequestName(action);
    if (pending->state == PendingAction::State::Queued) {
        pending->state = PendingAction::State::Abandoned;
        return adminErrorAnswer(
            AdminError{504, name + " not carried out: the SFU's handler thread did not get to it in time"});
    }
    return adminErrorAnswer(
        AdminError{504, name + " is being carried out but its notifications are slow; check with list_participants"});
}

// ---- handler thread

JsonRef AdminService::perform(const AdminRequest& action) {
    const Millis now = HandlerLoop::now();
    return std::visit(
        Overloaded{
            [&](const admin::Mute& r) {
                JsonRef answer = carryOut(registry_.operatorServerMute(r.channel, r.user, r.muted, now), r.channel,
                                          r.user, r.muted ? "server mute" : "server unmute");
                if (isOk(answer)) answer.setBool("muted", r.muted);
                return answer;
            },
            [&](const admin::Deafen& r) {
                JsonRef answer = carryOut(registry_.operatorServerDeafen(r.channel, r.user, r.deafened, now), r.channel,
                                          r.user, r.deafened ? "server deafen" : "server undeafen");
                if (isOk(answer)) answer.setBool("deafened", r.deafened);
                return answer;
            },
            [&](const admin::Kick& r) {
                return carryOut(registry_.operatorKick(r.channel, r.user, now), r.channel, r.user, "kick");
            },
            [&](const admin::Block& r) {
                JsonRef answer = carryOut(registry_.operatorBlock(r.channel, r.user, r.block, now), r.channel, r.user,
                                          r.block ? "block" : "unblock");
                if (isOk(answer)) answer.setBool("blocked", r.block);
                return answer;
            },
            [&](const admin::CloseChannel& r) {
                const OperatorResult result = registry_.operatorCloseChannel(r.channel, now);
                const size_t removed = leaversOf(result.effects);
                JsonRef answer = carryOut(result, r.channel, 0, "close");
                if (isOk(answer)) answer.setInt("removed", static_cast<int64_t>(removed));
                return answer;
            },
            [&](const admin::Drain& r) { return drain(r.draining); },
            [&](const auto&) {
                return adminErrorAnswer(AdminError{500, "not an action"});
            },
        },
        action);
}

// Refused: nothing happened. Otherwise the effects run exactly as a
// moderator's request's would, with nobody to answer on a socket.
JsonRef AdminService::carryOut(const OperatorResult& result, ChannelId channel, UserId user, const std::string& what) {
    if (result.error != OperatorError::None) {
        const AdminError error = adminErrorOf(result.error, channel, user);
        JANUS_LOG(LOG_INFO, "%sadmin API: %s refused: %s\n", kLogPrefix, what.c_str(), error.reason.c_str());
        return adminErrorAnswer(error);
    }
    effects_.perform(result.effects, 0, {});
    if (user != 0)
        JANUS_LOG(LOG_INFO, "%sadmin API: %s of user %lld in channel %lld\n", kLogPrefix, what.c_str(),
                  static_cast<long long>(user), static_cast<long long>(channel));
    else
        JANUS_LOG(LOG_INFO, "%sadmin API: %s of channel %lld (%zu participant(s) removed)\n", kLogPrefix, what.c_str(),
                  static_cast<long long>(channel), leaversOf(result.effects));
    JsonRef answer = adminOkAnswer();
    answer.setInt("channel", channel);
    if (user != 0) answer.setInt("user", user);
    return answer;
}

// Draining (docs/operations.md, Rolling upgrades): joins refused, GoChat's
// discovery left by stopping the heartbeat; calls in progress go on.
JsonRef AdminService::drain(bool draining) {
    registry_.setDraining(draining);
    if (webhook_) {
        if (draining)
            webhook_->pauseHeartbeat();
        else
            webhook_->resumeHeartbeat();
    }
    const size_t participants = registry_.participantCount();
    JANUS_LOG(LOG_INFO, "%sadmin API: %s (%zu participant(s) in %zu room(s))\n", kLogPrefix,
              draining ? "draining: new joins are refused, calls in progress go on" : "undrained: joins accepted",
              participants, registry_.roomCount());
    JsonRef answer = adminOkAnswer();
    answer.setBool("draining", draining)
        .setInt("rooms", static_cast<int64_t>(registry_.roomCount()))
        .setInt("participants", static_cast<int64_t>(participants));
    return answer;
}

AdminClock AdminService::clock() const {
    AdminClock clock;
    clock.monotonicNow = HandlerLoop::now();
    clock.unixNowMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return clock;
}

AdminTraffic AdminService::trafficOf(SessionId session) {
    AdminTraffic traffic;
    if (std::shared_ptr<MediaSession> media = sessions_.byId(session)) {
        traffic.bytesIn = media->bytesIn();
        traffic.bytesOut = media->bytesOut();
    }
    return traffic;
}

}  // namespace gochat::sfu
