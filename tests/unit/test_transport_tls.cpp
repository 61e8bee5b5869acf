// TLS on the transport's listener: the tls* settings (pure parsing and the
// cross-key check) and checkTlsCredentials, which loads the certificate and
// key the way lws will and names what is wrong. The certificates are made
// here with OpenSSL in a temporary directory (docs/operations.md, "TLS").
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"
#include "transports/gochat-ws/tls/tls_credentials.hpp"

using namespace gochat::ws;

namespace {

// ------------------------------------------------------------ settings

void tls_is_off_by_default(void**) {
    TransportSettings settings;
    assert_false(settings.tls);
    assert_true(settings.tlsCert.empty());
    assert_true(settings.tlsKey.empty());
    assert_true(settings.tlsKeyPassword.empty());
    assert_true(settings.tlsCiphers.empty());
    assert_false(validateSettings(settings).has_value());
}

void tls_settings_are_validated(void**) {
    const std::string longest(1023, 'p');
    const std::string tooLong(1024, 'p');
    struct Case {
        const char* key;
        std::string value;
        bool accepted;
    } cases[] = {
        {"tls", "true", true},
        {"tls", "no", true},
        {"tls", "on", false},
        {"tls", "", false},
        {"tls_cert", "/etc/letsencrypt/live/sfu.example.org/fullchain.pem", true},
        {"tls_cert", "", true},  // unset, as in the sample
        {"tls_cert", "fullchain.pem", false},
        {"tls_cert", "./fullchain.pem", false},
        {"tls_key", "/etc/letsencrypt/live/sfu.example.org/privkey.pem", true},
        {"tls_key", "", true},
        {"tls_key", "privkey.pem", false},
        {"tls_key_password", "correct horse battery staple", true},
        {"tls_key_password", "", true},
        {"tls_key_password", longest, true},
        {"tls_key_password", tooLong, false},
        {"tls_ciphers", "ECDHE+AESGCM:ECDHE+CHACHA20", true},
        {"tls_ciphers", "", true},
    };
    for (const Case& c : cases) {
        TransportSettings settings;
        bool unknown = true;
        auto error = applySetting(settings, c.key, c.value, unknown);
        assert_false(unknown);
        if (error.has_value() == c.accepted) {
            fail_msg("%s = '%.40s': expected %s", c.key, c.value.c_str(), c.accepted ? "accepted" : "refused");
        }
    }
}

void tls_settings_are_applied(void**) {
    TransportSettings settings;
    bool unknown = true;
    assert_false(applySetting(settings, "tls", "yes", unknown).has_value());
    assert_false(applySetting(settings, "tls_cert", "/srv/tls/chain.pem", unknown).has_value());
    assert_false(applySetting(settings, "tls_key", "/srv/tls/key.pem", unknown).has_value());
    assert_false(applySetting(settings, "tls_key_password", "s3cret", unknown).has_value());
    assert_false(applySetting(settings, "tls_ciphers", "HIGH:!aNULL", unknown).has_value());
    assert_true(settings.tls);
    assert_string_equal(settings.tlsCert.c_str(), "/srv/tls/chain.pem");
    assert_string_equal(settings.tlsKey.c_str(), "/srv/tls/key.pem");
    assert_string_equal(settings.tlsKeyPassword.c_str(), "s3cret");
    assert_string_equal(settings.tlsCiphers.c_str(), "HIGH:!aNULL");
    assert_false(validateSettings(settings).has_value());
}

void tls_needs_both_a_certificate_and_a_key(void**) {
    TransportSettings settings;
    settings.tls = true;
    auto error = validateSettings(settings);
    assert_true(error.has_value());
    assert_non_null(std::strstr(error->c_str(), "tls_cert"));

    settings.tlsCert = "/srv/tls/chain.pem";
    error = validateSettings(settings);
    assert_true(error.has_value());
    assert_non_null(std::strstr(error->c_str(), "tls_key"));

    settings.tlsKey = "/srv/tls/key.pem";
    assert_false(validateSettings(settings).has_value());

    // Paths left behind with tls off are no error: switching back is one key.
    settings.tls = false;
    settings.tlsKey.clear();
    assert_false(validateSettings(settings).has_value());
}

void only_the_key_password_is_secret(void**) {
    assert_true(settingIsSecret("tls_key_password"));
    assert_false(settingIsSecret("tls_key"));
    assert_false(settingIsSecret("tls_cert"));
    assert_false(settingIsSecret("tls"));
    assert_false(settingIsSecret("port"));
}

// ------------------------------------------------- certificates on disk

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
    void operator()(X509* cert) const { X509_free(cert); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

PkeyPtr makeKey() {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr),
                                                                        EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context.get(), NID_X9_62_prime256v1) != 1 ||
        EVP_PKEY_keygen(context.get(), &key) != 1) {
        fail_msg("cannot generate a P-256 key");
    }
    return PkeyPtr(key);
}

// Self-signed, valid from now + notBefore to now + notAfter (seconds).
X509Ptr makeCertificate(EVP_PKEY* key, const char* commonName, long notBefore, long notAfter) {
    static long serial = 1;
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), notBefore);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), notAfter);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) fail_msg("cannot sign a certificate");
    return cert;
}

void writePem(const std::string& path, X509* cert, EVP_PKEY* key, const std::string& passphrase = "") {
    BIO* file = BIO_new_file(path.c_str(), "w");
    if (!file) fail_msg("cannot write %s", path.c_str());
    if (cert) PEM_write_bio_X509(file, cert);
    if (key) {
        auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
        PEM_write_bio_PrivateKey(file, key, passphrase.empty() ? nullptr : EVP_aes_256_cbc(),
                                 passphrase.empty() ? nullptr : bytes, static_cast<int>(passphrase.size()), nullptr,
                                 nullptr);
    }
    BIO_free(file);
}

constexpr const char* kPassphrase = "not-in-any-log-7f3a";

// One directory of files for every credential test.
struct Files {
    std::filesystem::path dir;
    std::string cert, key, combined, chain, otherKey, encryptedKey, expiredCert, futureCert, futureKey, garbage,
        certOnly;
};
Files* files = nullptr;

int makeFiles(void**) {
    char pattern[] = "/tmp/gochat-tls-test-XXXXXX";
    if (!mkdtemp(pattern)) return -1;
    files = new Files;
    files->dir = pattern;
    auto at = [](const char* name) { return (files->dir / name).string(); };
    files->cert = at("cert.pem");
    files->key = at("key.pem");
    files->combined = at("combined.pem");
    files->chain = at("chain.pem");
    files->otherKey = at("other-key.pem");
    files->encryptedKey = at("encrypted-key.pem");
    files->expiredCert = at("expired.pem");
    files->futureCert = at("future.pem");
    files->futureKey = at("future-key.pem");
    files->garbage = at("garbage.pem");
    files->certOnly = at("cert-only.pem");

    PkeyPtr key = makeKey();
    X509Ptr cert = makeCertificate(key.get(), "localhost", 0, 86400);
    writePem(files->cert, cert.get(), nullptr);
    writePem(files->key, nullptr, key.get());
    writePem(files->combined, cert.get(), key.get());
    writePem(files->encryptedKey, nullptr, key.get(), kPassphrase);
    writePem(files->certOnly, cert.get(), nullptr);
    {
        // Leaf first, then an (unrelated) intermediate, as fullchain.pem.
        PkeyPtr issuerKey = makeKey();
        X509Ptr issuer = makeCertificate(issuerKey.get(), "GoChat Test CA", 0, 86400);
        BIO* file = BIO_new_file(files->chain.c_str(), "w");
        PEM_write_bio_X509(file, cert.get());
        PEM_write_bio_X509(file, issuer.get());
        BIO_free(file);
    }
    PkeyPtr other = makeKey();
    writePem(files->otherKey, nullptr, other.get());
    X509Ptr expired = makeCertificate(key.get(), "expired.example", -2 * 86400, -86400);
    writePem(files->expiredCert, expired.get(), nullptr);
    PkeyPtr futureKey = makeKey();
    X509Ptr future = makeCertificate(futureKey.get(), "future.example", 86400, 2 * 86400);
    writePem(files->futureCert, future.get(), nullptr);
    writePem(files->futureKey, nullptr, futureKey.get());
    std::ofstream(files->garbage) << "this is not a certificate\n";
    return 0;
}

int removeFiles(void**) {
    if (files) {
        std::error_code ignored;
        std::filesystem::remove_all(files->dir, ignored);
        delete files;
        files = nullptr;
    }
    return 0;
}

TransportSettings tlsSettings(const std::string& cert, const std::string& key, const std::string& passphrase = "",
                              const std::string& ciphers = "") {
    TransportSettings settings;
    settings.tls = true;
    settings.tlsCert = cert;
    settings.tlsKey = key;
    settings.tlsKeyPassword = passphrase;
    settings.tlsCiphers = ciphers;
    return settings;
}

// The check refuses, and its message contains every one of `parts`.
void assertRefused(const TransportSettings& settings, std::initializer_list<std::string> parts) {
    const TlsCheck check = checkTlsCredentials(settings);
    if (!check.error) fail_msg("accepted cert %s key %s", settings.tlsCert.c_str(), settings.tlsKey.c_str());
    for (const std::string& part : parts) {
        if (check.error->find(part) == std::string::npos) {
            fail_msg("'%s' not in '%s'", part.c_str(), check.error->c_str());
        }
    }
    // Whatever went wrong, the passphrase is not part of the story.
    if (check.error->find(kPassphrase) != std::string::npos) fail_msg("passphrase in '%s'", check.error->c_str());
}

void matching_certificate_and_key_are_accepted_and_summarized(void**) {
    const TlsCheck check = checkTlsCredentials(tlsSettings(files->cert, files->key));
    if (check.error) fail_msg("%s", check.error->c_str());
    assert_string_equal(check.certificate.subject.c_str(), "CN=localhost");
    assert_false(check.certificate.notAfter.empty());
    assert_false(check.certificate.expired);
    assert_false(check.certificate.notYetValid);
}

void one_file_holding_certificate_and_key_serves_as_both(void**) {
    const TlsCheck check = checkTlsCredentials(tlsSettings(files->combined, files->combined));
    if (check.error) fail_msg("%s", check.error->c_str());
}

void a_chain_file_with_the_leaf_first_is_accepted(void**) {
    const TlsCheck check = checkTlsCredentials(tlsSettings(files->chain, files->key));
    if (check.error) fail_msg("%s", check.error->c_str());
    assert_string_equal(check.certificate.subject.c_str(), "CN=localhost");
}

void missing_or_unreadable_files_are_named(void**) {
    const std::string nowhere = (files->dir / "missing.pem").string();
    assertRefused(tlsSettings(nowhere, files->key), {"tls_cert", nowhere, "No such file or directory"});
    assertRefused(tlsSettings(files->cert, nowhere), {"tls_key", nowhere, "No such file or directory"});
    assertRefused(tlsSettings(files->dir.string(), files->key), {"tls_cert", "not a regular file"});
    assertRefused(tlsSettings("", files->key), {"tls_cert"});
    assertRefused(tlsSettings(files->cert, ""), {"tls_key"});
}

void files_without_the_expected_pem_are_refused(void**) {
    assertRefused(tlsSettings(files->garbage, files->key), {"tls_cert", files->garbage, "no usable PEM certificate"});
    assertRefused(tlsSettings(files->key, files->key), {"tls_cert", "no usable PEM certificate"});
    assertRefused(tlsSettings(files->cert, files->garbage), {"tls_key", files->garbage, "no PEM private key"});
    assertRefused(tlsSettings(files->cert, files->certOnly), {"tls_key", "no PEM private key"});
}

void a_key_of_another_certificate_is_refused(void**) {
    assertRefused(tlsSettings(files->cert, files->otherKey),
                  {"tls_key", files->otherKey, "not the private key", files->cert});
}

void an_encrypted_key_needs_its_passphrase_and_never_prompts(void**) {
    // Without our callback OpenSSL would read a passphrase from the
    // terminal here; a test run without one would hang or fail otherwise.
    assertRefused(tlsSettings(files->cert, files->encryptedKey), {"is encrypted", "tls_key_password"});
    assertRefused(tlsSettings(files->cert, files->encryptedKey, "wrong passphrase"),
                  {"tls_key_password does not decrypt", files->encryptedKey});
    const TlsCheck check = checkTlsCredentials(tlsSettings(files->cert, files->encryptedKey, kPassphrase));
    if (check.error) fail_msg("%s", check.error->c_str());
    // A passphrase on a key that has none is harmless, as with lws.
    const TlsCheck plain = checkTlsCredentials(tlsSettings(files->cert, files->key, kPassphrase));
    if (plain.error) fail_msg("%s", plain.error->c_str());
}

void cipher_lists_are_checked_by_openssl(void**) {
    const TlsCheck good = checkTlsCredentials(tlsSettings(files->cert, files->key, "", "ECDHE+AESGCM:ECDHE+CHACHA20"));
    if (good.error) fail_msg("%s", good.error->c_str());
    assertRefused(tlsSettings(files->cert, files->key, "", "NO-SUCH-CIPHER"), {"tls_ciphers", "NO-SUCH-CIPHER"});
}

void expired_and_future_certificates_load_but_say_so(void**) {
    const TlsCheck expired = checkTlsCredentials(tlsSettings(files->expiredCert, files->key));
    if (expired.error) fail_msg("%s", expired.error->c_str());
    assert_true(expired.certificate.expired);
    assert_false(expired.certificate.notYetValid);
    assert_string_equal(expired.certificate.subject.c_str(), "CN=expired.example");

    const TlsCheck future = checkTlsCredentials(tlsSettings(files->futureCert, files->futureKey));
    if (future.error) fail_msg("%s", future.error->c_str());
    assert_false(future.certificate.expired);
    assert_true(future.certificate.notYetValid);
}

}  // namespace

int main(void) {
    const struct CMUnitTest settingsTests[] = {
        cmocka_unit_test(tls_is_off_by_default),           cmocka_unit_test(tls_settings_are_validated),
        cmocka_unit_test(tls_settings_are_applied),        cmocka_unit_test(tls_needs_both_a_certificate_and_a_key),
        cmocka_unit_test(only_the_key_password_is_secret),
    };
    const struct CMUnitTest credentialTests[] = {
        cmocka_unit_test(matching_certificate_and_key_are_accepted_and_summarized),
        cmocka_unit_test(one_file_holding_certificate_and_key_serves_as_both),
        cmocka_unit_test(a_chain_file_with_the_leaf_first_is_accepted),
        cmocka_unit_test(missing_or_unreadable_files_are_named),
        cmocka_unit_test(files_without_the_expected_pem_are_refused),
        cmocka_unit_test(a_key_of_another_certificate_is_refused),
        cmocka_unit_test(an_encrypted_key_needs_its_passphrase_and_never_prompts),
        cmocka_unit_test(cipher_lists_are_checked_by_openssl),
        cmocka_unit_test(expired_and_future_certificates_load_but_say_so),
    };
    const int settingsFailures = cmocka_run_group_tests_name("tls settings", settingsTests, nullptr, nullptr);
    const int credentialFailures =
        cmocka_run_group_tests_name("tls credentials", credentialTests, makeFiles, removeFiles);
    return settingsFailures + credentialFailures;
}
