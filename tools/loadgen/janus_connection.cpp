#include "tools/loadgen/janus_connection.hpp"

#include <glib.h>

namespace gochat::loadgen {

namespace {
constexpr int64_t kKeepaliveIntervalUs = 20 * 1000000;
}  // namespace

JanusConnection::JanusConnection(Callbacks callbacks)
    : callbacks_(std::move(callbacks)),
      ws_(WsClient::Callbacks{[this] {
                                  request("create", JsonRef::object(), [this](json_t* reply) {
                                      json_t* data = json_object_get(reply, "data");
                                      int64_t id = 0;
                                      if (!data || !jsonGetInt64(data, "id", id) || id == 0) {
                                          if (callbacks_.onClosed)
                                              callbacks_.onClosed("create failed: " + errorOf(reply));
                                          return;
                                      }
                                      session_ = id;
                                      nextKeepaliveUs_ = g_get_monotonic_time() + kKeepaliveIntervalUs;
                                      if (callbacks_.onSession) callbacks_.onSession();
                                  });
                              },
                              [this](std::string_view text) { onText(text); },
                              [this](const std::string& why) {
                                  if (!closing_ && callbacks_.onClosed) callbacks_.onClosed(why);
                              }}) {}

bool JanusConnection::open(const std::string& url, std::string& error) {
    WsUrl parsed;
    if (!parseWsUrl(url, parsed)) {
        error = "bad URL " + url;
        return false;
    }
    return ws_.connect(parsed, error, "janus-protocol");
}

std::string JanusConnection::errorOf(json_t* message) {
    json_t* error = json_object_get(message, "error");
    if (json_is_object(error)) {
        json_t* reason = json_object_get(error, "reason");
        return json_is_string(reason) ? json_string_value(reason) : "error";
    }
    json_t* data = json_object_get(json_object_get(message, "plugindata"), "data");
    json_t* pluginError = json_object_get(data, "error");
    return json_is_string(pluginError) ? json_string_value(pluginError) : "";
}

void JanusConnection::request(const char* verb, JsonRef fields, ReplyHandler handler) {
    const std::string transaction = "t" + std::to_string(nextTransaction_++);
    fields.setString("janus", verb).setString("transaction", transaction);
    if (session_ != 0) fields.setInt("session_id", session_);
    if (handler) pending_[transaction] = std::move(handler);
    ws_.sendText(fields.dump());
}

void JanusConnection::attach(const std::string& plugin,
                             std::function<void(int64_t handle, const std::string& error)> done) {
    JsonRef fields = JsonRef::object();
    fields.setString("plugin", plugin);
    request("attach", std::move(fields), [done = std::move(done)](json_t* reply) {
        int64_t id = 0;
        json_t* data = json_object_get(reply, "data");
        if (data && jsonGetInt64(data, "id", id) && id != 0)
            done(id, {});
        else
            done(0, "attach failed: " + errorOf(reply));
    });
}

void JanusConnection::message(int64_t handle, JsonRef body, JsonRef jsep, ReplyHandler onReply) {
    JsonRef fields = JsonRef::object();
    fields.setInt("handle_id", handle).set("body", std::move(body));
    if (jsep) fields.set("jsep", std::move(jsep));
    request("message", std::move(fields), std::move(onReply));
}

void JanusConnection::trickle(int64_t handle, const std::string& candidate) {
    JsonRef entry = JsonRef::object();
    entry.setString("candidate", candidate).setString("sdpMid", "0").setInt("sdpMLineIndex", 0);
    JsonRef fields = JsonRef::object();
    fields.setInt("handle_id", handle).set("candidate", std::move(entry));
    request("trickle", std::move(fields), {});
}

void JanusConnection::trickleDone(int64_t handle) {
    JsonRef entry = JsonRef::object();
    entry.setBool("completed", true);
    JsonRef fields = JsonRef::object();
    fields.setInt("handle_id", handle).set("candidate", std::move(entry));
    request("trickle", std::move(fields), {});
}

void JanusConnection::tick(int64_t nowUs) {
    if (session_ == 0 || closing_ || nowUs < nextKeepaliveUs_) return;
    nextKeepaliveUs_ = nowUs + kKeepaliveIntervalUs;
    request("keepalive", JsonRef::object(), {});
}

void JanusConnection::close() {
    if (closing_) return;
    closing_ = true;
    if (session_ != 0) request("destroy", JsonRef::object(), {});
    ws_.close();
    pending_.clear();
}

void JanusConnection::onText(std::string_view text) {
    JsonRef message = JsonRef::parse(text, 0);
    if (!message || !json_is_object(message.get())) return;
    json_t* kind = json_object_get(message.get(), "janus");
    const std::string verb = json_is_string(kind) ? json_string_value(kind) : "";
    json_t* transaction = json_object_get(message.get(), "transaction");
    if (verb == "success" || verb == "error" || verb == "ack") {
        if (!json_is_string(transaction)) return;
        const auto found = pending_.find(json_string_value(transaction));
        if (found == pending_.end()) return;
        ReplyHandler handler = std::move(found->second);
        pending_.erase(found);
        if (handler) handler(message.get());
        return;
    }
    int64_t sender = 0;
    if (jsonGetInt64(message.get(), "sender", sender) && callbacks_.onHandleMessage)
        callbacks_.onHandleMessage(sender, message.get());
}

}  // namespace gochat::loadgen
