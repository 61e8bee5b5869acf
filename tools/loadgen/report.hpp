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
};
Aggregate aggregate(const std::vector<ParticipantSummary>& participants);

JsonRef reportJson(const Options& options, const RunClock& clock, const std::vector<ParticipantSummary>& participants);
void printSummary(std::FILE* out, const Options& options, const RunClock& clock,
                  const std::vector<ParticipantSummary>& participants);

}  // namespace gochat::loadgen
