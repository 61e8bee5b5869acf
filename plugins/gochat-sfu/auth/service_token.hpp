// The token the SFU sends GoChat's webhook service as X-Webhook-Token:
// HS256 with claims {"typ":"sfu","id":"<service_id>"}, signed with the
// webhook service's secret. The SFU never holds that
// secret, so it can only read the token unverified: enough to refuse a
// configuration whose token GoChat would reject on every heartbeat
// (docs/operations.md, Joining a GoChat deployment).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gochat::auth {

struct ServiceTokenView {
    std::string algorithm;  // header "alg"
    std::string type;       // claim "typ" (empty when absent or not a string)
    std::string id;         // claim "id" (empty when absent or not a string)
};

// A compact JWS with a header and a claims object, read without checking
// the signature; nullopt when it is not one (`error` says why, never
// quoting the token).
std::optional<ServiceTokenView> readServiceTokenUnverified(std::string_view token, std::string& error);

}  // namespace gochat::auth
