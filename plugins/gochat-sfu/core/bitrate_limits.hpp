// Bitrate limits as GoChat's own SFU offers them (docs/operations.md,
// Bitrate limits): an audio cap written into every audio m-line the SFU
// writes, optionally enforced by removing publishers that exceed it, and a
// video cap sent to video publishers as REMB. Plain values and pure
// functions: the SDP lines are unit-tested without Janus.
#pragma once

#include <cstdint>
#include <string>

namespace gochat::sfu {

// The plugin's `limits` settings (0 turns a cap off).
struct BitrateLimits {
    int64_t maxAudioKbps = 0;         // Opus maxaveragebitrate and b=TIAS on every audio line
    bool enforceAudio = false;        // remove a publisher whose audio stays over the cap
    int64_t audioMarginPercent = 15;  // tolerance over the cap before a window counts as over it
    int64_t maxVideoKbps = 0;         // REMB to every video publisher

    bool capsAudio() const { return maxAudioKbps > 0; }
    bool enforcesAudio() const { return enforceAudio && capsAudio(); }
    bool capsVideo() const { return maxVideoKbps > 0; }
    int64_t audioCapBps() const { return maxAudioKbps * 1000; }
    int64_t videoCapBps() const { return maxVideoKbps * 1000; }
    // What a publisher's measured audio may reach before a window counts as over.
    int64_t audioLimitBps() const { return audioCapBps() * (100 + audioMarginPercent) / 100; }
};

// What one audio m-line says of the audio cap. Janus 1.1.2 keeps one b=
// line per m-line (janus_sdp_mline has a single b_name/b_value, and the
// core re-parses and rewrites the plugin's SDP), so of GoChat's b=AS and
// b=TIAS only TIAS is written: bits per second like the cap itself
// (docs/operations.md, Bitrate limits).
struct AudioLineCap {
    std::string opusParameters;           // appended to the Opus fmtp: ";maxaveragebitrate=<bps>", or empty
    const char* bandwidthType = nullptr;  // "TIAS", or null: no b= line
    uint32_t bandwidthValue = 0;          // bits per second
};

inline AudioLineCap audioLineCap(const BitrateLimits& limits) {
    AudioLineCap cap;
    if (!limits.capsAudio()) return cap;
    // The settings keep the cap within RFC 7587's 6000..510000.
    cap.opusParameters = ";maxaveragebitrate=" + std::to_string(limits.audioCapBps());
    cap.bandwidthType = "TIAS";
    cap.bandwidthValue = static_cast<uint32_t>(limits.audioCapBps());
    return cap;
}

}  // namespace gochat::sfu
