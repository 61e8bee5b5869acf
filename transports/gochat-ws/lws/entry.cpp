// The transport's C ABI (gochat_ws_entry.h): configuration, lifecycle, and
// the Janus -> socket path. Every function is noexcept and catches
// everything, so no exception reaches Janus.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "common/jcfg/jcfg_file.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"
#include "transports/gochat-ws/lws/janus_api.hpp"
#include "transports/gochat-ws/lws/gochat_ws_entry.h"
#include "transports/gochat-ws/lws/ws_server.hpp"

namespace {

constexpr const char* kPackage = "janus.transport.gochat.ws";
constexpr const char* kName = "GoChat WebSocket transport";
constexpr const char* kDescription =
    "Translates GoChat's {op,t,d} WebSocket signaling to the janus.plugin.gochat.sfu API";
constexpr int kVersion = 1;
constexpr const char* kVersionString = "0.1.0";

std::unique_ptr<gochat::ws::WsServer> server;  // main thread only (init/destroy)
std::atomic<bool> janusApiEnabled{false};

// Reads <config_path>/janus.transport.gochat.ws.jcfg. A missing file means
// defaults (loopback only); a bad value or a broken file fails init so a
// typo is not silently replaced by a default.
bool loadSettings(const char* configPath, gochat::ws::TransportSettings& settings) {
    const std::string path = std::string(configPath ? configPath : ".") + "/" + kPackage + ".jcfg";
    std::string error;
    bool missing = false;
    const std::optional<gochat::jcfg::JcfgFile> file = gochat::jcfg::JcfgFile::read(path, error, &missing);
    if (!file && missing) {
        JANUS_LOG(LOG_WARN, "[gochat.ws] no %s, using defaults\n", path.c_str());
        return true;
    }
    if (!file) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] %s\n", error.c_str());
        return false;
    }
    bool valid = true;
    for (const std::string& name : file->namesIn("general")) {
        const std::string value = file->find("general." + name)->text;
        bool unknownKey = false;
        auto refusal = gochat::ws::applySetting(settings, name, value, unknownKey);
        if (unknownKey) {
            JANUS_LOG(LOG_WARN, "[gochat.ws] ignoring unknown setting '%s'\n", name.c_str());
        } else if (refusal) {
            // A refused passphrase is still a passphrase: name the key only.
            const char* shown = gochat::ws::settingIsSecret(name) ? "(hidden)" : value.c_str();
            JANUS_LOG(LOG_ERR, "[gochat.ws] %s: %s (got '%s')\n", path.c_str(), refusal->c_str(), shown);
            valid = false;
        }
    }
    if (valid) {
        if (auto refusal = gochat::ws::validateSettings(settings)) {
            JANUS_LOG(LOG_ERR, "[gochat.ws] %s: %s\n", path.c_str(), refusal->c_str());
            valid = false;
        }
    }
    return valid;
}

// A socket's Connection or an HTTP request's call (inbox.hpp).
gochat::ws::Inbox* connectionOf(janus_transport_session* transport) {
    // transport_p is set before the first request and only freed with the
    // transport session itself, so it can be read without ts->mutex.
    if (!transport || g_atomic_int_get(&transport->destroyed)) return nullptr;
    auto* box = static_cast<gochat::ws::ConnectionBox*>(transport->transport_p);
    return box ? box->inbox.get() : nullptr;
}

void deliver(janus_transport_session* transport, gochat::ws::InboxItem item) {
    gochat::ws::Inbox* connection = connectionOf(transport);
    if (connection && connection->deliver(std::move(item))) gochat::ws::WsServer::wake();
}

}  // namespace

extern "C" {

int gochat_ws_init(janus_transport* self, janus_transport_callbacks* callback, const char* config_path) noexcept {
    try {
        if (!self || !callback) return -1;
        gochat::ws::TransportSettings settings;
        if (!loadSettings(config_path, settings)) return -1;
        if (!settings.enabled) {
            // Like Janus's own transports: disabled is not an error.
            JANUS_LOG(LOG_WARN, "[gochat.ws] disabled in the configuration\n");
            return 0;
        }
        server = std::make_unique<gochat::ws::WsServer>(settings, self, callback);
        if (!server->start()) {
            server.reset();
            return -1;
        }
        janusApiEnabled = true;
        JANUS_LOG(LOG_INFO, "%s started\n", kName);
        return 0;
    } catch (...) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] init failed\n");
        server.reset();
        return -1;
    }
}

void gochat_ws_destroy(void) noexcept {
    try {
        janusApiEnabled = false;
        if (server) server->stop();
        server.reset();
        JANUS_LOG(LOG_INFO, "%s destroyed\n", kName);
    } catch (...) {
        JANUS_LOG(LOG_ERR, "[gochat.ws] error while stopping\n");
    }
}

int gochat_ws_get_api_compatibility(void) noexcept { return JANUS_TRANSPORT_API_VERSION; }
int gochat_ws_get_version(void) noexcept { return kVersion; }
const char* gochat_ws_get_version_string(void) noexcept { return kVersionString; }
const char* gochat_ws_get_description(void) noexcept { return kDescription; }
const char* gochat_ws_get_name(void) noexcept { return kName; }
const char* gochat_ws_get_author(void) noexcept { return "GoChat"; }
const char* gochat_ws_get_package(void) noexcept { return kPackage; }
gboolean gochat_ws_is_janus_api_enabled(void) noexcept { return janusApiEnabled ? TRUE : FALSE; }
gboolean gochat_ws_is_admin_api_enabled(void) noexcept { return FALSE; }

int gochat_ws_send_message(janus_transport_session* transport, void* request_id, gboolean admin,
                           json_t* message) noexcept {
    (void)request_id;  // always NULL: replies are matched by transaction
    (void)admin;
    try {
        // Ownership of `message` passes to us whatever happens next.
        gochat::JsonRef owned = gochat::JsonRef::adopt(message);
        gochat::ws::Inbox* connection = connectionOf(transport);
        if (!connection || !owned) return -1;
        gochat::ws::InboxItem item;
        item.kind = gochat::ws::InboxItem::Kind::JanusMessage;
        item.message = std::move(owned);
        if (!connection->deliver(std::move(item))) return -1;
        gochat::ws::WsServer::wake();
        return 0;
    } catch (...) {
        return -1;
    }
}

void gochat_ws_session_created(janus_transport_session* transport, guint64 session_id) noexcept {
    try {
        gochat::ws::InboxItem item;
        item.kind = gochat::ws::InboxItem::Kind::SessionCreated;
        item.sessionId = session_id;
        gochat::ws::Inbox* connection = connectionOf(transport);
        if (connection && connection->deliver(std::move(item))) {
            gochat::ws::WsServer::wake();
        } else if (server) {
            // The socket closed while the create was queued (transport_gone
            // came first and found no session): nobody will use this one.
            server->destroyOrphanSession(transport, session_id);
        }
    } catch (...) {}
}

void gochat_ws_session_over(janus_transport_session* transport, guint64 session_id, gboolean timeout,
                            gboolean claimed) noexcept {
    try {
        gochat::ws::InboxItem item;
        item.kind = gochat::ws::InboxItem::Kind::SessionOver;
        item.sessionId = session_id;
        item.timeout = timeout;
        item.claimed = claimed;
        deliver(transport, std::move(item));
    } catch (...) {}
}

void gochat_ws_session_claimed(janus_transport_session* transport, guint64 session_id) noexcept {
    try {
        gochat::ws::InboxItem item;
        item.kind = gochat::ws::InboxItem::Kind::SessionClaimed;
        item.sessionId = session_id;
        deliver(transport, std::move(item));
    } catch (...) {}
}

}  // extern "C"
