// The SFU's calls to GoChat's webhook service (docs/operations.md, Joining
// a GoChat deployment): the discovery heartbeat, voice/join, voice/leave
// and channel/alive, on a thread of their own.
//
// The handler thread only shows it room events (RoomEventObserver): the
// presence tracker turns them into calls under this client's mutex, which
// is a leaf lock never held during HTTP, so a join is never delayed by the
// service. The thread sends calls one at a time, in order, each within
// `timeout`; heartbeats and alive calls are timed on it. A slow or dead
// service costs callers nothing but log lines and counters: the queue is
// bounded, and when it is full the oldest call that is not a leave is
// dropped (or, when it holds only leaves, the new call), counted and
// logged. A join that is dropped takes its user's leave with it: GoChat
// never learned of that user. Janus-free and libcurl-free: the HTTP goes
// through an HttpPoster (docs/architecture.md, Threads).
#pragma once

#include "plugins/gochat-sfu/config/plugin_settings.hpp"
#include "plugins/gochat-sfu/core/event_observer.hpp"
#include "plugins/gochat-sfu/platform/http_poster.hpp"
#include "plugins/gochat-sfu/platform/presence_tracker.hpp"
#include "plugins/gochat-sfu/platform/webhook_call.hpp"

#include <array>
#include <cstddef>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gochat::sfu {

enum class LogLevel { Error, Warn, Info, Verbose };
using LogSink = std::function<void(LogLevel, const std::string&)>;

class WebhookClient final : public RoomEventObserver {
public:
    // Attempts of a join or leave whose service could not be reached or
    // answered 5xx/429; retries wait kRetryBackoffMs, then twice that. A
    // timeout is not retried: the service is slow, and the queue waits.
    static constexpr int kMaxAttempts = 3;
    static constexpr Millis kRetryBackoffMs = 200;
    // Drops are logged at most once per this interval (with a running total).
    static constexpr Millis kDropLogIntervalMs = 10000;

    WebhookClient(WebhookSettings settings, std::unique_ptr<HttpPoster> poster, LogSink log);
    ~WebhookClient() override;

    WebhookClient(const WebhookClient&) = delete;
    WebhookClient& operator=(const WebhookClient&) = delete;

    // Starts the thread; the first heartbeat goes out at once.
    void start();
    // Clean shutdown: every user still present gets its leave; queued joins
    // (and their users' leaves) and alive calls are dropped; what is left
    // is sent within settings.timeoutMs, the rest dropped. Joins the thread.
    void stop();

    // Handler thread: ParticipantJoined and ParticipantLeft; the rest is ignored.
    void observe(const Effect& effect) override;

    // Draining (docs/operations.md, Rolling upgrades): without heartbeats
    // GoChat's discovery drops this SFU 15 s after the last accepted one
    // (a heartbeat already being sent still goes out); joins, leaves and
    // alive calls go on for the calls in progress. Resuming sends a
    // heartbeat at once, then every interval. Any thread; idempotent.
    void pauseHeartbeat();
    void resumeHeartbeat();
    bool heartbeatPaused() const;

    // Any thread: a snapshot of the counters (the /metrics exposition reads it).
    WebhookCounters counters() const;
    // Any thread: connected participants, as the next heartbeat reports them.
    size_t load() const;

    // The request bodies: JSON with ids as exact integers.
    static std::string heartbeatBody(const WebhookSettings& settings, size_t load);
    static std::string callBody(const WebhookCall& call);

private:
    struct Job {
        bool heartbeat = false;
        WebhookCall call;
        size_t load = 0;
    };
    using Logs = std::vector<std::pair<LogLevel, std::string>>;
    using PresenceKey = std::pair<ChannelId, UserId>;

    static Millis now();
    void run();
    // Waits for the next thing to send: a due heartbeat first, then the
    // queue (alive calls join it when due). Nothing once stopped and drained.
    bool nextJob(Job& job, Logs& logs);
    bool nextJobWhileStopping(Job& job, Logs& logs);
    void perform(const Job& job);
    // The time an attempt may take now: the timeout, or while stopping what
    // is left of the shutdown budget (0: none left).
    Millis attemptLimit();
    bool waitBeforeRetry(Millis backoff);
    void noteResult(const Job& job, const HttpResponse& response, WebhookOutcome outcome);

    void enqueueLocked(const WebhookCall& call, Logs& logs);
    // A join given up without reaching the service: its user's leave goes too.
    void forgetJoin(const WebhookCall& join);
    void dropQueuedLocked(size_t index, Logs& logs);
    // A join that GoChat will never see takes its user's leave with it: the
    // leave queued after position `from`, or, if none is queued yet, the one
    // still to come (unannounced_).
    void dropLeaveOfLocked(const WebhookCall& join, size_t from, Logs& logs);
    void dropNewLocked(const WebhookCall& call, Logs& logs);
    void countDropLocked(const WebhookCall& call, const char* why, Logs& logs);
    void flush(const Logs& logs) const;

    void count(WebhookPath path, WebhookOutcome outcome) {
        counts_[static_cast<size_t>(path)][static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
    }

    const WebhookSettings settings_;
    const std::unique_ptr<HttpPoster> poster_;
    const LogSink log_;

    // NOTE: leaf lock: the tracker, the queue and the schedule. Taken by the
    // handler thread (observe) and this client's thread; never held during
    // HTTP or logging.
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    PresenceTracker tracker_;
    std::deque<WebhookCall> queue_;
    std::set<PresenceKey> unannounced_;  // users whose join was dropped: their leave goes too
    Millis nextHeartbeat_ = 0;
    bool heartbeatPaused_ = false;
    bool stopping_ = false;
    Millis stopDeadline_ = 0;
    uint64_t dropped_ = 0;
    Millis lastDropLog_ = 0;
    bool loggedDrop_ = false;
    std::thread thread_;

    // This client's thread only: what the log was last told.
    enum class Registration { Unknown, Registered, Failing };
    Registration registration_ = Registration::Unknown;
    bool callsFailing_ = false;
    uint64_t failuresSinceLog_ = 0;

    std::array<std::array<std::atomic<uint64_t>, kWebhookOutcomeCount>, kWebhookPathCount> counts_{};
    std::atomic<int64_t> lastHeartbeatOk_{0};
};

}  // namespace gochat::sfu
