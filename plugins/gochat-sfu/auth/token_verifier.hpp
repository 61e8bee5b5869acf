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
// Verifies a GoChat SFU token; a leading "Bearer " (any case) is stripped.
TokenResult verifyToken(std::string_view token, const TokenPolicy& policy, int64_t nowUnixSeconds);
// Stable, loggable name of an error (never includes token content).
const char* tokenErrorName(TokenError error);
// Mints a token (HS256) — used by the CLI and by tests.
std::string mintToken(const TokenClaims& claims, const TokenPolicy& policy, int64_t issuedAt, int64_t lifetimeSeconds);
}  // namespace gochat::auth
