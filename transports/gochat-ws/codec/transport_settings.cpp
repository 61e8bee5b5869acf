#include "transports/gochat-ws/codec/transport_settings.hpp"

#include "common/jcfg/jcfg_file.hpp"

#include <string>

// Set by transports/gochat-ws/Makefile.inc from automake's $(datadir); the
// fallback only keeps a hand-compiled file buildable.
#ifndef GOCHAT_WS_WEB_ROOT
#define GOCHAT_WS_WEB_ROOT "/usr/local/share/gochat-sfu/demo"
#endif

namespace gochat::ws {

const char* const kDefaultWebRoot = GOCHAT_WS_WEB_ROOT;

namespace {

constexpr size_t kMaxKeyPasswordBytes = 1023;

// An absolute path, or "" for "not set" (the sample's `tls_cert = ""`).
// Absolute because Janus's working directory is nothing an operator sets.
bool isAbsolutePathOrUnset(std::string_view value) { return value.empty() || value.front() == '/'; }

std::optional<int64_t> parseRange(std::string_view text, int64_t min, int64_t max) {
    auto value = jcfg::parseDecimal(text);
    if (!value || *value < min || *value > max) return std::nullopt;
    return value;
}

}  // namespace

std::optional<std::string> applySetting(TransportSettings& settings, std::string_view key, std::string_view value,
                                        bool& unknownKey) {
    unknownKey = false;
    if (key == "enabled") {
        auto flag = jcfg::parseBoolean(value);
        if (!flag) return "enabled must be true or false";
        settings.enabled = *flag;
    } else if (key == "ip") {
        if (value.empty()) return "ip must not be empty";
        settings.ip = std::string(value);
    } else if (key == "port") {
        auto port = parseRange(value, 1, 65535);
        if (!port) return "port must be 1..65535";
        settings.port = static_cast<int>(*port);
    } else if (key == "path") {
        if (value.empty() || value.front() != '/') return "path must start with '/'";
        settings.path = std::string(value);
    } else if (key == "join_timeout") {
        // At least 100 ms: a zero timeout would refuse every client.
        auto ms = parseRange(value, 100, 3600000);
        if (!ms) return "join_timeout must be 100..3600000 ms";
        settings.joinTimeoutMs = *ms;
    } else if (key == "max_message_size") {
        // An SDP offer with many remote tracks runs to tens of KiB: refuse
        // limits too small to carry one.
        auto bytes = parseRange(value, 4096, 64 * 1024 * 1024);
        if (!bytes) return "max_message_size must be 4096..67108864 bytes";
        settings.maxMessageSize = static_cast<size_t>(*bytes);
    } else if (key == "keepalive_interval") {
        auto ms = parseRange(value, 0, 3600000);
        if (!ms || (*ms != 0 && *ms < 100)) return "keepalive_interval must be 0 or 100..3600000 ms";
        settings.keepaliveIntervalMs = *ms;
    } else if (key == "plugin") {
        if (value.empty()) return "plugin must not be empty";
        settings.plugin = std::string(value);
    } else if (key == "web_enabled") {
        auto flag = jcfg::parseBoolean(value);
        if (!flag) return "web_enabled must be true or false";
        settings.webEnabled = *flag;
    } else if (key == "web_root") {
        // Absolute: Janus's working directory is nothing an operator sets.
        if (value.empty() || value.front() != '/') return "web_root must be an absolute path";
        settings.webRoot = std::string(value);
        // "/srv/demo/" and "/srv/demo" name the same root.
        while (settings.webRoot.size() > 1 && settings.webRoot.back() == '/') settings.webRoot.pop_back();
    } else if (key == "tls") {
        auto flag = jcfg::parseBoolean(value);
        if (!flag) return "tls must be true or false";
        settings.tls = *flag;
    } else if (key == "tls_cert") {
        if (!isAbsolutePathOrUnset(value)) return "tls_cert must be an absolute path";
        settings.tlsCert = std::string(value);
    } else if (key == "tls_key") {
        if (!isAbsolutePathOrUnset(value)) return "tls_key must be an absolute path";
        settings.tlsKey = std::string(value);
    } else if (key == "tls_key_password") {
        // Any text; "" means the key is not encrypted. lws hands OpenSSL
        // at most 1023 bytes of it (PEM_BUFSIZE - 1, its passphrase
        // callback in lib/tls/openssl/openssl-ssl.c): refuse what it would
        // cut rather than fail later with a wrong passphrase.
        if (value.size() > kMaxKeyPasswordBytes) return "tls_key_password must be at most 1023 bytes";
        settings.tlsKeyPassword = std::string(value);
    } else if (key == "metrics_enabled") {
        auto flag = jcfg::parseBoolean(value);
        if (!flag) return "metrics_enabled must be true or false";
        settings.metricsEnabled = *flag;
    } else if (key == "http_timeout") {
        auto ms = parseRange(value, 100, 60000);
        if (!ms) return "http_timeout must be 100..60000 ms";
        settings.httpTimeoutMs = *ms;
    } else if (key == "tls_ciphers") {
        // OpenSSL judges the list when the listener starts.
        settings.tlsCiphers = std::string(value);
    } else {
        unknownKey = true;
    }
    return std::nullopt;
}

std::optional<std::string> validateSettings(const TransportSettings& settings) {
    if (!settings.tls) return std::nullopt;
    if (settings.tlsCert.empty()) return "tls = true needs tls_cert (the PEM certificate chain)";
    if (settings.tlsKey.empty()) return "tls = true needs tls_key (the PEM private key)";
    return std::nullopt;
}

bool settingIsSecret(std::string_view key) { return key == "tls_key_password"; }

}  // namespace gochat::ws
