// The run's results: a JSON summary (per participant, per remote stream,
// and aggregate) and a short human summary. The figures are computed here
// from the participants' summaries; pure apart from the FILE it prints to,
// and unit-tested (tests/unit/test_loadgen_report.cpp).
#pragma once

#include "common/json_ref.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/participant.hpp"

#include <cstdio>
#include <vector>

namespace gochat::loadgen {

// When things happened (monotonic microseconds) and what the process spent.
struct RunClock {
    int64_t startUs = 0;
    int64_t rampEndUs = 0;        // the last join started
    int64_t endUs = 0;            // media stopped
    double cpuSeconds = 0;        // user + system over the whole run
    double steadyCpuSeconds = 0;  // between rampEndUs and endUs
    int64_t changeUs = -1;        // the level change (--change-after), if any
    // The measured window (--window), from windowStartUs to endUs: packets
    // every participant received and sent in it.
    int64_t windowStartUs = 0;
    uint64_t windowReceived = 0;
    uint64_t windowSent = 0;
    int churnLeaves = 0;
};

// Nearest-rank percentile of `values` (p in 0..100); 0 for none.
double percentile(std::vector<double> values, double p);

struct Aggregate {
    int participants = 0;
    int joined = 0;
    int connected = 0;
    int failed = 0;        // with an error
    int speakerPairs = 0;  // (listener, speaker) pairs in one room that should hear each other
    int heardPairs = 0;
    std::vector<double> firstAudioMs;  // socket open -> first packet, per heard pair
    int streams = 0;
    uint64_t packets = 0;
    uint64_t expected = 0;
    int64_t lost = 0;              // sum of the streams' positive losses
    std::vector<double> jitterMs;  // per stream
    uint64_t audioSent = 0;
    uint64_t videoSent = 0;
    uint64_t sendsSkipped = 0;
    int churnJoins = 0;
    std::vector<double> churnFirstAudioMs;  // the churners' part of firstAudioMs
    // (listener, speaker) pairs of a room whose speaker started talking at
    // the level change, and for those heard since: change -> first voiced packet.
    int onsetPairs = 0;
    std::vector<double> onsetToVoiceMs;
};
// `changeUs`: the run's level change (RunClock), < 0 for none.
Aggregate aggregate(const std::vector<ParticipantSummary>& participants, int64_t changeUs = -1);

JsonRef reportJson(const Options& options, const RunClock& clock, const std::vector<ParticipantSummary>& participants);
void printSummary(std::FILE* out, const Options& options, const RunClock& clock,
                  const std::vector<ParticipantSummary>& participants);

}  // namespace gochat::loadgen
