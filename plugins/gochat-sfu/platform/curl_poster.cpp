#include "plugins/gochat-sfu/platform/curl_poster.hpp"

#include <curl/curl.h>

#include "common/c_holders.hpp"

#include <algorithm>

namespace gochat::sfu {

namespace {

// What is kept of an answer's body for the log.
constexpr size_t kKeptBodyBytes = 200;

using EasyHandle = Owned<CURL, curl_easy_cleanup>;
using HeaderList = Owned<curl_slist, curl_slist_free_all>;

// Keeps the start of the body and reads (and discards) the rest: returning
// less than `size * count` would abort the transfer.
size_t keepStart(char* data, size_t size, size_t count, void* user) {
    auto* kept = static_cast<std::string*>(user);
    const size_t bytes = size * count;
    if (kept->size() < kKeptBodyBytes) kept->append(data, std::min(bytes, kKeptBodyBytes - kept->size()));
    return bytes;
}

// Appends to a list owned by `headers`; false when out of memory.
bool appendHeader(HeaderList& headers, const std::string& line) {
    curl_slist* list = curl_slist_append(headers.get(), line.c_str());
    if (!list) return false;
    (void)headers.release();
    headers.reset(list);
    return true;
}

}  // namespace

CurlPoster::CurlPoster(const std::string& token) : tokenHeader_("X-Webhook-Token: " + token) {
    initialized_ = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

CurlPoster::~CurlPoster() {
    if (initialized_) curl_global_cleanup();
}

HttpResponse CurlPoster::post(const std::string& url, const std::string& body, Millis timeoutMs) {
    HttpResponse response;
    EasyHandle curl(initialized_ ? curl_easy_init() : nullptr);
    HeaderList headers;
    // "Expect:" keeps libcurl from waiting for a 100 Continue.
    if (!curl || !appendHeader(headers, "Content-Type: application/json") || !appendHeader(headers, tokenHeader_) ||
        !appendHeader(headers, "Expect:")) {
        response.detail = "libcurl could not be set up";
        return response;
    }
    char error[CURL_ERROR_SIZE] = {0};
    std::string answer;
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "gochat-sfu");
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeoutMs));
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, keepStart);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer);

    const CURLcode rc = curl_easy_perform(handle);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        response.kind = HttpResponse::Kind::TimedOut;
        response.detail = "no answer within " + std::to_string(timeoutMs) + " ms";
    } else if (rc != CURLE_OK) {
        response.detail = error[0] ? error : curl_easy_strerror(rc);
    } else {
        response.kind = HttpResponse::Kind::Answered;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
        response.detail = answer;
    }
    return response;
}

}  // namespace gochat::sfu
