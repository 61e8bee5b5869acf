#include "plugins/gochat-sfu/janus/webhook_link.hpp"

#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/platform/curl_poster.hpp"

namespace gochat::sfu {

namespace {

void logToJanus(LogLevel level, const std::string& text) {
    switch (level) {
        case LogLevel::Error: JANUS_LOG(LOG_ERR, "[gochat.sfu] %s\n", text.c_str()); return;
        case LogLevel::Warn: JANUS_LOG(LOG_WARN, "[gochat.sfu] %s\n", text.c_str()); return;
        case LogLevel::Info: JANUS_LOG(LOG_INFO, "[gochat.sfu] %s\n", text.c_str()); return;
        case LogLevel::Verbose: JANUS_LOG(LOG_VERB, "[gochat.sfu] %s\n", text.c_str()); return;
    }
}

}  // namespace

std::unique_ptr<WebhookClient> startWebhookClient(const WebhookSettings& settings) {
    auto client = std::make_unique<WebhookClient>(settings, std::make_unique<CurlPoster>(settings.token), logToJanus);
    JANUS_LOG(LOG_INFO,
              "[gochat.sfu] webhook: calling %s as \"%s\" (region %s, public url %s): heartbeat every %lld ms, "
              "channel alive every %lld ms, %lld ms per call\n",
              settings.url.c_str(), settings.serviceId.c_str(), settings.region.c_str(), settings.publicUrl.c_str(),
              static_cast<long long>(settings.heartbeatIntervalMs), static_cast<long long>(settings.aliveIntervalMs),
              static_cast<long long>(settings.timeoutMs));
    client->start();
    return client;
}

}  // namespace gochat::sfu
