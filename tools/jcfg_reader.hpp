// Reads the settings of a Janus .jcfg file (libconfig syntax) without Janus
// or libconfig: the token CLI needs two groups of the plugin's config and
// must run where neither development package is installed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gochat::tools {

struct JcfgValue {
    enum class Kind { String, Integer, Float, Boolean };
    Kind kind = Kind::String;
    std::string text;     // String: the decoded text; otherwise the literal as written
    int64_t integer = 0;  // Integer only
};

// Scalar settings by dotted path ("general.auth_secret"). Lists `( )` and
// arrays `[ ]` are parsed and skipped: nothing the CLI reads lives there.
class JcfgFile {
public:
    // Parses text; on failure returns nothing and describes the problem
    // (with its line) in `error`.
    static std::optional<JcfgFile> parse(std::string_view text, std::string& error);

    // nullptr when the path names no scalar setting.
    const JcfgValue* find(std::string_view path) const;

private:
    friend class JcfgParser;
    std::map<std::string, JcfgValue, std::less<>> values_;
};

}  // namespace gochat::tools
