#include "tools/loadgen/gochat_participant.hpp"

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/auth/token_verifier.hpp"

#include <ctime>

namespace gochat::loadgen {

namespace {

constexpr int kOpHeartbeat = 2;
constexpr int kOpRtc = 7;
constexpr int kJoin = 500, kOffer = 501, kAnswer = 502, kCandidate = 503, kLeave = 504;
constexpr int kKicked = 510, kBlocked = 511, kMoved = 512;
constexpr int64_t kHeartbeatIntervalUs = 15 * 1000000;  // GoChat's web client beats about this often
constexpr int64_t kTokenLifetimeSeconds = 3600;
constexpr int64_t kKeyframeWaitUs = 1000000;  // a video stream without a key frame asks again after this

std::string streamIdOf(int64_t userId) { return "loadgen-" + std::to_string(userId); }

// "user-<id>" (docs/protocol.md: the MSID stream id of every remote line) -> id; 0 when not that form.
int64_t userOfStream(const std::string& stream) {
    constexpr std::string_view prefix = "user-";
    if (stream.compare(0, prefix.size(), prefix) != 0 || stream.size() == prefix.size()) return 0;
    int64_t id = 0;
    for (size_t i = prefix.size(); i < stream.size(); ++i) {
        if (stream[i] < '0' || stream[i] > '9') return 0;
        id = id * 10 + (stream[i] - '0');
    }
    return id;
}

}  // namespace

GochatParticipant::GochatParticipant(const RunSettings& settings, const ParticipantSpec& spec)
    : Participant(settings, spec),
      ws_(WsClient::Callbacks{[this] { onOpen(); }, [this](std::string_view text) { onText(text); },
                              [this](const std::string& why) { onClosed(why); }}),
      sdpSessionId_(g_random_int()) {}

void GochatParticipant::start() {
    WsUrl url;
    std::string error;
    summary_.openedUs = g_get_monotonic_time();
    if (!parseWsUrl(settings_.url, url)) return fail("bad URL " + settings_.url);
    if (!ws_.connect(url, error)) return fail(error);
}

void GochatParticipant::onOpen() {
    auth::TokenClaims claims;
    claims.userId = summary_.spec.userId;
    claims.channelId = summary_.spec.channel;
    claims.guildId = settings_.guild;
    claims.perms = settings_.perms;
    auth::TokenPolicy policy;
    policy.secret = settings_.secret;
    policy.issuer = settings_.issuer;
    const std::string token = auth::mintToken(claims, policy, std::time(nullptr), kTokenLifetimeSeconds);
    JsonRef d = JsonRef::object();
    d.setInt("channel", summary_.spec.channel).setString("token", token);
    sendEnvelope(kOpRtc, kJoin, d.dump());
    nextHeartbeatUs_ = g_get_monotonic_time() + kHeartbeatIntervalUs;
}

void GochatParticipant::sendEnvelope(int op, int t, const std::string& dJson) {
    std::string text = "{\"op\":" + std::to_string(op);
    if (t != 0) text += ",\"t\":" + std::to_string(t);
    text += ",\"d\":" + dJson + "}";
    ws_.sendText(text);
}

void GochatParticipant::onText(std::string_view text) {
    JsonRef envelope = JsonRef::parse(text, 0);
    if (!envelope || !json_is_object(envelope.get())) return;
    int64_t op = 0, t = 0;
    jsonGetInt64(envelope.get(), "op", op);
    jsonGetInt64(envelope.get(), "t", t);
    json_t* d = json_object_get(envelope.get(), "d");
    if (op == kOpHeartbeat && d && json_is_true(json_object_get(d, "ping"))) {
        JsonRef pong = JsonRef::object();
        pong.setBool("pong", true);
        if (json_t* nonce = json_object_get(d, "nonce")) json_object_set(pong.get(), "nonce", nonce);
        sendEnvelope(kOpHeartbeat, 0, pong.dump());
    } else if (op == kOpRtc && d && json_is_object(d)) {
        onRtc(static_cast<int>(t), d);
    }
}

void GochatParticipant::onRtc(int t, json_t* d) {
    json_t* ok = json_object_get(d, "ok");
    json_t* error = json_object_get(d, "error");
    const std::string errorText = json_is_string(error) ? json_string_value(error) : "";
    if (t == kJoin) {
        if (json_is_true(ok)) {
            summary_.joined = true;
            summary_.joinedUs = g_get_monotonic_time();
        } else {
            fail("join refused: " + errorText);
        }
    } else if (t == kOffer) {
        json_t* sdp = json_object_get(d, "sdp");
        if (json_is_string(sdp))
            handleOffer(json_string_value(sdp));
        else if (json_is_false(ok))
            fail("offer error: " + errorText);
    } else if (t == kCandidate) {
        handleCandidate(d);
    } else if (t == kKicked || t == kBlocked || t == kMoved) {
        fail("removed by the SFU (t " + std::to_string(t) + ")");
    }
}

void GochatParticipant::ensurePeer() {
    if (peer_) return;
    PeerConnection::Callbacks callbacks;
    callbacks.onLocalCandidate = [this](const std::string& candidate) {
        if (!trickled_) return;  // the first trickle sends every candidate known by then
        JsonRef d = JsonRef::object();
        d.setString("candidate", candidate).setString("sdpMid", "0").setInt("sdpMLineIndex", 0);
        sendEnvelope(kOpRtc, kCandidate, d.dump());
    };
    callbacks.onConnected = [this] {
        summary_.connected = true;
        summary_.connectedUs = g_get_monotonic_time();
        sender_.start(summary_.connectedUs);
    };
    callbacks.onFailed = [this](const std::string& why) { fail(why); };
    callbacks.onRtp = [this](const uint8_t* data, size_t length, int64_t arrivalUs) {
        log_.onRtp(data, length, arrivalUs);
    };
    callbacks.onRtcp = [this](const uint8_t* data, size_t length) {
        if (rtcpRequestsKeyframe(data, length)) sender_.requestKeyframe();
    };
    peer_ = std::make_unique<PeerConnection>(*settings_.identity, settings_.localIp, false, std::move(callbacks));
}

void GochatParticipant::handleOffer(const std::string& sdp) {
    ++summary_.offers;
    SdpSession offer;
    std::string error;
    if (!parseSdp(sdp, offer, error)) return fail("bad offer: " + error);
    ensurePeer();
    bool endOfCandidates = false;
    for (const SdpMedia& media : offer.media) endOfCandidates = endOfCandidates || media.endOfCandidates;
    if (!peer_->setRemote(offer.ufrag(), offer.pwd(), offer.fingerprintValue(), offer.candidates(), endOfCandidates,
                          error))
        return fail(error);
    for (const std::string& candidate : pendingCandidates_) peer_->addRemoteCandidate(candidate);
    pendingCandidates_.clear();
    routeRemoteLines(offer);
    LocalTransport local;
    local.ufrag = peer_->ufrag();
    local.pwd = peer_->pwd();
    local.fingerprint = settings_.identity->fingerprint();
    const std::string answer = writeSdp(planAnswer(offer), local, sdpSessionId_, ++sdpVersion_);
    JsonRef d = JsonRef::object();
    d.setString("sdp", answer);
    sendEnvelope(kOpRtc, kAnswer, d.dump());
    ++summary_.answers;
    trickleLocalCandidates();
}

// The first audio and the first video line are this client's own (docs/protocol.md):
// it sends on them; every other line is a remote track it receives.
std::vector<LocalLine> GochatParticipant::planAnswer(const SdpSession& offer) {
    std::vector<LocalLine> lines;
    bool ownAudioSeen = false, ownVideoSeen = false;
    const std::string stream = streamIdOf(summary_.spec.userId);
    for (const SdpMedia& media : offer.media) {
        const bool ownAudio = media.kind == "audio" && !ownAudioSeen;
        const bool ownVideo = media.kind == "video" && !ownVideoSeen;
        ownAudioSeen = ownAudioSeen || media.kind == "audio";
        ownVideoSeen = ownVideoSeen || media.kind == "video";
        const bool send = ownAudio || (ownVideo && sender_.sendsVideo());
        const bool receive = !ownAudio && !ownVideo;
        LocalLine line = answerLine(media, answerDirection(media.direction, send, receive));
        const bool sending = line.port != 0 && line.direction == Direction::SendOnly;
        if (ownAudio || ownVideo) {
            line.ssrc = ownAudio ? sender_.audioSsrc() : sender_.videoSsrc();
            line.msidStream = stream;
            line.msidTrack = (ownAudio ? "audio-" : "video-") + std::to_string(summary_.spec.userId);
            TrackBinding binding;
            binding.active = sending;
            binding.payloadType = line.codecs.empty() ? 0 : static_cast<uint8_t>(line.codecs[0].payloadType);
            binding.ids.audioLevel = ownAudio ? media.extmapId(kAudioLevelUri) : 0;
            binding.ids.mid = media.extmapId(kMidUri);
            binding.mid = media.mid;
            if (ownAudio) {
                sender_.bindAudio(binding);
                negotiatedDtx(offersDtx(media, binding.payloadType));
            } else
                sender_.bindVideo(binding);
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

void GochatParticipant::routeRemoteLines(const SdpSession& offer) {
    std::unordered_map<uint32_t, StreamRoute> bySsrc;
    std::unordered_map<std::string, StreamRoute> byMid;
    for (const SdpMedia& media : offer.media) {
        const int64_t remote = userOfStream(media.msidStream);
        if (remote == 0 || (media.direction != Direction::SendOnly && media.direction != Direction::SendRecv)) continue;
        StreamRoute route;
        route.remoteId = remote;
        route.video = media.kind == "video";
        route.ids.audioLevel = media.extmapId(kAudioLevelUri);
        route.ids.mid = media.extmapId(kMidUri);
        for (uint32_t ssrc : media.ssrcs) bySsrc[ssrc] = route;
        byMid[media.mid] = route;
    }
    log_.setRoutes(std::move(bySsrc), std::move(byMid));
}

void GochatParticipant::trickleLocalCandidates() {
    if (trickled_ || !peer_) return;
    trickled_ = true;
    for (const std::string& candidate : peer_->localCandidates()) {
        JsonRef d = JsonRef::object();
        d.setString("candidate", candidate).setString("sdpMid", "0").setInt("sdpMLineIndex", 0);
        sendEnvelope(kOpRtc, kCandidate, d.dump());
    }
}

void GochatParticipant::handleCandidate(json_t* d) {
    json_t* candidate = json_object_get(d, "candidate");
    if (json_is_true(json_object_get(d, "completed")) ||
        (json_is_string(candidate) && json_string_length(candidate) == 0)) {
        if (peer_) peer_->remoteCandidatesDone();
        return;
    }
    if (!json_is_string(candidate)) return;
    std::string text = json_string_value(candidate);
    if (text.compare(0, 2, "a=") == 0) text.erase(0, 2);
    if (peer_)
        peer_->addRemoteCandidate(text);
    else
        pendingCandidates_.push_back(text);
}

void GochatParticipant::tick(int64_t nowUs) {
    if (leaving_) return;
    if (peer_ && sender_.started()) {
        sender_.poll(nowUs, [this](const uint8_t* packet, size_t length, bool) { peer_->sendRtp(packet, length); });
    }
    if (peer_ && nowUs >= nextKeyframeCheckUs_) {
        nextKeyframeCheckUs_ = nowUs + kKeyframeWaitUs / 2;
        log_.requestMissingKeyframes(nowUs, kKeyframeWaitUs, [this](uint32_t ssrc) {
            uint8_t request[44];
            peer_->sendRtcp(request, buildKeyframeRequest(request, receiverSsrc_, ssrc));
        });
    }
    if (ws_.open() && nowUs >= nextHeartbeatUs_) {
        nextHeartbeatUs_ = nowUs + kHeartbeatIntervalUs;
        sendEnvelope(kOpHeartbeat, 0, "{\"nonce\":" + std::to_string(nowUs) + "}");
    }
}

void GochatParticipant::leave() {
    if (leaving_) return;
    leaving_ = true;
    if (ws_.open()) sendEnvelope(kOpRtc, kLeave, "{}");
    ws_.close();
    peer_.reset();
}

void GochatParticipant::onClosed(const std::string& why) {
    if (!leaving_) fail("socket closed: " + why);
}

void GochatParticipant::fail(const std::string& why) {
    if (summary_.error.empty()) summary_.error = why;
}

ParticipantSummary GochatParticipant::summary() const { return mediaSummary(); }

}  // namespace gochat::loadgen
