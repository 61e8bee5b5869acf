// loadgen: simulates N participants of a GoChat SFU (or of Janus's stock
// VideoRoom) in one process on one GLib main loop, with real signalling,
// ICE (libnice), DTLS-SRTP (OpenSSL, libsrtp2) and pre-built Opus and VP8
// packets, and reports what every participant received
// (docs/benchmarks.md, "Load generator").
#include "tools/loadgen/dtls_srtp.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/runner.hpp"

#include <cstdio>
#include <exception>
#include <memory>

using namespace gochat::loadgen;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

bool writeReport(const Options& options, const RunClock& clock, const std::vector<ParticipantSummary>& summaries) {
    const std::string text = reportJson(options, clock, summaries).dump() + "\n";
    if (options.out.empty() || options.out == "-")
        return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
    std::FILE* file = std::fopen(options.out.c_str(), "w");
    if (!file) return false;
    const bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    return std::fclose(file) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    std::string error;
    if (!parseOptions(argc, argv, options, error)) {
        std::fprintf(stderr, "loadgen: %s\n%s", error.c_str(), usageText());
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(usageText(), stdout);
        return 0;
    }
    try {
        DtlsIdentity identity;
        RunSettings settings;
        settings.url = options.mode == Mode::Gochat ? options.url : options.janusWs;
        settings.secret = options.secret;
        settings.issuer = options.issuer;
        settings.perms = options.perms;
        settings.localIp = options.localIp;
        settings.video = options.video;
        settings.identity = &identity;
        settings.honourDtx = options.honourDtx;
        settings.videoRoomOpusDtx = options.videoRoomOpusDtx;
        RunClock clock;
        std::vector<ParticipantSummary> summaries;
        {
            Runner runner(options, settings);
            summaries = runner.run(clock);
        }
        if (!options.quiet) printSummary(stderr, options, clock, summaries);
        if (!writeReport(options, clock, summaries)) {
            std::fprintf(stderr, "loadgen: cannot write %s\n", options.out.c_str());
            return kExitFailure;
        }
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "loadgen: %s\n", failure.what());
        return kExitFailure;
    }
    return 0;
}
