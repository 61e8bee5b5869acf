#pragma once
#include <cstdint>
#include <string>
#include <string_view>
namespace gochat::auth {
struct TokenClaims {
    int64_t userId = 0;
    int64_t channelId = 0;  // 0 when the token names no channel
    int64_t guildId = 0;    // informational
    int64_t perms = 0;      // permission bitmask
    bool moved = false;
    int64_t expiresAt = 0;  // unix seconds
};
struct TokenPolicy {
    std::string secret;  // HMAC-SHA256 key
    std::string issuer = "gochat";
    int64_t leewaySeconds = 2;
    size_t maxTokenBytes = 8192;  // longer tokens are refused before any parsing
};
enum class TokenError {
    None,
    TooLarge,
    Malformed,
    UnsupportedAlgorithm,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongType,
    WrongAudience,
    MissingClaim,
    WrongClaimType
};
struct TokenResult {
    TokenError error = TokenError::None;
    TokenClaims claims;
    bool ok() const { return error == TokenError::None; }
};
// Verifies a GoChat SFU token (typ "sfu"); a leading "Bearer " (any case)
// is stripped.
TokenResult verifyToken(std::string_view token, const TokenPolicy& policy, int64_t nowUnixSeconds);
// An admin token (docs/operations.md, Closing a channel): the same checks with typ "admin"; no
// user_id is needed, channel_id is an integer when present (absent = 0).
struct AdminTokenResult {
    TokenError error = TokenError::None;
    int64_t channelId = 0;  // 0: the token is not limited to one channel
    int64_t expiresAt = 0;
    bool ok() const { return error == TokenError::None; }
};
AdminTokenResult verifyAdminToken(std::string_view token, const TokenPolicy& policy, int64_t nowUnixSeconds);
// Stable, loggable name of an error (never includes token content).
const char* tokenErrorName(TokenError error);
// Mints a token (HS256) — used by the CLI and by tests.
std::string mintToken(const TokenClaims& claims, const TokenPolicy& policy, int64_t issuedAt, int64_t lifetimeSeconds);
// An admin token as GoChat's API issues it: typ "admin", aud ["sfu"],
// user_id 0, channel_id (0 = any channel), signed with the auth secret.
std::string mintAdminToken(int64_t channelId, const TokenPolicy& policy, int64_t issuedAt, int64_t lifetimeSeconds);
// The webhook token (docs/operations.md, Joining a GoChat deployment): {"typ":"sfu","id":serviceId,"iat"}
// signed with the webhook service's secret; an `exp` only when
// lifetimeSeconds > 0 (GoChat's webhook service does not require one).
std::string mintServiceToken(std::string_view serviceId, const std::string& secret, int64_t issuedAt,
                             int64_t lifetimeSeconds);
}  // namespace gochat::auth
