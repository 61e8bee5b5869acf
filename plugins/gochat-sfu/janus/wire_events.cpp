#include "plugins/gochat-sfu/janus/wire_events.hpp"

#include "common/overloaded.hpp"

namespace gochat::sfu {

namespace {

constexpr int kCloseNormal = 1000;
constexpr int kClosePolicy = 1008;
constexpr int kCloseReplaced = 4010;  // docs/protocol.md, Join: one session per user and channel

WireEvent makeWire(SessionId to, const char* name, int t, bool answersRequest = false) {
    WireEvent event;
    event.to = to;
    event.name = name;
    event.t = t;
    event.answersRequest = answersRequest;
    return event;
}

WireEvent closing(WireEvent event, int code, const std::string& reason) {
    event.close = CloseRequest{code, reason};
    return event;
}

std::vector<WireEvent> departureNotice(const event::ParticipantLeft& left) {
    switch (left.reason) {
        case LeaveReason::Disconnected: return {};  // nobody left to tell
        case LeaveReason::Left: {
            WireEvent bye = makeWire(left.session, "left", 504, true);
            bye.fields = {{"ok", true}};
            return {closing(std::move(bye), kCloseNormal, "leave")};
        }
        case LeaveReason::Kicked: {
            WireEvent notice = makeWire(left.session, "kicked", 510);
            notice.fields = {{"error", std::string("kicked")}};
            return {closing(std::move(notice), kCloseNormal, "kicked")};
        }
        case LeaveReason::Blocked: {
            WireEvent notice = makeWire(left.session, "blocked", 511);
            notice.fields = {{"error", std::string("blocked")}};
            return {closing(std::move(notice), kCloseNormal, "blocked")};
        }
        case LeaveReason::Moved: {
            WireEvent notice = makeWire(left.session, "moved", 512);
            notice.fields = {{"channel", left.movedTo}};
            return {closing(std::move(notice), kCloseNormal, "moved")};
        }
        case LeaveReason::Timeout: {
            WireEvent notice = makeWire(left.session, "timeout", 501);
            notice.fields = {{"ok", false}, {"error", std::string("negotiation timeout")}};
            return {closing(std::move(notice), kClosePolicy, "negotiation timeout")};
        }
        case LeaveReason::Closed: {
            // t 510, as GoChat's own SFU sends: its clients treat it as removal.
            WireEvent notice = makeWire(left.session, "channel_closed", 510);
            notice.fields = {{"error", std::string("channel closed")}};
            return {closing(std::move(notice), kCloseNormal, "channel closed")};
        }
        case LeaveReason::BitrateExceeded: {
            // Like a negotiation timeout: the client did not keep to what
            // the server's offer asked (its maxaveragebitrate), a policy
            // violation (docs/plugin-api.md, Events).
            WireEvent notice = makeWire(left.session, "bitrate_exceeded", 501);
            notice.fields = {{"ok", false}, {"error", std::string("bitrate exceeded")}};
            return {closing(std::move(notice), kClosePolicy, "bitrate exceeded")};
        }
        case LeaveReason::Replaced: {
            WireEvent notice = makeWire(left.session, "replaced", 500);
            notice.fields = {{"ok", false}, {"error", std::string("replaced")}};
            return {closing(std::move(notice), kCloseReplaced, "replaced")};
        }
    }
    return {};
}

struct FlagWire {
    const char* name;
    const char* field;
    int t;
};

FlagWire flagWire(UserFlag flag) {
    switch (flag) {
        case UserFlag::ServerMuted: return {"server_muted", "muted", 507};
        case UserFlag::Deafened: return {"server_deafened", "deafened", 508};
        case UserFlag::Blocked: return {"block_changed", "block", 511};
    }
    return {"server_muted", "muted", 507};
}

std::vector<WireEvent> flagBroadcast(const event::UserFlagChanged& change) {
    const FlagWire wire = flagWire(change.flag);
    std::vector<WireEvent> out;
    for (SessionId to : change.audience) {
        WireEvent notice = makeWire(to, wire.name, wire.t, to == change.requester);
        notice.fields = {{"user", change.user}, {wire.field, change.on}};
        out.push_back(std::move(notice));
    }
    return out;
}

std::vector<WireEvent> speakingBroadcast(const event::SpeakingChanged& change) {
    std::vector<WireEvent> out;
    for (SessionId to : change.audience) {
        WireEvent notice = makeWire(to, "speaking", 514);
        // user_id is a decimal string here: GoChat's web client reads it
        // through JSON.parse, which would round a 19-digit number
        // (docs/protocol.md, Speaking indicator).
        notice.fields = {{"user_id", std::to_string(change.user)}, {"speaking", change.speaking}};
        out.push_back(std::move(notice));
    }
    return out;
}

// An operator request's answer names the HTTP status the GoChat transport
// answers with (docs/operations.md, Closing a channel): {"ok","status","error"?}.
WireEvent operatorAnswer(SessionId to, int status, const char* error) {
    WireEvent answer = makeWire(to, "close_channel", 0, true);
    answer.fields = {{"ok", error == nullptr}, {"status", int64_t{status}}};
    if (error) answer.fields.emplace_back("error", std::string(error));
    return answer;
}

WireEvent closeChannelRefused(SessionId to, Refusal reason) {
    switch (reason) {
        case Refusal::Unauthorized: return operatorAnswer(to, 401, "unauthorized");
        case Refusal::InvalidMessage: return operatorAnswer(to, 400, "invalid body");
        case Refusal::ChannelMismatch: return operatorAnswer(to, 403, "channel mismatch");
        default: return operatorAnswer(to, 500, refusalText(reason));
    }
}

}  // namespace

const char* refusalText(Refusal reason) {
    switch (reason) {
        case Refusal::InvalidMessage: return "invalid message";
        case Refusal::Unauthorized: return "unauthorized";
        case Refusal::Forbidden: return "forbidden";
        case Refusal::Blocked: return "blocked";
        case Refusal::RoomFull: return "room full";
        case Refusal::NotJoined: return "not joined";
        case Refusal::NotFound: return "not found";
        case Refusal::OfferInFlight: return "offer in flight";
        case Refusal::ChannelMismatch: return "channel mismatch";
        case Refusal::Draining: return "draining";
    }
    return "invalid message";
}

int envelopeTypeOf(RequestKind request) {
    switch (request) {
        case RequestKind::Unknown:
        case RequestKind::Negotiate:
        case RequestKind::SpeakingReport:
        case RequestKind::CloseChannel: return 0;
        case RequestKind::Join: return 500;
        case RequestKind::Offer: return 501;
        case RequestKind::Answer: return 502;
        case RequestKind::Leave: return 504;
        case RequestKind::MuteSelf: return 505;
        case RequestKind::MuteUser: return 506;
        case RequestKind::ServerMute: return 507;
        case RequestKind::ServerDeafen: return 508;
        case RequestKind::Kick: return 510;
        case RequestKind::Block: return 511;
        case RequestKind::Move: return 512;
    }
    return 0;
}

std::vector<WireEvent> wireEventsOf(const Effect& effect) {
    return std::visit(Overloaded{
                          [](const event::JoinRefused& refused) -> std::vector<WireEvent> {
                              const std::string error = refusalText(refused.reason);
                              WireEvent notice = makeWire(refused.session, "join_refused", 500, true);
                              notice.fields = {{"ok", false}, {"error", error}};
                              return {closing(std::move(notice), kClosePolicy, error)};
                          },
                          [](const event::RequestRefused& refused) -> std::vector<WireEvent> {
                              if (refused.request == RequestKind::CloseChannel)
                                  return {closeChannelRefused(refused.session, refused.reason)};
                              WireEvent notice =
                                  makeWire(refused.session, "error", envelopeTypeOf(refused.request), true);
                              notice.fields = {{"ok", false}, {"error", std::string(refusalText(refused.reason))}};
                              return {std::move(notice)};
                          },
                          [](const event::RequestDone& done) -> std::vector<WireEvent> {
                              if (done.request == RequestKind::CloseChannel)
                                  return {operatorAnswer(done.session, 204, nullptr)};
                              WireEvent ack = makeWire(done.session, "ok", envelopeTypeOf(done.request), true);
                              ack.fields = {{"ok", true}};
                              return {std::move(ack)};
                          },
                          [](const event::ParticipantJoined& joined) -> std::vector<WireEvent> {
                              WireEvent ack = makeWire(joined.session, "joined", 500, true);
                              ack.fields = {{"ok", true}};
                              return {std::move(ack)};
                          },
                          [](const event::ParticipantLeft& left) { return departureNotice(left); },
                          [](const event::PublicationChanged&) { return std::vector<WireEvent>{}; },
                          [](const event::UserFlagChanged& change) { return flagBroadcast(change); },
                          [](const event::SpeakingChanged& change) { return speakingBroadcast(change); },
                          [](const SendOffer&) { return std::vector<WireEvent>{}; },
                          [](const SendAnswer&) { return std::vector<WireEvent>{}; },
                          [](const SetFanout&) { return std::vector<WireEvent>{}; },
                          [](const RequestKeyframe&) { return std::vector<WireEvent>{}; },
                          [](const ClosePeer&) { return std::vector<WireEvent>{}; },
                      },
                      effect);
}

std::vector<WireEvent> wireEventsOf(const Effects& effects) {
    std::vector<WireEvent> out;
    for (const Effect& effect : effects)
        for (WireEvent& event : wireEventsOf(effect)) out.push_back(std::move(event));
    return out;
}

}  // namespace gochat::sfu
