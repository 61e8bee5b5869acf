#include "transports/gochat-ws/tls/tls_credentials.hpp"

#include "common/c_holders.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace gochat::ws {
namespace {

using SslCtxPtr = Owned<SSL_CTX, SSL_CTX_free>;
using BioPtr = Owned<BIO, BIO_free>;
using PkeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;

// OpenSSL's reason for the last failure on this thread, and the error queue
// emptied so it does not leak into Janus's own OpenSSL use (DTLS).
std::string takeOpenSslError() {
    const unsigned long code = ERR_peek_last_error();
    char text[256] = "no detail from OpenSSL";
    if (code != 0) ERR_error_string_n(code, text, sizeof(text));
    ERR_clear_error();
    return text;
}

// "missing" and "unreadable" in the words an operator knows (errno), before
// OpenSSL turns them into "system library" errors.
std::optional<std::string> unreadableFile(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::string(std::strerror(errno));
    struct stat info;
    const bool regular = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
    close(fd);
    if (!regular) return std::string("not a regular file");
    return std::nullopt;
}

struct PassphraseRequest {
    const std::string* passphrase;
    bool asked = false;  // OpenSSL met an encrypted key
};

// Hands OpenSSL the configured passphrase. Set on every load we do, so
// OpenSSL never falls back to its default callback, which prompts on the
// controlling terminal.
int passphraseCallback(char* buffer, int size, int /*rwflag*/, void* userdata) {
    auto* request = static_cast<PassphraseRequest*>(userdata);
    request->asked = true;
    if (size <= 1 || request->passphrase->empty()) return 0;  // 0: no passphrase, decryption fails
    // At most size - 1 bytes, as lws's own callback copies (a C string in
    // the buffer); settings cap the passphrase below that anyway.
    const size_t length = std::min(request->passphrase->size(), static_cast<size_t>(size - 1));
    std::memcpy(buffer, request->passphrase->data(), length);
    return static_cast<int>(length);
}

std::string bioText(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 && data ? std::string(data, static_cast<size_t>(length)) : std::string();
}

CertificateSummary summarize(X509* leaf) {
    CertificateSummary summary;
    BioPtr subject(BIO_new(BIO_s_mem()));
    if (subject && X509_NAME_print_ex(subject.get(), X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
        summary.subject = bioText(subject.get());
    }
    BioPtr notAfter(BIO_new(BIO_s_mem()));
    if (notAfter && ASN1_TIME_print(notAfter.get(), X509_get0_notAfter(leaf)) == 1) {
        summary.notAfter = bioText(notAfter.get());
    }
    // X509_cmp_current_time: -1 before now, 1 after, 0 on a malformed time.
    summary.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;
    summary.notYetValid = X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0;
    ERR_clear_error();
    return summary;
}

TlsCheck failure(std::string text) {
    TlsCheck check;
    check.error = std::move(text);
    return check;
}

}  // namespace

TlsCheck checkTlsCredentials(const TransportSettings& settings) {
    ERR_clear_error();
    const std::string& cert = settings.tlsCert;
    const std::string& key = settings.tlsKey;
    if (cert.empty()) return failure("tls_cert is not set");
    if (key.empty()) return failure("tls_key is not set");
    if (auto problem = unreadableFile(cert)) return failure("tls_cert " + cert + ": " + *problem);
    if (auto problem = unreadableFile(key)) return failure("tls_key " + key + ": " + *problem);

    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    if (!context) return failure("OpenSSL cannot create a TLS context: " + takeOpenSslError());
    PassphraseRequest request{&settings.tlsKeyPassword};
    SSL_CTX_set_default_passwd_cb(context.get(), passphraseCallback);
    SSL_CTX_set_default_passwd_cb_userdata(context.get(), &request);

    // The call lws makes (lib/tls/openssl/openssl-server.c): the first
    // certificate is the leaf, any further ones its chain.
    if (SSL_CTX_use_certificate_chain_file(context.get(), cert.c_str()) != 1) {
        return failure("tls_cert " + cert + " holds no usable PEM certificate (" + takeOpenSslError() + ")");
    }

    BioPtr keyFile(BIO_new_file(key.c_str(), "r"));
    if (!keyFile) return failure("tls_key " + key + ": cannot open (" + takeOpenSslError() + ")");
    // Reads the first private key block; certificate blocks before it are
    // skipped, so cert and key may share one file.
    request.asked = false;
    PkeyPtr privateKey(PEM_read_bio_PrivateKey(keyFile.get(), nullptr, passphraseCallback, &request));
    if (!privateKey) {
        const std::string detail = takeOpenSslError();
        if (request.asked && settings.tlsKeyPassword.empty()) {
            return failure("tls_key " + key + " is encrypted: set tls_key_password");
        }
        if (request.asked) {
            return failure("tls_key_password does not decrypt tls_key " + key + " (" + detail + ")");
        }
        return failure("tls_key " + key + " holds no PEM private key (" + detail + ")");
    }
    if (SSL_CTX_use_PrivateKey(context.get(), privateKey.get()) != 1 || SSL_CTX_check_private_key(context.get()) != 1) {
        return failure("tls_key " + key + " is not the private key of the certificate in tls_cert " + cert + " (" +
                       takeOpenSslError() + ")");
    }
    if (!settings.tlsCiphers.empty() && SSL_CTX_set_cipher_list(context.get(), settings.tlsCiphers.c_str()) != 1) {
        return failure("tls_ciphers '" + settings.tlsCiphers + "' selects no cipher (" + takeOpenSslError() + ")");
    }

    TlsCheck check;
    if (X509* leaf = SSL_CTX_get0_certificate(context.get())) check.certificate = summarize(leaf);
    ERR_clear_error();
    return check;
}

}  // namespace gochat::ws
