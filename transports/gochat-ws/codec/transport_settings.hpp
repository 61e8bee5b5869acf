// Settings of the GoChat WebSocket transport, as read from
// janus.transport.gochat.ws.jcfg. Pure: the lws glue reads the file with
// Janus's parser and feeds each key/value here, so validation is testable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gochat::ws {

// $(datadir)/gochat-sfu/demo of the build, substituted by the Makefile.
extern const char* const kDefaultWebRoot;

struct TransportSettings {
    bool enabled = true;
    std::string ip = "127.0.0.1";
    int port = 3300;
    std::string path = "/signal";
    int64_t joinTimeoutMs = 5000;
    size_t maxMessageSize = 262144;
    // 0 disables keepalives (only sane when Janus's session_timeout is 0).
    int64_t keepaliveIntervalMs = 5000;
    // The media plugin every socket attaches to. Changing it is for tests.
    std::string plugin = "janus.plugin.gochat.sfu";
    // The demo web client served over plain HTTP on the same port
    // (docs/demo.md). web_root is where its files are; the default is the
    // directory `make install` puts them in.
    bool webEnabled = true;
    std::string webRoot = kDefaultWebRoot;
    // TLS on the listener (docs/operations.md, "TLS"): with `tls` the port
    // serves wss:// and https:// only. Paths are absolute PEM files; the
    // key may be the certificate file itself when that holds both.
    bool tls = false;
    std::string tlsCert;
    std::string tlsKey;
    // Passphrase of an encrypted tlsKey; "" = the key is not encrypted.
    // A secret: never logged (settingIsSecret).
    std::string tlsKeyPassword;
    // OpenSSL cipher list for TLS 1.2 and lower; "" = OpenSSL's default.
    std::string tlsCiphers;
    // GET /metrics on the same port (docs/operations.md, Metrics); false answers 404.
    bool metricsEnabled = true;
    // How long POST /admin/channel/close and GET /metrics wait for the
    // plugin's answer before answering 504.
    int64_t httpTimeoutMs = 5000;
};

// Applies one `general` key. Returns an error text for a bad value, nullopt
// when accepted. Unknown keys are reported through `unknownKey`.
std::optional<std::string> applySetting(TransportSettings& settings, std::string_view key, std::string_view value,
                                        bool& unknownKey);

// Checks the keys that only make sense together, once every key was
// applied (tls needs tls_cert and tls_key). Returns an error text or
// nullopt. Whether the files exist and hold a usable certificate and key is
// checked when the listener starts (transports/gochat-ws/tls/).
std::optional<std::string> validateSettings(const TransportSettings& settings);

// True for keys whose value must never reach a log line, even a refused one.
bool settingIsSecret(std::string_view key);

}  // namespace gochat::ws
