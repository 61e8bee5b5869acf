#include "plugins/gochat-sfu/janus/sdp_reader.hpp"

#include "plugins/gochat-sfu/core/codecs.hpp"

#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>

namespace gochat::sfu {

namespace {

enum class Media { Audio, Video, Other };

// One m-section as written: what both readers need.
struct Section {
    Media media = Media::Other;
    int port = 0;
    std::vector<int> payloadTypes;          // in the m= line's order
    std::map<int, std::string> codecNames;  // a=rtpmap, lower case, without the clock rate
    std::string mid;
    Direction direction = Direction::SendRecv;  // no attribute means sendrecv (RFC 3264)
};

bool parseInt(const std::string& text, int& value) {
    if (text.empty() || text.size() > 9) return false;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = std::atoi(text.c_str());
    return true;
}

std::string lowerCase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// "m=<media> <port> <proto> <fmt>...": false when malformed.
bool readMediaLine(const std::string& value, Section& section) {
    std::istringstream fields(value);
    std::string media, port, proto, format;
    if (!(fields >> media >> port >> proto)) return false;
    section.media = media == "audio" ? Media::Audio : media == "video" ? Media::Video : Media::Other;
    const std::string portOnly = port.substr(0, port.find('/'));
    if (!parseInt(portOnly, section.port)) return false;
    while (fields >> format) {
        int payloadType = 0;
        if (parseInt(format, payloadType))
            section.payloadTypes.push_back(payloadType);
        else if (section.media != Media::Other)
            return false;
    }
    return true;
}

void readAttribute(const std::string& value, Section& section) {
    const size_t colon = value.find(':');
    const std::string name = value.substr(0, colon);
    const std::string rest = colon == std::string::npos ? std::string() : value.substr(colon + 1);
    if (name == "mid") {
        section.mid = rest;
    } else if (name == "sendrecv") {
        section.direction = Direction::SendRecv;
    } else if (name == "sendonly") {
        section.direction = Direction::SendOnly;
    } else if (name == "recvonly") {
        section.direction = Direction::RecvOnly;
    } else if (name == "inactive") {
        section.direction = Direction::Inactive;
    } else if (name == "rtpmap") {
        const size_t space = rest.find(' ');
        int payloadType = 0;
        if (space == std::string::npos || !parseInt(rest.substr(0, space), payloadType)) return;
        const std::string encoding = rest.substr(space + 1);
        section.codecNames[payloadType] = lowerCase(encoding.substr(0, encoding.find('/')));
    }
}

// The m-sections of an SDP; nullopt when it is not one.
std::optional<std::vector<Section>> readSections(const std::string& sdp) {
    std::istringstream text(sdp);
    std::string line;
    std::vector<Section> sections;
    bool sawVersion = false;
    while (std::getline(text, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line.size() < 2 || line[1] != '=') return std::nullopt;
        const char type = line[0];
        const std::string value = line.substr(2);
        if (!sawVersion) {
            if (type != 'v' || value != "0") return std::nullopt;
            sawVersion = true;
        } else if (type == 'm') {
            sections.emplace_back();
            if (!readMediaLine(value, sections.back())) return std::nullopt;
        } else if (type == 'a' && !sections.empty()) {
            readAttribute(value, sections.back());
        }
    }
    if (!sawVersion) return std::nullopt;
    return sections;
}

Direction directionOf(const Section& section) { return section.port == 0 ? Direction::Inactive : section.direction; }

MediaKind kindOf(const Section& section) { return section.media == Media::Audio ? MediaKind::Audio : MediaKind::Video; }

}  // namespace

std::optional<std::vector<AnsweredLine>> readAnswer(const std::string& sdp) {
    const std::optional<std::vector<Section>> sections = readSections(sdp);
    if (!sections) return std::nullopt;
    std::vector<AnsweredLine> lines;
    for (size_t index = 0; index < sections->size(); ++index) {
        const Section& section = (*sections)[index];
        if (section.media == Media::Other) continue;
        AnsweredLine line;
        line.mindex = static_cast<int>(index);
        line.kind = kindOf(section);
        line.direction = directionOf(section);
        // Every codec the line kept; which one the client sends is decided
        // by the core (browsers follow the offer's order, not the answer's).
        for (int payloadType : section.payloadTypes) {
            auto name = section.codecNames.find(payloadType);
            if (name != section.codecNames.end() && findCodec(name->second)) line.codecs.push_back(name->second);
        }
        if (!line.codecs.empty()) line.codec = line.codecs.front();
        lines.push_back(std::move(line));
    }
    return lines;
}

std::optional<std::vector<OfferedLine>> readOffer(const std::string& sdp) {
    const std::optional<std::vector<Section>> sections = readSections(sdp);
    if (!sections) return std::nullopt;
    std::vector<OfferedLine> lines;
    for (size_t index = 0; index < sections->size(); ++index) {
        const Section& section = (*sections)[index];
        if (section.media == Media::Other) return std::nullopt;  // data channels are not part of the protocol
        OfferedLine line;
        line.mindex = static_cast<int>(index);
        line.kind = kindOf(section);
        line.direction = directionOf(section);
        line.mid = section.mid;
        for (int payloadType : section.payloadTypes) {
            auto name = section.codecNames.find(payloadType);
            if (name == section.codecNames.end()) continue;
            if (const CodecInfo* codec = findCodec(name->second); codec && codec->kind == line.kind)
                line.codecs.emplace_back(name->second, payloadType);
        }
        if (line.mid.empty() || line.mid.size() > 16) return std::nullopt;  // bundled m-lines need a mid
        lines.push_back(std::move(line));
    }
    return lines;
}

}  // namespace gochat::sfu
