// DTLS-SRTP for one PeerConnection (RFC 5763, 5764): the load generator is
// always the DTLS client (it answers the SFU's offers with a=setup:active,
// and offers a=setup:active to the VideoRoom, which Janus then serves), over
// OpenSSL memory BIOs fed from and drained to the ICE component. Once the
// handshake is done and the server's certificate matches the fingerprint of
// its SDP, SRTP_AES128_CM_SHA1_80 keys are exported and libsrtp2 protects
// and unprotects every packet.
#pragma once

#include <glib.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace gochat::loadgen {

// One self-signed certificate (ECDSA P-256) and one SSL_CTX for the whole
// process; every PeerConnection offers the same fingerprint.
class DtlsIdentity {
public:
    // Also initialises libsrtp2 once. Throws std::runtime_error on failure.
    DtlsIdentity();
    ~DtlsIdentity();
    DtlsIdentity(const DtlsIdentity&) = delete;
    DtlsIdentity& operator=(const DtlsIdentity&) = delete;
    SSL_CTX* context() const { return context_; }
    // "sha-256 AB:CD:..." as written in SDP.
    const std::string& fingerprint() const { return fingerprint_; }

private:
    SSL_CTX* context_ = nullptr;
    std::string fingerprint_;
};

// "sha-256 AB:..." of a certificate (what a=fingerprint carries).
std::string certificateFingerprint(X509* certificate);

class DtlsSrtp {
public:
    struct Callbacks {
        std::function<void(const uint8_t* data, size_t length)> send;  // to the ICE component
        std::function<void()> onConnected;                             // SRTP keys are in place
        std::function<void(const std::string& why)> onFailed;
    };
    // `expectedFingerprint`: the remote SDP's a=fingerprint.
    DtlsSrtp(const DtlsIdentity& identity, std::string expectedFingerprint, Callbacks callbacks);
    ~DtlsSrtp();
    DtlsSrtp(const DtlsSrtp&) = delete;
    DtlsSrtp& operator=(const DtlsSrtp&) = delete;

    // Sends the ClientHello (call once ICE is connected).
    void start();
    void onPacket(const uint8_t* data, size_t length);
    bool connected() const { return connected_; }

    // In place; `buffer` must have SRTP_MAX_TRAILER_LEN spare bytes after
    // `length`. False when not connected or libsrtp refuses the packet.
    bool protectRtp(uint8_t* buffer, size_t& length);
    bool unprotectRtp(uint8_t* buffer, size_t& length);
    bool protectRtcp(uint8_t* buffer, size_t& length);
    bool unprotectRtcp(uint8_t* buffer, size_t& length);

private:
    static gboolean onTimer(gpointer self);
    void advanceHandshake();
    void flush();
    void scheduleTimer();
    bool installKeys(std::string& why);
    void fail(const std::string& why);

    std::string expectedFingerprint_;
    Callbacks callbacks_;
    SSL* ssl_ = nullptr;
    BIO* incoming_ = nullptr;  // owned by ssl_
    BIO* outgoing_ = nullptr;  // owned by ssl_
    guint timer_ = 0;
    bool started_ = false;
    bool connected_ = false;
    bool failed_ = false;
    srtp_t srtpIn_ = nullptr;
    srtp_t srtpOut_ = nullptr;
};

}  // namespace gochat::loadgen
