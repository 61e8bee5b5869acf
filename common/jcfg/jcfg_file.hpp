// The one reader of Janus .jcfg files (libconfig syntax) in the project:
// the plugin, the transport and the token tool all read their settings
// through it, so a file means the same to each of them and the reading is
// unit-tested without Janus (docs/operations.md, Configuration files).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gochat::jcfg {

struct JcfgValue {
    enum class Kind { String, Integer, Float, Boolean };
    Kind kind = Kind::String;
    std::string text;     // String: the decoded text; otherwise the literal as written
    int64_t integer = 0;  // Integer only
};

// Scalar settings by dotted path ("general.auth_secret"). Lists `( )` and
// arrays `[ ]` are parsed and skipped: no setting of ours lives there.
class JcfgFile {
public:
    // Parses text; on failure returns nothing and describes the problem
    // (with its line) in `error`.
    static std::optional<JcfgFile> parse(std::string_view text, std::string& error);

    // Reads and parses a file of at most 1 MiB. `missing` (when given) is set
    // when the file does not exist, so a caller can fall back to defaults
    // for an absent file yet refuse a broken one.
    static std::optional<JcfgFile> read(const std::string& path, std::string& error, bool* missing = nullptr);

    // nullptr when the path names no scalar setting.
    const JcfgValue* find(std::string_view path) const;

    // The names of the scalar settings directly inside a group, in name order.
    std::vector<std::string> namesIn(std::string_view group) const;

    // Janus hands its plugins every value as text, so operators may quote
    // numbers and booleans: these accept both spellings.

    // Leaves `out` alone when the setting is absent; false with a message
    // naming the setting when it is present but not an integer in range.
    bool readInteger(std::string_view path, int64_t low, int64_t high, int64_t& out, std::string& error) const;
    // As readInteger, for true/false/yes/no/1/0 (what Janus's janus_is_true accepts).
    bool readBoolean(std::string_view path, bool& out, std::string& error) const;
    // Leaves `out` alone when absent; the text of any scalar otherwise.
    void readText(std::string_view path, std::string& out) const;

private:
    friend class JcfgParser;
    std::map<std::string, JcfgValue, std::less<>> values_;
};

// The same spellings as readBoolean, for callers holding a bare value.
std::optional<bool> parseBoolean(std::string_view text);
// A whole decimal int64 (optional sign), nothing else.
std::optional<int64_t> parseDecimal(std::string_view text);

}  // namespace gochat::jcfg
