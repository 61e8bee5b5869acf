// One WebRTC PeerConnection as the load generator needs it: one libnice
// agent with one stream and one component (everything bundled, rtcp-mux),
// gathering host candidates on the client address only (DESIGN.md: Janus
// and the clients meet over a veth pair, never on loopback), DTLS-SRTP on
// top (dtls_srtp.hpp), and RFC 7983 demultiplexing of what arrives: DTLS
// records to OpenSSL, SRTP and SRTCP to libsrtp, then to the owner.
#pragma once

#include "tools/loadgen/dtls_srtp.hpp"

#include <agent.h>
#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gochat::loadgen {

class PeerConnection {
public:
    struct Callbacks {
        std::function<void(const std::string& candidate)> onLocalCandidate;  // "candidate:..."
        std::function<void()> onConnected;                                   // ICE and DTLS-SRTP up
        std::function<void(const std::string& why)> onFailed;
        // Decrypted packets; the buffer is the peer's, valid during the call.
        std::function<void(const uint8_t* data, size_t length, int64_t arrivalUs)> onRtp;
        std::function<void(const uint8_t* data, size_t length)> onRtcp;
    };
    // `controlling`: the ICE role (the offerer's); gathering starts at once.
    PeerConnection(const DtlsIdentity& identity, const std::string& localIp, bool controlling, Callbacks callbacks);
    ~PeerConnection();
    PeerConnection(const PeerConnection&) = delete;
    PeerConnection& operator=(const PeerConnection&) = delete;

    const std::string& ufrag() const { return ufrag_; }
    const std::string& pwd() const { return pwd_; }
    // Host candidates gathered so far ("candidate:...").
    std::vector<std::string> localCandidates() const;

    // The remote side's ICE credentials, DTLS fingerprint and any candidates
    // of its SDP. The first call starts connectivity checks; later calls
    // (re-offers) only add candidates not seen before.
    bool setRemote(const std::string& ufrag, const std::string& pwd, const std::string& fingerprint,
                   const std::vector<std::string>& candidates, bool endOfCandidates, std::string& error);
    void addRemoteCandidate(const std::string& candidate);
    void remoteCandidatesDone();

    // Protects and sends; `length` <= kMaxRtpPacket. False when not connected.
    bool sendRtp(const uint8_t* packet, size_t length);
    bool sendRtcp(const uint8_t* packet, size_t length);
    bool connected() const { return dtls_ && dtls_->connected(); }

private:
    static void onReceive(NiceAgent* agent, guint stream, guint component, guint length, gchar* data, gpointer self);
    static void onStateChanged(NiceAgent* agent, guint stream, guint component, guint state, gpointer self);
    static void onNewCandidate(NiceAgent* agent, NiceCandidate* candidate, gpointer self);
    void handlePacket(uint8_t* data, size_t length);
    void sendRaw(const uint8_t* data, size_t length);
    void fail(const std::string& why);

    const DtlsIdentity& identity_;
    Callbacks callbacks_;
    NiceAgent* agent_ = nullptr;
    guint stream_ = 0;
    std::string ufrag_, pwd_;
    std::vector<std::string> localCandidates_;
    std::vector<std::string> remoteCandidates_;
    std::unique_ptr<DtlsSrtp> dtls_;
    bool failed_ = false;
    bool constructing_ = true;  // no callbacks before the owner holds the object
};

}  // namespace gochat::loadgen
