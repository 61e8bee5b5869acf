#include "plugins/gochat-sfu/auth/service_token.hpp"

#include "common/json_ref.hpp"
#include "plugins/gochat-sfu/auth/base64url.hpp"

#include <vector>

namespace gochat::auth {

namespace {

constexpr size_t kMaxServiceTokenBytes = 8192;

std::string stringMember(const json_t* object, const char* key) {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? std::string(json_string_value(value), json_string_length(value)) : std::string();
}

// A base64url segment holding a JSON object.
JsonRef decodeObject(std::string_view segment) {
    const std::optional<std::string> bytes = base64UrlDecode(segment);
    if (!bytes) return {};
    JsonRef object = JsonRef::parse(*bytes);
    if (!json_is_object(object.get())) return {};
    return object;
}

}  // namespace

std::optional<ServiceTokenView> readServiceTokenUnverified(std::string_view token, std::string& error) {
    if (token.size() > kMaxServiceTokenBytes) {
        error = "is longer than 8192 bytes";
        return std::nullopt;
    }
    std::vector<std::string_view> segments;
    size_t start = 0;
    for (size_t dot = token.find('.'); dot != std::string_view::npos; dot = token.find('.', start)) {
        segments.push_back(token.substr(start, dot - start));
        start = dot + 1;
    }
    segments.push_back(token.substr(start));
    if (segments.size() != 3 || segments[0].empty() || segments[1].empty() || segments[2].empty() ||
        !isBase64UrlAlphabet(segments[2])) {
        error = "is not a signed JWT (header.claims.signature)";
        return std::nullopt;
    }
    const JsonRef header = decodeObject(segments[0]);
    const JsonRef claims = decodeObject(segments[1]);
    if (!header || !claims) {
        error = "is not a JWT: its header or claims are not base64url JSON objects";
        return std::nullopt;
    }
    ServiceTokenView view;
    view.algorithm = stringMember(header.get(), "alg");
    view.type = stringMember(claims.get(), "typ");
    view.id = stringMember(claims.get(), "id");
    return view;
}

}  // namespace gochat::auth
