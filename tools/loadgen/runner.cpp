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
        const int place = i % roomSize;
        spec.speaker = place < options.speakers;
        spec.audio = spec.speaker ? AudioKind::Voice : options.others;
        spec.quiet = options.others;
        if (spec.speaker && static_cast<size_t>(place) < options.levels.size()) spec.level = options.levels[place];
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
    userBase_ = base;
    specs_ = planParticipants(options, base);
    for (const ParticipantSpec& spec : specs_) participants_.push_back(makeParticipant(spec));
}

std::unique_ptr<Participant> Runner::makeParticipant(const ParticipantSpec& spec) const {
    if (options_.mode == Mode::Gochat) return std::make_unique<GochatParticipant>(settings_, spec);
    return std::make_unique<VideoRoomParticipant>(settings_, spec);
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
    self->beginSteadyPhase(g_get_monotonic_time());
    return G_SOURCE_REMOVE;
}

void Runner::beginSteadyPhase(int64_t nowUs) {
    clock_.rampEndUs = nowUs;
    clock_.steadyCpuSeconds = processCpuSeconds();  // the steady phase's CPU counts from here
    auto ms = [](double seconds) { return static_cast<guint>(seconds * 1000); };
    endTimer_ = g_timeout_add(ms(options_.duration), &Runner::onEnd, this);
    if (options_.window > 0)
        windowTimer_ = g_timeout_add(ms(options_.duration - options_.window), &Runner::onWindow, this);
    else
        onWindow(this);
    if (options_.changeAfter >= 0) changeTimer_ = g_timeout_add(ms(options_.changeAfter), &Runner::onChange, this);
    if (options_.churnPerSecond > 0)
        churnTimer_ = g_timeout_add(ms(1 / options_.churnPerSecond), &Runner::onChurn, this);
}

gboolean Runner::onWindow(gpointer data) {
    auto* self = static_cast<Runner*>(data);
    self->windowTimer_ = 0;
    self->clock_.windowStartUs = g_get_monotonic_time();
    self->clock_.windowReceived = 0;
    self->clock_.windowSent = 0;
    for (const auto& participant : self->participants_) {
        self->clock_.windowReceived += participant->packetsReceived();
        self->clock_.windowSent += participant->packetsSent();
    }
    return G_SOURCE_REMOVE;
}

gboolean Runner::onChange(gpointer data) {
    auto* self = static_cast<Runner*>(data);
    self->changeTimer_ = 0;
    const int64_t now = g_get_monotonic_time();
    const std::vector<int>& levels = self->options_.levelsAfter;
    const int roomSize = self->options_.roomSize > 0 ? self->options_.roomSize : self->options_.participants;
    for (const auto& participant : self->participants_) {
        const ParticipantSpec& spec = participant->spec();
        const size_t place = static_cast<size_t>(spec.index % roomSize);
        if (spec.speaker && !spec.churner && place < levels.size() && levels[place] != kUnchanged)
            participant->changeSpeech(levels[place], now);
        participant->markChange(now);
    }
    self->clock_.changeUs = now;
    return G_SOURCE_REMOVE;
}

// One participant who is not a speaker leaves, in turn, and a new one joins its room.
gboolean Runner::onChurn(gpointer data) {
    static_cast<Runner*>(data)->replaceOne(g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

void Runner::replaceOne(int64_t nowUs) {
    for (size_t tried = 0; tried < participants_.size(); ++tried) {
        const size_t at = (churnNext_ + tried) % participants_.size();
        Participant& leaving = *participants_[at];
        if (leaving.spec().speaker || leaving.leftEarly() || !leaving.joined()) continue;
        churnNext_ = at + 1;
        leaving.leaveEarly(nowUs);
        ++clock_.churnLeaves;
        ParticipantSpec spec = leaving.spec();
        spec.index = static_cast<int>(participants_.size());
        spec.userId = userBase_ + spec.index;
        spec.video = false;
        spec.churner = true;
        participants_.push_back(makeParticipant(spec));
        participants_.back()->start();
        started_ = participants_.size();
        return;
    }
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
    if (clock_.windowStartUs == 0) clock_.windowStartUs = clock_.endUs;
    uint64_t received = 0, sent = 0;
    for (const auto& participant : participants_) {
        received += participant->packetsReceived();
        sent += participant->packetsSent();
    }
    clock_.windowReceived = received - clock_.windowReceived;
    clock_.windowSent = sent - clock_.windowSent;
    for (guint* timer : {&rampTimer_, &mediaTimer_, &endTimer_, &windowTimer_, &changeTimer_, &churnTimer_}) {
        if (*timer) g_source_remove(*timer);
        *timer = 0;
    }
    for (size_t i = 0; i < started_; ++i) participants_[i]->leave();  // a second leave does nothing
    g_timeout_add(kLeaveGraceMs, &Runner::onQuit, this);
}

gboolean Runner::onQuit(gpointer data) {
    g_main_loop_quit(static_cast<Runner*>(data)->loop_);
    return G_SOURCE_REMOVE;
}

}  // namespace gochat::loadgen
