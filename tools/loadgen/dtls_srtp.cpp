#include "tools/loadgen/dtls_srtp.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <stdexcept>
#include <strings.h>

namespace gochat::loadgen {

namespace {

constexpr int kMtu = 1200;
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 4.2
constexpr size_t kKeyLength = 16;                         // SRTP_AES128_CM_SHA1_80
constexpr size_t kSaltLength = 14;

int acceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }  // checked against the SDP fingerprint instead

// Retransmission timer: 100 ms, doubling up to 2 s. OpenSSL's default first
// timeout of 1 s would show in every join whose ClientHello reaches Janus
// before its side of ICE is up (Janus drops DTLS until then).
unsigned int retransmitTimerUs(SSL*, unsigned int previousUs) {
    constexpr unsigned int kInitialUs = 100 * 1000, kMaxUs = 2000 * 1000;
    if (previousUs == 0) return kInitialUs;
    return previousUs >= kMaxUs / 2 ? kMaxUs : previousUs * 2;
}

EVP_PKEY* makeKey() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (!key) throw std::runtime_error("cannot generate the DTLS key");
    return key;
}

X509* makeCertificate(EVP_PKEY* key) {
    X509* certificate = X509_new();
    if (!certificate) throw std::runtime_error("X509_new failed");
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), static_cast<long>(g_random_int() & 0x7FFFFFFF));
    X509_gmtime_adj(X509_getm_notBefore(certificate), -24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 30L * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("gochat-loadgen"), -1,
                               -1, 0);
    X509_set_issuer_name(certificate, name);
    X509_set_pubkey(certificate, key);
    if (X509_sign(certificate, key, EVP_sha256()) == 0) {
        X509_free(certificate);
        throw std::runtime_error("cannot sign the DTLS certificate");
    }
    return certificate;
}

bool sameFingerprint(const std::string& a, const std::string& b) {
    return a.size() == b.size() && strcasecmp(a.c_str(), b.c_str()) == 0;
}

srtp_t makeSrtp(const uint8_t* key, const uint8_t* salt, srtp_ssrc_type_t direction) {
    uint8_t material[kKeyLength + kSaltLength];
    std::memcpy(material, key, kKeyLength);
    std::memcpy(material + kKeyLength, salt, kSaltLength);
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = material;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    srtp_t session = nullptr;
    if (srtp_create(&session, &policy) != srtp_err_status_ok) return nullptr;
    return session;
}

}  // namespace

std::string certificateFingerprint(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!X509_digest(certificate, EVP_sha256(), digest, &length)) return {};
    std::string text = "sha-256 ";
    char hex[4];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(hex, sizeof hex, i + 1 < length ? "%02X:" : "%02X", digest[i]);
        text += hex;
    }
    return text;
}

DtlsIdentity::DtlsIdentity() {
    if (srtp_init() != srtp_err_status_ok) throw std::runtime_error("srtp_init failed");
    EVP_PKEY* key = makeKey();
    X509* certificate = makeCertificate(key);
    fingerprint_ = certificateFingerprint(certificate);
    context_ = SSL_CTX_new(DTLS_method());
    const bool ok = context_ && SSL_CTX_use_certificate(context_, certificate) == 1 &&
                    SSL_CTX_use_PrivateKey(context_, key) == 1 &&
                    SSL_CTX_set_tlsext_use_srtp(context_, "SRTP_AES128_CM_SHA1_80") == 0;
    X509_free(certificate);
    EVP_PKEY_free(key);
    if (!ok) throw std::runtime_error("cannot set up the DTLS context");
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCertificate);
    SSL_CTX_set_read_ahead(context_, 1);
}

DtlsIdentity::~DtlsIdentity() {
    if (context_) SSL_CTX_free(context_);
    srtp_shutdown();
}

DtlsSrtp::DtlsSrtp(const DtlsIdentity& identity, std::string expectedFingerprint, Callbacks callbacks)
    : expectedFingerprint_(std::move(expectedFingerprint)), callbacks_(std::move(callbacks)) {
    ssl_ = SSL_new(identity.context());
    incoming_ = BIO_new(BIO_s_mem());
    outgoing_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(incoming_, -1);
    BIO_set_mem_eof_return(outgoing_, -1);
    SSL_set_bio(ssl_, incoming_, outgoing_);
    SSL_set_connect_state(ssl_);
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_, kMtu);
    DTLS_set_link_mtu(ssl_, kMtu);
    DTLS_set_timer_cb(ssl_, retransmitTimerUs);
}

DtlsSrtp::~DtlsSrtp() {
    if (timer_) g_source_remove(timer_);
    if (srtpIn_) srtp_dealloc(srtpIn_);
    if (srtpOut_) srtp_dealloc(srtpOut_);
    SSL_free(ssl_);  // frees both BIOs
}

void DtlsSrtp::start() {
    if (started_ || failed_) return;
    started_ = true;
    advanceHandshake();
}

void DtlsSrtp::onPacket(const uint8_t* data, size_t length) {
    if (failed_) return;
    BIO_write(incoming_, data, static_cast<int>(length));
    if (!connected_) {
        if (started_) advanceHandshake();
        return;
    }
    // After the handshake only alerts (close_notify) or retransmitted server flights arrive.
    unsigned char sink[2048];
    const int read = SSL_read(ssl_, sink, sizeof sink);
    if (read <= 0 && SSL_get_error(ssl_, read) == SSL_ERROR_ZERO_RETURN) fail("DTLS closed by the server");
    flush();
}

void DtlsSrtp::advanceHandshake() {
    const int rc = SSL_do_handshake(ssl_);
    flush();
    if (rc == 1) {
        std::string why;
        if (!installKeys(why)) return fail(why);
        connected_ = true;
        if (timer_) g_source_remove(timer_);
        timer_ = 0;
        if (callbacks_.onConnected) callbacks_.onConnected();
        return;
    }
    const int error = SSL_get_error(ssl_, rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        char text[256];
        ERR_error_string_n(ERR_get_error(), text, sizeof text);
        return fail(std::string("DTLS handshake failed: ") + text);
    }
    scheduleTimer();
}

void DtlsSrtp::flush() {
    const int pending = static_cast<int>(BIO_ctrl_pending(outgoing_));
    if (pending <= 0) return;
    // All pending records in one datagram (they are one flight; a record is never split).
    uint8_t buffer[8192];
    const int read = BIO_read(outgoing_, buffer, pending < int(sizeof buffer) ? pending : int(sizeof buffer));
    if (read > 0 && callbacks_.send) callbacks_.send(buffer, static_cast<size_t>(read));
}

void DtlsSrtp::scheduleTimer() {
    timeval timeout{};
    if (!DTLSv1_get_timeout(ssl_, &timeout)) return;
    const guint ms = static_cast<guint>(timeout.tv_sec * 1000 + timeout.tv_usec / 1000);
    if (timer_) g_source_remove(timer_);
    timer_ = g_timeout_add(ms > 0 ? ms : 1, &DtlsSrtp::onTimer, this);
}

gboolean DtlsSrtp::onTimer(gpointer data) {
    auto* self = static_cast<DtlsSrtp*>(data);
    self->timer_ = 0;
    if (self->connected_ || self->failed_) return G_SOURCE_REMOVE;
    if (DTLSv1_handle_timeout(self->ssl_) < 0) {
        self->fail("DTLS handshake timed out");
        return G_SOURCE_REMOVE;
    }
    self->flush();
    self->scheduleTimer();
    return G_SOURCE_REMOVE;
}

bool DtlsSrtp::installKeys(std::string& why) {
    const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_);
    if (!profile || profile->id != SRTP_AES128_CM_SHA1_80) {
        why = "the server chose no SRTP_AES128_CM_SHA1_80";
        return false;
    }
    X509* certificate = SSL_get1_peer_certificate(ssl_);
    const std::string seen = certificate ? certificateFingerprint(certificate) : std::string();
    if (certificate) X509_free(certificate);
    if (!sameFingerprint(seen, expectedFingerprint_)) {
        why = "the server's certificate does not match the SDP fingerprint";
        return false;
    }
    uint8_t material[2 * (kKeyLength + kSaltLength)];
    if (SSL_export_keying_material(ssl_, material, sizeof material, kExporterLabel, sizeof kExporterLabel - 1, nullptr,
                                   0, 0) != 1) {
        why = "cannot export the SRTP keys";
        return false;
    }
    // client key | server key | client salt | server salt; we are the client.
    const uint8_t* clientKey = material;
    const uint8_t* serverKey = material + kKeyLength;
    const uint8_t* clientSalt = material + 2 * kKeyLength;
    const uint8_t* serverSalt = clientSalt + kSaltLength;
    srtpOut_ = makeSrtp(clientKey, clientSalt, ssrc_any_outbound);
    srtpIn_ = makeSrtp(serverKey, serverSalt, ssrc_any_inbound);
    if (!srtpOut_ || !srtpIn_) {
        why = "srtp_create failed";
        return false;
    }
    return true;
}

void DtlsSrtp::fail(const std::string& why) {
    if (failed_) return;
    failed_ = true;
    if (timer_) g_source_remove(timer_);
    timer_ = 0;
    if (callbacks_.onFailed) callbacks_.onFailed(why);
}

bool DtlsSrtp::protectRtp(uint8_t* buffer, size_t& length) {
    if (!connected_) return false;
    int size = static_cast<int>(length);
    if (srtp_protect(srtpOut_, buffer, &size) != srtp_err_status_ok) return false;
    length = static_cast<size_t>(size);
    return true;
}

bool DtlsSrtp::unprotectRtp(uint8_t* buffer, size_t& length) {
    if (!connected_) return false;
    int size = static_cast<int>(length);
    if (srtp_unprotect(srtpIn_, buffer, &size) != srtp_err_status_ok) return false;
    length = static_cast<size_t>(size);
    return true;
}

bool DtlsSrtp::protectRtcp(uint8_t* buffer, size_t& length) {
    if (!connected_) return false;
    int size = static_cast<int>(length);
    if (srtp_protect_rtcp(srtpOut_, buffer, &size) != srtp_err_status_ok) return false;
    length = static_cast<size_t>(size);
    return true;
}

bool DtlsSrtp::unprotectRtcp(uint8_t* buffer, size_t& length) {
    if (!connected_) return false;
    int size = static_cast<int>(length);
    if (srtp_unprotect_rtcp(srtpIn_, buffer, &size) != srtp_err_status_ok) return false;
    length = static_cast<size_t>(size);
    return true;
}

}  // namespace gochat::loadgen
