// One run: the participants of the command line, joins ramped at the given
// rate, one media tick for everyone (every --tick-ms, 5 ms by default: each participant sends
// what is due), the end after the steady phase, leaves, and the figures.
// Everything runs on the one GLib main loop of the process.
#pragma once

#include "tools/loadgen/options.hpp"
#include "tools/loadgen/participant.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/videoroom_participant.hpp"

#include <glib.h>

#include <functional>
#include <memory>
#include <vector>

namespace gochat::loadgen {

// Who plays which part: rooms of --room-size, the first --speakers of each
// room speak (at --levels), --video-share of everyone (spread evenly) sends
// video.
std::vector<ParticipantSpec> planParticipants(const Options& options, int64_t userBase);

class Runner {
public:
    Runner(const Options& options, const RunSettings& settings);
    ~Runner();
    // Runs the main loop until the run is over; returns the participants' summaries.
    std::vector<ParticipantSummary> run(RunClock& clock);

private:
    static gboolean onRampTick(gpointer self);
    static gboolean onMediaTick(gpointer self);
    static gboolean onEnd(gpointer self);
    static gboolean onQuit(gpointer self);
    static gboolean onSignal(gpointer self);
    static gboolean onWindow(gpointer self);
    static gboolean onChange(gpointer self);
    static gboolean onChurn(gpointer self);
    void beginRamp();
    void beginSteadyPhase(int64_t nowUs);
    std::unique_ptr<Participant> makeParticipant(const ParticipantSpec& spec) const;
    void replaceOne(int64_t nowUs);
    void finish();

    const Options& options_;
    const RunSettings& settings_;
    std::vector<ParticipantSpec> specs_;
    std::vector<std::unique_ptr<Participant>> participants_;
    GMainLoop* loop_ = nullptr;
    RunClock clock_;
    int64_t rampStartUs_ = 0;
    size_t started_ = 0;
    bool finished_ = false;
    int64_t userBase_ = 0;
    size_t churnNext_ = 0;  // where the search for the next one to leave starts
    guint rampTimer_ = 0, mediaTimer_ = 0, endTimer_ = 0, signalWatch_ = 0;
    guint windowTimer_ = 0, changeTimer_ = 0, churnTimer_ = 0;
    std::unique_ptr<VideoRoomSetup> setup_;
};

// CPU seconds (user + system) this process has used so far.
double processCpuSeconds();

}  // namespace gochat::loadgen
