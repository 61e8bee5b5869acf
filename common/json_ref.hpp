// Ownership of Jansson values, written once.
//
// Jansson rules this wrapper encodes:
//  - json_object_set_new / json_array_append_new STEAL the value's reference;
//    json_object_set / json_array_append take a new one.
//  - json_object_get / json_array_get return BORROWED references.
//  - Janus's handle_message hands the plugin one reference to `message` and
//    `jsep` (adopt them); push_event increfs what it keeps (lend with get());
//    a transport's send_message receives a reference it must drop (adopt).
#pragma once

#include <jansson.h>

#include "common/c_holders.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace gochat {

class JsonRef {
public:
    JsonRef() = default;
    // Takes over an existing reference (no incref).
    static JsonRef adopt(json_t* value) { return JsonRef(value); }
    // Shares a borrowed value (incref).
    static JsonRef share(json_t* value) { return JsonRef(json_incref(value)); }
    static JsonRef object() { return JsonRef(json_object()); }
    static JsonRef array() { return JsonRef(json_array()); }
    // Parses text; returns an empty ref when it is not valid JSON.
    static JsonRef parse(std::string_view text, size_t flags = JSON_REJECT_DUPLICATES) {
        json_error_t error;
        return JsonRef(json_loadb(text.data(), text.size(), flags, &error));
    }

    JsonRef(const JsonRef&) = delete;
    JsonRef& operator=(const JsonRef&) = delete;
    JsonRef(JsonRef&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}
    JsonRef& operator=(JsonRef&& other) noexcept {
        if (this != &other) {
            reset();
            value_ = std::exchange(other.value_, nullptr);
        }
        return *this;
    }
    ~JsonRef() { reset(); }

    json_t* get() const { return value_; }
    // Hands the reference away (to a callee that steals it).
    json_t* release() { return std::exchange(value_, nullptr); }
    explicit operator bool() const { return value_ != nullptr; }
    void reset() {
        if (value_) json_decref(value_);
        value_ = nullptr;
    }

    // Builders for objects: each stores a fresh value under `key`.
    JsonRef& set(const char* key, JsonRef value) {
        json_object_set_new(value_, key, value.release());
        return *this;
    }
    JsonRef& setString(const char* key, std::string_view text) {
        json_object_set_new(value_, key, json_stringn(text.data(), text.size()));
        return *this;
    }
    JsonRef& setInt(const char* key, int64_t number) {
        json_object_set_new(value_, key, json_integer(static_cast<json_int_t>(number)));
        return *this;
    }
    JsonRef& setBool(const char* key, bool flag) {
        json_object_set_new(value_, key, json_boolean(flag));
        return *this;
    }

    // Compact serialisation; integers stay integers (never doubles).
    std::string dump() const {
        if (!value_) return {};
        const Owned<char, std::free> text(json_dumps(value_, JSON_COMPACT));
        return text ? std::string(text.get()) : std::string();
    }

private:
    explicit JsonRef(json_t* value) : value_(value) {}
    json_t* value_ = nullptr;
};

// Borrowed-view helpers: return false/empty instead of guessing types.
inline bool jsonGetInt64(const json_t* object, const char* key, int64_t& out) {
    json_t* field = json_object_get(object, key);
    if (!field || !json_is_integer(field)) return false;
    out = static_cast<int64_t>(json_integer_value(field));
    return true;
}
inline bool jsonGetBool(const json_t* object, const char* key, bool& out) {
    json_t* field = json_object_get(object, key);
    if (!field || !json_is_boolean(field)) return false;
    out = json_is_true(field);
    return true;
}
inline bool jsonGetString(const json_t* object, const char* key, std::string& out) {
    json_t* field = json_object_get(object, key);
    if (!field || !json_is_string(field)) return false;
    out.assign(json_string_value(field), json_string_length(field));
    return true;
}

}  // namespace gochat
