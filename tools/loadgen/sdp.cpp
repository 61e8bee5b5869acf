#include "tools/loadgen/sdp.hpp"

#include <algorithm>
#include <cstdlib>
#include <strings.h>

namespace gochat::loadgen {

namespace {

std::vector<std::string_view> splitWords(std::string_view text) {
    std::vector<std::string_view> words;
    size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && text[at] == ' ') ++at;
        const size_t end = text.find(' ', at);
        if (at < text.size()) words.push_back(text.substr(at, end == text.npos ? text.npos : end - at));
        at = end == text.npos ? text.size() : end;
    }
    return words;
}

long toLong(std::string_view text, long fallback = -1) {
    const std::string copy(text);
    char* end = nullptr;
    const long value = std::strtol(copy.c_str(), &end, 10);
    return (copy.empty() || *end != '\0') ? fallback : value;
}

uint64_t toU64(std::string_view text) {
    const std::string copy(text);
    return std::strtoull(copy.c_str(), nullptr, 10);
}

SdpCodec& codecFor(SdpMedia& media, int payloadType) {
    for (SdpCodec& codec : media.codecs)
        if (codec.payloadType == payloadType) return codec;
    media.codecs.push_back(SdpCodec{});
    media.codecs.back().payloadType = payloadType;
    return media.codecs.back();
}

void readRtpmap(SdpMedia& media, std::string_view value) {
    const size_t space = value.find(' ');
    if (space == value.npos) return;
    SdpCodec& codec = codecFor(media, static_cast<int>(toLong(value.substr(0, space))));
    const std::string_view encoding = value.substr(space + 1);
    const size_t slash = encoding.find('/');
    codec.name = std::string(encoding.substr(0, slash));
    if (slash == encoding.npos) return;
    const std::string_view rest = encoding.substr(slash + 1);
    const size_t second = rest.find('/');
    codec.clockRate = static_cast<uint32_t>(toLong(rest.substr(0, second), 0));
    if (second != rest.npos) codec.channels = static_cast<int>(toLong(rest.substr(second + 1), 0));
}

// One "a=" line of an m-line section.
void readMediaAttribute(SdpMedia& media, std::string_view name, std::string_view value) {
    const size_t space = value.find(' ');
    const std::string_view first = value.substr(0, space);
    const std::string_view rest = space == value.npos ? std::string_view() : value.substr(space + 1);
    if (name == "mid")
        media.mid = std::string(value);
    else if (name == "sendrecv")
        media.direction = Direction::SendRecv;
    else if (name == "sendonly")
        media.direction = Direction::SendOnly;
    else if (name == "recvonly")
        media.direction = Direction::RecvOnly;
    else if (name == "inactive")
        media.direction = Direction::Inactive;
    else if (name == "rtpmap")
        readRtpmap(media, value);
    else if (name == "fmtp")
        codecFor(media, static_cast<int>(toLong(first))).fmtp = std::string(rest);
    else if (name == "rtcp-fb")
        codecFor(media, static_cast<int>(toLong(first))).feedback.emplace_back(rest);
    else if (name == "extmap") {
        const std::string_view id = first.substr(0, first.find('/'));  // "id/direction"
        const std::string_view uri = rest.substr(0, rest.find(' '));
        media.extmaps.emplace_back(static_cast<int>(toLong(id, 0)), std::string(uri));
    } else if (name == "ssrc") {
        const auto ssrc = static_cast<uint32_t>(toU64(first));
        if (std::find(media.ssrcs.begin(), media.ssrcs.end(), ssrc) == media.ssrcs.end()) media.ssrcs.push_back(ssrc);
    } else if (name == "msid") {
        media.msidStream = std::string(first);
        media.msidTrack = std::string(rest);
    } else if (name == "ice-ufrag")
        media.iceUfrag = std::string(value);
    else if (name == "ice-pwd")
        media.icePwd = std::string(value);
    else if (name == "fingerprint")
        media.fingerprint = std::string(value);
    else if (name == "setup")
        media.setup = std::string(value);
    else if (name == "candidate")
        media.candidates.push_back("candidate:" + std::string(value));
    else if (name == "end-of-candidates")
        media.endOfCandidates = true;
}

void readSessionAttribute(SdpSession& session, std::string_view name, std::string_view value) {
    if (name == "group") {
        const std::vector<std::string_view> words = splitWords(value);
        if (!words.empty() && words[0] == "BUNDLE")
            for (size_t i = 1; i < words.size(); ++i) session.bundle.emplace_back(words[i]);
    } else if (name == "ice-ufrag")
        session.iceUfrag = std::string(value);
    else if (name == "ice-pwd")
        session.icePwd = std::string(value);
    else if (name == "fingerprint")
        session.fingerprint = std::string(value);
    else if (name == "setup")
        session.setup = std::string(value);
}

bool readMediaLine(std::string_view value, SdpMedia& media) {
    const std::vector<std::string_view> words = splitWords(value);
    if (words.size() < 3) return false;
    media.kind = std::string(words[0]);
    media.port = static_cast<int>(toLong(words[1].substr(0, words[1].find('/')), -1));
    media.proto = std::string(words[2]);
    for (size_t i = 3; i < words.size(); ++i) {
        const long pt = toLong(words[i]);
        if (pt >= 0 && pt < 128) media.payloadTypes.push_back(static_cast<int>(pt));
    }
    return media.port >= 0;
}

}  // namespace

const char* directionName(Direction direction) {
    switch (direction) {
        case Direction::SendRecv: return "sendrecv";
        case Direction::SendOnly: return "sendonly";
        case Direction::RecvOnly: return "recvonly";
        case Direction::Inactive: return "inactive";
    }
    return "inactive";
}

Direction answerDirection(Direction offered, bool send, bool receive) {
    const bool peerSends = offered == Direction::SendRecv || offered == Direction::SendOnly;
    const bool peerReceives = offered == Direction::SendRecv || offered == Direction::RecvOnly;
    send = send && peerReceives;
    receive = receive && peerSends;
    if (send && receive) return Direction::SendRecv;
    if (send) return Direction::SendOnly;
    if (receive) return Direction::RecvOnly;
    return Direction::Inactive;
}

int SdpMedia::extmapId(std::string_view uri) const {
    for (const auto& [id, name] : extmaps)
        if (name == uri) return id;
    return 0;
}

const SdpCodec* SdpMedia::codec(int payloadType) const {
    for (const SdpCodec& entry : codecs)
        if (entry.payloadType == payloadType) return &entry;
    return nullptr;
}

const SdpCodec* SdpMedia::primaryCodec() const {
    for (int payloadType : payloadTypes) {
        const SdpCodec* entry = codec(payloadType);
        if (!entry) continue;
        const char* name = entry->name.c_str();
        if (strcasecmp(name, "rtx") != 0 && strcasecmp(name, "red") != 0 && strcasecmp(name, "ulpfec") != 0)
            return entry;
    }
    return nullptr;
}

bool offersDtx(const SdpMedia& media, int payloadType) {
    const SdpCodec* entry = media.codec(payloadType);
    if (!entry) return false;
    // fmtp parameters are name=value pairs separated by ';' (RFC 7587 7).
    std::string_view rest = entry->fmtp;
    while (!rest.empty()) {
        const size_t end = rest.find(';');
        std::string_view item = rest.substr(0, end);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        if (item == "usedtx=1") return true;
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    return false;
}

std::string SdpSession::ufrag() const {
    return !media.empty() && !media[0].iceUfrag.empty() ? media[0].iceUfrag : iceUfrag;
}
std::string SdpSession::pwd() const { return !media.empty() && !media[0].icePwd.empty() ? media[0].icePwd : icePwd; }
std::string SdpSession::fingerprintValue() const {
    return !media.empty() && !media[0].fingerprint.empty() ? media[0].fingerprint : fingerprint;
}

std::vector<std::string> SdpSession::candidates() const {
    std::vector<std::string> all;
    for (const SdpMedia& line : media)
        for (const std::string& candidate : line.candidates)
            if (std::find(all.begin(), all.end(), candidate) == all.end()) all.push_back(candidate);
    return all;
}

bool parseSdp(std::string_view text, SdpSession& out, std::string& error) {
    out = SdpSession{};
    bool sawVersion = false;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == text.npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 2 || line[1] != '=') continue;
        const char type = line[0];
        const std::string_view value = line.substr(2);
        if (type == 'v') {
            sawVersion = true;
        } else if (type == 'o') {
            const std::vector<std::string_view> words = splitWords(value);
            if (words.size() >= 3) {
                out.sessionId = toU64(words[1]);
                out.version = toU64(words[2]);
            }
        } else if (type == 'm') {
            out.media.emplace_back();
            if (!readMediaLine(value, out.media.back())) {
                error = "bad m= line: " + std::string(line);
                return false;
            }
        } else if (type == 'a') {
            const size_t colon = value.find(':');
            const std::string_view name = value.substr(0, colon);
            const std::string_view attribute = colon == value.npos ? std::string_view() : value.substr(colon + 1);
            if (out.media.empty())
                readSessionAttribute(out, name, attribute);
            else
                readMediaAttribute(out.media.back(), name, attribute);
        }
    }
    if (!sawVersion || out.media.empty()) {
        error = sawVersion ? "no m= line" : "no v= line";
        return false;
    }
    return true;
}

}  // namespace gochat::loadgen
