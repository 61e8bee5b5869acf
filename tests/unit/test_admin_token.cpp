// Admin tokens (docs/tokens.md "Admin tokens") and the
// webhook service token gochat-token mints. Crafted tokens are signed with
// GLib's HMAC, independent of libjwt.
#include <glib.h>
#include <jansson.h>

#include <cstdint>
#include <memory>
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
constexpr char kHeader[] = R"({"alg":"HS256","typ":"JWT"})";

TokenPolicy testPolicy() {
    TokenPolicy policy;
    policy.secret = kSecret;
    return policy;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
    std::unique_ptr<GHmac, void (*)(GHmac*)> mac(
        g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(key.data()), key.size()), g_hmac_unref);
    g_hmac_update(mac.get(), reinterpret_cast<const guchar*>(data.data()), static_cast<gssize>(data.size()));
    guint8 out[32];
    gsize length = sizeof out;
    g_hmac_get_digest(mac.get(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

std::string craft(std::string_view payload, std::string_view secret = kSecret) {
    const std::string input = base64UrlEncode(kHeader) + "." + base64UrlEncode(payload);
    return input + "." + base64UrlEncode(hmacSha256(secret, input));
}

// What GoChat's API issues for its close-channel call, valid at kNow.
JsonRef adminClaims() {
    JsonRef audience = JsonRef::array();
    json_array_append_new(audience.get(), json_string("sfu"));
    JsonRef claims = JsonRef::object();
    claims.setString("typ", "admin")
        .setString("iss", "gochat")
        .set("aud", std::move(audience))
        .setInt("user_id", 0)
        .setInt("channel_id", 789)
        .setInt("iat", kNow)
        .setInt("exp", kNow + 120);
    return claims;
}

std::string adminTokenWith(const char* key, JsonRef value) {
    JsonRef claims = adminClaims();
    if (value)
        json_object_set_new(claims.get(), key, value.release());
    else
        json_object_del(claims.get(), key);
    return craft(claims.dump());
}

JsonRef decodePayload(const std::string& token) {
    const size_t first = token.find('.');
    const size_t second = token.find('.', first + 1);
    const std::optional<std::string> bytes = base64UrlDecode(token.substr(first + 1, second - first - 1));
    return bytes ? JsonRef::parse(*bytes) : JsonRef();
}

#define ASSERT_ADMIN_ERROR(expected, token) \
    assert_string_equal(tokenErrorName(verifyAdminToken(token, testPolicy(), kNow).error), tokenErrorName(expected))

void gochat_admin_token_is_accepted_with_its_channel(void**) {
    const AdminTokenResult result = verifyAdminToken(craft(adminClaims().dump()), testPolicy(), kNow);
    assert_true(result.ok());
    assert_true(result.channelId == 789);
    assert_true(result.expiresAt == kNow + 120);
    // The Authorization header's form is accepted as well.
    assert_true(verifyAdminToken("Bearer " + craft(adminClaims().dump()), testPolicy(), kNow).ok());
}

void client_token_is_not_an_admin_token_and_back(void**) {
    TokenClaims claims;
    claims.userId = 42;
    claims.channelId = 789;
    const std::string client = mintToken(claims, testPolicy(), kNow, 120);
    assert_true(verifyToken(client, testPolicy(), kNow).ok());
    ASSERT_ADMIN_ERROR(TokenError::WrongType, client);
    // An admin token never joins (docs/operations.md, Closing a channel), even with a user_id.
    const std::string admin = adminTokenWith("user_id", JsonRef::adopt(json_integer(42)));
    assert_true(verifyAdminToken(admin, testPolicy(), kNow).ok());
    assert_string_equal(tokenErrorName(verifyToken(admin, testPolicy(), kNow).error), "wrong_type");
}

void admin_token_checks_signature_issuer_audience_and_time(void**) {
    ASSERT_ADMIN_ERROR(TokenError::BadSignature, craft(adminClaims().dump(), "another secret"));
    ASSERT_ADMIN_ERROR(TokenError::WrongIssuer, adminTokenWith("iss", JsonRef::adopt(json_string("other"))));
    ASSERT_ADMIN_ERROR(TokenError::WrongAudience, adminTokenWith("aud", JsonRef::adopt(json_string("api"))));
    ASSERT_ADMIN_ERROR(TokenError::MissingClaim, adminTokenWith("aud", JsonRef()));
    ASSERT_ADMIN_ERROR(TokenError::Expired, adminTokenWith("exp", JsonRef::adopt(json_integer(kNow - 10))));
    ASSERT_ADMIN_ERROR(TokenError::MissingClaim, adminTokenWith("exp", JsonRef()));
    ASSERT_ADMIN_ERROR(TokenError::NotYetValid, adminTokenWith("nbf", JsonRef::adopt(json_integer(kNow + 60))));
    ASSERT_ADMIN_ERROR(TokenError::Malformed, std::string("not a token"));
    ASSERT_ADMIN_ERROR(TokenError::WrongType, adminTokenWith("typ", JsonRef::adopt(json_string("Admin"))));
}

void admin_channel_claim_absent_reads_as_any_and_wrong_type_is_refused(void**) {
    const AdminTokenResult absent = verifyAdminToken(adminTokenWith("channel_id", JsonRef()), testPolicy(), kNow);
    assert_true(absent.ok());
    assert_true(absent.channelId == 0);
    ASSERT_ADMIN_ERROR(TokenError::WrongClaimType, adminTokenWith("channel_id", JsonRef::adopt(json_string("789"))));
    ASSERT_ADMIN_ERROR(TokenError::WrongClaimType, adminTokenWith("channel_id", JsonRef::adopt(json_real(789.0))));
    const AdminTokenResult big = verifyAdminToken(
        adminTokenWith("channel_id", JsonRef::adopt(json_integer(1234567890123456789))), testPolicy(), kNow);
    assert_true(big.ok() && big.channelId == 1234567890123456789);
}

void refused_admin_token_carries_no_channel(void**) {
    const AdminTokenResult result =
        verifyAdminToken(adminTokenWith("exp", JsonRef::adopt(json_integer(kNow - 100))), testPolicy(), kNow);
    assert_false(result.ok());
    assert_true(result.channelId == 0);
}

void minted_admin_token_verifies_and_says_what_gochat_says(void**) {
    const std::string token = mintAdminToken(1234567890123456789, testPolicy(), kNow, 120);
    const AdminTokenResult result = verifyAdminToken(token, testPolicy(), kNow + 119);
    assert_true(result.ok());
    assert_true(result.channelId == 1234567890123456789);
    assert_string_equal(tokenErrorName(verifyAdminToken(token, testPolicy(), kNow + 122).error), "expired");
}

void minted_admin_token_expires_after_its_lifetime(void**) {
    const std::string token = mintAdminToken(5, testPolicy(), kNow - 200, 120);
    ASSERT_ADMIN_ERROR(TokenError::Expired, token);
    const JsonRef claims = decodePayload(mintAdminToken(5, testPolicy(), kNow, 120));
    assert_non_null(claims.get());
    std::string typ;
    assert_true(gochat::jsonGetString(claims.get(), "typ", typ) && typ == "admin");
    int64_t user = -1;
    assert_true(gochat::jsonGetInt64(claims.get(), "user_id", user) && user == 0);
}

void minted_service_token_has_type_id_and_optional_expiry(void**) {
    const std::string token = mintServiceToken("sfu-eu-1", "webhook secret", kNow, 0);
    const JsonRef claims = decodePayload(token);
    std::string typ, id;
    assert_true(gochat::jsonGetString(claims.get(), "typ", typ) && typ == "sfu");
    assert_true(gochat::jsonGetString(claims.get(), "id", id) && id == "sfu-eu-1");
    assert_null(json_object_get(claims.get(), "exp"));
    assert_null(json_object_get(claims.get(), "user_id"));
    // Signed with the given secret: recomputing the HMAC gives the same signature.
    const size_t last = token.rfind('.');
    assert_string_equal(token.substr(last + 1).c_str(),
                        base64UrlEncode(hmacSha256("webhook secret", token.substr(0, last))).c_str());
    const JsonRef expiring = decodePayload(mintServiceToken("x", "s", kNow, 60));
    int64_t exp = 0;
    assert_true(gochat::jsonGetInt64(expiring.get(), "exp", exp) && exp == kNow + 60);
    assert_true(mintServiceToken("x", "", kNow, 0).empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gochat_admin_token_is_accepted_with_its_channel),
        cmocka_unit_test(client_token_is_not_an_admin_token_and_back),
        cmocka_unit_test(admin_token_checks_signature_issuer_audience_and_time),
        cmocka_unit_test(admin_channel_claim_absent_reads_as_any_and_wrong_type_is_refused),
        cmocka_unit_test(refused_admin_token_carries_no_channel),
        cmocka_unit_test(minted_admin_token_verifies_and_says_what_gochat_says),
        cmocka_unit_test(minted_admin_token_expires_after_its_lifetime),
        cmocka_unit_test(minted_service_token_has_type_id_and_optional_expiry),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
