// One HTTP POST of a JSON body to GoChat's webhook service, as the webhook
// client needs it: libcurl in the plugin (curl_poster.hpp), a fake in the
// unit tests (tests/unit/test_webhook_client.cpp).
#pragma once

#include "plugins/gochat-sfu/core/types.hpp"

#include <string>

namespace gochat::sfu {

struct HttpResponse {
    enum class Kind {
        Answered,  // the service answered with `status`
        TimedOut,  // no complete answer within the time limit
        Failed,    // no answer at all (refused, unreachable, bad TLS, ...)
    };
    Kind kind = Kind::Failed;
    long status = 0;     // Answered only
    std::string detail;  // what went wrong, or the start of the answer's body, for the log
};

class HttpPoster {
public:
    virtual ~HttpPoster() = default;
    // POSTs `body` with Content-Type: application/json and the service's
    // X-Webhook-Token; returns within `timeoutMs` (or soon after).
    virtual HttpResponse post(const std::string& url, const std::string& body, Millis timeoutMs) = 0;
};

}  // namespace gochat::sfu
