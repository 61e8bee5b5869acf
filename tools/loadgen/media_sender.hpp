// What one simulated participant sends, on a schedule: Opus packets of its
// kind (voice, noise, digital silence, or DTX's one packet per 400 ms) with
// the RFC 6464 level, and optionally VP8-sized video at a bitrate, a key
// frame first and on request. No sockets: `poll` hands every packet due by
// `nowUs` to a sink, so the schedule is unit-tested
// (tests/unit/test_loadgen_media.cpp).
#pragma once

#include "tools/loadgen/rtp.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace gochat::loadgen {

struct VideoSettings {
    uint32_t bitrateKbps = 300;
    uint32_t framesPerSecond = 15;
    size_t maxPayload = 1100;  // bytes of VP8 payload per packet
};

// Where a track goes once negotiated: payload type, header extension ids, mid.
struct TrackBinding {
    bool active = false;
    uint8_t payloadType = 0;
    RtpExtensionIds ids;
    std::string mid;
};

class MediaSender {
public:
    using Sink = std::function<void(const uint8_t* packet, size_t length, bool video)>;

    MediaSender(AudioKind audio, uint32_t audioSsrc, bool video, uint32_t videoSsrc, VideoSettings settings);

    uint32_t audioSsrc() const { return audioSsrc_; }
    uint32_t videoSsrc() const { return videoSsrc_; }
    bool sendsVideo() const { return video_; }
    AudioKind audioKind() const { return audioKind_; }
    // What the next audio packet is: voice while talking, else the quiet
    // kind, or DTX's one packet per 400 ms when DTX was negotiated.
    AudioKind currentKind() const;

    // What is sent while not talking (default: noise for a speaker,
    // otherwise the kind it was made with).
    void setQuietKind(AudioKind kind) { quietKind_ = kind; }
    // Talking (voiced packets at `level`, -dBov; < 0: the voice default) or
    // not, from `nowUs`. A talk spurt after DTX starts with the next tick,
    // as an encoder leaving DTX sends its next frame at once.
    void setSpeech(bool talking, int level, int64_t nowUs);
    bool talking() const { return talking_; }
    int voiceLevel() const { return voiceLevel_ < 0 ? kVoiceLevel : voiceLevel_; }
    // Opus DTX negotiated (usedtx=1 on the line it sends on): while not
    // talking it sends one packet per 400 ms instead of noise or silence,
    // as libopus with DTX does during silence and background noise.
    void useDtx(bool on, int64_t nowUs);

    void bindAudio(const TrackBinding& binding) { audio_ = binding; }
    void bindVideo(const TrackBinding& binding) { videoBinding_ = binding; }
    // The first packets are due at `nowUs`; before start() nothing is sent.
    void start(int64_t nowUs);
    bool started() const { return started_; }
    void requestKeyframe() { keyframeRequested_ = true; }

    // Emits every packet due by `nowUs`. A sender that fell more than a few
    // packets behind (a stalled loop) skips ahead instead of bursting.
    void poll(int64_t nowUs, const Sink& sink);

    uint64_t audioPackets() const { return audioPackets_; }
    uint64_t videoPackets() const { return videoPackets_; }
    uint64_t keyframes() const { return keyframes_; }
    uint64_t skipped() const { return skipped_; }

private:
    void sendAudio(const Sink& sink);
    // The next packet of a kind with a shorter interval is due at once.
    void rescheduleAudio(int64_t nowUs);
    void sendVideoFrame(const Sink& sink);

    AudioKind audioKind_;
    AudioKind quietKind_;
    bool talking_;
    bool dtx_ = false;
    int voiceLevel_ = -1;
    uint32_t audioSsrc_;
    bool video_;
    uint32_t videoSsrc_;
    VideoSettings settings_;
    TrackBinding audio_;
    TrackBinding videoBinding_;
    bool started_ = false;
    int64_t nextAudioUs_ = 0;
    int64_t nextVideoUs_ = 0;
    uint16_t audioSequence_;
    uint32_t audioTimestamp_;
    uint16_t videoSequence_;
    uint32_t videoTimestamp_;
    uint16_t pictureId_ = 0;
    bool keyframeRequested_ = true;  // the first frame is a key frame
    uint32_t audioIndex_ = 0;
    uint64_t audioPackets_ = 0;
    uint64_t videoPackets_ = 0;
    uint64_t keyframes_ = 0;
    uint64_t skipped_ = 0;
};

}  // namespace gochat::loadgen
