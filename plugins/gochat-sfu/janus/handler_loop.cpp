#include "plugins/gochat-sfu/janus/handler_loop.hpp"

#include "plugins/gochat-sfu/janus/janus_api.hpp"

#include <chrono>
#include <exception>

namespace gochat::sfu {

Millis HandlerLoop::now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void HandlerLoop::start(Owner& owner) {
    thread_ = std::thread([this, &owner] { run(owner); });
}

void HandlerLoop::stop() {
    Work stop;
    stop.kind = Work::Kind::Stop;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(stop));
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
}

bool HandlerLoop::enqueue(Work work) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool refusable = work.kind == Work::Kind::Message || work.kind == Work::Kind::Task;
        if (queue_.size() >= kMaxQueuedWork && refusable) return false;
        queue_.push_back(std::move(work));
    }
    ready_.notify_one();
    return true;
}

void HandlerLoop::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wakeRequested_ = true;
    }
    ready_.notify_one();
}

void HandlerLoop::run(Owner& owner) {
    for (;;) {
        // The deadline is read before taking the queue lock (no nesting);
        // only this thread changes what it depends on.
        const std::optional<Millis> deadline = owner.nextDeadline(now());
        std::optional<Work> work;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            auto ready = [this] { return !queue_.empty() || wakeRequested_; };
            if (!ready()) {
                if (deadline)
                    ready_.wait_for(lock, std::chrono::milliseconds(std::max<Millis>(0, *deadline - now())), ready);
                else
                    ready_.wait(lock, ready);
            }
            wakeRequested_ = false;
            if (!queue_.empty()) {
                work.emplace(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        try {
            if (work) {
                if (work->kind == Work::Kind::Stop) return;
                owner.handle(*work);
            }
            owner.runTimers(now());
        } catch (const std::exception& e) {
            JANUS_LOG(LOG_ERR, "[gochat.sfu] handler: %s\n", e.what());
        }
    }
}

}  // namespace gochat::sfu
