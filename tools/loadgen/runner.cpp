#include "tools/loadgen/runner.hpp"

#include "tools/loadgen/gochat_participant.hpp"
#include "tools/loadgen/videoroom_participant.hpp"

#include <glib-unix.h>
#include <signal.h>
#include <sys/resource.h>

#include <cmath>

namespace gochat::loadgen {

namespace {
constexpr guint kRampTickMs = 10;
constexpr guint kLeaveGraceMs = 500;  // for the leave messages to go out before the process ends
}  // namespace

double processCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::vector<ParticipantSpec> planParticipants(const Options& options, int64_t userBase) {
    std::vector<ParticipantSpec> specs;
    const int roomSize = options.roomSize > 0 ? options.roomSize : options.participants;
    for (int i = 0; i < options.participants; ++i) {
        ParticipantSpec spec;
        spec.index = i;
        spec.userId = userBase + i;
        spec.channel = options.channel + i / roomSize;
        spec.speaker = i % roomSize < options.speakers;
        spec.audio = spec.speaker ? AudioKind::Voice : options.others;
        // Evenly spread: participant i sends video when the running share crosses an integer.
        spec.video = std::floor((i + 1) * options.videoShare) > std::floor(i * options.videoShare);
        specs.push_back(spec);
    }
    return specs;
}

Runner::Runner(const Options& options, const RunSettings& settings) : options_(options), settings_(settings) {
    int64_t base = options.userBase;
    // 19-digit ids as GoChat's snowflakes are (above 2^53), different on every run.
    if (base == 0) base = 1100000000000000000LL + (g_get_real_time() / 1000 % 1000000000LL) * 1000;
    specs_ = planParticipants(options, base);
    for (const ParticipantSpec& spec : specs_) {
        if (options.mode == Mode::Gochat)
            participants_.push_back(std::make_unique<GochatParticipant>(settings, spec));
        else
            participants_.push_back(std::make_unique<VideoRoomParticipant>(settings, spec));
    }
}

Runner::~Runner() {
    participants_.clear();
    if (loop_) g_main_loop_unref(loop_);
}

std::vector<ParticipantSummary> Runner::run(RunClock& clock) {
    loop_ = g_main_loop_new(nullptr, FALSE);
    clock_.startUs = g_get_monotonic_time();
    signalWatch_ = g_unix_signal_add(SIGINT, &Runner::onSignal, this);
    mediaTimer_ = g_timeout_add(static_cast<guint>(options_.tickMs), &Runner::onMediaTick, this);
    if (options_.mode == Mode::VideoRoom) {
        // The rooms must exist before anyone joins them.
        setup_ = std::make_unique<VideoRoomSetup>(settings_, specs_, [this](const std::string& error) {
            if (error.empty()) return beginRamp();
            g_printerr("loadgen: cannot create the VideoRoom rooms: %s\n", error.c_str());
            finish();
        });
    } else {
        beginRamp();
    }
    g_main_loop_run(loop_);
    if (signalWatch_) g_source_remove(signalWatch_);
    std::vector<ParticipantSummary> summaries;
    for (const auto& participant : participants_) {
        summaries.push_back(participant->summary());
        ParticipantSummary& last = summaries.back();
        // A participant that got nowhere by the end says so, even when nothing reported an error.
        if (last.error.empty() && !last.joined)
            last.error = last.openedUs < 0 ? "never started" : "never joined";
        else if (last.error.empty() && !last.connected)
            last.error = "media never came up";
    }
    clock = clock_;
    clock.cpuSeconds = processCpuSeconds();
    return summaries;
}

void Runner::beginRamp() {
    rampTimer_ = g_timeout_add(kRampTickMs, &Runner::onRampTick, this);
    onRampTick(this);
}

gboolean Runner::onRampTick(gpointer data) {
    auto* self = static_cast<Runner*>(data);
    if (self->finished_) return G_SOURCE_REMOVE;
    const int64_t now = g_get_monotonic_time();
    if (self->started_ == 0) self->rampStartUs_ = now;
    const double elapsed = static_cast<double>(now - self->rampStartUs_) / 1e6;
    const auto due = static_cast<size_t>(std::floor(elapsed * self->options_.rampPerSecond)) + 1;
    while (self->started_ < self->participants_.size() && self->started_ < due)
        self->participants_[self->started_++]->start();
    if (self->started_ < self->participants_.size()) return G_SOURCE_CONTINUE;
    self->rampTimer_ = 0;
    self->clock_.rampEndUs = g_get_monotonic_time();
    self->clock_.steadyCpuSeconds = processCpuSeconds();  // the steady phase's CPU counts from here
    self->endTimer_ = g_timeout_add(static_cast<guint>(self->options_.duration * 1000), &Runner::onEnd, self);
    return G_SOURCE_REMOVE;
}

gboolean Runner::onMediaTick(gpointer data) {
    auto* self = static_cast<Runner*>(data);
    const int64_t now = g_get_monotonic_time();
    for (size_t i = 0; i < self->started_; ++i) self->participants_[i]->tick(now);
    return G_SOURCE_CONTINUE;
}

gboolean Runner::onEnd(gpointer data) {
    auto* self = static_cast<Runner*>(data);
    self->endTimer_ = 0;
    self->finish();
    return G_SOURCE_REMOVE;
}

gboolean Runner::onSignal(gpointer data) {
    static_cast<Runner*>(data)->finish();
    return G_SOURCE_CONTINUE;
}

void Runner::finish() {
    if (finished_) return;
    finished_ = true;
    clock_.endUs = g_get_monotonic_time();
    if (clock_.rampEndUs == 0) clock_.rampEndUs = clock_.endUs;
    const double steadyStart = clock_.steadyCpuSeconds;
    clock_.steadyCpuSeconds = steadyStart > 0 ? processCpuSeconds() - steadyStart : 0;
    for (guint* timer : {&rampTimer_, &mediaTimer_, &endTimer_}) {
        if (*timer) g_source_remove(*timer);
        *timer = 0;
    }
    for (size_t i = 0; i < started_; ++i) participants_[i]->leave();
    g_timeout_add(kLeaveGraceMs, &Runner::onQuit, this);
}

gboolean Runner::onQuit(gpointer data) {
    g_main_loop_quit(static_cast<Runner*>(data)->loop_);
    return G_SOURCE_REMOVE;
}

}  // namespace gochat::loadgen
