// The load generator's command line (tools/loadgen/README in docs/benchmarks.md,
// "Load generator"). Pure: parsed from argv into Options, or an error.
#pragma once

#include "tools/loadgen/media_sender.hpp"
#include "tools/loadgen/rtp.hpp"

#include <cstdint>
#include <string>

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
};

// Parses argv; false with `error` set when the command line is wrong.
bool parseOptions(int argc, char** argv, Options& out, std::string& error);
const char* usageText();

}  // namespace gochat::loadgen
