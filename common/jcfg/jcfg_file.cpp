#include "common/jcfg/jcfg_file.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace gochat::jcfg {

// A recursive-descent reader of the libconfig grammar Janus uses for .jcfg:
// settings `name = value` or `name: value` ended by an optional ';' or ',',
// groups `{ }`, lists `( )`, arrays `[ ]`, strings with C escapes (adjacent
// strings concatenate), decimal/hex integers with an optional L suffix,
// floats, booleans, and #, // and /* */ comments.
class JcfgParser {
public:
    JcfgParser(std::string_view text, JcfgFile& out) : text_(text), out_(out) {}

    bool parseFile() {
        skipBlanks();
        while (!atEnd()) {
            if (!parseSetting("", true)) return false;
            skipBlanks();
        }
        return true;
    }

    std::string error() const { return error_; }

private:
    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }

    // Keeps the first error: later ones are usually its echoes.
    bool fail(const std::string& message) {
        if (!error_.empty()) return false;
        size_t line = 1;
        for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
            if (text_[i] == '\n') ++line;
        }
        error_ = "line " + std::to_string(line) + ": " + message;
        return false;
    }

    // Whitespace and comments. An unterminated /* comment is an error, so
    // this reports it through error_ and leaves pos_ at the end.
    void skipBlanks() {
        while (!atEnd()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
                ++pos_;
            } else if (c == '#' || text_.compare(pos_, 2, "//") == 0) {
                const size_t end = text_.find('\n', pos_);
                pos_ = end == std::string_view::npos ? text_.size() : end;
            } else if (text_.compare(pos_, 2, "/*") == 0) {
                const size_t end = text_.find("*/", pos_ + 2);
                if (end == std::string_view::npos) {
                    fail("unterminated /* comment");
                    pos_ = text_.size();
                    return;
                }
                pos_ = end + 2;
            } else {
                return;
            }
        }
    }

    static bool isNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*'; }
    static bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

    bool parseSetting(const std::string& prefix, bool record) {
        if (peek() == '@') return fail("@include is not supported");
        if (!isNameStart(peek())) return fail("expected a setting name");
        const size_t start = pos_;
        while (!atEnd() && isNameChar(peek())) ++pos_;
        const std::string name(text_.substr(start, pos_ - start));
        skipBlanks();
        if (peek() != '=' && peek() != ':') return fail("expected '=' or ':' after '" + name + "'");
        ++pos_;
        skipBlanks();
        const std::string path = prefix.empty() ? name : prefix + "." + name;
        if (record && (out_.values_.count(path) != 0 || groups_.count(path) != 0)) {
            return fail("duplicate setting '" + path + "'");
        }
        if (!parseValue(path, record)) return false;
        skipBlanks();
        if (peek() == ';' || peek() == ',') ++pos_;
        return error_.empty();
    }

    bool parseValue(const std::string& path, bool record) {
        // Nesting is recursion: bound it so a hostile file cannot exhaust the stack.
        if (depth_ >= kMaxDepth) return fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
        ++depth_;
        const bool parsed = parseNestedValue(path, record);
        --depth_;
        return parsed;
    }

    bool parseNestedValue(const std::string& path, bool record) {
        switch (peek()) {
            case '{':
                if (record) groups_.insert(path);
                return parseGroup(path, record);
            case '[': return parseSequence(']');
            case '(': return parseSequence(')');
            default: {
                JcfgValue value;
                if (!parseScalar(value)) return false;
                if (record) out_.values_.emplace(path, std::move(value));
                return true;
            }
        }
    }

    bool parseGroup(const std::string& path, bool record) {
        ++pos_;  // '{'
        skipBlanks();
        while (peek() != '}') {
            if (atEnd()) return fail("unterminated group '" + path + "'");
            if (!parseSetting(path, record)) return false;
            skipBlanks();
        }
        ++pos_;
        return true;
    }

    // Lists and arrays: comma-separated values, read only to be skipped.
    bool parseSequence(char close) {
        ++pos_;
        skipBlanks();
        while (peek() != close) {
            if (atEnd()) return fail(std::string("missing '") + close + "'");
            if (!parseValue("", false)) return false;
            skipBlanks();
            if (peek() == ',') {
                ++pos_;
                skipBlanks();
            } else if (peek() != close) {
                return fail(std::string("expected ',' or '") + close + "'");
            }
        }
        ++pos_;
        return true;
    }

    bool parseScalar(JcfgValue& value) {
        if (peek() == '"') return parseStrings(value);
        const size_t start = pos_;
        while (!atEnd()) {
            const char c = peek();
            const bool wordChar = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                  c == '.' || c == '+' || c == '-';
            if (!wordChar) break;
            ++pos_;
        }
        const std::string word(text_.substr(start, pos_ - start));
        if (word.empty()) return fail("expected a value");
        value.text = word;
        std::string lower;
        for (char c : word) lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
        if (lower == "true" || lower == "false") {
            value.kind = JcfgValue::Kind::Boolean;
            return true;
        }
        if (parseInteger(word, value.integer)) {
            value.kind = JcfgValue::Kind::Integer;
            return true;
        }
        char* end = nullptr;
        std::strtod(word.c_str(), &end);
        if (end != word.c_str() && *end == '\0' && word.find_first_of(".eE") != std::string::npos) {
            value.kind = JcfgValue::Kind::Float;
            return true;
        }
        return fail("'" + word + "' is not a value");
    }

    // Decimal or 0x hex, optional sign, optional L/LL (libconfig's int64
    // marker). Hex spells the bits, so 0xFFFFFFFFFFFFFFFF is -1.
    static bool parseInteger(std::string_view word, int64_t& out) {
        while (!word.empty() && (word.back() == 'L' || word.back() == 'l')) word.remove_suffix(1);
        bool negative = false;
        if (!word.empty() && (word.front() == '+' || word.front() == '-')) {
            negative = word.front() == '-';
            word.remove_prefix(1);
        }
        if (word.empty()) return false;
        const bool hex = word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X');
        if (hex) word.remove_prefix(2);
        uint64_t magnitude = 0;
        const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), magnitude, hex ? 16 : 10);
        if (ec != std::errc() || end != word.data() + word.size()) return false;
        if (hex) {
            out = static_cast<int64_t>(negative ? 0 - magnitude : magnitude);
            return true;
        }
        const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
        if (magnitude > limit) return false;
        out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
        return true;
    }

    // One or more adjacent "..." pieces, joined.
    bool parseStrings(JcfgValue& value) {
        value.kind = JcfgValue::Kind::String;
        while (peek() == '"') {
            ++pos_;
            while (true) {
                if (atEnd()) return fail("unterminated string");
                char c = text_[pos_++];
                if (c == '"') break;
                if (c != '\\') {
                    value.text.push_back(c);
                    continue;
                }
                if (atEnd()) return fail("unterminated string");
                c = text_[pos_++];
                switch (c) {
                    case 'n': value.text.push_back('\n'); break;
                    case 'r': value.text.push_back('\r'); break;
                    case 't': value.text.push_back('\t'); break;
                    case 'f': value.text.push_back('\f'); break;
                    case '\\': value.text.push_back('\\'); break;
                    case '"': value.text.push_back('"'); break;
                    case 'x': {
                        unsigned byte = 0;
                        const char* first = text_.data() + pos_;
                        const char* last = first + std::min<size_t>(2, text_.size() - pos_);
                        const auto [end, ec] = std::from_chars(first, last, byte, 16);
                        if (ec != std::errc() || end != last || last - first != 2) return fail("bad \\x escape");
                        value.text.push_back(static_cast<char>(byte));
                        pos_ += 2;
                        break;
                    }
                    default: return fail(std::string("unknown escape \\") + c);
                }
            }
            skipBlanks();
        }
        return true;
    }

    static constexpr int kMaxDepth = 64;

    std::string_view text_;
    size_t pos_ = 0;
    int depth_ = 0;
    JcfgFile& out_;
    std::string error_;
    std::set<std::string> groups_;  // group paths, to refuse a duplicate group name
};

std::optional<JcfgFile> JcfgFile::parse(std::string_view text, std::string& error) {
    JcfgFile file;
    JcfgParser parser(text, file);
    if (!parser.parseFile() || !parser.error().empty()) {
        error = parser.error();
        return std::nullopt;
    }
    return file;
}

std::optional<JcfgFile> JcfgFile::read(const std::string& path, std::string& error, bool* missing) {
    constexpr size_t kMaxFileBytes = 1024 * 1024;
    if (missing) *missing = false;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int cause = errno;
        if (missing && cause == ENOENT) *missing = true;
        error = "cannot open " + path + ": " + std::strerror(cause);
        return std::nullopt;
    }
    std::string text(kMaxFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
        error = path + " is larger than 1 MiB";
        return std::nullopt;
    }
    std::optional<JcfgFile> file = parse(text, error);
    if (!file) error = path + ": " + error;
    return file;
}

const JcfgValue* JcfgFile::find(std::string_view path) const {
    const auto it = values_.find(path);
    return it == values_.end() ? nullptr : &it->second;
}

std::vector<std::string> JcfgFile::namesIn(std::string_view group) const {
    const std::string prefix = std::string(group) + ".";
    std::vector<std::string> names;
    for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
        const std::string rest = it->first.substr(prefix.size());
        if (rest.find('.') == std::string::npos) names.push_back(rest);
    }
    return names;
}

bool JcfgFile::readInteger(std::string_view path, int64_t low, int64_t high, int64_t& out, std::string& error) const {
    const JcfgValue* value = find(path);
    if (!value) return true;
    std::optional<int64_t> number;
    if (value->kind == JcfgValue::Kind::Integer) number = value->integer;
    if (value->kind == JcfgValue::Kind::String) number = parseDecimal(value->text);
    if (!number || *number < low || *number > high) {
        error = std::string(path) + " must be an integer from " + std::to_string(low) + " to " + std::to_string(high);
        return false;
    }
    out = *number;
    return true;
}

bool JcfgFile::readBoolean(std::string_view path, bool& out, std::string& error) const {
    const JcfgValue* value = find(path);
    if (!value) return true;
    const std::optional<bool> flag = parseBoolean(value->text);
    if (!flag || value->kind == JcfgValue::Kind::Float) {
        error = std::string(path) + " must be true or false";
        return false;
    }
    out = *flag;
    return true;
}

void JcfgFile::readText(std::string_view path, std::string& out) const {
    if (const JcfgValue* value = find(path)) out = value->text;
}

std::optional<bool> parseBoolean(std::string_view text) {
    std::string lower;
    for (char c : text) lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    if (lower == "true" || lower == "yes" || lower == "1") return true;
    if (lower == "false" || lower == "no" || lower == "0") return false;
    return std::nullopt;
}

std::optional<int64_t> parseDecimal(std::string_view text) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace gochat::jcfg
