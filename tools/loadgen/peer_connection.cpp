#include "tools/loadgen/peer_connection.hpp"

#include "tools/loadgen/rtp.hpp"

#include <algorithm>
#include <cstring>

namespace gochat::loadgen {

namespace {
constexpr guint kComponent = 1;  // rtcp-mux: RTP and RTCP on the one component
}  // namespace

PeerConnection::PeerConnection(const DtlsIdentity& identity, const std::string& localIp, bool controlling,
                               Callbacks callbacks)
    : identity_(identity), callbacks_(std::move(callbacks)) {
    agent_ = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(agent_, "controlling-mode", controlling ? TRUE : FALSE, "upnp", FALSE, "ice-tcp", FALSE, nullptr);
    NiceAddress address;
    nice_address_init(&address);
    if (nice_address_set_from_string(&address, localIp.c_str())) nice_agent_add_local_address(agent_, &address);
    g_signal_connect(agent_, "component-state-changed", G_CALLBACK(&PeerConnection::onStateChanged), this);
    g_signal_connect(agent_, "new-candidate-full", G_CALLBACK(&PeerConnection::onNewCandidate), this);
    stream_ = nice_agent_add_stream(agent_, 1);
    nice_agent_attach_recv(agent_, stream_, kComponent, g_main_context_default(), &PeerConnection::onReceive, this);
    gchar* ufrag = nullptr;
    gchar* pwd = nullptr;
    nice_agent_get_local_credentials(agent_, stream_, &ufrag, &pwd);
    ufrag_ = ufrag ? ufrag : "";
    pwd_ = pwd ? pwd : "";
    g_free(ufrag);
    g_free(pwd);
    if (!nice_agent_gather_candidates(agent_, stream_)) failed_ = true;
    // Host candidates exist as soon as gathering started.
    GSList* candidates = nice_agent_get_local_candidates(agent_, stream_, kComponent);
    for (GSList* item = candidates; item; item = item->next) {
        gchar* sdp = nice_agent_generate_local_candidate_sdp(agent_, static_cast<NiceCandidate*>(item->data));
        if (sdp && g_str_has_prefix(sdp, "a=")) localCandidates_.emplace_back(sdp + 2);
        g_free(sdp);
    }
    g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
    constructing_ = false;
}

PeerConnection::~PeerConnection() {
    dtls_.reset();
    if (agent_) {
        g_signal_handlers_disconnect_by_data(agent_, this);
        nice_agent_attach_recv(agent_, stream_, kComponent, g_main_context_default(), nullptr, nullptr);
        nice_agent_remove_stream(agent_, stream_);
        g_object_unref(agent_);
    }
}

std::vector<std::string> PeerConnection::localCandidates() const { return localCandidates_; }

bool PeerConnection::setRemote(const std::string& ufrag, const std::string& pwd, const std::string& fingerprint,
                               const std::vector<std::string>& candidates, bool endOfCandidates, std::string& error) {
    if (failed_) {
        error = "ICE gathering failed";
        return false;
    }
    if (!dtls_) {
        if (ufrag.empty() || pwd.empty() || fingerprint.empty()) {
            error = "the remote SDP has no ICE credentials or fingerprint";
            return false;
        }
        nice_agent_set_remote_credentials(agent_, stream_, ufrag.c_str(), pwd.c_str());
        DtlsSrtp::Callbacks dtlsCallbacks;
        dtlsCallbacks.send = [this](const uint8_t* data, size_t length) { sendRaw(data, length); };
        dtlsCallbacks.onConnected = [this] {
            if (callbacks_.onConnected) callbacks_.onConnected();
        };
        dtlsCallbacks.onFailed = [this](const std::string& why) { fail(why); };
        dtls_ = std::make_unique<DtlsSrtp>(identity_, fingerprint, std::move(dtlsCallbacks));
    }
    for (const std::string& candidate : candidates) addRemoteCandidate(candidate);
    if (endOfCandidates) remoteCandidatesDone();
    return true;
}

void PeerConnection::addRemoteCandidate(const std::string& candidate) {
    if (std::find(remoteCandidates_.begin(), remoteCandidates_.end(), candidate) != remoteCandidates_.end()) return;
    remoteCandidates_.push_back(candidate);
    const std::string line = "a=" + candidate;
    NiceCandidate* parsed = nice_agent_parse_remote_candidate_sdp(agent_, stream_, line.c_str());
    if (!parsed) return;
    parsed->component_id = kComponent;
    GSList list = {parsed, nullptr};
    nice_agent_set_remote_candidates(agent_, stream_, kComponent, &list);
    nice_candidate_free(parsed);
}

void PeerConnection::remoteCandidatesDone() { nice_agent_peer_candidate_gathering_done(agent_, stream_); }

void PeerConnection::sendRaw(const uint8_t* data, size_t length) {
    nice_agent_send(agent_, stream_, kComponent, static_cast<guint>(length), reinterpret_cast<const gchar*>(data));
}

bool PeerConnection::sendRtp(const uint8_t* packet, size_t length) {
    uint8_t buffer[kMaxRtpPacket + SRTP_MAX_TRAILER_LEN];
    if (!connected() || length > kMaxRtpPacket) return false;
    std::memcpy(buffer, packet, length);
    if (!dtls_->protectRtp(buffer, length)) return false;
    sendRaw(buffer, length);
    return true;
}

bool PeerConnection::sendRtcp(const uint8_t* packet, size_t length) {
    uint8_t buffer[kMaxRtpPacket + SRTP_MAX_TRAILER_LEN + 4];
    if (!connected() || length > kMaxRtpPacket) return false;
    std::memcpy(buffer, packet, length);
    if (!dtls_->protectRtcp(buffer, length)) return false;
    sendRaw(buffer, length);
    return true;
}

void PeerConnection::onReceive(NiceAgent*, guint, guint, guint length, gchar* data, gpointer self) {
    uint8_t buffer[2048];
    if (length == 0 || length > sizeof buffer) return;
    std::memcpy(buffer, data, length);
    static_cast<PeerConnection*>(self)->handlePacket(buffer, length);
}

void PeerConnection::handlePacket(uint8_t* data, size_t length) {
    const uint8_t first = data[0];
    if (first >= 20 && first <= 63) {  // RFC 7983: DTLS
        if (dtls_) dtls_->onPacket(data, length);
        return;
    }
    if (first < 128 || first > 191 || !connected()) return;
    if (isRtcp(data, length)) {
        if (dtls_->unprotectRtcp(data, length) && callbacks_.onRtcp) callbacks_.onRtcp(data, length);
        return;
    }
    const int64_t arrival = g_get_monotonic_time();
    if (dtls_->unprotectRtp(data, length) && callbacks_.onRtp) callbacks_.onRtp(data, length, arrival);
}

void PeerConnection::onStateChanged(NiceAgent*, guint, guint, guint state, gpointer data) {
    auto* self = static_cast<PeerConnection*>(data);
    if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
        if (self->dtls_) self->dtls_->start();
    } else if (state == NICE_COMPONENT_STATE_FAILED) {
        self->fail("ICE failed");
    }
}

void PeerConnection::onNewCandidate(NiceAgent* agent, NiceCandidate* candidate, gpointer data) {
    auto* self = static_cast<PeerConnection*>(data);
    gchar* sdp = nice_agent_generate_local_candidate_sdp(agent, candidate);
    if (sdp && g_str_has_prefix(sdp, "a=")) {
        const std::string line(sdp + 2);
        if (std::find(self->localCandidates_.begin(), self->localCandidates_.end(), line) ==
            self->localCandidates_.end()) {
            self->localCandidates_.push_back(line);
            if (!self->constructing_ && self->callbacks_.onLocalCandidate) self->callbacks_.onLocalCandidate(line);
        }
    }
    g_free(sdp);
}

void PeerConnection::fail(const std::string& why) {
    if (failed_) return;
    failed_ = true;
    if (callbacks_.onFailed) callbacks_.onFailed(why);
}

}  // namespace gochat::loadgen
