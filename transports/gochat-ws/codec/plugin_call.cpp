#include "transports/gochat-ws/codec/plugin_call.hpp"

#include <utility>

namespace gochat::ws {

namespace {

// The plugin's event data (plugindata.data) when it is one of its events.
const json_t* pluginData(const json_t* message) {
    const json_t* data = json_object_get(json_object_get(message, "plugindata"), "data");
    return data && json_is_object(data) && json_object_get(data, "gochat") ? data : nullptr;
}

}  // namespace

PluginCall::PluginCall(uint64_t callId, std::string plugin, JsonRef body)
    : id_(callId), plugin_(std::move(plugin)), body_(std::move(body)) {}

std::string PluginCall::transaction(const char* step) const { return "gcws-http-" + std::to_string(id_) + "-" + step; }

PluginCall::Step PluginCall::start() {
    Step step;
    step.toJanus.push_back(buildCreateRequest(transaction("create")));
    return step;
}

PluginCall::Step PluginCall::onJanus(const json_t* message) {
    Step step;
    std::string janus, tx;
    if (!message || !jsonGetString(message, "janus", janus)) return step;
    jsonGetString(message, "transaction", tx);
    if (phase_ == Phase::Done) return step;
    if (phase_ == Phase::Destroying) {
        if (tx == transaction("destroy")) phase_ = Phase::Done;
        return step;
    }
    if (janus == "success") {
        onSuccess(message, step);
    } else if (janus == "event" && tx == transaction("message") && phase_ == Phase::Asking) {
        if (const json_t* data = pluginData(message)) {
            answer_ = JsonRef::share(const_cast<json_t*>(data));
            settle(Outcome::Answered, step);
        }
    } else if (janus == "error") {
        const json_t* error = json_object_get(message, "error");
        int64_t code = 0;
        std::string reason;
        jsonGetInt64(error, "code", code);
        jsonGetString(error, "reason", reason);
        step.log.push_back(
            {LogLevel::Warn, "HTTP request refused by Janus: error " + std::to_string(code) + " (" + reason + ")"});
        settle(Outcome::Unavailable, step);
    } else if (janus == "timeout" || janus == "detached") {
        settle(Outcome::Unavailable, step);
    }
    // ack: the plugin queued the request; its event follows.
    return step;
}

void PluginCall::onSuccess(const json_t* message, Step& step) {
    std::string tx;
    jsonGetString(message, "transaction", tx);
    int64_t id = 0;
    jsonGetInt64(json_object_get(message, "data"), "id", id);
    if (phase_ == Phase::Creating && tx == transaction("create")) {
        if (id <= 0) return settle(Outcome::Unavailable, step);
        sessionId_ = static_cast<uint64_t>(id);
        phase_ = Phase::Attaching;
        step.toJanus.push_back(buildAttachRequest(transaction("attach"), sessionId_, plugin_));
    } else if (phase_ == Phase::Attaching && tx == transaction("attach")) {
        if (id <= 0) return settle(Outcome::Unavailable, step);
        handleId_ = static_cast<uint64_t>(id);
        phase_ = Phase::Asking;
        step.toJanus.push_back(
            buildMessageRequest(transaction("message"), sessionId_, handleId_, std::move(body_), JsonRef()));
    } else if (phase_ == Phase::Asking && tx == transaction("message")) {
        // A plugin that answers at once (the metrics request) puts its
        // event in the success reply.
        const json_t* data = pluginData(message);
        if (!data) return settle(Outcome::Unavailable, step);
        answer_ = JsonRef::share(const_cast<json_t*>(data));
        settle(Outcome::Answered, step);
    }
}

PluginCall::Step PluginCall::onSessionOver(uint64_t sessionId) {
    Step step;
    if (sessionId != sessionId_ || phase_ == Phase::Done) return step;
    sessionId_ = 0;  // nothing left to destroy
    settle(Outcome::Unavailable, step);
    phase_ = Phase::Done;
    return step;
}

PluginCall::Step PluginCall::onTimeout() {
    Step step;
    if (phase_ == Phase::Destroying) {
        step.log.push_back({LogLevel::Verbose, "no answer to the HTTP request's destroy"});
        phase_ = Phase::Done;
        return step;
    }
    if (outcome_ == Outcome::Pending) {
        step.log.push_back({LogLevel::Warn, "the plugin did not answer an HTTP request in time"});
        settle(Outcome::TimedOut, step);
    }
    return step;
}

// Decided: the answer (or its absence) is final, and the session goes.
void PluginCall::settle(Outcome outcome, Step& step) {
    if (outcome_ != Outcome::Pending) return;
    outcome_ = outcome;
    step.settled = true;
    if (sessionId_ == 0) {
        phase_ = Phase::Done;
        return;
    }
    phase_ = Phase::Destroying;
    step.toJanus.push_back(buildDestroyRequest(transaction("destroy"), sessionId_));
}

}  // namespace gochat::ws
