// Which request paths the transport's small HTTP file server answers
// (the demo web client, docs/demo.md). Pure: the lws glue resolves the
// result against web_root on disk and checks what it finds there.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gochat::ws {

// Bigger files are refused: the demo is a few KiB, and the transport is no
// general web server.
constexpr size_t kMaxStaticFileBytes = 1024 * 1024;

struct StaticFile {
    std::string relativePath;  // under web_root, never absolute, no "." or ".." segment
    const char* contentType;
};

// Maps the path of a GET/HEAD request (query string already removed) to a
// file: "/" is index.html; other paths must be plain names of a known type
// (html, js, css, svg, png, ico, json, txt). Hidden names, empty segments,
// "..", backslashes and anything outside [A-Za-z0-9._-] give nullopt, and
// so does a directory (a trailing '/'): there is no directory listing.
std::optional<StaticFile> resolveStaticFile(std::string_view path);

}  // namespace gochat::ws
