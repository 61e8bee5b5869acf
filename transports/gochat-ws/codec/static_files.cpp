#include "transports/gochat-ws/codec/static_files.hpp"

namespace gochat::ws {
namespace {

// Nested deeper than this is not the demo.
constexpr size_t kMaxSegments = 4;
constexpr size_t kMaxPathBytes = 256;

struct ContentType {
    std::string_view extension;
    const char* type;
};

constexpr ContentType kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

// A segment is a plain file or directory name; a leading '.' also rules out
// "." , ".." and hidden files.
bool isPlainSegment(std::string_view segment) {
    if (segment.empty() || segment.front() == '.') return false;
    for (char c : segment) {
        if (!isNameChar(c)) return false;
    }
    return true;
}

const char* contentTypeOf(std::string_view name) {
    for (const ContentType& entry : kContentTypes) {
        const auto& ext = entry.extension;
        if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
            return entry.type;
        }
    }
    return nullptr;
}

}  // namespace

std::optional<StaticFile> resolveStaticFile(std::string_view path) {
    if (path == "/") return StaticFile{"index.html", contentTypeOf("index.html")};
    if (path.size() < 2 || path.size() > kMaxPathBytes || path.front() != '/') return std::nullopt;
    std::string_view rest = path.substr(1);
    size_t segments = 0;
    while (true) {
        const size_t slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        if (!isPlainSegment(segment) || ++segments > kMaxSegments) return std::nullopt;
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
    }
    const char* type = contentTypeOf(path);
    if (!type) return std::nullopt;
    return StaticFile{std::string(path.substr(1)), type};
}

}  // namespace gochat::ws
