#include "tools/loadgen/sdp.hpp"

namespace gochat::loadgen {

namespace {

void appendLine(std::string& out, std::string_view text) {
    out.append(text);
    out.append("\r\n");
}

void writeCodecs(std::string& out, const LocalLine& line) {
    for (const SdpCodec& codec : line.codecs) {
        std::string rtpmap =
            "a=rtpmap:" + std::to_string(codec.payloadType) + " " + codec.name + "/" + std::to_string(codec.clockRate);
        if (codec.channels > 0) rtpmap += "/" + std::to_string(codec.channels);
        appendLine(out, rtpmap);
        for (const std::string& feedback : codec.feedback)
            appendLine(out, "a=rtcp-fb:" + std::to_string(codec.payloadType) + " " + feedback);
        if (!codec.fmtp.empty()) appendLine(out, "a=fmtp:" + std::to_string(codec.payloadType) + " " + codec.fmtp);
    }
}

void writeLine(std::string& out, const LocalLine& line, const LocalTransport& local, bool first) {
    std::string media = "m=" + line.kind + " " + std::to_string(line.port) + " " + line.proto;
    if (line.codecs.empty()) media += line.kind == "application" ? " webrtc-datachannel" : " 0";
    for (const SdpCodec& codec : line.codecs) media += " " + std::to_string(codec.payloadType);
    appendLine(out, media);
    appendLine(out, "c=IN IP4 0.0.0.0");
    appendLine(out, "a=mid:" + line.mid);
    if (line.port == 0) return;
    appendLine(out, std::string("a=") + directionName(line.direction));
    appendLine(out, "a=rtcp-mux");
    appendLine(out, "a=ice-ufrag:" + local.ufrag);
    appendLine(out, "a=ice-pwd:" + local.pwd);
    appendLine(out, "a=fingerprint:" + local.fingerprint);
    appendLine(out, "a=setup:" + local.setup);
    for (const auto& [id, uri] : line.extmaps) appendLine(out, "a=extmap:" + std::to_string(id) + " " + uri);
    writeCodecs(out, line);
    const bool sends = line.direction == Direction::SendOnly || line.direction == Direction::SendRecv;
    if (sends && line.ssrc != 0) {
        appendLine(out, "a=msid:" + line.msidStream + " " + line.msidTrack);
        appendLine(out, "a=ssrc:" + std::to_string(line.ssrc) + " cname:loadgen");
        appendLine(out, "a=ssrc:" + std::to_string(line.ssrc) + " msid:" + line.msidStream + " " + line.msidTrack);
    }
    if (first) {
        for (const std::string& candidate : local.candidates) appendLine(out, "a=" + candidate);
        if (!local.candidates.empty()) appendLine(out, "a=end-of-candidates");
    }
}

bool isFeedbackWeKeep(const std::string& feedback) {
    return feedback == "nack" || feedback == "nack pli" || feedback == "ccm fir";
}

}  // namespace

LocalLine answerLine(const SdpMedia& offered, Direction direction) {
    LocalLine line;
    line.kind = offered.kind;
    line.mid = offered.mid;
    line.proto = offered.proto;
    line.direction = direction;
    const SdpCodec* codec = offered.kind == "application" ? nullptr : offered.primaryCodec();
    if (!codec || offered.port == 0) {
        line.port = 0;
        if (codec) line.codecs.push_back(*codec);
        return line;
    }
    SdpCodec chosen = *codec;
    chosen.feedback.clear();
    for (const std::string& feedback : codec->feedback)
        if (isFeedbackWeKeep(feedback)) chosen.feedback.push_back(feedback);
    line.codecs.push_back(chosen);
    for (std::string_view uri : {kAudioLevelUri, kMidUri}) {
        const int id = offered.extmapId(uri);
        if (id > 0 && !(uri == kAudioLevelUri && offered.kind != "audio")) line.extmaps.emplace_back(id, uri);
    }
    return line;
}

std::string writeSdp(const std::vector<LocalLine>& lines, const LocalTransport& local, uint64_t sessionId,
                     uint64_t version) {
    std::string out;
    appendLine(out, "v=0");
    appendLine(out, "o=- " + std::to_string(sessionId) + " " + std::to_string(version) + " IN IP4 0.0.0.0");
    appendLine(out, "s=-");
    appendLine(out, "t=0 0");
    std::string bundle = "a=group:BUNDLE";
    for (const LocalLine& line : lines)
        if (line.port != 0) bundle += " " + line.mid;
    appendLine(out, bundle);
    appendLine(out, "a=msid-semantic: WMS *");
    bool first = true;
    for (const LocalLine& line : lines) {
        writeLine(out, line, local, first && line.port != 0);
        if (line.port != 0) first = false;
    }
    return out;
}

}  // namespace gochat::loadgen
