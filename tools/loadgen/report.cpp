#include "tools/loadgen/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace gochat::loadgen {

namespace {

double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }
double sinceOpen(const ParticipantSummary& p, int64_t us) {
    return us < 0 || p.openedUs < 0 ? -1 : ms(us - p.openedUs);
}

JsonRef number(double value) { return JsonRef::adopt(json_real(std::round(value * 1000.0) / 1000.0)); }

JsonRef streamJson(const ParticipantSummary& p, const StreamSummary& s) {
    JsonRef out = JsonRef::object();
    out.setInt("remote", s.remoteId).setString("kind", s.video ? "video" : "audio");
    out.setInt("packets", static_cast<int64_t>(s.packets)).setInt("expected", static_cast<int64_t>(s.expected));
    out.setInt("lost", s.lost).set("jitter_ms", number(s.jitterMs));
    out.set("first_packet_ms", number(sinceOpen(p, s.firstUs)));
    out.set("last_packet_ms", number(sinceOpen(p, s.lastUs)));
    if (s.packetsAfterMark > 0 || s.firstVoiceAfterMarkUs >= 0) {
        out.setInt("packets_after_change", static_cast<int64_t>(s.packetsAfterMark));
        out.setInt("voice_after_change", static_cast<int64_t>(s.voiceAfterMark));
        out.set("first_voice_after_change_ms", number(sinceOpen(p, s.firstVoiceAfterMarkUs)));
    }
    if (s.video)
        out.setInt("keyframes", static_cast<int64_t>(s.keyframes));
    else
        out.setInt("voice_packets", static_cast<int64_t>(s.voicePackets)).setInt("last_level", s.lastLevel);
    return out;
}

JsonRef participantJson(const ParticipantSummary& p) {
    JsonRef out = JsonRef::object();
    out.setInt("index", p.spec.index).setInt("user_id", p.spec.userId).setInt("channel", p.spec.channel);
    out.setString("role", p.spec.speaker ? "speaker" : "other").setString("audio", audioKindName(p.spec.audio));
    out.setBool("video", p.spec.video).setBool("joined", p.joined).setBool("connected", p.connected);
    out.setBool("dtx", p.dtx);
    if (p.spec.speaker) out.setInt("level", p.spec.level);
    if (p.spec.churner) out.setBool("churner", true);
    if (p.leftUs >= 0) out.set("left_ms", number(sinceOpen(p, p.leftUs)));
    if (p.startedTalkingAtChange) out.setBool("started_talking_at_change", true);
    if (!p.error.empty()) out.setString("error", p.error);
    out.set("open_to_join_ms", number(sinceOpen(p, p.joinedUs)));
    out.set("open_to_media_ms", number(sinceOpen(p, p.connectedUs)));
    out.setInt("offers", static_cast<int64_t>(p.offers)).setInt("answers", static_cast<int64_t>(p.answers));
    out.setInt("audio_sent", static_cast<int64_t>(p.audioSent)).setInt("video_sent", static_cast<int64_t>(p.videoSent));
    out.setInt("keyframes_sent", static_cast<int64_t>(p.keyframesSent));
    out.setInt("sends_skipped", static_cast<int64_t>(p.sendsSkipped));
    out.setInt("unrouted_packets", static_cast<int64_t>(p.unrouted));
    JsonRef streams = JsonRef::array();
    for (const StreamSummary& s : p.streams) json_array_append_new(streams.get(), streamJson(p, s).release());
    out.set("streams", std::move(streams));
    return out;
}

JsonRef distribution(const std::vector<double>& values) {
    JsonRef out = JsonRef::object();
    out.setInt("count", static_cast<int64_t>(values.size()));
    out.set("p50", number(percentile(values, 50))).set("p95", number(percentile(values, 95)));
    out.set("p99", number(percentile(values, 99))).set("max", number(percentile(values, 100)));
    return out;
}

double cpuPercentPerParticipant(double cpuSeconds, double wallSeconds, int participants) {
    if (wallSeconds <= 0 || participants <= 0) return 0;
    return cpuSeconds / wallSeconds / participants * 100.0;
}

// One line per kind: how the remote streams of the run compare (packets,
// loss, jitter), then the streams that lost packets, worst first (at most 5).
void printStreams(std::FILE* out, const std::vector<ParticipantSummary>& participants, bool video) {
    std::vector<double> packets, jitter;
    std::vector<std::pair<int64_t, std::string>> lossy;
    for (const ParticipantSummary& p : participants) {
        for (const StreamSummary& s : p.streams) {
            if (s.video != video) continue;
            packets.push_back(static_cast<double>(s.packets));
            jitter.push_back(s.jitterMs);
            if (s.lost > 0)
                lossy.emplace_back(s.lost, "#" + std::to_string(p.spec.index) + " from " + std::to_string(s.remoteId));
        }
    }
    if (packets.empty()) return;
    std::fprintf(out,
                 "  %s: %zu streams; packets per stream min %.0f, p50 %.0f, max %.0f; %zu with loss; "
                 "jitter p50 %.2f ms, p95 %.2f ms, max %.2f ms\n",
                 video ? "video" : "audio", packets.size(), percentile(packets, 0), percentile(packets, 50),
                 percentile(packets, 100), lossy.size(), percentile(jitter, 50), percentile(jitter, 95),
                 percentile(jitter, 100));
    std::sort(lossy.rbegin(), lossy.rend());
    for (size_t i = 0; i < lossy.size() && i < 5; ++i)
        std::fprintf(out, "    lost %lld: %s\n", static_cast<long long>(lossy[i].first), lossy[i].second.c_str());
}

}  // namespace

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
    const size_t index = rank < 1 ? 0 : std::min(values.size(), static_cast<size_t>(rank)) - 1;
    return values[index];
}

namespace {

// Pairs of a room whose speaker started talking at the change (`changeUs`):
// how long after it each listener got the first voiced packet.
void addOnsets(Aggregate& a, const std::vector<ParticipantSummary>& participants, int64_t changeUs) {
    std::map<int64_t, std::vector<int64_t>> startersByChannel;
    for (const ParticipantSummary& p : participants)
        if (p.startedTalkingAtChange) startersByChannel[p.spec.channel].push_back(p.spec.userId);
    for (const ParticipantSummary& p : participants) {
        if (p.leftUs >= 0 || p.openedUs < 0 || p.openedUs > changeUs) continue;
        for (int64_t speaker : startersByChannel[p.spec.channel]) {
            if (speaker == p.spec.userId) continue;
            ++a.onsetPairs;
            for (const StreamSummary& s : p.streams)
                if (s.remoteId == speaker && !s.video && s.firstVoiceAfterMarkUs >= 0)
                    a.onsetToVoiceMs.push_back(ms(s.firstVoiceAfterMarkUs - changeUs));
        }
    }
}

}  // namespace

Aggregate aggregate(const std::vector<ParticipantSummary>& participants, int64_t changeUs) {
    Aggregate a;
    a.participants = static_cast<int>(participants.size());
    std::map<int64_t, std::vector<int64_t>> speakersByChannel;
    for (const ParticipantSummary& p : participants)
        if (p.spec.speaker) speakersByChannel[p.spec.channel].push_back(p.spec.userId);
    if (changeUs >= 0) addOnsets(a, participants, changeUs);
    for (const ParticipantSummary& p : participants) {
        a.joined += p.joined ? 1 : 0;
        a.connected += p.connected ? 1 : 0;
        a.failed += p.error.empty() ? 0 : 1;
        a.audioSent += p.audioSent;
        a.videoSent += p.videoSent;
        a.sendsSkipped += p.sendsSkipped;
        a.churnJoins += p.spec.churner ? 1 : 0;
        for (const StreamSummary& s : p.streams) {
            ++a.streams;
            a.packets += s.packets;
            a.expected += s.expected;
            a.lost += std::max<int64_t>(0, s.lost);
            a.jitterMs.push_back(s.jitterMs);
        }
        for (int64_t speaker : speakersByChannel[p.spec.channel]) {
            if (speaker == p.spec.userId) continue;
            ++a.speakerPairs;
            for (const StreamSummary& s : p.streams) {
                if (s.remoteId != speaker || s.video || s.firstUs < 0) continue;
                ++a.heardPairs;
                a.firstAudioMs.push_back(sinceOpen(p, s.firstUs));
                if (p.spec.churner) a.churnFirstAudioMs.push_back(sinceOpen(p, s.firstUs));
            }
        }
    }
    return a;
}

namespace {

JsonRef windowJson(const RunClock& clock) {
    JsonRef out = JsonRef::object();
    out.setInt("start_monotonic_us", clock.windowStartUs).setInt("end_monotonic_us", clock.endUs);
    out.set("seconds", number(ms(clock.endUs - clock.windowStartUs) / 1000.0));
    out.setInt("packets_received", static_cast<int64_t>(clock.windowReceived));
    out.setInt("packets_sent", static_cast<int64_t>(clock.windowSent));
    return out;
}

void addChangeAndChurn(JsonRef& totals, const Aggregate& a, const RunClock& clock) {
    if (clock.changeUs >= 0) {
        totals.set("change_after_ramp_s", number(ms(clock.changeUs - clock.rampEndUs) / 1000.0));
        totals.setInt("onset_pairs", a.onsetPairs)
            .setInt("onset_heard_pairs", static_cast<int64_t>(a.onsetToVoiceMs.size()));
        totals.set("change_to_first_voice_ms", distribution(a.onsetToVoiceMs));
    }
    if (clock.churnLeaves > 0 || a.churnJoins > 0) {
        totals.setInt("churn_leaves", clock.churnLeaves).setInt("churn_joins", a.churnJoins);
        totals.set("churn_join_to_first_audio_ms", distribution(a.churnFirstAudioMs));
    }
}

}  // namespace

JsonRef reportJson(const Options& options, const RunClock& clock, const std::vector<ParticipantSummary>& participants) {
    const Aggregate a = aggregate(participants, clock.changeUs);
    const double steadySeconds = ms(clock.endUs - clock.rampEndUs) / 1000.0;
    JsonRef run = JsonRef::object();
    run.setString("mode", options.mode == Mode::Gochat ? "gochat" : "videoroom");
    run.setInt("participants", options.participants).setInt("room_size", options.roomSize);
    run.setInt("speakers_per_room", options.speakers).setString("others", audioKindName(options.others));
    run.set("video_share", number(options.videoShare)).set("duration_s", number(options.duration));
    run.set("ramp_per_s", number(options.rampPerSecond)).set("churn_per_s", number(options.churnPerSecond));
    run.setBool("honour_dtx", options.honourDtx).setBool("videoroom_opus_dtx", options.videoRoomOpusDtx);
    JsonRef totals = JsonRef::object();
    totals.setInt("joined", a.joined).setInt("join_failed", a.participants - a.joined);
    totals.setInt("connected", a.connected).setInt("failed", a.failed);
    totals.setInt("speaker_pairs", a.speakerPairs).setInt("heard_pairs", a.heardPairs);
    totals.set("join_to_first_audio_ms", distribution(a.firstAudioMs));
    totals.setInt("streams", a.streams).setInt("packets", static_cast<int64_t>(a.packets));
    totals.setInt("expected", static_cast<int64_t>(a.expected)).setInt("lost", a.lost);
    totals.set("jitter_ms", distribution(a.jitterMs));
    totals.setInt("audio_sent", static_cast<int64_t>(a.audioSent));
    totals.setInt("video_sent", static_cast<int64_t>(a.videoSent));
    totals.setInt("sends_skipped", static_cast<int64_t>(a.sendsSkipped));
    addChangeAndChurn(totals, a, clock);
    JsonRef cpu = JsonRef::object();
    cpu.set("total_s", number(clock.cpuSeconds)).set("wall_s", number(ms(clock.endUs - clock.startUs) / 1000.0));
    cpu.set("steady_s", number(clock.steadyCpuSeconds)).set("steady_wall_s", number(steadySeconds));
    cpu.set("steady_percent_of_core_per_participant",
            number(cpuPercentPerParticipant(clock.steadyCpuSeconds, steadySeconds, a.participants)));
    JsonRef out = JsonRef::object();
    out.set("run", std::move(run)).set("aggregate", std::move(totals)).set("cpu", std::move(cpu));
    out.set("window", windowJson(clock));
    JsonRef list = JsonRef::array();
    for (const ParticipantSummary& p : participants) json_array_append_new(list.get(), participantJson(p).release());
    out.set("participants", std::move(list));
    return out;
}

void printSummary(std::FILE* out, const Options& options, const RunClock& clock,
                  const std::vector<ParticipantSummary>& participants) {
    const Aggregate a = aggregate(participants, clock.changeUs);
    const double steadySeconds = ms(clock.endUs - clock.rampEndUs) / 1000.0;
    std::fprintf(out, "loadgen: %s, %d participants, %d speakers per room, others %s, video share %.2f\n",
                 options.mode == Mode::Gochat ? "gochat" : "videoroom", a.participants, options.speakers,
                 audioKindName(options.others), options.videoShare);
    std::fprintf(out, "joins: %d ok, %d failed; media up: %d; participants with an error: %d\n", a.joined,
                 a.participants - a.joined, a.connected, a.failed);
    std::map<std::string, int> errors;
    for (const ParticipantSummary& p : participants)
        if (!p.error.empty()) ++errors[p.error];
    for (const auto& [error, count] : errors) std::fprintf(out, "  %d x %s\n", count, error.c_str());
    const double lossPercent = a.expected ? 100.0 * static_cast<double>(a.lost) / static_cast<double>(a.expected) : 0;
    std::fprintf(out, "remote streams: %d, packets %llu, lost %lld (%.3f %%)\n", a.streams,
                 static_cast<unsigned long long>(a.packets), static_cast<long long>(a.lost), lossPercent);
    printStreams(out, participants, false);
    printStreams(out, participants, true);
    std::fprintf(out,
                 "speakers heard: %d of %d pairs; socket open to first audio: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n",
                 a.heardPairs, a.speakerPairs, percentile(a.firstAudioMs, 50), percentile(a.firstAudioMs, 95),
                 percentile(a.firstAudioMs, 99));
    if (a.churnJoins > 0)
        std::fprintf(out, "churn: %d left, %d joined; their socket open to first audio: p50 %.0f ms, p95 %.0f ms\n",
                     clock.churnLeaves, a.churnJoins, percentile(a.churnFirstAudioMs, 50),
                     percentile(a.churnFirstAudioMs, 95));
    if (clock.changeUs >= 0)
        std::fprintf(
            out, "level change: %zu of %d new talker pairs heard; change to first voice p50 %.0f ms, max %.0f ms\n",
            a.onsetToVoiceMs.size(), a.onsetPairs, percentile(a.onsetToVoiceMs, 50), percentile(a.onsetToVoiceMs, 100));
    std::fprintf(out, "sent: %llu audio, %llu video packets; %llu skipped (the loop fell behind)\n",
                 static_cast<unsigned long long>(a.audioSent), static_cast<unsigned long long>(a.videoSent),
                 static_cast<unsigned long long>(a.sendsSkipped));
    std::fprintf(out,
                 "loadgen CPU: %.2f s in %.1f s (%.3f s per participant); steady %.1f s: %.2f s = %.3f %% of a core "
                 "per participant\n",
                 clock.cpuSeconds, ms(clock.endUs - clock.startUs) / 1000.0,
                 a.participants ? clock.cpuSeconds / a.participants : 0.0, steadySeconds, clock.steadyCpuSeconds,
                 cpuPercentPerParticipant(clock.steadyCpuSeconds, steadySeconds, a.participants));
}

}  // namespace gochat::loadgen
