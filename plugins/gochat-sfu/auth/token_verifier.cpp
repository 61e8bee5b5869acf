// GoChat SFU token verification (docs/protocol.md). See docs/tokens.md for
// the rules, the order of the checks and the libjwt 1.10 traps handled here.
//
// Division of labour: this file does every structural and semantic check
// itself, on bytes it decoded itself, and asks libjwt only one question:
// "is this HMAC-SHA256 signature right for this key?". libjwt 1.10's own
// policy is too permissive to rely on: jwt_decode() honours whatever `alg`
// the header names (HS384/HS512 pass with our secret), never looks at `exp`
// or `nbf`, and decodes base64 leniently.
#include "plugins/gochat-sfu/auth/token_verifier.hpp"

#include <jwt.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>

#include "common/c_holders.hpp"
#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/auth/base64url.hpp"

namespace gochat::auth {
namespace {

// libjwt 1.10 copies every segment into an alloca() buffer sized from the
// token, so a caller-configured maxTokenBytes must never reach the stack
// unbounded: this cap applies whatever the policy says.
constexpr size_t kHardMaxTokenBytes = 64 * 1024;

constexpr std::string_view kBearerPrefix = "bearer ";
constexpr std::string_view kAlgorithm = "HS256";
constexpr std::string_view kTokenType = "sfu";
constexpr std::string_view kAdminTokenType = "admin";
constexpr std::string_view kAudience = "sfu";

using JwtPtr = Owned<jwt_t, jwt_free>;
using MallocString = Owned<char, std::free>;

// ASCII-only case folding: the prefix is ASCII and the locale must not matter.
char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreAsciiCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (asciiLower(a[i]) != asciiLower(b[i])) return false;
    }
    return true;
}

std::string_view stripBearer(std::string_view token) {
    if (token.size() >= kBearerPrefix.size() &&
        equalsIgnoreAsciiCase(token.substr(0, kBearerPrefix.size()), kBearerPrefix)) {
        token.remove_prefix(kBearerPrefix.size());
    }
    return token;
}

std::string_view stringView(const json_t* value) { return {json_string_value(value), json_string_length(value)}; }

int64_t addSaturated(int64_t a, int64_t b) {
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return sum;
}

// The three segments of a compact JWS, as views into the stripped token.
struct CompactToken {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
};

// Exactly three dot-separated segments in the base64url alphabet; header and
// payload non-empty. The signature may be empty here so that an unsigned
// `alg: none` token is reported as such rather than as malformed.
std::optional<CompactToken> splitCompact(std::string_view token) {
    const size_t first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const size_t second = token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    CompactToken parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
    // A third dot lands in the signature and fails the alphabet check below.
    if (parts.header.empty() || parts.payload.empty()) return std::nullopt;
    if (!isBase64UrlAlphabet(parts.header) || !isBase64UrlAlphabet(parts.payload) ||
        !isBase64UrlAlphabet(parts.signature)) {
        return std::nullopt;
    }
    return parts;
}

// A segment that must hold a JSON object. Duplicate keys are refused: libjwt
// parses the same bytes keeping the last duplicate, and two parsers must
// never disagree about which `alg` or `user_id` a token carries.
JsonRef decodeObject(std::string_view segment) {
    const std::optional<std::string> bytes = base64UrlDecode(segment);
    if (!bytes) return {};
    JsonRef value = JsonRef::parse(*bytes, JSON_REJECT_DUPLICATES);
    if (!value || !json_is_object(value.get())) return {};
    return value;
}

TokenError checkHeader(const json_t* header) {
    // Exact, case-sensitive match (RFC 7515 4.1.1); everything else, `none`
    // and the other HMAC sizes included, is refused before libjwt sees it.
    const json_t* alg = json_object_get(header, "alg");
    if (!json_is_string(alg) || stringView(alg) != kAlgorithm) return TokenError::UnsupportedAlgorithm;
    // libjwt refuses any header `typ` but "JWT" (any case); say so precisely
    // here rather than letting it surface later as a bad signature.
    const json_t* typ = json_object_get(header, "typ");
    if (typ && !(json_is_string(typ) && equalsIgnoreAsciiCase(stringView(typ), "JWT"))) {
        return TokenError::Malformed;
    }
    // `crit` names extensions the verifier must understand (RFC 7515
    // 4.1.11); this one understands none.
    if (json_object_get(header, "crit")) return TokenError::Malformed;
    return TokenError::None;
}

// The only question put to libjwt. The header has already been checked to
// say HS256, and the token holds nothing but base64url characters and two
// dots, so libjwt's lenient parsing sees exactly what we parsed.
bool signatureVerifies(std::string_view token, const std::string& secret) {
    // An empty key would make libjwt skip verification altogether.
    if (secret.empty() || secret.size() > static_cast<size_t>(INT_MAX)) return false;
    const std::string text(token);  // libjwt wants a NUL-terminated string
    jwt_t* decoded = nullptr;
    const int rc = jwt_decode(&decoded, text.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                              static_cast<int>(secret.size()));
    const JwtPtr owner(decoded);
    return rc == 0 && owner && jwt_get_alg(owner.get()) == JWT_ALG_HS256;
}

// A claim that must be a string equal to `expected`.
TokenError checkStringClaim(const json_t* payload, const char* key, std::string_view expected, TokenError mismatch) {
    const json_t* value = json_object_get(payload, key);
    if (!value) return TokenError::MissingClaim;
    if (!json_is_string(value)) return TokenError::WrongClaimType;
    return stringView(value) == expected ? TokenError::None : mismatch;
}

// `aud` is a string or an array of strings (RFC 7519 4.1.3) naming "sfu".
TokenError checkAudience(const json_t* payload) {
    const json_t* aud = json_object_get(payload, "aud");
    if (!aud) return TokenError::MissingClaim;
    if (json_is_string(aud)) return stringView(aud) == kAudience ? TokenError::None : TokenError::WrongAudience;
    if (!json_is_array(aud)) return TokenError::WrongClaimType;
    bool named = false;
    for (size_t i = 0; i < json_array_size(aud); ++i) {
        const json_t* entry = json_array_get(aud, i);
        if (!json_is_string(entry)) return TokenError::WrongClaimType;
        if (stringView(entry) == kAudience) named = true;
    }
    return named ? TokenError::None : TokenError::WrongAudience;
}

enum class Rounding { Down, Up };

struct TimeClaim {
    TokenError error = TokenError::None;
    bool present = false;
    int64_t seconds = 0;
};

// A NumericDate (RFC 7519 2) may carry a fraction, unlike the ids; it is
// rounded towards the stricter answer (exp down, nbf/iat up) and clamped.
TimeClaim readTime(const json_t* payload, const char* key, Rounding rounding) {
    const json_t* value = json_object_get(payload, key);
    TimeClaim claim;
    if (!value) return claim;
    claim.present = true;
    if (json_is_integer(value)) {
        claim.seconds = static_cast<int64_t>(json_integer_value(value));
    } else if (json_is_real(value)) {
        const double raw = json_real_value(value);
        const double whole = rounding == Rounding::Down ? std::floor(raw) : std::ceil(raw);
        // 2^63 is exactly representable; anything at or beyond it saturates.
        constexpr double kLimit = 9223372036854775808.0;
        if (whole >= kLimit) {
            claim.seconds = std::numeric_limits<int64_t>::max();
        } else if (whole < -kLimit) {
            claim.seconds = std::numeric_limits<int64_t>::min();
        } else {
            claim.seconds = static_cast<int64_t>(whole);
        }
    } else {
        claim.error = TokenError::WrongClaimType;
    }
    return claim;
}

TokenError checkValidityWindow(const json_t* payload, int64_t now, int64_t leeway, int64_t& expiresAt) {
    const TimeClaim exp = readTime(payload, "exp", Rounding::Down);
    if (!exp.present) return TokenError::MissingClaim;
    if (exp.error != TokenError::None) return exp.error;
    // RFC 7519 4.1.4: not accepted "on or after" exp.
    if (now >= addSaturated(exp.seconds, leeway)) return TokenError::Expired;
    for (const char* key : {"nbf", "iat"}) {
        const TimeClaim claim = readTime(payload, key, Rounding::Up);
        if (claim.error != TokenError::None) return claim.error;
        if (claim.present && claim.seconds > addSaturated(now, leeway)) return TokenError::NotYetValid;
    }
    expiresAt = exp.seconds;
    return TokenError::None;
}

// Ids and the bitmask come straight from Jansson's integer (json_int_t is
// 64-bit), never through a double: snowflakes exceed 2^53. An integer that
// does not fit int64 already failed parsing, so nothing is clamped.
TokenError readClaims(const json_t* payload, TokenClaims& claims) {
    const json_t* user = json_object_get(payload, "user_id");
    if (!user) return TokenError::MissingClaim;
    if (!json_is_integer(user)) return TokenError::WrongClaimType;
    claims.userId = static_cast<int64_t>(json_integer_value(user));
    if (claims.userId == 0) return TokenError::MissingClaim;  // 0 names nobody

    static constexpr struct {
        const char* key;
        int64_t TokenClaims::*field;
    } kOptionalIntegers[] = {
        {"channel_id", &TokenClaims::channelId},
        {"guild_id", &TokenClaims::guildId},
        {"perms", &TokenClaims::perms},
    };
    for (const auto& optional : kOptionalIntegers) {
        const json_t* value = json_object_get(payload, optional.key);
        if (!value) continue;
        if (!json_is_integer(value)) return TokenError::WrongClaimType;
        claims.*optional.field = static_cast<int64_t>(json_integer_value(value));
    }

    const json_t* moved = json_object_get(payload, "moved");
    if (moved) {
        if (!json_is_boolean(moved)) return TokenError::WrongClaimType;
        claims.moved = json_is_true(moved);
    }
    return TokenError::None;
}

// Everything a client token and an admin token share (docs/tokens.md, The
// checks, in order): size, shape, header, signature, then `iss`, `typ`
// (`type`), `aud` and the validity window. On success `payload` holds the
// authentic claims.
TokenError verifyCommon(std::string_view token, const TokenPolicy& policy, int64_t now, std::string_view type,
                        JsonRef& payload, int64_t& expiresAt) {
    if (token.size() > policy.maxTokenBytes || token.size() > kHardMaxTokenBytes) return TokenError::TooLarge;
    token = stripBearer(token);

    const std::optional<CompactToken> parts = splitCompact(token);
    if (!parts) return TokenError::Malformed;
    // Parsed before the signature is checked only to refuse early; nothing
    // read from either object is believed until the signature verifies.
    const JsonRef header = decodeObject(parts->header);
    if (!header) return TokenError::Malformed;
    if (const TokenError error = checkHeader(header.get()); error != TokenError::None) return error;
    JsonRef claims = decodeObject(parts->payload);
    if (!claims) return TokenError::Malformed;

    if (!signatureVerifies(token, policy.secret)) return TokenError::BadSignature;

    // From here on the payload is authentic; check what it says. The order
    // (identity of the token, then its validity window, then its content)
    // is documented in docs/tokens.md.
    TokenError error = checkStringClaim(claims.get(), "iss", policy.issuer, TokenError::WrongIssuer);
    if (error == TokenError::None) error = checkStringClaim(claims.get(), "typ", type, TokenError::WrongType);
    if (error == TokenError::None) error = checkAudience(claims.get());
    if (error == TokenError::None)
        error = checkValidityWindow(claims.get(), now, std::max<int64_t>(policy.leewaySeconds, 0), expiresAt);
    if (error == TokenError::None) payload = std::move(claims);
    return error;
}

}  // namespace

TokenResult verifyToken(std::string_view token, const TokenPolicy& policy, int64_t nowUnixSeconds) {
    TokenResult result;
    JsonRef payload;
    TokenClaims read;
    TokenError error = verifyCommon(token, policy, nowUnixSeconds, kTokenType, payload, read.expiresAt);
    if (error == TokenError::None) error = readClaims(payload.get(), read);
    result.error = error;
    if (error == TokenError::None) result.claims = read;  // only a fully verified token hands out claims
    return result;
}

AdminTokenResult verifyAdminToken(std::string_view token, const TokenPolicy& policy, int64_t nowUnixSeconds) {
    AdminTokenResult result;
    JsonRef payload;
    int64_t expiresAt = 0;
    TokenError error = verifyCommon(token, policy, nowUnixSeconds, kAdminTokenType, payload, expiresAt);
    int64_t channel = 0;
    if (error == TokenError::None) {
        // GoChat's API always writes channel_id (0 = any channel); absent
        // reads as 0 the same way, a non-integer is refused.
        const json_t* value = json_object_get(payload.get(), "channel_id");
        if (value && !json_is_integer(value))
            error = TokenError::WrongClaimType;
        else if (value)
            channel = static_cast<int64_t>(json_integer_value(value));
    }
    result.error = error;
    if (error == TokenError::None) {
        result.channelId = channel;
        result.expiresAt = expiresAt;
    }
    return result;
}

const char* tokenErrorName(TokenError error) {
    switch (error) {
        case TokenError::None: return "none";
        case TokenError::TooLarge: return "too_large";
        case TokenError::Malformed: return "malformed";
        case TokenError::UnsupportedAlgorithm: return "unsupported_algorithm";
        case TokenError::BadSignature: return "bad_signature";
        case TokenError::Expired: return "expired";
        case TokenError::NotYetValid: return "not_yet_valid";
        case TokenError::WrongIssuer: return "wrong_issuer";
        case TokenError::WrongType: return "wrong_type";
        case TokenError::WrongAudience: return "wrong_audience";
        case TokenError::MissingClaim: return "missing_claim";
        case TokenError::WrongClaimType: return "wrong_claim_type";
    }
    return "unknown";  // a value cast from outside the enumeration
}

namespace {

// HS256 over `payload`; "" when the secret is empty or libjwt fails.
std::string signPayload(const JsonRef& payload, const std::string& secret) {
    // Same refusal as verification: an empty key signs nothing worth having.
    if (secret.empty() || secret.size() > static_cast<size_t>(INT_MAX)) return {};
    jwt_t* created = nullptr;
    if (jwt_new(&created) != 0) return {};
    const JwtPtr jwt(created);
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0) {
        return {};
    }
    // Grants go in as JSON text so that int64 values never pass through
    // jwt_add_grant_int's `long`.
    if (jwt_add_grants_json(jwt.get(), payload.dump().c_str()) != 0) return {};
    const MallocString token(jwt_encode_str(jwt.get()));
    return token ? std::string(token.get()) : std::string();
}

JsonRef sfuAudience() {
    JsonRef audience = JsonRef::array();
    json_array_append_new(audience.get(), json_string(std::string(kAudience).c_str()));
    return audience;
}

}  // namespace

std::string mintToken(const TokenClaims& claims, const TokenPolicy& policy, int64_t issuedAt, int64_t lifetimeSeconds) {
    JsonRef payload = JsonRef::object();
    payload.setString("typ", kTokenType)
        .setString("iss", policy.issuer)
        .set("aud", sfuAudience())
        .setInt("user_id", claims.userId)
        .setInt("perms", claims.perms)
        .setBool("moved", claims.moved)
        .setInt("iat", issuedAt)
        .setInt("exp", addSaturated(issuedAt, lifetimeSeconds));
    // Absent rather than 0: a token without channel_id names no channel.
    if (claims.channelId != 0) payload.setInt("channel_id", claims.channelId);
    if (claims.guildId != 0) payload.setInt("guild_id", claims.guildId);
    return signPayload(payload, policy.secret);
}

std::string mintAdminToken(int64_t channelId, const TokenPolicy& policy, int64_t issuedAt, int64_t lifetimeSeconds) {
    // The claims GoChat's API writes for its close-channel call: user_id 0
    // and channel_id always present (0 = any channel).
    JsonRef payload = JsonRef::object();
    payload.setString("typ", kAdminTokenType)
        .setString("iss", policy.issuer)
        .set("aud", sfuAudience())
        .setInt("user_id", 0)
        .setInt("channel_id", channelId)
        .setInt("iat", issuedAt)
        .setInt("exp", addSaturated(issuedAt, lifetimeSeconds));
    return signPayload(payload, policy.secret);
}

std::string mintServiceToken(std::string_view serviceId, const std::string& secret, int64_t issuedAt,
                             int64_t lifetimeSeconds) {
    JsonRef payload = JsonRef::object();
    payload.setString("typ", kTokenType).setString("id", serviceId).setInt("iat", issuedAt);
    if (lifetimeSeconds > 0) payload.setInt("exp", addSaturated(issuedAt, lifetimeSeconds));
    return signPayload(payload, secret);
}

}  // namespace gochat::auth
