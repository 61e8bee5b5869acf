#include "plugins/gochat-sfu/janus/handler_events.hpp"

#include "common/overloaded.hpp"
#include "plugins/gochat-sfu/metrics/sfu_metrics.hpp"

namespace gochat::sfu {

namespace {

const char* flagEventName(UserFlag flag) {
    switch (flag) {
        case UserFlag::ServerMuted: return "server_muted";
        case UserFlag::Deafened: return "deafened";
        case UserFlag::Blocked: return "blocked";
    }
    return "unknown";
}

HandlerEvent joined(const event::ParticipantJoined& joined) {
    HandlerEvent out;
    out.handleOf = joined.session;
    out.data = {{"event", std::string("joined")},
                {"channel", joined.channel},
                {"user", joined.user},
                {"session", static_cast<int64_t>(joined.session)}};
    if (joined.guild != 0) out.data.emplace_back("guild", joined.guild);
    return out;
}

HandlerEvent left(const event::ParticipantLeft& left) {
    HandlerEvent out;
    out.data = {{"event", std::string("left")},
                {"channel", left.channel},
                {"user", left.user},
                {"session", static_cast<int64_t>(left.session)},
                {"reason", std::string(leaveReasonLabel(left.reason))}};
    if (left.guild != 0) out.data.emplace_back("guild", left.guild);
    if (left.reason == LeaveReason::Moved) out.data.emplace_back("moved_to", left.movedTo);
    return out;
}

HandlerEvent publication(const event::PublicationChanged& changed) {
    HandlerEvent out;
    out.handleOf = changed.session;
    const bool stopped = changed.codec.empty();
    out.data = {{"event", std::string(stopped ? "unpublished" : "published")},
                {"channel", changed.channel},
                {"user", changed.user},
                {"kind", std::string(kindName(changed.kind))}};
    if (!stopped) out.data.emplace_back("codec", changed.codec);
    return out;
}

HandlerEvent userFlag(const event::UserFlagChanged& changed) {
    HandlerEvent out;
    out.data = {{"event", std::string(flagEventName(changed.flag))},
                {"channel", changed.channel},
                {"user", changed.user},
                {"on", changed.on},
                {"by_session", static_cast<int64_t>(changed.requester)}};
    return out;
}

}  // namespace

std::optional<HandlerEvent> handlerEventOf(const Effect& effect, const HandlerEventOptions& options) {
    return std::visit(
        Overloaded{
            [](const event::ParticipantJoined& e) -> std::optional<HandlerEvent> { return joined(e); },
            [](const event::ParticipantLeft& e) -> std::optional<HandlerEvent> { return left(e); },
            [](const event::PublicationChanged& e) -> std::optional<HandlerEvent> { return publication(e); },
            [](const event::UserFlagChanged& e) -> std::optional<HandlerEvent> { return userFlag(e); },
            [&](const event::SpeakingChanged& e) -> std::optional<HandlerEvent> {
                if (!options.speaking) return std::nullopt;
                HandlerEvent out;
                out.data = {{"event", std::string("speaking")},
                            {"channel", e.channel},
                            {"user", e.user},
                            {"speaking", e.speaking}};
                return out;
            },
            // Outcomes of one request: its requester hears of them; the room does not change.
            [](const event::JoinRefused&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const event::RequestRefused&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const event::RequestDone&) -> std::optional<HandlerEvent> { return std::nullopt; },
            // Commands to the adapter: Janus's own jsep and media events cover them.
            [](const SendOffer&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const SendAnswer&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const SetFanout&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const RequestKeyframe&) -> std::optional<HandlerEvent> { return std::nullopt; },
            [](const ClosePeer&) -> std::optional<HandlerEvent> { return std::nullopt; },
        },
        effect);
}

}  // namespace gochat::sfu
