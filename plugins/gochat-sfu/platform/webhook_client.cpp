#include "plugins/gochat-sfu/platform/webhook_client.hpp"

#include "common/json_ref.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <variant>

namespace gochat::sfu {

namespace {

WebhookOutcome outcomeOf(const HttpResponse& response) {
    if (response.kind == HttpResponse::Kind::Answered && response.status >= 200 && response.status < 300)
        return WebhookOutcome::Ok;
    return response.kind == HttpResponse::Kind::TimedOut ? WebhookOutcome::Timeout : WebhookOutcome::Error;
}

// Worth another attempt: nothing answered, or the service says it cannot
// cope right now. A 4xx will not change by itself.
bool retryable(const HttpResponse& response) {
    if (response.kind == HttpResponse::Kind::Failed) return true;
    return response.kind == HttpResponse::Kind::Answered && (response.status >= 500 || response.status == 429);
}

std::string oneLine(std::string text) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < ' ') c = ' ';
    return text;
}

std::string describe(const HttpResponse& response) {
    if (response.kind != HttpResponse::Kind::Answered) return oneLine(response.detail);
    std::string text = "HTTP " + std::to_string(response.status);
    if (!response.detail.empty()) text += " " + oneLine(response.detail);
    return text;
}

std::string describeCall(WebhookPath path, const WebhookCall& call) {
    std::string text = std::string(webhookRoute(path)).substr(sizeof("/api/v1/webhook/sfu/") - 1);
    if (path == WebhookPath::Heartbeat) return text;
    text += " channel " + std::to_string(call.channel);
    if (path != WebhookPath::Alive) text += " user " + std::to_string(call.user);
    return text;
}

}  // namespace

WebhookClient::WebhookClient(WebhookSettings settings, std::unique_ptr<HttpPoster> poster, LogSink log)
    : settings_(std::move(settings)),
      poster_(std::move(poster)),
      log_(std::move(log)),
      tracker_(settings_.aliveIntervalMs) {}

WebhookClient::~WebhookClient() { stop(); }

Millis WebhookClient::now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void WebhookClient::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable() || stopping_) return;
    nextHeartbeat_ = now();
    thread_ = std::thread([this] { run(); });
}

void WebhookClient::stop() {
    Logs logs;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        stopDeadline_ = now() + settings_.timeoutMs;
        for (const WebhookCall& call : tracker_.everyoneLeaves()) queue_.push_back(call);
        // Calls that never left: alive calls, and joins GoChat never saw,
        // whose users' leaves then go too.
        std::deque<WebhookCall> kept;
        std::set<PresenceKey> unannounced = std::move(unannounced_);
        size_t skipped = 0;
        for (const WebhookCall& call : queue_) {
            const PresenceKey key{call.channel, call.user};
            if (call.path == WebhookPath::Leave && unannounced.erase(key) == 0) {
                kept.push_back(call);
                continue;
            }
            if (call.path == WebhookPath::Join) unannounced.insert(key);
            count(call.path, WebhookOutcome::Dropped);
            ++skipped;
        }
        queue_.swap(kept);
        if (thread_.joinable() && (!queue_.empty() || skipped != 0))
            logs.emplace_back(LogLevel::Info, "webhook: stopping; sending " + std::to_string(queue_.size()) +
                                                  " leave(s) within " + std::to_string(settings_.timeoutMs) + " ms (" +
                                                  std::to_string(skipped) + " unsent call(s) dropped)");
    }
    wake_.notify_all();
    flush(logs);
    if (thread_.joinable()) thread_.join();
}

void WebhookClient::observe(const Effect& effect) {
    const auto* joined = std::get_if<event::ParticipantJoined>(&effect);
    const auto* left = std::get_if<event::ParticipantLeft>(&effect);
    if (!joined && !left) return;
    Logs logs;
    bool queued = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        const Millis at = now();
        for (const WebhookCall& call : joined ? tracker_.joined(*joined, at) : tracker_.left(*left, at)) {
            enqueueLocked(call, logs);
            queued = true;
        }
    }
    if (queued) wake_.notify_all();
    flush(logs);
}

void WebhookClient::pauseHeartbeat() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (heartbeatPaused_) return;
        heartbeatPaused_ = true;
    }
    wake_.notify_all();
    flush({{LogLevel::Info, "webhook: heartbeat paused (draining): GoChat stops routing new calls to \"" +
                                settings_.serviceId +
                                "\" 15 s after its last accepted heartbeat; joins, leaves and alive calls go on"}});
}

void WebhookClient::resumeHeartbeat() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!heartbeatPaused_) return;
        heartbeatPaused_ = false;
        nextHeartbeat_ = now();
    }
    wake_.notify_all();
    flush({{LogLevel::Info, "webhook: heartbeat resumed as \"" + settings_.serviceId + "\""}});
}

bool WebhookClient::heartbeatPaused() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heartbeatPaused_;
}

WebhookCounters WebhookClient::counters() const {
    WebhookCounters snapshot;
    for (size_t path = 0; path < kWebhookPathCount; ++path)
        for (size_t outcome = 0; outcome < kWebhookOutcomeCount; ++outcome)
            snapshot.calls[path][outcome] = counts_[path][outcome].load(std::memory_order_relaxed);
    snapshot.lastHeartbeatSuccessUnix = lastHeartbeatOk_.load(std::memory_order_relaxed);
    return snapshot;
}

size_t WebhookClient::load() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return tracker_.load();
}

std::string WebhookClient::heartbeatBody(const WebhookSettings& settings, size_t load) {
    JsonRef body = JsonRef::object();
    body.setString("id", settings.serviceId)
        .setString("region", settings.region)
        .setString("url", settings.publicUrl)
        .setInt("load", static_cast<int64_t>(load));
    return body.dump();
}

std::string WebhookClient::callBody(const WebhookCall& call) {
    JsonRef body = JsonRef::object();
    body.setInt("channel_id", call.channel);
    if (call.path != WebhookPath::Alive) body.setInt("user_id", call.user);
    // Left out, not null, when the token named no guild.
    if (call.guild != 0) body.setInt("guild_id", call.guild);
    return body.dump();
}

// ---- this client's thread

void WebhookClient::run() {
    for (;;) {
        Job job;
        Logs logs;
        const bool more = nextJob(job, logs);
        flush(logs);
        if (!more) return;
        perform(job);
    }
}

bool WebhookClient::nextJob(Job& job, Logs& logs) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        if (stopping_) return nextJobWhileStopping(job, logs);
        const Millis at = now();
        for (const WebhookCall& call : tracker_.due(at)) enqueueLocked(call, logs);
        if (!heartbeatPaused_ && at >= nextHeartbeat_) {
            nextHeartbeat_ += settings_.heartbeatIntervalMs;
            if (nextHeartbeat_ <= at) nextHeartbeat_ = at + settings_.heartbeatIntervalMs;
            job.heartbeat = true;
            job.load = tracker_.load();
            return true;
        }
        if (!queue_.empty()) {
            job.call = queue_.front();
            queue_.pop_front();
            return true;
        }
        if (!logs.empty()) {
            lock.unlock();
            flush(logs);
            logs.clear();
            lock.lock();
            continue;
        }
        std::optional<Millis> until = tracker_.nextDeadline();
        if (!heartbeatPaused_) until = until ? std::min(*until, nextHeartbeat_) : nextHeartbeat_;
        if (until)
            wake_.wait_for(lock, std::chrono::milliseconds(std::max<Millis>(0, *until - at)));
        else
            wake_.wait(lock);
    }
}

// Called with mutex_ held: the leaves of stop(), until the budget is spent.
bool WebhookClient::nextJobWhileStopping(Job& job, Logs& logs) {
    if (!queue_.empty() && now() < stopDeadline_) {
        job.call = queue_.front();
        queue_.pop_front();
        return true;
    }
    if (!queue_.empty()) {
        logs.emplace_back(LogLevel::Warn, "webhook: stopped with " + std::to_string(queue_.size()) +
                                              " leave(s) unsent: the service did not take them within " +
                                              std::to_string(settings_.timeoutMs) + " ms");
        for (const WebhookCall& call : queue_) count(call.path, WebhookOutcome::Dropped);
        queue_.clear();
    }
    return false;
}

void WebhookClient::perform(const Job& job) {
    const WebhookPath path = job.heartbeat ? WebhookPath::Heartbeat : job.call.path;
    const std::string url = settings_.url + webhookRoute(path);
    const std::string body = job.heartbeat ? heartbeatBody(settings_, job.load) : callBody(job.call);
    const int attempts = (path == WebhookPath::Join || path == WebhookPath::Leave) ? kMaxAttempts : 1;
    for (int attempt = 1;; ++attempt) {
        const Millis limit = attemptLimit();
        if (limit <= 0) {
            count(path, WebhookOutcome::Dropped);
            return;
        }
        const HttpResponse response = poster_->post(url, body, limit);
        const WebhookOutcome outcome = outcomeOf(response);
        count(path, outcome);
        noteResult(job, response, outcome);
        if (outcome == WebhookOutcome::Ok) return;
        if (attempt >= attempts || !retryable(response)) {
            if (attempt > 1)
                flush({{LogLevel::Verbose, "webhook: gave up on " + describeCall(path, job.call) + " after " +
                                               std::to_string(attempt) + " attempt(s): " + describe(response)}});
            // A join that never reached the service: GoChat never saw the
            // user, so its leave must not come either (a leave always
            // follows its join; docs/operations.md, The calls). A join that
            // timed out or was answered may have been taken: its leave goes.
            if (path == WebhookPath::Join && response.kind == HttpResponse::Kind::Failed) forgetJoin(job.call);
            return;
        }
        if (!waitBeforeRetry(kRetryBackoffMs << (attempt - 1))) {
            count(path, WebhookOutcome::Dropped);
            return;
        }
    }
}

Millis WebhookClient::attemptLimit() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) return settings_.timeoutMs;
    return std::min(settings_.timeoutMs, stopDeadline_ - now());
}

// False when a shutdown's budget ran out meanwhile.
bool WebhookClient::waitBeforeRetry(Millis backoff) {
    std::unique_lock<std::mutex> lock(mutex_);
    const Millis until = now() + backoff;
    auto outOfTime = [this] { return stopping_ && now() >= stopDeadline_; };
    while (!outOfTime() && now() < until) {
        const Millis limit = stopping_ ? std::min(until, stopDeadline_) : until;
        wake_.wait_for(lock, std::chrono::milliseconds(std::max<Millis>(1, limit - now())));
    }
    return !outOfTime();
}

// Logs changes only: registration once, then each time heartbeats start or
// stop failing; presence calls likewise (the counters have the rest).
void WebhookClient::noteResult(const Job& job, const HttpResponse& response, WebhookOutcome outcome) {
    Logs logs;
    if (job.heartbeat) {
        if (outcome == WebhookOutcome::Ok) {
            lastHeartbeatOk_.store(static_cast<int64_t>(std::time(nullptr)), std::memory_order_relaxed);
            if (registration_ == Registration::Unknown)
                logs.emplace_back(LogLevel::Info, "webhook: registered with " + settings_.url + " as \"" +
                                                      settings_.serviceId + "\" (region " + settings_.region +
                                                      ", clients connect to " + settings_.publicUrl + ")");
            else if (registration_ == Registration::Failing)
                logs.emplace_back(LogLevel::Info,
                                  "webhook: heartbeat accepted again, registered as \"" + settings_.serviceId + "\"");
            registration_ = Registration::Registered;
        } else if (registration_ != Registration::Failing) {
            logs.emplace_back(LogLevel::Warn, "webhook: heartbeat to " + settings_.url +
                                                  " failing: " + describe(response) +
                                                  " (GoChat drops this SFU 15 s after its last accepted heartbeat;"
                                                  " logged again when one succeeds)");
            registration_ = Registration::Failing;
        }
    } else if (outcome == WebhookOutcome::Ok) {
        if (callsFailing_)
            logs.emplace_back(LogLevel::Info, "webhook: presence calls succeed again (" +
                                                  std::to_string(failuresSinceLog_) + " failed attempt(s) meanwhile)");
        callsFailing_ = false;
        failuresSinceLog_ = 0;
    } else {
        ++failuresSinceLog_;
        if (!callsFailing_)
            logs.emplace_back(LogLevel::Warn, "webhook: " + describeCall(job.call.path, job.call) +
                                                  " failing: " + describe(response) +
                                                  " (further failures are counted, not logged, until a call succeeds)");
        callsFailing_ = true;
    }
    flush(logs);
}

// ---- the queue (mutex_ held)

void WebhookClient::enqueueLocked(const WebhookCall& call, Logs& logs) {
    // A leave whose join was dropped (before, or to make room just now):
    // GoChat never saw this user, so the leave goes too.
    auto unannounced = [&] {
        if (call.path != WebhookPath::Leave || unannounced_.erase({call.channel, call.user}) == 0) return false;
        countDropLocked(call, nullptr, logs);
        return true;
    };
    if (unannounced()) return;
    if (queue_.size() >= static_cast<size_t>(settings_.queueSize)) {
        auto victim = std::find_if(queue_.begin(), queue_.end(),
                                   [](const WebhookCall& queued) { return queued.path != WebhookPath::Leave; });
        if (victim == queue_.end()) {
            dropNewLocked(call, logs);
            return;
        }
        dropQueuedLocked(static_cast<size_t>(victim - queue_.begin()), logs);
        if (unannounced()) return;
    }
    queue_.push_back(call);
}

void WebhookClient::forgetJoin(const WebhookCall& join) {
    Logs logs;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        dropLeaveOfLocked(join, 0, logs);
    }
    flush(logs);
}

void WebhookClient::dropLeaveOfLocked(const WebhookCall& join, size_t from, Logs& logs) {
    auto leave = std::find_if(
        queue_.begin() + static_cast<std::ptrdiff_t>(from), queue_.end(),
        [&join](const WebhookCall& queued) { return queued.path == WebhookPath::Leave && queued.samePresence(join); });
    if (leave != queue_.end()) {
        countDropLocked(*leave, nullptr, logs);
        queue_.erase(leave);
    } else {
        unannounced_.insert({join.channel, join.user});
    }
}

void WebhookClient::dropQueuedLocked(size_t index, Logs& logs) {
    const WebhookCall victim = queue_[index];
    if (victim.path == WebhookPath::Join) dropLeaveOfLocked(victim, index + 1, logs);
    countDropLocked(victim, "queue full", logs);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
}

void WebhookClient::dropNewLocked(const WebhookCall& call, Logs& logs) {
    if (call.path == WebhookPath::Join) unannounced_.insert({call.channel, call.user});
    countDropLocked(call, "queue full of leaves", logs);
}

// `why` null: counted only (the leave of a join that was dropped).
void WebhookClient::countDropLocked(const WebhookCall& call, const char* why, Logs& logs) {
    count(call.path, WebhookOutcome::Dropped);
    ++dropped_;
    if (!why) return;
    const Millis at = now();
    if (loggedDrop_ && at - lastDropLog_ < kDropLogIntervalMs) return;
    loggedDrop_ = true;
    lastDropLog_ = at;
    logs.emplace_back(LogLevel::Warn, "webhook: " + std::string(why) + " (" + std::to_string(settings_.queueSize) +
                                          " calls): dropped " + describeCall(call.path, call) + "; " +
                                          std::to_string(dropped_) + " call(s) dropped so far (logged at most every " +
                                          std::to_string(kDropLogIntervalMs / 1000) + " s)");
}

void WebhookClient::flush(const Logs& logs) const {
    if (!log_) return;
    for (const auto& [level, text] : logs) log_(level, text);
}

}  // namespace gochat::sfu
