#include "tools/loadgen/videoroom_participant.hpp"

#include <map>

namespace gochat::loadgen {

namespace {

constexpr char kVideoRoom[] = "janus.plugin.videoroom";
constexpr int kErrorRoomExists = 427;  // JANUS_VIDEOROOM_ERROR_ROOM_EXISTS
constexpr int kOpusPayloadType = 111, kVp8PayloadType = 96;
constexpr int kAudioLevelId = 1, kMidId = 2;
constexpr int64_t kKeyframeWaitUs = 1000000;  // a video stream without a key frame asks again after this
constexpr int kChurnSlack = 64;               // publisher places beyond a room's planned participants

std::string textOf(json_t* object, const char* key) {
    json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

JsonRef jsepOf(const char* type, const std::string& sdp) {
    JsonRef jsep = JsonRef::object();
    jsep.setString("type", type).setString("sdp", sdp);
    return jsep;
}

// The publisher's offer: Opus with the audio level and mid extensions, and VP8 when it sends video.
// With `dtx` the Opus format asks for DTX: Janus 1.1.2's VideoRoom puts usedtx=1 in its answer
// only when the publisher's offer has it (janus_videoroom.c, v1.1.2), as janus.js applications
// that want DTX do by editing their offer.
std::vector<LocalLine> publisherOffer(const MediaSender& sender, int64_t userId, bool dtx) {
    std::vector<LocalLine> lines;
    LocalLine audio;
    audio.kind = "audio";
    audio.mid = "0";
    audio.direction = Direction::SendOnly;
    SdpCodec opus;
    opus.payloadType = kOpusPayloadType;
    opus.name = "opus";
    opus.clockRate = kOpusClock;
    opus.channels = 2;
    opus.fmtp = dtx ? "minptime=10;useinbandfec=1;usedtx=1" : "minptime=10;useinbandfec=1";
    audio.codecs.push_back(opus);
    audio.extmaps = {{kAudioLevelId, std::string(kAudioLevelUri)}, {kMidId, std::string(kMidUri)}};
    audio.ssrc = sender.audioSsrc();
    audio.msidStream = "loadgen-" + std::to_string(userId);
    audio.msidTrack = "audio-" + std::to_string(userId);
    lines.push_back(audio);
    if (!sender.sendsVideo()) return lines;
    LocalLine video = audio;
    video.kind = "video";
    video.mid = "1";
    SdpCodec vp8;
    vp8.payloadType = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clockRate = kVideoClock;
    vp8.feedback = {"nack", "nack pli", "ccm fir"};
    video.codecs = {vp8};
    video.extmaps = {{kMidId, std::string(kMidUri)}};
    video.ssrc = sender.videoSsrc();
    video.msidTrack = "video-" + std::to_string(userId);
    lines.push_back(video);
    return lines;
}

}  // namespace

// ---- VideoRoomSetup

VideoRoomSetup::VideoRoomSetup(const RunSettings& settings, const std::vector<ParticipantSpec>& specs,
                               std::function<void(const std::string& error)> done)
    : connection_(JanusConnection::Callbacks{[this] {
                                                 connection_.attach(kVideoRoom,
                                                                    [this](int64_t handle, const std::string& error) {
                                                                        if (handle == 0) return done_(error);
                                                                        handle_ = handle;
                                                                        createNext();
                                                                    });
                                             },
                                             {},
                                             [this](const std::string& why) { done_("Janus connection: " + why); }}),
      done_(std::move(done)),
      opusDtx_(settings.videoRoomOpusDtx) {
    std::map<int64_t, int> sizes;
    for (const ParticipantSpec& spec : specs) ++sizes[spec.channel];
    rooms_.assign(sizes.begin(), sizes.end());
    std::string error;
    if (!connection_.open(settings.url, error)) {
        // Reported from the loop, after the caller's constructor returned.
        g_idle_add(
            [](gpointer self) -> gboolean {
                static_cast<VideoRoomSetup*>(self)->done_("cannot connect to Janus");
                return G_SOURCE_REMOVE;
            },
            this);
    }
}

void VideoRoomSetup::createNext() {
    if (next_ == rooms_.size()) {
        connection_.close();
        return done_("");
    }
    const auto [room, participants] = rooms_[next_++];
    JsonRef body = JsonRef::object();
    // Churn replaces participants: the one leaving may still be listed when the next joins.
    body.setString("request", "create").setInt("room", room).setInt("publishers", participants + kChurnSlack);
    body.setBool("audiolevel_ext", true).setString("videocodec", "vp8").setString("audiocodec", "opus");
    body.setBool("notify_joining", false).setBool("opus_dtx", opusDtx_);
    connection_.message(handle_, std::move(body), {}, [this](json_t* reply) {
        json_t* data = json_object_get(json_object_get(reply, "plugindata"), "data");
        int64_t code = 0;
        jsonGetInt64(data, "error_code", code);
        if (textOf(data, "videoroom") == "created" || code == kErrorRoomExists) return createNext();
        done_("create room: " + JanusConnection::errorOf(reply));
    });
}

// ---- VideoRoomParticipant

VideoRoomParticipant::VideoRoomParticipant(const RunSettings& settings, const ParticipantSpec& spec)
    : Participant(settings, spec),
      connection_(JanusConnection::Callbacks{
          [this] { onSession(); }, [this](int64_t sender, json_t* message) { onHandleMessage(sender, message); },
          [this](const std::string& why) {
              if (!leaving_) fail("socket closed: " + why);
          }}),
      sdpSessionId_(g_random_int()) {}

void VideoRoomParticipant::start() {
    summary_.openedUs = g_get_monotonic_time();
    std::string error;
    if (!connection_.open(settings_.url, error)) fail(error);
}

void VideoRoomParticipant::onSession() {
    connection_.attach(kVideoRoom, [this](int64_t handle, const std::string& error) {
        if (handle == 0) return fail(error);
        publisherHandle_ = handle;
        JsonRef body = JsonRef::object();
        body.setString("request", "join").setString("ptype", "publisher").setInt("room", summary_.spec.channel);
        body.setInt("id", summary_.spec.userId).setString("display", "loadgen-" + std::to_string(summary_.spec.index));
        connection_.message(publisherHandle_, std::move(body));
    });
}

void VideoRoomParticipant::onHandleMessage(int64_t sender, json_t* message) {
    const std::string verb = textOf(message, "janus");
    if (verb == "hangup" && !leaving_) return fail("hangup: " + textOf(message, "reason"));
    if (verb != "event") return;
    json_t* data = json_object_get(json_object_get(message, "plugindata"), "data");
    json_t* jsep = json_object_get(message, "jsep");
    if (!json_is_object(data)) return;
    if (json_object_get(data, "error")) return fail("videoroom: " + JanusConnection::errorOf(message));
    if (sender == publisherHandle_)
        onPublisherEvent(data, jsep);
    else if (sender == subscriberHandle_)
        onSubscriberEvent(data, jsep);
}

void VideoRoomParticipant::onPublisherEvent(json_t* data, json_t* jsep) {
    const std::string kind = textOf(data, "videoroom");
    if (kind == "joined") {
        summary_.joined = true;
        summary_.joinedUs = g_get_monotonic_time();
        learnPublishers(json_object_get(data, "publishers"));
        publish();
        return;
    }
    if (kind != "event") return;
    learnPublishers(json_object_get(data, "publishers"));
    int64_t gone = 0;
    if (jsonGetInt64(data, "unpublished", gone) || jsonGetInt64(data, "leaving", gone)) {
        feeds_.erase(gone);
        subscribed_.erase(gone);  // Janus drops those streams from the subscription itself
    }
    if (jsep && textOf(jsep, "type") == "answer") applyPublisherAnswer(textOf(jsep, "sdp"));
}

void VideoRoomParticipant::learnPublishers(json_t* list) {
    if (!json_is_array(list)) return;
    size_t index;
    json_t* entry;
    json_array_foreach(list, index, entry) {
        int64_t id = 0;
        if (jsonGetInt64(entry, "id", id) && id != summary_.spec.userId) feeds_.insert(id);
    }
    updateSubscription();
}

std::unique_ptr<PeerConnection> VideoRoomParticipant::makePeer(bool controlling, bool publisher, int64_t handle) {
    PeerConnection::Callbacks callbacks;
    callbacks.onLocalCandidate = [this, handle](const std::string& candidate) {
        connection_.trickle(handle, candidate);
    };
    callbacks.onFailed = [this, publisher](const std::string& why) {
        fail(std::string(publisher ? "publisher: " : "subscriber: ") + why);
    };
    if (publisher) {
        callbacks.onConnected = [this] {
            summary_.connected = true;
            summary_.connectedUs = g_get_monotonic_time();
            sender_.start(summary_.connectedUs);
        };
        callbacks.onRtcp = [this](const uint8_t* data, size_t length) {
            if (rtcpRequestsKeyframe(data, length)) sender_.requestKeyframe();
        };
    } else {
        callbacks.onRtp = [this](const uint8_t* data, size_t length, int64_t arrivalUs) {
            log_.onRtp(data, length, arrivalUs);
        };
    }
    auto peer =
        std::make_unique<PeerConnection>(*settings_.identity, settings_.localIp, controlling, std::move(callbacks));
    return peer;
}

void VideoRoomParticipant::publish() {
    publisherPeer_ = makePeer(true, true, publisherHandle_);
    LocalTransport local;
    local.ufrag = publisherPeer_->ufrag();
    local.pwd = publisherPeer_->pwd();
    local.fingerprint = settings_.identity->fingerprint();
    local.setup = "active";  // Janus then serves DTLS (docs/benchmarks.md, Load generator)
    const std::string offer = writeSdp(publisherOffer(sender_, summary_.spec.userId, settings_.videoRoomOpusDtx), local,
                                       sdpSessionId_, ++sdpVersion_);
    JsonRef body = JsonRef::object();
    body.setString("request", "publish");
    connection_.message(publisherHandle_, std::move(body), jsepOf("offer", offer));
    ++summary_.offers;
    for (const std::string& candidate : publisherPeer_->localCandidates())
        connection_.trickle(publisherHandle_, candidate);
    connection_.trickleDone(publisherHandle_);
}

void VideoRoomParticipant::applyPublisherAnswer(const std::string& sdp) {
    SdpSession answer;
    std::string error;
    if (!publisherPeer_ || !parseSdp(sdp, answer, error)) return fail("bad publisher answer: " + error);
    bool endOfCandidates = false;
    for (const SdpMedia& media : answer.media) endOfCandidates = endOfCandidates || media.endOfCandidates;
    if (!publisherPeer_->setRemote(answer.ufrag(), answer.pwd(), answer.fingerprintValue(), answer.candidates(),
                                   endOfCandidates, error))
        return fail(error);
    for (const SdpMedia& media : answer.media) {
        const SdpCodec* codec = media.primaryCodec();
        TrackBinding binding;
        binding.active = codec && media.port != 0 &&
                         (media.direction == Direction::RecvOnly || media.direction == Direction::SendRecv);
        binding.payloadType = codec ? static_cast<uint8_t>(codec->payloadType) : 0;
        binding.ids.audioLevel = media.kind == "audio" ? media.extmapId(kAudioLevelUri) : 0;
        binding.ids.mid = media.extmapId(kMidUri);
        binding.mid = media.mid;
        if (media.kind == "audio") {
            sender_.bindAudio(binding);
            negotiatedDtx(offersDtx(media, binding.payloadType));
        } else if (media.kind == "video")
            sender_.bindVideo(binding);
    }
}

void VideoRoomParticipant::updateSubscription() {
    if (!summary_.joined || subscriptionBusy_ || subscriberAttaching_ || leaving_) return;
    JsonRef streams = JsonRef::array();
    for (int64_t feed : feeds_) {
        if (subscribed_.count(feed)) continue;
        JsonRef entry = JsonRef::object();
        entry.setInt("feed", feed);
        json_array_append_new(streams.get(), entry.release());
        subscribed_.insert(feed);
    }
    if (json_array_size(streams.get()) == 0) return;
    if (subscriberHandle_ == 0) {
        subscriberAttaching_ = true;
        connection_.attach(kVideoRoom, [this, streams = std::make_shared<JsonRef>(std::move(streams))](
                                           int64_t handle, const std::string& error) {
            subscriberAttaching_ = false;
            if (handle == 0) return fail(error);
            subscriberHandle_ = handle;
            JsonRef body = JsonRef::object();
            body.setString("request", "join").setString("ptype", "subscriber").setInt("room", summary_.spec.channel);
            body.set("streams", std::move(*streams));
            subscriptionBusy_ = true;
            connection_.message(subscriberHandle_, std::move(body));
        });
        return;
    }
    JsonRef body = JsonRef::object();
    body.setString("request", "subscribe").set("streams", std::move(streams));
    subscriptionBusy_ = true;
    connection_.message(subscriberHandle_, std::move(body));
}

void VideoRoomParticipant::onSubscriberEvent(json_t* data, json_t* jsep) {
    const std::string kind = textOf(data, "videoroom");
    if (kind == "attached" || kind == "updated") {
        if (jsep && textOf(jsep, "type") == "offer") {
            answerSubscriberOffer(textOf(jsep, "sdp"), json_object_get(data, "streams"));
        } else {
            subscriptionBusy_ = false;  // nothing to renegotiate
            updateSubscription();
        }
    }
}

void VideoRoomParticipant::answerSubscriberOffer(const std::string& sdp, json_t* streams) {
    ++summary_.offers;
    SdpSession offer;
    std::string error;
    if (!parseSdp(sdp, offer, error)) return fail("bad subscriber offer: " + error);
    if (!subscriberPeer_) subscriberPeer_ = makePeer(false, false, subscriberHandle_);
    bool endOfCandidates = false;
    for (const SdpMedia& media : offer.media) endOfCandidates = endOfCandidates || media.endOfCandidates;
    if (!subscriberPeer_->setRemote(offer.ufrag(), offer.pwd(), offer.fingerprintValue(), offer.candidates(),
                                    endOfCandidates, error))
        return fail(error);
    // mid -> publisher, from the event's stream list; SSRCs from the offer's lines.
    std::map<std::string, int64_t> feedOfMid;
    size_t index;
    json_t* entry;
    json_array_foreach(streams, index, entry) {
        int64_t feed = 0;
        if (jsonGetInt64(entry, "feed_id", feed)) feedOfMid[textOf(entry, "mid")] = feed;
    }
    std::unordered_map<uint32_t, StreamRoute> bySsrc;
    std::unordered_map<std::string, StreamRoute> byMid;
    std::vector<LocalLine> lines;
    for (const SdpMedia& media : offer.media) {
        lines.push_back(answerLine(media, answerDirection(media.direction, false, true)));
        const auto feed = feedOfMid.find(media.mid);
        if (feed == feedOfMid.end() || media.kind == "application") continue;
        StreamRoute route;
        route.remoteId = feed->second;
        route.video = media.kind == "video";
        route.ids.audioLevel = media.extmapId(kAudioLevelUri);
        route.ids.mid = media.extmapId(kMidUri);
        for (uint32_t ssrc : media.ssrcs) bySsrc[ssrc] = route;
        byMid[media.mid] = route;
    }
    log_.setRoutes(std::move(bySsrc), std::move(byMid));
    LocalTransport local;
    local.ufrag = subscriberPeer_->ufrag();
    local.pwd = subscriberPeer_->pwd();
    local.fingerprint = settings_.identity->fingerprint();
    const bool firstAnswer = summary_.answers == 0;
    JsonRef body = JsonRef::object();
    body.setString("request", "start");
    connection_.message(subscriberHandle_, std::move(body),
                        jsepOf("answer", writeSdp(lines, local, sdpSessionId_ + 1, ++sdpVersion_)));
    ++summary_.answers;
    if (firstAnswer) {
        for (const std::string& candidate : subscriberPeer_->localCandidates())
            connection_.trickle(subscriberHandle_, candidate);
        connection_.trickleDone(subscriberHandle_);
    }
    subscriptionBusy_ = false;
    updateSubscription();
}

void VideoRoomParticipant::tick(int64_t nowUs) {
    if (leaving_) return;
    connection_.tick(nowUs);
    if (subscriberPeer_ && nowUs >= nextKeyframeCheckUs_) {
        nextKeyframeCheckUs_ = nowUs + kKeyframeWaitUs / 2;
        log_.requestMissingKeyframes(nowUs, kKeyframeWaitUs, [this](uint32_t ssrc) {
            uint8_t request[44];
            subscriberPeer_->sendRtcp(request, buildKeyframeRequest(request, receiverSsrc_, ssrc));
        });
    }
    if (publisherPeer_ && sender_.started()) {
        sender_.poll(nowUs,
                     [this](const uint8_t* packet, size_t length, bool) { publisherPeer_->sendRtp(packet, length); });
    }
}

void VideoRoomParticipant::leave() {
    if (leaving_) return;
    leaving_ = true;
    connection_.close();  // destroying the session leaves the room and hangs both handles up
    publisherPeer_.reset();
    subscriberPeer_.reset();
}

void VideoRoomParticipant::fail(const std::string& why) {
    if (summary_.error.empty()) summary_.error = why;
}

ParticipantSummary VideoRoomParticipant::summary() const { return mediaSummary(); }

}  // namespace gochat::loadgen
