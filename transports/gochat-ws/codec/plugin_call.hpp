// One request to the plugin on behalf of an HTTP request (docs/
// architecture-transport.md, HTTP endpoints), through a Janus session of
// its own, exactly as a socket's requests go: create -> attach -> message
// -> the plugin's answer -> destroy. Pure, like SignalSession: every input
// returns the requests to submit; the lws glue runs it on the service
// thread and owns the timer that bounds the wait.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json_ref.hpp"
#include "transports/gochat-ws/codec/signal_session.hpp"

namespace gochat::ws {

class PluginCall {
public:
    enum class Outcome {
        Pending,
        Answered,     // answer() holds the plugin's event data
        Unavailable,  // Janus or the plugin refused (no such plugin, an error, the session went away)
        TimedOut,     // onTimeout() came first
    };
    struct Step {
        std::vector<JsonRef> toJanus;  // for incoming_request, in order
        bool settled = false;          // the outcome was decided by this input
        std::vector<LogLine> log;
    };

    PluginCall(uint64_t callId, std::string plugin, JsonRef body);

    Step start();
    Step onJanus(const json_t* message);
    // The Janus session ended under us (session_over).
    Step onSessionOver(uint64_t sessionId);
    // The wait is over: a pending call times out, a destroy that gets no
    // answer is given up (the glue then releases the transport session,
    // which destroys whatever is left).
    Step onTimeout();

    Outcome outcome() const { return outcome_; }
    const JsonRef& answer() const { return answer_; }
    // Nothing more is expected from Janus.
    bool finished() const { return phase_ == Phase::Done; }
    uint64_t sessionId() const { return sessionId_; }

private:
    enum class Phase { Creating, Attaching, Asking, Destroying, Done };

    std::string transaction(const char* step) const;
    void settle(Outcome outcome, Step& step);
    void onSuccess(const json_t* message, Step& step);

    const uint64_t id_;
    const std::string plugin_;
    JsonRef body_;
    Phase phase_ = Phase::Creating;
    Outcome outcome_ = Outcome::Pending;
    JsonRef answer_;
    uint64_t sessionId_ = 0;
    uint64_t handleId_ = 0;
};

}  // namespace gochat::ws
