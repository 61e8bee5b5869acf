// Token verification (docs/tokens.md).
//
// Valid tokens come from mintToken (libjwt). Crafted tokens are assembled
// here from JSON text, base64url and GLib's HMAC, an implementation
// independent of libjwt, so a token can say anything an attacker could make
// it say, including a correct HS512 signature with the shared secret.
#include <glib.h>
#include <jansson.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/auth/base64url.hpp"
#include "plugins/gochat-sfu/auth/token_verifier.hpp"
#include "tests/unit/cmocka.hpp"

namespace {

using gochat::JsonRef;
using namespace gochat::auth;

constexpr int64_t kNow = 1700000000;
constexpr char kSecret[] = "correct horse battery staple";
constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";

TokenPolicy testPolicy() {
    TokenPolicy policy;
    policy.secret = kSecret;
    return policy;
}

struct HmacDeleter {
    void operator()(GHmac* mac) const { g_hmac_unref(mac); }
};

std::string hmac(GChecksumType digest, std::string_view key, std::string_view data) {
    std::unique_ptr<GHmac, HmacDeleter> mac(
        g_hmac_new(digest, reinterpret_cast<const guchar*>(key.data()), key.size()));
    g_hmac_update(mac.get(), reinterpret_cast<const guchar*>(data.data()), static_cast<gssize>(data.size()));
    guint8 out[64];
    gsize length = sizeof out;
    g_hmac_get_digest(mac.get(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

// header.payload.signature from raw JSON text, signed with `digest`.
std::string craft(std::string_view header, std::string_view payload, std::string_view secret = kSecret,
                  GChecksumType digest = G_CHECKSUM_SHA256) {
    const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
    return input + "." + base64UrlEncode(hmac(digest, secret, input));
}

// The claims of docs/tokens.md, valid at kNow. Tests change one thing.
JsonRef standardClaims() {
    JsonRef audience = JsonRef::array();
    json_array_append_new(audience.get(), json_string("sfu"));
    JsonRef claims = JsonRef::object();
    claims.setString("typ", "sfu")
        .setString("iss", "gochat")
        .set("aud", std::move(audience))
        .setInt("user_id", 42)
        .setInt("channel_id", 789)
        .setInt("guild_id", 111)
        .setInt("perms", 7340032)
        .setBool("moved", false)
        .setInt("iat", kNow)
        .setInt("exp", kNow + 120);
    return claims;
}

std::string standardPayload() { return standardClaims().dump(); }

// The standard payload with `key` replaced by raw JSON text, spliced in as
// text so a test can say what Jansson would refuse to build (an integer
// beyond int64, a duplicate key).
std::string payloadWith(const char* key, std::string_view rawJson) {
    JsonRef claims = standardClaims();
    json_object_del(claims.get(), key);
    std::string text = claims.dump();
    text.insert(1, std::string("\"") + key + "\":" + std::string(rawJson) + ",");
    return text;
}

std::string payloadWithout(const char* key) {
    JsonRef claims = standardClaims();
    json_object_del(claims.get(), key);
    return claims.dump();
}

std::string tokenWith(const char* key, std::string_view rawJson) {
    return craft(kHs256Header, payloadWith(key, rawJson));
}

std::string tokenWithout(const char* key) { return craft(kHs256Header, payloadWithout(key)); }

TokenError errorOf(std::string_view token, const TokenPolicy& policy = testPolicy()) {
    return verifyToken(token, policy, kNow).error;
}

// Compared by name so a failure prints "expired" != "none", not two numbers.
#define ASSERT_TOKEN_ERROR(expected, actual) assert_string_equal(tokenErrorName(actual), tokenErrorName(expected))
#define ASSERT_REFUSED_AS(expected, token) ASSERT_TOKEN_ERROR(expected, errorOf(token))
#define ASSERT_ACCEPTED(token) ASSERT_TOKEN_ERROR(TokenError::None, errorOf(token))

// ---- accepted tokens ----

void valid_minted_token_is_accepted_with_its_claims(void**) {
    TokenClaims claims;
    claims.userId = 42;
    claims.channelId = 789;
    claims.guildId = 111;
    claims.perms = 7340032;
    claims.moved = true;
    const std::string token = mintToken(claims, testPolicy(), kNow, 120);
    assert_false(token.empty());

    const TokenResult result = verifyToken(token, testPolicy(), kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, result.error);
    assert_true(result.ok());
    assert_int_equal(result.claims.userId, 42);
    assert_int_equal(result.claims.channelId, 789);
    assert_int_equal(result.claims.guildId, 111);
    assert_int_equal(result.claims.perms, 7340032);
    assert_true(result.claims.moved);
    assert_int_equal(result.claims.expiresAt, kNow + 120);
}

void token_signed_by_independent_hmac_is_accepted(void**) {
    // Unknown claims are ignored; the lowercase header typ is what some
    // issuers write and libjwt accepts it too.
    const std::string token =
        craft(R"({"typ":"jwt","alg":"HS256","kid":"k1"})", payloadWith("extra", R"({"x":[1,2]})"));
    const TokenResult result = verifyToken(token, testPolicy(), kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, result.error);
    assert_int_equal(result.claims.userId, 42);
    assert_int_equal(result.claims.channelId, 789);
    assert_false(result.claims.moved);
}

void bearer_prefix_in_any_case_is_stripped(void**) {
    const std::string token = craft(kHs256Header, standardPayload());
    for (const char* prefix : {"Bearer ", "bearer ", "BEARER ", "bEaReR "}) {
        ASSERT_ACCEPTED(prefix + token);
    }
    // Only the prefix with exactly one space is part of the contract.
    ASSERT_REFUSED_AS(TokenError::Malformed, "Bearer  " + token);
    ASSERT_REFUSED_AS(TokenError::Malformed, "Bearer\t" + token);
    ASSERT_REFUSED_AS(TokenError::Malformed, "Token " + token);
}

void minted_token_without_channel_names_no_channel(void**) {
    TokenClaims claims;
    claims.userId = 7;
    const std::string token = mintToken(claims, testPolicy(), kNow, 60);
    const TokenResult result = verifyToken(token, testPolicy(), kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, result.error);
    assert_int_equal(result.claims.channelId, 0);
    assert_int_equal(result.claims.guildId, 0);
    const std::string payload =
        *base64UrlDecode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    assert_null(strstr(payload.c_str(), "channel_id"));
}

void minted_token_honours_configured_issuer(void**) {
    TokenPolicy policy = testPolicy();
    policy.issuer = "gochat-eu";
    TokenClaims claims;
    claims.userId = 1;
    const std::string token = mintToken(claims, policy, kNow, 60);
    ASSERT_TOKEN_ERROR(TokenError::None, errorOf(token, policy));
    ASSERT_REFUSED_AS(TokenError::WrongIssuer, token);
}

// ---- signature ----

void tampered_payload_is_bad_signature(void**) {
    const std::string genuine = craft(kHs256Header, standardPayload());
    const std::string forged = craft(kHs256Header, payloadWith("user_id", "1"));
    // Forged header and payload, genuine signature.
    const std::string spliced = forged.substr(0, forged.rfind('.')) + genuine.substr(genuine.rfind('.'));
    ASSERT_REFUSED_AS(TokenError::BadSignature, spliced);
}

void flipped_signature_character_is_bad_signature(void**) {
    std::string token = craft(kHs256Header, standardPayload());
    const size_t at = token.rfind('.') + 5;
    token[at] = token[at] == 'A' ? 'B' : 'A';
    ASSERT_REFUSED_AS(TokenError::BadSignature, token);
}

void token_signed_with_other_secret_is_bad_signature(void**) {
    ASSERT_REFUSED_AS(TokenError::BadSignature, craft(kHs256Header, standardPayload(), "another secret"));
    TokenPolicy other = testPolicy();
    other.secret = "another secret";
    TokenClaims claims;
    claims.userId = 42;
    ASSERT_REFUSED_AS(TokenError::BadSignature, mintToken(claims, other, kNow, 120));
}

void truncated_signature_is_bad_signature(void**) {
    const std::string token = craft(kHs256Header, standardPayload());
    ASSERT_REFUSED_AS(TokenError::BadSignature, token.substr(0, token.size() - 1));
    ASSERT_REFUSED_AS(TokenError::BadSignature, token.substr(0, token.size() - 20));
    ASSERT_REFUSED_AS(TokenError::BadSignature, token.substr(0, token.rfind('.') + 1));
}

void padded_signature_is_malformed(void**) {
    // A lenient base64 decoder would read the same 32 bytes; JWS forbids padding.
    const std::string token = craft(kHs256Header, standardPayload());
    ASSERT_REFUSED_AS(TokenError::Malformed, token + "=");
    ASSERT_REFUSED_AS(TokenError::Malformed, token + "==");
}

void empty_secret_never_verifies_or_mints(void**) {
    TokenPolicy policy = testPolicy();
    policy.secret.clear();
    ASSERT_TOKEN_ERROR(TokenError::BadSignature, errorOf(craft(kHs256Header, standardPayload(), ""), policy));
    TokenClaims claims;
    claims.userId = 42;
    assert_true(mintToken(claims, policy, kNow, 120).empty());
}

// ---- algorithm ----

void alg_none_is_unsupported(void**) {
    const std::string unsigned_ =
        base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + base64UrlEncode(standardPayload()) + ".";
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm, unsigned_);
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm, craft(R"({"alg":"none"})", standardPayload()));
}

void alg_hs512_signed_with_same_secret_is_unsupported(void**) {
    // libjwt 1.10's jwt_decode() alone accepts both of these.
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm,
                      craft(R"({"alg":"HS512","typ":"JWT"})", standardPayload(), kSecret, G_CHECKSUM_SHA512));
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm,
                      craft(R"({"alg":"HS384","typ":"JWT"})", standardPayload(), kSecret, G_CHECKSUM_SHA384));
}

void rs256_header_is_unsupported(void**) {
    // Signed with the HMAC secret: the algorithm-confusion shape.
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm, craft(R"({"alg":"RS256","typ":"JWT"})", standardPayload()));
    ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm, craft(R"({"alg":"ES256","typ":"JWT"})", standardPayload()));
}

void alg_spelling_variants_are_unsupported(void**) {
    for (const char* header : {R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"alg":"HS2560"})", R"({"alg":256})",
                               R"({"alg":null})", R"({"alg":["HS256"]})", R"({"typ":"JWT"})", "{}"}) {
        ASSERT_REFUSED_AS(TokenError::UnsupportedAlgorithm, craft(header, standardPayload()));
    }
}

void header_typ_other_than_jwt_or_crit_is_malformed(void**) {
    ASSERT_REFUSED_AS(TokenError::Malformed, craft(R"({"alg":"HS256","typ":"sfu"})", standardPayload()));
    ASSERT_REFUSED_AS(TokenError::Malformed, craft(R"({"alg":"HS256","typ":1})", standardPayload()));
    ASSERT_REFUSED_AS(TokenError::Malformed, craft(R"({"alg":"HS256","crit":["exp"],"exp":1})", standardPayload()));
}

void duplicate_keys_are_malformed(void**) {
    // libjwt keeps the last duplicate; refusing them keeps both parsers agreed.
    ASSERT_REFUSED_AS(TokenError::Malformed, craft(R"({"alg":"HS256","alg":"HS512"})", standardPayload()));
    std::string payload = standardPayload();
    payload.insert(1, R"("user_id":1,)");
    ASSERT_REFUSED_AS(TokenError::Malformed, craft(kHs256Header, payload));
}

// ---- validity window ----

void expired_token_is_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::Expired, tokenWith("exp", std::to_string(kNow - 1000)));
    // Leeway 2: exp + 2 is the first refused second.
    ASSERT_REFUSED_AS(TokenError::Expired, tokenWith("exp", std::to_string(kNow - 2)));
    TokenPolicy strict = testPolicy();
    strict.leewaySeconds = 0;
    ASSERT_TOKEN_ERROR(TokenError::Expired, errorOf(tokenWith("exp", std::to_string(kNow)), strict));
}

void expired_but_within_leeway_is_accepted(void**) {
    ASSERT_ACCEPTED(tokenWith("exp", std::to_string(kNow - 1)));
    ASSERT_ACCEPTED(tokenWith("exp", std::to_string(kNow)));
}

void negative_leeway_counts_as_zero(void**) {
    TokenPolicy policy = testPolicy();
    policy.leewaySeconds = -100;
    ASSERT_TOKEN_ERROR(TokenError::None, errorOf(tokenWith("exp", std::to_string(kNow + 1)), policy));
    ASSERT_TOKEN_ERROR(TokenError::Expired, errorOf(tokenWith("exp", std::to_string(kNow)), policy));
}

void fractional_times_round_towards_refusal(void**) {
    TokenPolicy strict = testPolicy();
    strict.leewaySeconds = 0;
    const TokenResult result = verifyToken(tokenWith("exp", std::to_string(kNow + 1) + ".5"), strict, kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, result.error);
    assert_int_equal(result.claims.expiresAt, kNow + 1);
    ASSERT_TOKEN_ERROR(TokenError::Expired, errorOf(tokenWith("exp", std::to_string(kNow) + ".9"), strict));
    ASSERT_TOKEN_ERROR(TokenError::NotYetValid, errorOf(tokenWith("nbf", std::to_string(kNow) + ".1"), strict));
}

void missing_or_mistyped_exp_is_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWithout("exp"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("exp", "\"1700000120\""));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("exp", "null"));
}

void nbf_in_future_is_not_yet_valid(void**) {
    ASSERT_REFUSED_AS(TokenError::NotYetValid, tokenWith("nbf", std::to_string(kNow + 3)));
    ASSERT_ACCEPTED(tokenWith("nbf", std::to_string(kNow + 2)));
    ASSERT_ACCEPTED(tokenWith("nbf", std::to_string(kNow - 60)));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("nbf", "true"));
}

void iat_in_future_is_not_yet_valid(void**) {
    ASSERT_REFUSED_AS(TokenError::NotYetValid, tokenWith("iat", std::to_string(kNow + 3)));
    ASSERT_ACCEPTED(tokenWith("iat", std::to_string(kNow + 2)));
    ASSERT_ACCEPTED(tokenWithout("iat"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("iat", "\"now\""));
}

void extreme_times_do_not_overflow(void**) {
    ASSERT_ACCEPTED(tokenWith("exp", "9223372036854775807"));
    ASSERT_ACCEPTED(tokenWith("exp", "1e300"));
    ASSERT_REFUSED_AS(TokenError::Expired, tokenWith("exp", "-9223372036854775808"));
    ASSERT_REFUSED_AS(TokenError::Expired, tokenWith("exp", "-1e300"));
    ASSERT_ACCEPTED(tokenWith("nbf", "-9223372036854775808"));
    TokenPolicy lenient = testPolicy();
    lenient.leewaySeconds = std::numeric_limits<int64_t>::max();
    ASSERT_TOKEN_ERROR(TokenError::None, errorOf(tokenWith("nbf", "9223372036854775807"), lenient));
    ASSERT_TOKEN_ERROR(TokenError::Expired,
                       verifyToken(tokenWith("exp", "1"), lenient, std::numeric_limits<int64_t>::max()).error);
}

// ---- identity claims ----

void wrong_iss_is_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongIssuer, tokenWith("iss", "\"evil\""));
    ASSERT_REFUSED_AS(TokenError::WrongIssuer, tokenWith("iss", "\"GoChat\""));
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWithout("iss"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("iss", "[\"gochat\"]"));
}

void wrong_typ_is_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongType, tokenWith("typ", "\"access\""));
    ASSERT_REFUSED_AS(TokenError::WrongType, tokenWith("typ", "\"SFU\""));
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWithout("typ"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("typ", "1"));
}

void aud_string_sfu_is_accepted(void**) {
    ASSERT_ACCEPTED(tokenWith("aud", "\"sfu\""));
    ASSERT_ACCEPTED(tokenWith("aud", R"(["api","sfu"])"));
}

void aud_without_sfu_is_wrong_audience(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", R"(["api","gateway"])"));
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", "[]"));
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", "\"api\""));
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", "\"sfu \""));
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWithout("aud"));
}

void aud_of_wrong_type_is_refused(void**) {
    for (const char* aud : {"1", "true", "null", R"({"sfu":true})", R"(["sfu",1])", R"([["sfu"]])"}) {
        ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("aud", aud));
    }
}

// ---- content claims ----

void missing_user_id_is_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWithout("user_id"));
    ASSERT_REFUSED_AS(TokenError::MissingClaim, tokenWith("user_id", "0"));
}

void user_id_as_string_is_wrong_claim_type(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("user_id", "\"42\""));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("user_id", "null"));
}

void user_id_as_float_is_wrong_claim_type(void**) {
    // Each is a JSON real, even when its value is whole.
    for (const char* value : {"42.0", "4.2e1", "1234567890123456789.0", "1e18"}) {
        ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("user_id", value));
    }
}

void optional_claims_of_wrong_type_are_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("perms", "\"7340032\""));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("perms", "7340032.0"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("channel_id", "\"789\""));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("channel_id", "null"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("guild_id", "1.5"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("moved", "1"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("moved", "\"true\""));
    ASSERT_ACCEPTED(tokenWithout("channel_id"));
    ASSERT_ACCEPTED(tokenWithout("guild_id"));
    ASSERT_ACCEPTED(tokenWithout("perms"));
    ASSERT_ACCEPTED(tokenWithout("moved"));
}

void nineteen_digit_ids_are_exact(void**) {
    // Values a double would round: 2^53 + 1 and the int64 limits, written
    // as JSON text so nothing but the verifier ever parses them.
    JsonRef claims = standardClaims();
    for (const char* key : {"user_id", "channel_id", "guild_id", "perms"}) json_object_del(claims.get(), key);
    std::string text = claims.dump();
    text.insert(1,
                "\"user_id\":1234567890123456789,\"channel_id\":9223372036854775807,"
                "\"guild_id\":-9223372036854775808,\"perms\":9007199254740993,");
    const TokenResult crafted = verifyToken(craft(kHs256Header, text), testPolicy(), kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, crafted.error);
    assert_true(crafted.claims.userId == INT64_C(1234567890123456789));
    assert_true(crafted.claims.channelId == std::numeric_limits<int64_t>::max());
    assert_true(crafted.claims.guildId == std::numeric_limits<int64_t>::min());
    assert_true(crafted.claims.perms == INT64_C(9007199254740993));

    TokenClaims big;
    big.userId = INT64_C(1234567890123456789);
    big.channelId = INT64_C(1234567890123456788);
    big.guildId = INT64_C(1234567890123456787);
    const TokenResult minted = verifyToken(mintToken(big, testPolicy(), kNow, 120), testPolicy(), kNow);
    ASSERT_TOKEN_ERROR(TokenError::None, minted.error);
    assert_true(minted.claims.userId == INT64_C(1234567890123456789));
    assert_true(minted.claims.channelId == INT64_C(1234567890123456788));
    assert_true(minted.claims.guildId == INT64_C(1234567890123456787));
}

void id_beyond_int64_is_malformed_not_clamped(void**) {
    ASSERT_REFUSED_AS(TokenError::Malformed, tokenWith("user_id", "9223372036854775808"));
    ASSERT_REFUSED_AS(TokenError::Malformed, tokenWith("channel_id", "-9223372036854775809"));
}

// ---- size and garbage ----

void too_large_token_is_refused_before_parsing(void**) {
    const std::string token = craft(kHs256Header, standardPayload());
    TokenPolicy policy = testPolicy();
    policy.maxTokenBytes = token.size();
    ASSERT_TOKEN_ERROR(TokenError::None, errorOf(token, policy));
    policy.maxTokenBytes = token.size() - 1;
    ASSERT_TOKEN_ERROR(TokenError::TooLarge, errorOf(token, policy));
    // The limit counts the "Bearer " prefix: it applies to what arrived.
    policy.maxTokenBytes = token.size();
    ASSERT_TOKEN_ERROR(TokenError::TooLarge, errorOf("Bearer " + token, policy));

    ASSERT_REFUSED_AS(TokenError::TooLarge, std::string(8193, 'A'));
    ASSERT_REFUSED_AS(TokenError::Malformed, std::string(8192, 'A'));
    // A hard cap holds even when the policy asks for none.
    policy.maxTokenBytes = std::numeric_limits<size_t>::max();
    const std::string huge = base64UrlEncode(kHs256Header) + "." + std::string(1 << 20, 'A') + ".AAAA";
    ASSERT_TOKEN_ERROR(TokenError::TooLarge, errorOf(huge, policy));
}

void garbage_inputs_are_malformed(void**) {
    const std::string header = base64UrlEncode(kHs256Header);
    const std::string payload = base64UrlEncode(standardPayload());
    const std::string signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const std::string cases[] = {
        "",
        ".",
        "..",
        "...",
        "....",
        "abc",
        "a.b",
        "Bearer ",
        "Bearer",
        "." + payload + "." + signature,
        header + ".." + signature,
        header + "." + payload + "." + signature + "." + signature,
        header + "." + payload + "." + signature + ".",
        "!!!!.@@@@.####",
        " " + header + "." + payload + "." + signature,
        header + "." + payload + "." + signature + "\n",
        header + "." + payload + "." + signature + " ",
        std::string("eyJh\0bGciOiJIUzI1NiJ9.", 22) + payload + "." + signature,
        header + "+." + payload + "." + signature,  // standard base64, not base64url
        header + "/" + "." + payload + "." + signature,
        "eyJhb." + payload + "." + signature,  // length 5: no byte ends there
        "e31." + payload + "." + signature,    // "{}" spelled with non-zero pad bits
        base64UrlEncode("[]") + "." + payload + "." + signature,
        base64UrlEncode("42") + "." + payload + "." + signature,
        base64UrlEncode("\"HS256\"") + "." + payload + "." + signature,
        base64UrlEncode("null") + "." + payload + "." + signature,
        base64UrlEncode("{\"alg\":\"HS256\"") + "." + payload + "." + signature,
        base64UrlEncode("\xff\xfe{}") + "." + payload + "." + signature,
        header + "." + base64UrlEncode("[]") + "." + signature,
        header + "." + base64UrlEncode("\"user_id\"") + "." + signature,
        header + "." + base64UrlEncode(std::string(2500, '[') + std::string(2500, ']')) + "." + signature,
        header + "." + base64UrlEncode("{\"user_id\":42") + "." + signature,
        header + "." + base64UrlEncode(std::string("{\"user_id\":42,\"x\":\"\0\"}", 22)) + "." + signature,
        header + "." + base64UrlEncode("{\"user_id\":\"\xc3\x28\"}") + "." + signature,  // invalid UTF-8
        "Bearer Bearer " + header + "." + payload + "." + signature,
    };
    for (const std::string& input : cases) {
        const TokenResult result = verifyToken(input, testPolicy(), kNow);
        if (result.error != TokenError::Malformed) {
            print_error("input of %zu bytes gave %s\n", input.size(), tokenErrorName(result.error));
        }
        ASSERT_TOKEN_ERROR(TokenError::Malformed, result.error);
        assert_int_equal(result.claims.userId, 0);
    }
}

void random_mutations_never_verify(void**) {
    // Deterministic: a fixed seed, so a failure reproduces.
    std::mt19937 random(20240611);
    const std::string original = craft(kHs256Header, standardPayload());
    ASSERT_ACCEPTED(original);
    for (int round = 0; round < 4000; ++round) {
        std::string mutated = original;
        const int edits = 1 + static_cast<int>(random() % 3);
        for (int edit = 0; edit < edits; ++edit) {
            const size_t at = random() % mutated.size();
            switch (random() % 3) {
                case 0: mutated[at] = static_cast<char>(random() % 256); break;
                case 1: mutated.erase(at, 1); break;
                default: mutated.insert(at, 1, static_cast<char>(random() % 256)); break;
            }
        }
        if (mutated == original) continue;
        const TokenResult result = verifyToken(mutated, testPolicy(), kNow);
        assert_false(result.ok());
        assert_int_equal(result.claims.userId, 0);
    }
}

void error_names_are_stable_and_distinct(void**) {
    assert_string_equal(tokenErrorName(TokenError::None), "none");
    assert_string_equal(tokenErrorName(TokenError::BadSignature), "bad_signature");
    assert_string_equal(tokenErrorName(TokenError::UnsupportedAlgorithm), "unsupported_algorithm");
    assert_string_equal(tokenErrorName(TokenError::Expired), "expired");
    std::set<std::string> names;
    const TokenError all[] = {
        TokenError::None,         TokenError::TooLarge,      TokenError::Malformed,    TokenError::UnsupportedAlgorithm,
        TokenError::BadSignature, TokenError::Expired,       TokenError::NotYetValid,  TokenError::WrongIssuer,
        TokenError::WrongType,    TokenError::WrongAudience, TokenError::MissingClaim, TokenError::WrongClaimType};
    for (TokenError error : all) names.insert(tokenErrorName(error));
    assert_int_equal(names.size(), sizeof all / sizeof all[0]);
    assert_string_equal(tokenErrorName(static_cast<TokenError>(99)), "unknown");
}

// ---- attacks added with the fuzzing work (docs/security.md) ----

void embedded_key_headers_are_ignored(void**) {
    // jwk/jku/kid/x5u name a key of the attacker's choosing: the verifier
    // uses none of them, so a token signed with that key stays refused.
    for (const char* header :
         {R"({"alg":"HS256","typ":"JWT","kid":"attacker"})", R"({"alg":"HS256","jku":"https://evil.example/keys"})",
          R"({"alg":"HS256","jwk":{"kty":"oct","k":"YXR0YWNrZXI"}})",
          R"({"alg":"HS256","x5u":"https://evil.example/cert"})"}) {
        ASSERT_REFUSED_AS(TokenError::BadSignature, craft(header, standardPayload(), "attacker"));
    }
}

void near_miss_secrets_are_bad_signature(void**) {
    const std::string secret = kSecret;
    // (A key with trailing NUL bytes is the same HMAC key: RFC 2104 pads
    // short keys with zeros. Not a near miss, so not listed.)
    for (const std::string& other : {secret.substr(0, secret.size() - 1), secret + " ", std::string(1, '\0') + secret,
                                     std::string("Correct") + secret.substr(7), secret + secret}) {
        ASSERT_REFUSED_AS(TokenError::BadSignature, craft(kHs256Header, standardPayload(), other));
    }
}

void signature_of_other_segments_is_bad_signature(void**) {
    // A valid signature moved onto another payload, or a header/payload
    // pair signed without its dot, must not verify.
    const std::string good = craft(kHs256Header, standardPayload());
    const std::string signature = good.substr(good.rfind('.') + 1);
    const std::string otherPayload = base64UrlEncode(payloadWith("user_id", "43"));
    ASSERT_REFUSED_AS(TokenError::BadSignature, base64UrlEncode(kHs256Header) + "." + otherPayload + "." + signature);
    const std::string noDot = base64UrlEncode(kHs256Header) + base64UrlEncode(standardPayload());
    ASSERT_REFUSED_AS(TokenError::BadSignature, base64UrlEncode(kHs256Header) + "." +
                                                    base64UrlEncode(standardPayload()) + "." +
                                                    base64UrlEncode(hmac(G_CHECKSUM_SHA256, kSecret, noDot)));
    // An HS256 signature of the right length made with SHA-1 or SHA-512
    // truncated to 32 bytes.
    const std::string input = base64UrlEncode(kHs256Header) + "." + base64UrlEncode(standardPayload());
    ASSERT_REFUSED_AS(TokenError::BadSignature,
                      input + "." + base64UrlEncode(hmac(G_CHECKSUM_SHA512, kSecret, input).substr(0, 32)));
    ASSERT_REFUSED_AS(TokenError::BadSignature, input + "." + base64UrlEncode(hmac(G_CHECKSUM_SHA1, kSecret, input)));
    // The signature doubled (64 bytes) or padded with zero bytes.
    ASSERT_REFUSED_AS(TokenError::BadSignature, good + signature);
    ASSERT_REFUSED_AS(TokenError::BadSignature,
                      input + "." + base64UrlEncode(hmac(G_CHECKSUM_SHA256, kSecret, input) + std::string(4, '\0')));
}

void times_beyond_leeway_are_refused_whatever_the_leeway(void**) {
    for (int64_t leeway : {0, 2, 30}) {
        TokenPolicy policy = testPolicy();
        policy.leewaySeconds = leeway;
        ASSERT_TOKEN_ERROR(TokenError::Expired, errorOf(tokenWith("exp", std::to_string(kNow - leeway)), policy));
        ASSERT_TOKEN_ERROR(TokenError::None, errorOf(tokenWith("exp", std::to_string(kNow - leeway + 1)), policy));
        ASSERT_TOKEN_ERROR(TokenError::NotYetValid,
                           errorOf(tokenWith("nbf", std::to_string(kNow + leeway + 1)), policy));
        ASSERT_TOKEN_ERROR(TokenError::None, errorOf(tokenWith("nbf", std::to_string(kNow + leeway)), policy));
        ASSERT_TOKEN_ERROR(TokenError::NotYetValid,
                           errorOf(tokenWith("iat", std::to_string(kNow + leeway + 1)), policy));
    }
}

void audience_and_issuer_near_misses_are_refused(void**) {
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", R"(["SFU"])"));
    // Jansson refuses \u0000 inside strings: such a payload is malformed.
    ASSERT_REFUSED_AS(TokenError::Malformed, tokenWith("aud", "\"sfu\\u0000\""));
    ASSERT_REFUSED_AS(TokenError::WrongAudience, tokenWith("aud", "\"\""));
    ASSERT_REFUSED_AS(TokenError::Malformed, tokenWith("iss", "\"gochat\\u0000evil\""));
    ASSERT_REFUSED_AS(TokenError::WrongIssuer, tokenWith("iss", "\"\""));
    ASSERT_REFUSED_AS(TokenError::Malformed, tokenWith("typ", "\"sfu\\u0000\""));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("typ", R"(["sfu"])"));
}

void claims_of_container_types_are_refused(void**) {
    for (const char* key : {"user_id", "channel_id", "guild_id", "perms"}) {
        for (const char* value : {"[42]", R"({"id":42})", "true", "\"0x2a\""}) {
            ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith(key, value));
        }
    }
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("perms", "-1.0"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("moved", "null"));
    ASSERT_REFUSED_AS(TokenError::WrongClaimType, tokenWith("exp", R"([1700000120])"));
}

void megabyte_token_is_refused_fast(void**) {
    // 1 MB in the shape of a token (valid base64url, valid header): refused
    // on its length alone, before any base64 or JSON work. A thousand
    // refusals in well under a second: decoding would take far longer.
    const std::string header = base64UrlEncode(kHs256Header);
    const std::string payload = base64UrlEncode(payloadWith("pad", "\"" + std::string(700 * 1024, 'x') + "\""));
    const std::string token = header + "." + payload + "." + base64UrlEncode(std::string(32, 'S'));
    assert_true(token.size() >= 900 * 1024);
    TokenPolicy unlimited = testPolicy();
    unlimited.maxTokenBytes = std::numeric_limits<size_t>::max();  // the hard cap still holds
    const gint64 started = g_get_monotonic_time();
    for (int i = 0; i < 1000; ++i) {
        ASSERT_REFUSED_AS(TokenError::TooLarge, token);
        ASSERT_TOKEN_ERROR(TokenError::TooLarge, errorOf(token, unlimited));
        ASSERT_REFUSED_AS(TokenError::TooLarge, "Bearer " + token.substr(0, 8194));
    }
    const gint64 elapsedUs = g_get_monotonic_time() - started;
    if (elapsedUs >= 1000000) print_error("3000 oversize refusals took %lld us\n", static_cast<long long>(elapsedUs));
    assert_true(elapsedUs < 1000000);
}

void every_attack_is_refused_without_claims(void**) {
    // The plugin answers any refusal with the one word `unauthorized`
    // (sfu_plugin.cpp handleJoin): what matters here is that each attack
    // is refused and that a refusal hands out no claims.
    const std::string good = craft(kHs256Header, standardPayload());
    const std::string attacks[] = {
        base64UrlEncode(R"({"alg":"none"})") + "." + base64UrlEncode(standardPayload()) + ".",
        craft(R"({"alg":"HS512","typ":"JWT"})", standardPayload(), kSecret, G_CHECKSUM_SHA512),
        craft(R"({"alg":"RS256","typ":"JWT"})", standardPayload()),
        craft(kHs256Header, standardPayload(), "another secret"),
        good.substr(0, good.size() - 2),
        good + "A",
        good + "=",
        tokenWith("exp", std::to_string(kNow - 3)),
        tokenWith("nbf", std::to_string(kNow + 3)),
        tokenWith("iss", "\"evil\""),
        tokenWith("typ", "\"access\""),
        tokenWith("aud", "\"api\""),
        tokenWith("aud", "42"),
        tokenWith("user_id", "\"42\""),
        tokenWith("perms", "\"7340032\""),
        std::string(1 << 20, 'A'),
    };
    for (const std::string& attack : attacks) {
        const TokenResult result = verifyToken(attack, testPolicy(), kNow);
        assert_false(result.ok());
        assert_true(result.claims.userId == 0 && result.claims.perms == 0 && result.claims.channelId == 0 &&
                    result.claims.expiresAt == 0 && !result.claims.moved);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_minted_token_is_accepted_with_its_claims),
        cmocka_unit_test(token_signed_by_independent_hmac_is_accepted),
        cmocka_unit_test(bearer_prefix_in_any_case_is_stripped),
        cmocka_unit_test(minted_token_without_channel_names_no_channel),
        cmocka_unit_test(minted_token_honours_configured_issuer),
        cmocka_unit_test(tampered_payload_is_bad_signature),
        cmocka_unit_test(flipped_signature_character_is_bad_signature),
        cmocka_unit_test(token_signed_with_other_secret_is_bad_signature),
        cmocka_unit_test(truncated_signature_is_bad_signature),
        cmocka_unit_test(padded_signature_is_malformed),
        cmocka_unit_test(empty_secret_never_verifies_or_mints),
        cmocka_unit_test(alg_none_is_unsupported),
        cmocka_unit_test(alg_hs512_signed_with_same_secret_is_unsupported),
        cmocka_unit_test(rs256_header_is_unsupported),
        cmocka_unit_test(alg_spelling_variants_are_unsupported),
        cmocka_unit_test(header_typ_other_than_jwt_or_crit_is_malformed),
        cmocka_unit_test(duplicate_keys_are_malformed),
        cmocka_unit_test(expired_token_is_refused),
        cmocka_unit_test(expired_but_within_leeway_is_accepted),
        cmocka_unit_test(negative_leeway_counts_as_zero),
        cmocka_unit_test(fractional_times_round_towards_refusal),
        cmocka_unit_test(missing_or_mistyped_exp_is_refused),
        cmocka_unit_test(nbf_in_future_is_not_yet_valid),
        cmocka_unit_test(iat_in_future_is_not_yet_valid),
        cmocka_unit_test(extreme_times_do_not_overflow),
        cmocka_unit_test(wrong_iss_is_refused),
        cmocka_unit_test(wrong_typ_is_refused),
        cmocka_unit_test(aud_string_sfu_is_accepted),
        cmocka_unit_test(aud_without_sfu_is_wrong_audience),
        cmocka_unit_test(aud_of_wrong_type_is_refused),
        cmocka_unit_test(missing_user_id_is_refused),
        cmocka_unit_test(user_id_as_string_is_wrong_claim_type),
        cmocka_unit_test(user_id_as_float_is_wrong_claim_type),
        cmocka_unit_test(optional_claims_of_wrong_type_are_refused),
        cmocka_unit_test(nineteen_digit_ids_are_exact),
        cmocka_unit_test(id_beyond_int64_is_malformed_not_clamped),
        cmocka_unit_test(too_large_token_is_refused_before_parsing),
        cmocka_unit_test(garbage_inputs_are_malformed),
        cmocka_unit_test(random_mutations_never_verify),
        cmocka_unit_test(error_names_are_stable_and_distinct),
        cmocka_unit_test(embedded_key_headers_are_ignored),
        cmocka_unit_test(near_miss_secrets_are_bad_signature),
        cmocka_unit_test(signature_of_other_segments_is_bad_signature),
        cmocka_unit_test(times_beyond_leeway_are_refused_whatever_the_leeway),
        cmocka_unit_test(audience_and_issuer_near_misses_are_refused),
        cmocka_unit_test(claims_of_container_types_are_refused),
        cmocka_unit_test(megabyte_token_is_refused_fast),
        cmocka_unit_test(every_attack_is_refused_without_claims),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
