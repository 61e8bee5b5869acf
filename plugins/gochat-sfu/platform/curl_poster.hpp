// HttpPoster on Debian's libcurl: one easy handle per call, its time limit
// in CURLOPT_TIMEOUT_MS, CURLOPT_NOSIGNAL because it runs on a thread of
// Janus's process (libcurl would otherwise use SIGALRM for DNS time
// limits). The only file of the project that includes curl.h.
#pragma once

#include "plugins/gochat-sfu/platform/http_poster.hpp"

#include <string>

namespace gochat::sfu {

class CurlPoster final : public HttpPoster {
public:
    // `token` goes in every call's X-Webhook-Token header. Construct on
    // Janus's main thread (plugin init): it runs curl_global_init.
    explicit CurlPoster(const std::string& token);
    ~CurlPoster() override;

    CurlPoster(const CurlPoster&) = delete;
    CurlPoster& operator=(const CurlPoster&) = delete;

    HttpResponse post(const std::string& url, const std::string& body, Millis timeoutMs) override;

private:
    std::string tokenHeader_;
    bool initialized_ = false;
};

}  // namespace gochat::sfu
