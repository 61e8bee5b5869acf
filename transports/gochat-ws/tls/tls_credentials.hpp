// The TLS certificate and key of the transport's listener, checked before
// libwebsockets sees them (docs/operations.md, "TLS").
//
// lws loads the same files itself when it creates the context, but its
// failures are one generic "cannot create context" for us, and an encrypted
// key without a passphrase makes OpenSSL ask for one on the terminal
// (lws binds no passphrase callback when ssl_private_key_password is NULL).
// Loading them here first, the way lws does (PEM chain, PEM key, key matches
// certificate, cipher list), refuses a bad configuration with a message that
// names the file and the problem, and never prompts.
//
// Includes neither libwebsockets nor Janus: OpenSSL only, so it is unit
// tested (tests/unit/test_transport_tls.cpp).
#pragma once

#include <optional>
#include <string>

#include "transports/gochat-ws/codec/transport_settings.hpp"

namespace gochat::ws {

// What start-up logs about the certificate it will serve. Nothing secret.
struct CertificateSummary {
    std::string subject;   // RFC 2253, e.g. "CN=sfu.example.org"
    std::string notAfter;  // e.g. "Jun  1 12:00:00 2031 GMT"
    bool expired = false;
    bool notYetValid = false;
};

struct TlsCheck {
    // Why the listener must not start; nullopt when lws may load the files.
    std::optional<std::string> error;
    // Filled when error is nullopt.
    CertificateSummary certificate;
};

// Loads settings.tlsCert (a PEM chain, leaf first), settings.tlsKey (PEM,
// decrypted with settings.tlsKeyPassword when encrypted) and
// settings.tlsCiphers into a throw-away OpenSSL context. Error texts name
// the setting and the path, never the passphrase. An expired certificate is
// not an error (the summary says so): lws would serve it, and refusing to
// start over a renewal that came a day late would take calls down with it.
TlsCheck checkTlsCredentials(const TransportSettings& settings);

}  // namespace gochat::ws
