// Fuzz target: token verification (plugins/gochat-sfu/auth).
//
// Two kinds of input:
//  - the token text exactly as a client would put it in `d.token`;
//  - an input starting with '{': JSON text that the target signs itself
//    (HMAC-SHA256 with the policy's secret, OpenSSL, not libjwt). One line:
//    the payload under a {"alg":"HS256","typ":"JWT"} header; two lines:
//    header, then payload. Without this the fuzzer could never get past
//    the signature check into the claim checks.
// The policy uses the secret the seed tokens were minted with
// (tests/fuzz/make_seeds.sh) and a clock inside their validity.
// Invariants: a token accepted here must be one whose signature really is
// the secret's (the fuzzer cannot forge HMAC-SHA256, so an accepted input
// differs from a seed only in what the signature does not cover: a Bearer
// prefix); strict base64url has exactly one spelling per byte string.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/auth/base64url.hpp"
#include "plugins/gochat-sfu/auth/token_verifier.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace gochat::auth;

// The seeds were minted at kMintedAt with a 120 s lifetime.
constexpr int64_t kMintedAt = 1700000000;
constexpr char kSecret[] = "fuzz-secret-0123456789abcdef";

std::string signedToken(std::string_view header, std::string_view payload) {
    const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t length = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kSecret, sizeof kSecret - 1,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac, &length)) {
        return {};
    }
    return input + "." + base64UrlEncode(std::string(reinterpret_cast<const char*>(mac), length));
}

// An accepted self-signed token: what was accepted is what the JSON says.
void checkAccepted(std::string_view header, std::string_view payload, const TokenClaims& claims) {
    gochat::JsonRef h = gochat::JsonRef::parse(header, JSON_REJECT_DUPLICATES);
    gochat::JsonRef p = gochat::JsonRef::parse(payload, JSON_REJECT_DUPLICATES);
    FUZZ_CHECK(h && p && json_is_object(h.get()) && json_is_object(p.get()));
    std::string text;
    FUZZ_CHECK(gochat::jsonGetString(h.get(), "alg", text) && text == "HS256");
    FUZZ_CHECK(gochat::jsonGetString(p.get(), "iss", text) && text == "gochat");
    FUZZ_CHECK(gochat::jsonGetString(p.get(), "typ", text) && text == "sfu");
    int64_t user = 0;
    FUZZ_CHECK(gochat::jsonGetInt64(p.get(), "user_id", user) && user == claims.userId && user != 0);
    int64_t channel = 0;
    if (json_object_get(p.get(), "channel_id")) FUZZ_CHECK(gochat::jsonGetInt64(p.get(), "channel_id", channel));
    FUZZ_CHECK(channel == claims.channelId);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    if (!input.empty() && input.front() == '{') {
        const size_t newline = input.find('\n');
        const std::string_view header = newline == std::string_view::npos
                                            ? std::string_view(R"({"alg":"HS256","typ":"JWT"})")
                                            : input.substr(0, newline);
        const std::string_view payload = newline == std::string_view::npos ? input : input.substr(newline + 1);
        const std::string token = signedToken(header, payload);
        TokenPolicy policy;
        policy.secret = kSecret;
        const TokenResult result = verifyToken(token, policy, kMintedAt + 60);
        if (result.ok())
            checkAccepted(header, payload, result.claims);
        else
            FUZZ_CHECK(result.claims.userId == 0 && result.claims.perms == 0);
        return 0;
    }

    TokenPolicy policy;
    policy.secret = kSecret;
    const TokenResult result = verifyToken(input, policy, kMintedAt + 60);
    FUZZ_CHECK(tokenErrorName(result.error) != nullptr);
    if (result.ok()) {
        FUZZ_CHECK(result.claims.userId != 0);
        FUZZ_CHECK(result.claims.expiresAt > kMintedAt + 60 - policy.leewaySeconds);
    } else {
        // A refused token hands out no claims.
        FUZZ_CHECK(result.claims.userId == 0 && result.claims.perms == 0 && result.claims.channelId == 0);
    }

    // Another clock and another secret must never turn a refusal into a pass.
    TokenPolicy other = policy;
    other.secret = "another secret";
    FUZZ_CHECK(!verifyToken(input, other, kMintedAt + 60).ok());

    // Strict base64url: decode then encode gives the input back.
    if (const auto decoded = base64UrlDecode(input)) {
        FUZZ_CHECK(base64UrlEncode(*decoded) == input);
        FUZZ_CHECK(isBase64UrlAlphabet(input));
    }
    // And encode then decode gives the bytes back.
    const auto roundTrip = base64UrlDecode(base64UrlEncode(input));
    FUZZ_CHECK(roundTrip && *roundTrip == input);
    return 0;
}
