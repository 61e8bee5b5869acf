// The load generator's command line (tools/loadgen/README in docs/benchmarks.md,
// "Load generator"). Pure: parsed from argv into Options, or an error.
#pragma once

#include "tools/loadgen/media_sender.hpp"
#include "tools/loadgen/rtp.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gochat::loadgen {

enum class Mode { Gochat, VideoRoom };

struct Options {
    Mode mode = Mode::Gochat;
    std::string url = "ws://127.0.0.1:3300/signal";  // GoChat transport
    std::string janusWs = "ws://127.0.0.1:8188/";    // Janus's stock WebSocket transport (videoroom)
    std::string secret;
    std::string issuer = "gochat";
    int64_t perms = 7340032;
    int64_t channel = 0;
    int participants = 20;
    int roomSize = 0;  // 0: everyone in one room
    int speakers = 3;  // per room
    AudioKind others = AudioKind::Silence;
    double videoShare = 0.0;
    VideoSettings video;
    double duration = 10.0;  // seconds after the last join started
    double rampPerSecond = 50.0;
    int tickMs = 5;  // the media tick: packets leave on the first tick at or after their time
    std::string localIp;
    std::string out;       // JSON summary path; "-" or empty: stdout
    int64_t userBase = 0;  // 0: derived from the clock
    bool quiet = false;
    bool help = false;
    // Speech (per speaker of a room, in order): a level (-dBov) or
    // kNotTalking; speakers not listed talk at kVoiceLevel.
    std::vector<int> levels;
    // At this many seconds after the last join started, the speakers take
    // `levelsAfter` (kUnchanged for those not listed) and every receiver
    // starts counting what arrives after the change; < 0: no change.
    double changeAfter = -1;
    std::vector<int> levelsAfter;
    double churnPerSecond = 0;  // after the ramp: this many leaves, each followed by a new join, per second
    double window = 0;          // the measured window: the last S seconds (0: from the last join started)
    bool honourDtx = true;      // --dtx sdp: usedtx=1 on the own line turns noise/silence into DTX
    bool videoRoomOpusDtx = false;
};

constexpr int kNotTalking = -1;  // in --levels and --levels-after: "-"
constexpr int kUnchanged = -2;   // in --levels-after: "=" or not listed

// Parses argv; false with `error` set when the command line is wrong.
bool parseOptions(int argc, char** argv, Options& out, std::string& error);
const char* usageText();

}  // namespace gochat::loadgen
