#include "plugins/gochat-sfu/metrics/sfu_metrics.hpp"

#include "common/prometheus/text_format.hpp"

#include <array>

namespace gochat::sfu {

namespace {

using prometheus::MetricType;
using prometheus::TextWriter;

// Reasons a join can be refused for by the plugin: always listed, so a
// dashboard's rate() has a series before the first refusal.
constexpr std::array<Refusal, 6> kJoinRefusals = {Refusal::InvalidMessage, Refusal::Unauthorized, Refusal::Forbidden,
                                                  Refusal::Blocked,        Refusal::RoomFull,     Refusal::Draining};

void writeGauges(TextWriter& out, const SfuMetrics& m) {
    out.family("gochat_sfu_rooms", "Rooms held (a room empty for less than empty_room_ttl included).",
               MetricType::Gauge)
        .sample("gochat_sfu_rooms", m.rooms);
    out.family("gochat_sfu_participants", "Participants joined to a room.", MetricType::Gauge)
        .sample("gochat_sfu_participants", m.participants);
    out.family("gochat_sfu_sessions", "Plugin handles, joined or not.", MetricType::Gauge)
        .sample("gochat_sfu_sessions", m.sessions);
}

void writeRoomEvents(TextWriter& out, const RoomCounters::Snapshot& e) {
    out.family("gochat_sfu_joins_total", "Joins accepted.", MetricType::Counter)
        .sample("gochat_sfu_joins_total", e.joins);
    out.family("gochat_sfu_join_refusals_total", "Joins refused by the plugin, by the t=500 error.",
               MetricType::Counter);
    for (Refusal reason : kAllRefusals) {
        const uint64_t value = e.joinRefusals[static_cast<size_t>(reason)];
        bool listed = false;
        for (Refusal join : kJoinRefusals) listed = listed || join == reason;
        if (listed || value != 0)
            out.sample("gochat_sfu_join_refusals_total", {{"reason", refusalLabel(reason)}}, value);
    }
    out.family("gochat_sfu_leaves_total", "Participants that left their room, by reason.", MetricType::Counter);
    for (LeaveReason reason : kAllLeaveReasons)
        out.sample("gochat_sfu_leaves_total", {{"reason", leaveReasonLabel(reason)}},
                   e.leaves[static_cast<size_t>(reason)]);
    out.family("gochat_sfu_offers_total", "SDP offers the SFU sent.", MetricType::Counter)
        .sample("gochat_sfu_offers_total", e.offers);
    out.family("gochat_sfu_answers_total", "SDP answers the SFU sent to clients' own offers.", MetricType::Counter)
        .sample("gochat_sfu_answers_total", e.answers);
}

void writeMedia(TextWriter& out, const MediaCounters::Snapshot& media) {
    const std::array<MediaKind, 2> kinds = {MediaKind::Audio, MediaKind::Video};
    out.family("gochat_sfu_forwarded_packets_total", "RTP packets handed to a subscriber (one per subscriber).",
               MetricType::Counter);
    for (MediaKind kind : kinds)
        out.sample("gochat_sfu_forwarded_packets_total", {{"kind", kindName(kind)}},
                   media.forwardedPackets[MediaCounters::index(kind)]);
    out.family("gochat_sfu_forwarded_bytes_total", "Bytes of the RTP packets handed to subscribers.",
               MetricType::Counter);
    for (MediaKind kind : kinds)
        out.sample("gochat_sfu_forwarded_bytes_total", {{"kind", kindName(kind)}},
                   media.forwardedBytes[MediaCounters::index(kind)]);
    out.family("gochat_sfu_dropped_packets_total", "RTP packets (or copies) not forwarded, by reason.",
               MetricType::Counter);
    for (DropReason reason : kAllDropReasons)
        out.sample("gochat_sfu_dropped_packets_total", {{"reason", dropReasonLabel(reason)}},
                   media.dropped[static_cast<size_t>(reason)]);
}

void writeWebhook(TextWriter& out, const WebhookCounters& webhook) {
    out.family("gochat_sfu_webhook_calls_total", "Calls to GoChat's webhook service, by path and outcome.",
               MetricType::Counter);
    for (size_t path = 0; path < kWebhookPathCount; ++path)
        for (size_t outcome = 0; outcome < kWebhookOutcomeCount; ++outcome)
            out.sample("gochat_sfu_webhook_calls_total",
                       {{"path", webhookPathName(static_cast<WebhookPath>(path))},
                        {"outcome", webhookOutcomeName(static_cast<WebhookOutcome>(outcome))}},
                       webhook.calls[path][outcome]);
    out.family("gochat_sfu_heartbeat_last_success_timestamp_seconds",
               "Unix time of the last heartbeat GoChat accepted; 0 before the first.", MetricType::Gauge)
        .sample("gochat_sfu_heartbeat_last_success_timestamp_seconds", {}, webhook.lastHeartbeatSuccessUnix);
}

}  // namespace

const char* refusalLabel(Refusal reason) {
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
    return "unknown";
}

const char* leaveReasonLabel(LeaveReason reason) {
    switch (reason) {
        case LeaveReason::Left: return "left";
        case LeaveReason::Disconnected: return "disconnected";
        case LeaveReason::Kicked: return "kicked";
        case LeaveReason::Blocked: return "blocked";
        case LeaveReason::Moved: return "moved";
        case LeaveReason::Timeout: return "timeout";
        case LeaveReason::Replaced: return "replaced";
        case LeaveReason::Closed: return "closed";
        case LeaveReason::BitrateExceeded: return "bitrate_exceeded";
    }
    return "unknown";
}

const char* dropReasonLabel(DropReason reason) {
    switch (reason) {
        case DropReason::Malformed: return "malformed";
        case DropReason::WrongLine: return "wrong_line";
        case DropReason::NoReceivers: return "no_receivers";
        case DropReason::CodecMismatch: return "codec_mismatch";
        case DropReason::NotLoudest: return "not_loudest";
        case DropReason::ReceiverNotReady: return "receiver_not_ready";
    }
    return "unknown";
}

std::string renderSfuMetrics(const SfuMetrics& metrics) {
    TextWriter out;
    writeGauges(out, metrics);
    writeRoomEvents(out, metrics.events);
    writeMedia(out, metrics.media);
    writeWebhook(out, metrics.webhook);
    return out.take();
}

}  // namespace gochat::sfu
