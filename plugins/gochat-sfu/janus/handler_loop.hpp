// The plugin's one handler thread: every request, departure and control
// notification is queued here and handled in order, and timers run between
// them (docs/architecture.md, Threads). Janus runs `message` requests on a
// thread pool, so without this queue two requests of one handle could be
// handled out of order.
#pragma once

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/core/types.hpp"
#include "plugins/gochat-sfu/media/media_session.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace gochat::sfu {

struct Work {
    enum class Kind { Message, Departure, SpeakingChanged, PayloadTypeSeen, Task, Stop };
    Kind kind = Kind::Stop;
    std::shared_ptr<MediaSession> session;  // Message: keeps the handle alive until handled
    SessionId sessionId = 0;
    bool speaking = false;                   // SpeakingChanged
    MediaKind mediaKind = MediaKind::Audio;  // PayloadTypeSeen
    int payloadType = 0;                     // PayloadTypeSeen
    std::string transaction;                 // Message
    JsonRef body;
    JsonRef jsep;
    // Task: run on the handler thread (an admin action, janus/admin_service.cpp).
    std::function<void()> task;
};

class HandlerLoop {
public:
    // What the loop runs; all of it on the handler thread.
    class Owner {
    public:
        virtual ~Owner() = default;
        virtual void handle(Work& work) = 0;
        virtual void runTimers(Millis now) = 0;
        // When runTimers() next has work to do, if ever.
        virtual std::optional<Millis> nextDeadline(Millis now) = 0;
    };

    // Beyond this, requests (and tasks) are refused rather than buffered.
    static constexpr size_t kMaxQueuedWork = 20000;

    static Millis now();

    void start(Owner& owner);
    // Handles what is queued before the Stop, then joins the thread.
    void stop();
    // Any thread. False when a Message or a Task is refused (queue full).
    bool enqueue(Work work);
    // Any thread: run the timers now (a deferred keyframe, say).
    void wake();

private:
    void run(Owner& owner);

    // NOTE: leaf lock guarding the queue and the wake flag only.
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Work> queue_;
    bool wakeRequested_ = false;
    std::thread thread_;
};

}  // namespace gochat::sfu
