#include "tools/loadgen/media_sender.hpp"

#include <algorithm>

namespace gochat::loadgen {

namespace {
constexpr int kMaxCatchUp = 5;  // packets of one track sent at once after a stall
}  // namespace

MediaSender::MediaSender(AudioKind audio, uint32_t audioSsrc, bool video, uint32_t videoSsrc, VideoSettings settings)
    : audioKind_(audio),
      quietKind_(audio == AudioKind::Voice ? AudioKind::Noise : audio),
      talking_(audio == AudioKind::Voice),
      audioSsrc_(audioSsrc),
      video_(video),
      videoSsrc_(videoSsrc),
      settings_(settings),
      // Random-looking starting points, as RFC 3550 asks, derived from the SSRCs.
      audioSequence_(static_cast<uint16_t>(audioSsrc * 2654435761u >> 16)),
      audioTimestamp_(audioSsrc * 40503u),
      videoSequence_(static_cast<uint16_t>(videoSsrc * 2654435761u >> 16)),
      videoTimestamp_(videoSsrc * 40503u) {
    settings_.framesPerSecond = std::max<uint32_t>(1, settings_.framesPerSecond);
}

void MediaSender::start(int64_t nowUs) {
    if (started_) return;
    started_ = true;
    nextAudioUs_ = nowUs;
    nextVideoUs_ = nowUs;
}

AudioKind MediaSender::currentKind() const {
    if (talking_) return AudioKind::Voice;
    return dtx_ ? AudioKind::Dtx : quietKind_;
}

void MediaSender::setSpeech(bool talking, int level, int64_t nowUs) {
    voiceLevel_ = level;
    if (talking == talking_) return;
    talking_ = talking;
    rescheduleAudio(nowUs);
}

void MediaSender::useDtx(bool on, int64_t nowUs) {
    if (on == dtx_) return;
    dtx_ = on;
    rescheduleAudio(nowUs);
}

void MediaSender::rescheduleAudio(int64_t nowUs) {
    if (!started_) return;
    const int64_t interval = int64_t{opusPacketIntervalMs(currentKind())} * 1000;
    if (nextAudioUs_ - nowUs <= interval) return;
    // The timestamp follows the schedule: move it back by as much.
    audioTimestamp_ -= static_cast<uint32_t>((nextAudioUs_ - nowUs) * kOpusClock / 1000000);
    nextAudioUs_ = nowUs;
}

void MediaSender::poll(int64_t nowUs, const Sink& sink) {
    if (!started_) return;
    const int64_t audioInterval = int64_t{opusPacketIntervalMs(currentKind())} * 1000;
    for (int sent = 0; nextAudioUs_ <= nowUs; ++sent) {
        if (sent == kMaxCatchUp) {
            const int64_t behind = (nowUs - nextAudioUs_) / audioInterval + 1;
            skipped_ += static_cast<uint64_t>(behind);
            audioTimestamp_ += static_cast<uint32_t>(behind * audioInterval * kOpusClock / 1000000);
            nextAudioUs_ += behind * audioInterval;
            break;
        }
        if (audio_.active) sendAudio(sink);
        audioTimestamp_ += static_cast<uint32_t>(audioInterval * kOpusClock / 1000000);
        nextAudioUs_ += audioInterval;
    }
    if (!video_) return;
    const int64_t frameInterval = 1000000 / settings_.framesPerSecond;
    for (int sent = 0; nextVideoUs_ <= nowUs; ++sent) {
        if (sent == kMaxCatchUp) {
            const int64_t behind = (nowUs - nextVideoUs_) / frameInterval + 1;
            videoTimestamp_ += static_cast<uint32_t>(behind * (kVideoClock / settings_.framesPerSecond));
            nextVideoUs_ += behind * frameInterval;
            break;
        }
        if (videoBinding_.active) sendVideoFrame(sink);
        videoTimestamp_ += kVideoClock / settings_.framesPerSecond;
        nextVideoUs_ += frameInterval;
    }
}

void MediaSender::sendAudio(const Sink& sink) {
    const AudioKind kind = currentKind();
    const OpusFrame frame = opusFrame(kind, audioIndex_++);
    RtpHeaderFields fields;
    fields.payloadType = audio_.payloadType;
    fields.sequence = audioSequence_++;
    fields.timestamp = audioTimestamp_;
    fields.ssrc = audioSsrc_;
    fields.audioLevel = kind == AudioKind::Voice && voiceLevel_ >= 0 ? voiceLevel_ : frame.level;
    fields.voice = frame.voice && fields.audioLevel <= kVoiceFlagLevel;
    fields.mid = audio_.mid;
    uint8_t packet[kMaxRtpPacket];
    const size_t length = buildRtpPacket(packet, fields, audio_.ids, frame.bytes, frame.length);
    if (length == 0) return;
    ++audioPackets_;
    sink(packet, length, false);
}

void MediaSender::sendVideoFrame(const Sink& sink) {
    const bool keyframe = keyframeRequested_;
    keyframeRequested_ = false;
    size_t frameBytes = settings_.bitrateKbps * 1000 / 8 / settings_.framesPerSecond;
    if (keyframe) {
        frameBytes *= 3;  // a key frame is several delta frames' worth
        ++keyframes_;
    }
    frameBytes = std::max<size_t>(frameBytes, 64);
    const size_t packets = (frameBytes + settings_.maxPayload - 1) / settings_.maxPayload;
    uint8_t payload[kMaxRtpPacket];
    uint8_t packet[kMaxRtpPacket];
    for (size_t i = 0; i < packets; ++i) {
        const size_t size = std::min(settings_.maxPayload, frameBytes - i * settings_.maxPayload);
        const size_t payloadLength = buildVp8Payload(payload, std::max<size_t>(size, 16), keyframe, i == 0, pictureId_);
        RtpHeaderFields fields;
        fields.payloadType = videoBinding_.payloadType;
        fields.marker = i + 1 == packets;
        fields.sequence = videoSequence_++;
        fields.timestamp = videoTimestamp_;
        fields.ssrc = videoSsrc_;
        fields.mid = videoBinding_.mid;
        const size_t length = buildRtpPacket(packet, fields, videoBinding_.ids, payload, payloadLength);
        if (length == 0) continue;
        ++videoPackets_;
        sink(packet, length, true);
    }
    pictureId_ = static_cast<uint16_t>((pictureId_ + 1) & 0x7FFF);
}

}  // namespace gochat::loadgen
