#include "tools/loadgen/options.hpp"

#include <getopt.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <sstream>

namespace gochat::loadgen {

namespace {

enum OptionId {
    kMode = 256,
    kUrl,
    kJanusWs,
    kSecret,
    kSecretFile,
    kIssuer,
    kPerms,
    kChannel,
    kParticipants,
    kRoomSize,
    kSpeakers,
    kOthers,
    kVideoShare,
    kVideoKbps,
    kVideoFps,
    kDuration,
    kRamp,
    kTickMs,
    kLocalIp,
    kOut,
    kUserBase,
    kQuiet,
    kHelp,
    kLevels,
    kChangeAfter,
    kLevelsAfter,
    kChurn,
    kWindow,
    kDtx,
    kVideoRoomOpusDtx
};

const option kLongOptions[] = {
    {"mode", required_argument, nullptr, kMode},
    {"url", required_argument, nullptr, kUrl},
    {"janus-ws", required_argument, nullptr, kJanusWs},
    {"secret", required_argument, nullptr, kSecret},
    {"secret-file", required_argument, nullptr, kSecretFile},
    {"issuer", required_argument, nullptr, kIssuer},
    {"perms", required_argument, nullptr, kPerms},
    {"channel", required_argument, nullptr, kChannel},
    {"participants", required_argument, nullptr, kParticipants},
    {"room-size", required_argument, nullptr, kRoomSize},
    {"speakers", required_argument, nullptr, kSpeakers},
    {"others", required_argument, nullptr, kOthers},
    {"video-share", required_argument, nullptr, kVideoShare},
    {"video-kbps", required_argument, nullptr, kVideoKbps},
    {"video-fps", required_argument, nullptr, kVideoFps},
    {"duration", required_argument, nullptr, kDuration},
    {"ramp", required_argument, nullptr, kRamp},
    {"tick-ms", required_argument, nullptr, kTickMs},
    {"local-ip", required_argument, nullptr, kLocalIp},
    {"out", required_argument, nullptr, kOut},
    {"user-base", required_argument, nullptr, kUserBase},
    {"quiet", no_argument, nullptr, kQuiet},
    {"help", no_argument, nullptr, kHelp},
    {"levels", required_argument, nullptr, kLevels},
    {"change-after", required_argument, nullptr, kChangeAfter},
    {"levels-after", required_argument, nullptr, kLevelsAfter},
    {"churn", required_argument, nullptr, kChurn},
    {"window", required_argument, nullptr, kWindow},
    {"dtx", required_argument, nullptr, kDtx},
    {"videoroom-opus-dtx", no_argument, nullptr, kVideoRoomOpusDtx},
    {nullptr, 0, nullptr, 0},
};

const char* optionName(int id) {
    for (const option& entry : kLongOptions)
        if (entry.name && entry.val == id) return entry.name;
    return "?";
}

bool toInt64(const char* text, int64_t& out) {
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') return false;
    out = value;
    return true;
}

bool toDouble(const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0';
}

// "30,-,45": levels 0..127, "-" for not talking, "=" (when `unchanged`
// is allowed) for no change.
bool toLevels(const char* text, bool unchangedAllowed, std::vector<int>& out) {
    out.clear();
    std::string_view rest = text;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string item(rest.substr(0, comma));
        int64_t level = 0;
        if (item == "-")
            out.push_back(kNotTalking);
        else if (item == "=" && unchangedAllowed)
            out.push_back(kUnchanged);
        else if (toInt64(item.c_str(), level) && level >= 0 && level <= 127)
            out.push_back(static_cast<int>(level));
        else
            return false;
        if (comma == std::string_view::npos) return true;
        rest.remove_prefix(comma + 1);
    }
}

bool readSecretFile(const char* path, std::string& out) {
    std::ifstream file(path);
    if (!file) return false;
    std::stringstream content;
    content << file.rdbuf();
    out = content.str();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return true;
}

bool applyInteger(int id, const char* value, Options& out) {
    int64_t number = 0;
    if (!toInt64(value, number)) return false;
    switch (id) {
        case kPerms: out.perms = number; return true;
        case kChannel: out.channel = number; return number != 0;
        case kParticipants: out.participants = static_cast<int>(number); return number > 0 && number <= 100000;
        case kRoomSize: out.roomSize = static_cast<int>(number); return number >= 0;
        case kSpeakers: out.speakers = static_cast<int>(number); return number >= 0;
        case kVideoKbps: out.video.bitrateKbps = static_cast<uint32_t>(number); return number > 0 && number < 100000;
        case kVideoFps: out.video.framesPerSecond = static_cast<uint32_t>(number); return number > 0 && number <= 120;
        case kUserBase: out.userBase = number; return number > 0;
        case kTickMs: out.tickMs = static_cast<int>(number); return number >= 1 && number <= 20;
        default: return false;
    }
}

bool applyReal(int id, const char* value, Options& out) {
    double number = 0;
    if (!toDouble(value, number)) return false;
    switch (id) {
        case kVideoShare: out.videoShare = number; return number >= 0 && number <= 1;
        case kDuration: out.duration = number; return number >= 0;
        case kRamp: out.rampPerSecond = number; return number > 0;
        case kChangeAfter: out.changeAfter = number; return number >= 0;
        case kChurn: out.churnPerSecond = number; return number >= 0 && number <= 100;
        case kWindow: out.window = number; return number >= 0;
        default: return false;
    }
}

bool applyText(int id, const char* value, Options& out) {
    switch (id) {
        case kMode:
            if (std::string(value) == "gochat")
                out.mode = Mode::Gochat;
            else if (std::string(value) == "videoroom")
                out.mode = Mode::VideoRoom;
            else
                return false;
            return true;
        case kUrl: out.url = value; return true;
        case kJanusWs: out.janusWs = value; return true;
        case kSecret: out.secret = value; return true;
        case kSecretFile: return readSecretFile(value, out.secret);
        case kIssuer: out.issuer = value; return true;
        case kOthers: return parseAudioKind(value, out.others) && out.others != AudioKind::Voice;
        case kLocalIp: out.localIp = value; return true;
        case kOut: out.out = value; return true;
        case kLevels: return toLevels(value, false, out.levels);
        case kLevelsAfter: return toLevels(value, true, out.levelsAfter);
        case kDtx: out.honourDtx = std::string(value) == "sdp"; return out.honourDtx || std::string(value) == "off";
        default: return false;
    }
}

}  // namespace

bool parseOptions(int argc, char** argv, Options& out, std::string& error) {
    out = Options{};
    optind = 1;
    opterr = 0;
    int id = 0;
    while ((id = getopt_long(argc, argv, "", kLongOptions, nullptr)) != -1) {
        if (id == kQuiet) {
            out.quiet = true;
            continue;
        }
        if (id == kHelp) {
            out.help = true;
            continue;
        }
        if (id == kVideoRoomOpusDtx) {
            out.videoRoomOpusDtx = true;
            continue;
        }
        if (id == '?' || id == ':') {
            error = "unknown option or missing value: " + std::string(argv[optind - 1]);
            return false;
        }
        if (!applyInteger(id, optarg, out) && !applyReal(id, optarg, out) && !applyText(id, optarg, out)) {
            error = "bad value for --" + std::string(optionName(id)) + ": " + optarg;
            return false;
        }
    }
    if (optind < argc) {
        error = "unexpected argument: " + std::string(argv[optind]);
        return false;
    }
    if (out.help) return true;
    if (out.mode == Mode::Gochat && out.secret.empty()) {
        error = "--secret or --secret-file is required in gochat mode";
        return false;
    }
    if (out.channel == 0) out.channel = 1;
    if (out.levelsAfter.empty() != (out.changeAfter < 0)) {
        error = "--change-after and --levels-after go together";
        return false;
    }
    if (out.window > out.duration) {
        error = "--window must not be longer than --duration";
        return false;
    }
    return true;
}

const char* usageText() {
    return "usage: loadgen [options]\n"
           "  --mode gochat|videoroom     protocol to speak (default gochat)\n"
           "  --url URL                   GoChat signal URL (default ws://127.0.0.1:3300/signal)\n"
           "  --janus-ws URL              Janus stock WebSocket transport for videoroom (default "
           "ws://127.0.0.1:8188/)\n"
           "  --secret S | --secret-file F  HS256 secret of the plugin's auth_secret (gochat)\n"
           "  --issuer NAME --perms N     token issuer (gochat) and permission bits (default 7340032)\n"
           "  --channel ID                GoChat channel / VideoRoom room (default 1); rooms after the first\n"
           "                              take the following ids\n"
           "  --participants N            simulated participants (default 20)\n"
           "  --room-size M               participants per room (default: all in one)\n"
           "  --speakers S                speakers per room: voice at level 30 (default 3)\n"
           "  --others noise|silence|dtx  what everyone else sends (default silence)\n"
           "  --video-share F             share of participants sending video (0..1, default 0)\n"
           "  --video-kbps K --video-fps F  video bitrate and frame rate (default 300, 15)\n"
           "  --duration S                seconds to run after the last join started (default 10)\n"
           "  --ramp R                    joins started per second (default 50)\n"
           "  --tick-ms MS                media tick: a packet leaves up to this late (1..20, default 5)\n"
           "  --local-ip IP               the only address ICE gathers on (e.g. 198.18.0.2)\n"
           "  --out FILE                  JSON summary (default stdout)\n"
           "  --user-base ID              first user id (default from the clock)\n"
           "  --quiet                     no human summary on stderr\n"
           "  --levels L,L,...            each speaker's voice level (0..127, -dBov), '-' = not talking\n"
           "                              (sends what --others send); unlisted speakers talk at 30\n"
           "  --change-after S --levels-after L,...  S seconds after the last join started the\n"
           "                              speakers take these levels ('=' unchanged) and receivers count\n"
           "                              what arrives after the change\n"
           "  --churn R                   after the ramp, R leaves per second, each followed by a new join\n"
           "  --window S                  measure packets over the last S seconds (default: after the ramp)\n"
           "  --dtx sdp|off               sdp (default): usedtx=1 on the line a participant sends on turns\n"
           "                              its noise or silence into DTX, as a browser's Opus does\n"
           "  --videoroom-opus-dtx        VideoRoom rooms with opus_dtx, publishers offering usedtx=1\n";
}

}  // namespace gochat::loadgen
