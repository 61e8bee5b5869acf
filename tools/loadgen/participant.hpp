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
};

struct ParticipantSummary {
    ParticipantSpec spec;
    bool joined = false;
    bool connected = false;
    std::string error;      // the first thing that went wrong, empty when nothing did
    int64_t openedUs = -1;  // monotonic microseconds; -1 = never
    int64_t joinedUs = -1;
    int64_t connectedUs = -1;
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
};

}  // namespace gochat::loadgen
