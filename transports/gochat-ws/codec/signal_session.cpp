#include "transports/gochat-ws/codec/signal_session.hpp"

#include <utility>

namespace gochat::ws {

SignalSession::SignalSession(uint64_t connectionId, std::string plugin)
    : connectionId_(connectionId), plugin_(std::move(plugin)) {}

Effects SignalSession::start() {
    Effects effects;
    effects.toJanus.push_back(buildCreateRequest(remember(Purpose::Create, 0)));
    return effects;
}

Effects SignalSession::onClientText(std::string_view text, int64_t nowMs) {
    Effects effects;
    if (phase_ == Phase::Closing) return effects;
    ClientMessage message = decodeClientText(text, nowMs);
    message.textBytes = text.size();
    handleClientMessage(std::move(message), effects);
    return effects;
}

Effects SignalSession::onClientBinary() {
    Effects effects;
    if (phase_ == Phase::Closing) return effects;
    // Binary frames are not part of the protocol (docs/protocol.md, Connection and envelope).
    ClientMessage message;
    message.kind = ClientMessage::Kind::Invalid;
    handleClientMessage(std::move(message), effects);
    effects.refused = FrameRefusal::Binary;
    return effects;
}

Effects SignalSession::onClientTooLarge() {
    Effects effects;
    closeWith(kCloseMessageTooBig, "message too big", effects);
    effects.abort = true;
    effects.refused = FrameRefusal::TooLarge;
    return effects;
}

void SignalSession::handleClientMessage(ClientMessage message, Effects& effects) {
    switch (message.kind) {
        case ClientMessage::Kind::Heartbeat: effects.toClient.push_back(message.reply.dump()); return;
        case ClientMessage::Kind::Ignored: return;
        case ClientMessage::Kind::Invalid:
            effects.refused = FrameRefusal::Invalid;
            if (!joined_) {
                refuseJoin(kErrorInvalidMessage, effects);
            } else {
                answerError(message.t, effects);
            }
            return;
        case ClientMessage::Kind::PluginMessage:
        case ClientMessage::Kind::Trickle: break;
    }
    if (!joined_) {
        if (message.isJoin && !joinRequested_) {
            joinRequested_ = true;
            dispatchToJanus(std::move(message), effects);
        } else if (message.t == 0 && message.kind == ClientMessage::Kind::PluginMessage) {
            // The web client's op-less negotiate/speaking reports are not
            // op 7 and not malformed: before join they have nothing to act on.
            effects.log.push_back({LogLevel::Verbose, "web-client event before join ignored"});
        } else {
            effects.refused = FrameRefusal::Invalid;
            refuseJoin(kErrorInvalidMessage, effects);
        }
        return;
    }
    if (message.t == kEventLeave && message.kind == ClientMessage::Kind::PluginMessage) leaveRequested_ = true;
    dispatchToJanus(std::move(message), effects);
}

void SignalSession::onSocketClosed() {
    std::optional<ClientMessage> leave;
    for (ClientMessage& queued : queuedMessages_)
        if (queued.t == kEventLeave && queued.kind == ClientMessage::Kind::PluginMessage) leave = std::move(queued);
    phase_ = Phase::Closing;
    queuedBeforeAttach_.clear();
    queuedMessages_.clear();
    queuedBytes_ = 0;
    if (leave) queuedMessages_.push_back(std::move(*leave));
}

void SignalSession::dispatchToJanus(ClientMessage message, Effects& effects) {
    if (phase_ == Phase::Closing) return;
    if (phase_ != Phase::Ready) {
        if (queuedBeforeAttach_.size() >= kMaxQueuedBeforeAttach) {
            effects.log.push_back({LogLevel::Warn, "too many messages before the handle exists"});
            effects.refused = FrameRefusal::Overflow;
            if (!joined_) {
                refuseJoin(kErrorInvalidMessage, effects);
            } else {
                answerError(message.t, effects);
            }
            return;
        }
        queuedBeforeAttach_.push_back(std::move(message));
        return;
    }
    if (message.kind == ClientMessage::Kind::Trickle) {
        const std::string transaction = remember(Purpose::Client, message.t);
        effects.toJanus.push_back(
            buildTrickleRequest(transaction, sessionId_, handleId_, std::move(message.candidate)));
        return;
    }
    if (!messageInJanus_.empty()) {
        if (queuedMessages_.size() >= kMaxQueuedMessages || queuedBytes_ + message.textBytes > kMaxQueuedBytes) {
            effects.log.push_back({LogLevel::Warn, "client sends requests faster than they are handled"});
            effects.refused = FrameRefusal::Overflow;
            if (!joined_) {
                refuseJoin(kErrorInvalidMessage, effects);
            } else {
                answerError(message.t, effects);
            }
            return;
        }
        queuedBytes_ += message.textBytes;
        queuedMessages_.push_back(std::move(message));
        return;
    }
    submitMessage(std::move(message), effects);
}

void SignalSession::submitMessage(ClientMessage message, Effects& effects) {
    messageInJanus_ = remember(Purpose::Client, message.t);
    effects.toJanus.push_back(
        buildMessageRequest(messageInJanus_, sessionId_, handleId_, std::move(message.body), std::move(message.jsep)));
}

void SignalSession::settleMessage(const std::string& transaction, Effects& effects) {
    if (transaction.empty() || transaction != messageInJanus_) return;
    messageInJanus_.clear();
    // Also while closing: only a leave can still be queued then.
    if (queuedMessages_.empty() || handleId_ == 0) return;
    ClientMessage next = std::move(queuedMessages_.front());
    queuedMessages_.pop_front();
    queuedBytes_ -= next.textBytes;
    submitMessage(std::move(next), effects);
}

Effects SignalSession::onJanus(const json_t* message) {
    Effects effects;
    JanusReply reply = decodeJanus(message);
    if (phase_ == Phase::Closing) {
        // Nothing reaches the client any more; the reply to the message in
        // Janus still releases a queued leave.
        if (reply.kind == JanusReply::Kind::Ack || reply.kind == JanusReply::Kind::Error ||
            reply.kind == JanusReply::Kind::PluginEvent) {
            forget(reply.transaction);
            settleMessage(reply.transaction, effects);
        }
        return effects;
    }
    switch (reply.kind) {
        case JanusReply::Kind::Success: {
            auto pending = forget(reply.transaction);
            if (!pending) return effects;
            if (pending->purpose == Purpose::Create) {
                if (reply.dataId == 0) {
                    effects.log.push_back({LogLevel::Warn, "Janus create returned no session id"});
                    closeWith(kCloseInternalError, "sfu unavailable", effects);
                    return effects;
                }
                sessionId_ = reply.dataId;
                phase_ = Phase::Attaching;
                effects.toJanus.push_back(buildAttachRequest(remember(Purpose::Attach, 0), sessionId_, plugin_));
            } else if (pending->purpose == Purpose::Attach) {
                if (reply.dataId == 0) {
                    effects.log.push_back({LogLevel::Warn, "Janus attach returned no handle id"});
                    closeWith(kCloseInternalError, "sfu unavailable", effects);
                    return effects;
                }
                handleId_ = reply.dataId;
                phase_ = Phase::Ready;
                std::deque<ClientMessage> queued = std::move(queuedBeforeAttach_);
                queuedBeforeAttach_.clear();
                for (ClientMessage& early : queued) dispatchToJanus(std::move(early), effects);
            }
            return effects;
        }
        case JanusReply::Kind::Ack:
            forget(reply.transaction);
            settleMessage(reply.transaction, effects);
            return effects;
        case JanusReply::Kind::Error:
            handleJanusError(reply, effects);
            settleMessage(reply.transaction, effects);
            return effects;
        case JanusReply::Kind::PluginEvent:
            if (!reply.transaction.empty() && reply.janus == "success") forget(reply.transaction);
            handlePluginEvent(reply, effects);
            settleMessage(reply.transaction, effects);
            return effects;
        case JanusReply::Kind::Trickle: effects.toClient.push_back(std::move(reply.frame)); return effects;
        case JanusReply::Kind::Timeout:
            effects.log.push_back({LogLevel::Warn, "Janus session timed out"});
            closeWith(kCloseInternalError, "session timeout", effects);
            return effects;
        case JanusReply::Kind::Detached:
            // The transport never detaches: the plugin or core dropped us.
            effects.log.push_back({LogLevel::Warn, "plugin handle detached unexpectedly"});
            closeWith(kCloseInternalError, "detached", effects);
            return effects;
        case JanusReply::Kind::Ignored: return effects;
        case JanusReply::Kind::Malformed:
            effects.log.push_back({LogLevel::Verbose, "ignoring unexpected Janus message '" + reply.janus + "'"});
            return effects;
    }
    return effects;
}

void SignalSession::handleJanusError(const JanusReply& reply, Effects& effects) {
    auto pending = forget(reply.transaction);
    const std::string detail = "Janus error " + std::to_string(reply.errorCode) + " (" + reply.errorReason + ")";
    if (!pending) {
        effects.log.push_back({LogLevel::Verbose, detail + " for an unknown transaction"});
        return;
    }
    switch (pending->purpose) {
        case Purpose::Create:
        case Purpose::Attach:
            effects.log.push_back(
                {LogLevel::Warn,
                 (pending->purpose == Purpose::Create ? "create failed: " : "attach to " + plugin_ + " failed: ") +
                     detail});
            closeWith(kCloseInternalError, "sfu unavailable", effects);
            return;
        case Purpose::Keepalive:
            // The session is gone (458) or the core refuses us: nothing can
            // work on this socket any more.
            effects.log.push_back({LogLevel::Warn, "keepalive failed: " + detail});
            closeWith(kCloseInternalError, "session lost", effects);
            return;
        case Purpose::Client:
            effects.log.push_back(
                {LogLevel::Verbose, "request for t " + std::to_string(pending->t) + " refused: " + detail});
            if (!joined_) {
                refuseJoin(kErrorInvalidMessage, effects);
            } else {
                answerError(pending->t, effects);
            }
            return;
    }
}

void SignalSession::handlePluginEvent(const JanusReply& reply, Effects& effects) {
    if (reply.joinAccepted) joined_ = true;
    effects.toClient.push_back(reply.frame);
    if (reply.close) {
        effects.log.push_back({LogLevel::Verbose, "plugin ended the session ('" + reply.eventName + "', " +
                                                      std::to_string(reply.close->code) + ")"});
        closeWith(reply.close->code, reply.close->reason, effects);
    }
}

Effects SignalSession::onJoinTimeout() {
    Effects effects;
    if (phase_ == Phase::Closing || joinRequested_ || joined_) return effects;
    effects.toClient.push_back(encodeRtcError(kEventJoin, kErrorJoinTimeout));
    closeWith(kClosePolicyViolation, kErrorJoinTimeout, effects);
    return effects;
}

Effects SignalSession::onKeepaliveDue() {
    Effects effects;
    // GoChat clients never send keepalives; the transport refreshes the
    // Janus session's last_activity for them (docs/architecture-transport.md, Threads).
    if (phase_ == Phase::Closing || sessionId_ == 0) return effects;
    effects.toJanus.push_back(buildKeepaliveRequest(remember(Purpose::Keepalive, 0), sessionId_));
    return effects;
}

void SignalSession::onSessionCreated(uint64_t sessionId) {
    // session_created fires before create's success reply; the reply is what
    // the state machine acts on, this only confirms the id is ours.
    if (sessionId_ == 0 && phase_ == Phase::CreatingSession) sessionId_ = sessionId;
}

Effects SignalSession::onSessionOver(uint64_t sessionId, bool timeout, bool claimed) {
    Effects effects;
    if (phase_ == Phase::Closing || sessionId != sessionId_) return effects;
    effects.log.push_back({LogLevel::Warn, std::string("Janus session over (") +
                                               (timeout   ? "timeout"
                                                : claimed ? "claimed"
                                                          : "destroyed") +
                                               ")"});
    closeWith(kCloseInternalError, timeout ? "session timeout" : "session over", effects);
    return effects;
}

void SignalSession::onSessionClaimed(uint64_t sessionId) {
    // GoChat clients never claim; a claim through this transport would be a
    // Janus-API client we do not serve, so only note the id.
    if (sessionId_ == 0) sessionId_ = sessionId;
}

void SignalSession::refuseJoin(std::string_view error, Effects& effects) {
    effects.toClient.push_back(encodeRtcError(kEventJoin, error));
    closeWith(kClosePolicyViolation, error, effects);
}

void SignalSession::answerError(int64_t t, Effects& effects) {
    effects.toClient.push_back(encodeRtcError(t, kErrorInvalidMessage));
}

void SignalSession::closeWith(int code, std::string_view reason, Effects& effects) {
    if (phase_ == Phase::Closing) return;
    phase_ = Phase::Closing;
    queuedBeforeAttach_.clear();
    queuedMessages_.clear();
    queuedBytes_ = 0;
    effects.close = sanitizeClose(code, reason);
}

std::string SignalSession::remember(Purpose purpose, int64_t t) {
    std::string id = "gcws-" + std::to_string(connectionId_) + "-" + std::to_string(nextTransaction_++);
    if (transactions_.size() >= kMaxPendingTransactions) transactions_.pop_front();
    transactions_.push_back({id, purpose, t});
    return id;
}

std::optional<SignalSession::PendingTransaction> SignalSession::forget(const std::string& transaction) {
    if (transaction.empty()) return std::nullopt;
    for (auto it = transactions_.begin(); it != transactions_.end(); ++it) {
        if (it->id == transaction) {
            PendingTransaction pending = std::move(*it);
            transactions_.erase(it);
            return pending;
        }
    }
    return std::nullopt;
}

}  // namespace gochat::ws
