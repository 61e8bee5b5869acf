// What every simulated participant is, whatever protocol it speaks: it
// opens its signalling socket, joins, negotiates, sends its media on the
// shared tick and receives the others', and sums itself up for the report.
#pragma once

#include "tools/loadgen/media_sender.hpp"
#include "tools/loadgen/receive_log.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gochat::loadgen {

class DtlsIdentity;

struct ParticipantSpec {
    int index = 0;
    int64_t userId = 0;
    int64_t channel = 0;
    bool speaker = false;
    AudioKind audio = AudioKind::Silence;
    bool video = false;
    // A speaker's voice level (-dBov) at the start; < 0: not talking yet
    // (it sends `quiet` until a level change makes it talk).
    int level = kVoiceLevel;
    AudioKind quiet = AudioKind::Silence;  // what it sends while not talking
    bool churner = false;                  // joined during the run to replace one who left
};

// Settings every participant of a run shares.
struct RunSettings {
    std::string url;  // GoChat: ws://.../signal; VideoRoom: Janus's stock WebSocket transport
    std::string secret;
    std::string issuer = "gochat";
    int64_t perms = 7340032;  // Connect|Speak|Video (PROTOCOL.md 5)
    int64_t guild = 0;
    std::string localIp;
    VideoSettings video;
    const DtlsIdentity* identity = nullptr;
    bool honourDtx = true;          // usedtx=1 on the line it sends on turns noise and silence into DTX
    bool videoRoomOpusDtx = false;  // VideoRoom: rooms with opus_dtx, publishers offer usedtx=1
};

struct StreamSummary {
    int64_t remoteId = 0;
    bool video = false;
    uint64_t packets = 0;
    uint64_t expected = 0;
    int64_t lost = 0;
    double jitterMs = 0;
    int64_t firstUs = -1;
    uint64_t voicePackets = 0;
    int lastLevel = -1;
    uint64_t keyframes = 0;
    int64_t lastUs = -1;
    // Since the run's level change (ReceiveLog::mark), if there was one.
    uint64_t packetsAfterMark = 0;
    uint64_t voiceAfterMark = 0;
    int64_t firstVoiceAfterMarkUs = -1;
};

struct ParticipantSummary {
    ParticipantSpec spec;
    bool joined = false;
    bool connected = false;
    std::string error;      // the first thing that went wrong, empty when nothing did
    int64_t openedUs = -1;  // monotonic microseconds; -1 = never
    int64_t joinedUs = -1;
    int64_t connectedUs = -1;
    int64_t leftUs = -1;                  // churn: left before the end of the run
    bool dtx = false;                     // it sends DTX while not talking (negotiated)
    bool startedTalkingAtChange = false;  // not talking before the run's level change, talking after
    uint64_t offers = 0;
    uint64_t answers = 0;
    uint64_t audioSent = 0;
    uint64_t videoSent = 0;
    uint64_t keyframesSent = 0;
    uint64_t sendsSkipped = 0;  // packets not sent because the loop fell behind (media_sender.hpp)
    uint64_t unrouted = 0;
    std::vector<StreamSummary> streams;
};

// The streams of a receive log, for a summary.
std::vector<StreamSummary> summarizeStreams(const ReceiveLog& log);

class Participant {
public:
    virtual ~Participant() = default;
    // Opens the signalling socket and starts joining.
    virtual void start() = 0;
    // Sends what is due at `nowUs` (the shared media tick).
    virtual void tick(int64_t nowUs) = 0;
    // Leaves (the protocol's way) and closes everything.
    virtual void leave() = 0;
    virtual ParticipantSummary summary() const = 0;

    const ParticipantSpec& spec() const { return summary_.spec; }
    bool joined() const { return summary_.joined; }
    bool leftEarly() const { return summary_.leftUs >= 0; }
    // The run's level change: starts or stops talking, or changes level
    // (`level` < 0: not talking). Going from silence or a murmur to voice
    // (the voice flag's level) is starting to talk.
    void changeSpeech(int level, int64_t nowUs) {
        const bool voicedBefore = sender_.talking() && sender_.voiceLevel() <= kVoiceFlagLevel;
        if (!voicedBefore && level >= 0 && level <= kVoiceFlagLevel) summary_.startedTalkingAtChange = true;
        sender_.setSpeech(level >= 0, level, nowUs);
    }
    // From now on each remote stream also counts what arrives after `nowUs`.
    void markChange(int64_t nowUs) { log_.mark(nowUs); }
    uint64_t packetsReceived() const { return log_.packets(); }
    uint64_t packetsSent() const { return sender_.audioPackets() + sender_.videoPackets(); }
    // Left for good before the end (churn); its summary says when.
    void leaveEarly(int64_t nowUs) {
        summary_.leftUs = nowUs;
        leave();
    }

protected:
    Participant(const RunSettings& settings, const ParticipantSpec& spec);
    // Opus DTX on the line it sends on, if the run honours it.
    void negotiatedDtx(bool usedtx);
    // What the sender and the receive log add to a summary.
    ParticipantSummary mediaSummary() const;

    const RunSettings& settings_;
    ParticipantSummary summary_;
    MediaSender sender_;
    ReceiveLog log_;
};

}  // namespace gochat::loadgen
