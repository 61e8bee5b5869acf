#include "common/prometheus/text_format.hpp"

namespace gochat::prometheus {

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
    return out;
}

std::string escapeHelp(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
    return out;
}

TextWriter& TextWriter::family(std::string_view name, std::string_view help, MetricType type) {
    text_.append("# HELP ").append(name).append(" ").append(escapeHelp(help)).append("\n");
    text_.append("# TYPE ").append(name).append(type == MetricType::Counter ? " counter\n" : " gauge\n");
    return *this;
}

TextWriter& TextWriter::sample(std::string_view name, const Labels& labels, uint64_t value) {
    labelsAndValue(name, labels, std::to_string(value));
    return *this;
}

TextWriter& TextWriter::sample(std::string_view name, const Labels& labels, int64_t value) {
    labelsAndValue(name, labels, std::to_string(value));
    return *this;
}

void TextWriter::labelsAndValue(std::string_view name, const Labels& labels, const std::string& value) {
    text_.append(name);
    if (!labels.empty()) {
        text_ += '{';
        for (size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) text_ += ',';
            text_.append(labels[i].first).append("=\"").append(escapeLabelValue(labels[i].second)).append("\"");
        }
        text_ += '}';
    }
    text_.append(" ").append(value).append("\n");
}

}  // namespace gochat::prometheus
