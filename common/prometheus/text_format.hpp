// The Prometheus text exposition format, version 0.0.4: what GET /metrics
// answers (docs/operations.md, Metrics). Pure C++; the plugin renders its
// part and the transport appends its own with the same writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gochat::prometheus {

// The Content-Type of a scrape answer.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { Counter, Gauge };

using Labels = std::vector<std::pair<std::string, std::string>>;

// Label values: backslash, double quote and line feed escaped.
std::string escapeLabelValue(std::string_view value);
// HELP text: backslash and line feed escaped (quotes stay).
std::string escapeHelp(std::string_view help);

// Appends families in order: each starts with its # HELP and # TYPE lines,
// followed by its samples. A name is a valid metric name ([a-zA-Z_:]
// [a-zA-Z0-9_:]*) chosen by the caller; label names likewise.
class TextWriter {
public:
    TextWriter& family(std::string_view name, std::string_view help, MetricType type);
    // One sample of the family begun last (same name; counters end in _total).
    TextWriter& sample(std::string_view name, const Labels& labels, uint64_t value);
    TextWriter& sample(std::string_view name, const Labels& labels, int64_t value);
    TextWriter& sample(std::string_view name, uint64_t value) { return sample(name, {}, value); }
    TextWriter& sampleSigned(std::string_view name, int64_t value) { return sample(name, {}, value); }

    const std::string& text() const { return text_; }
    std::string take() { return std::move(text_); }

private:
    void labelsAndValue(std::string_view name, const Labels& labels, const std::string& value);

    std::string text_;
};

}  // namespace gochat::prometheus
