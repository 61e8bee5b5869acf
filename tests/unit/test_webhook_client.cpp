// plugins/gochat-sfu/platform/webhook_client against a fake HttpPoster: the
// bodies (exact int64 ids), order, retries, the bounded queue and what it
// drops, the log lines, the counters and a bounded shutdown
// (docs/operations.md, Joining a GoChat deployment). Waits are deadlines on
// the fake's condition variable, never sleeps.
#include "plugins/gochat-sfu/platform/webhook_client.hpp"
#include "tests/unit/cmocka.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

using namespace gochat::sfu;

namespace {

constexpr ChannelId kChannel = 1234567890123456789;
constexpr UserId kAlice = 9007199254740993;  // 2^53 + 1: a double would make it ...992
constexpr UserId kBob = 9007199254740995;
constexpr GuildId kGuild = 7777777777777777777;
constexpr auto kWait = std::chrono::seconds(10);

const char* const kBase = "http://webhook.test:3200";

Millis steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Records every post; answers through `answer` (204 for heartbeats, 200
// for the rest by default). With `hang` set, a post waits until release()
// or until its time limit passes, as a service that accepts and never
// answers would make libcurl do.
class FakePoster final : public HttpPoster {
public:
    struct Post {
        std::string path;
        std::string body;
        Millis timeout = 0;
    };

    HttpResponse post(const std::string& url, const std::string& body, Millis timeout) override {
        std::unique_lock<std::mutex> lock(mutex_);
        posts_.push_back(Post{url.substr(std::string(kBase).size()), body, timeout});
        changed_.notify_all();
        if (hang_) {
            const uint64_t generation = releases_;
            if (!changed_.wait_for(lock, std::chrono::milliseconds(timeout), [&] { return releases_ != generation; })) {
                HttpResponse late;
                late.kind = HttpResponse::Kind::TimedOut;
                late.detail = "no answer within " + std::to_string(timeout) + " ms";
                return late;
            }
        }
        if (answer_) return answer_(posts_.back());
        HttpResponse response;
        response.kind = HttpResponse::Kind::Answered;
        response.status = posts_.back().path.find("heartbeat") != std::string::npos ? 204 : 200;
        return response;
    }

    void setAnswer(std::function<HttpResponse(const Post&)> answer) {
        std::lock_guard<std::mutex> lock(mutex_);
        answer_ = std::move(answer);
    }
    // Posts from now on hang (or not); posts hanging already go on hanging.
    void setHang(bool hang) {
        std::lock_guard<std::mutex> lock(mutex_);
        hang_ = hang;
    }
    // The posts hanging now are answered.
    void release() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++releases_;
        changed_.notify_all();
    }
    std::vector<Post> posts() {
        std::lock_guard<std::mutex> lock(mutex_);
        return posts_;
    }
    // Presence calls only (heartbeats come on their own schedule).
    std::vector<Post> presence() {
        std::vector<Post> out;
        for (Post& post : posts())
            if (post.path.find("heartbeat") == std::string::npos) out.push_back(std::move(post));
        return out;
    }
    bool waitUntil(const std::function<bool(const std::vector<Post>&)>& done) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, kWait, [&] { return done(posts_); });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Post> posts_;
    std::function<HttpResponse(const Post&)> answer_;
    bool hang_ = false;
    uint64_t releases_ = 0;
};

struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    size_t containing(const std::string& text) {
        std::lock_guard<std::mutex> lock(mutex);
        size_t n = 0;
        for (const std::string& line : lines) n += line.find(text) != std::string::npos;
        return n;
    }
};

WebhookSettings testSettings() {
    WebhookSettings settings;
    settings.url = kBase;
    settings.token = "x.y.z";
    settings.serviceId = "sfu-eu-1";
    settings.region = "eu";
    settings.publicUrl = "wss://sfu-eu.example.com/signal";
    settings.heartbeatIntervalMs = 60'000;  // one at start; tests that want more shorten it
    settings.aliveIntervalMs = 60'000;
    settings.timeoutMs = 300;
    settings.queueSize = 1000;
    return settings;
}

struct Harness {
    FakePoster* poster = nullptr;  // owned by the client
    LogLines logs;
    std::unique_ptr<WebhookClient> client;

    explicit Harness(WebhookSettings settings = testSettings()) {
        auto fake = std::make_unique<FakePoster>();
        poster = fake.get();
        client = std::make_unique<WebhookClient>(std::move(settings), std::move(fake),
                                                 [this](LogLevel, const std::string& line) {
                                                     std::lock_guard<std::mutex> lock(logs.mutex);
                                                     logs.lines.push_back(line);
                                                 });
    }
    void join(SessionId session, UserId user, ChannelId channel = kChannel, GuildId guild = kGuild) {
        client->observe(Effect{event::ParticipantJoined{session, user, channel, guild}});
    }
    void leave(SessionId session, UserId user, LeaveReason reason = LeaveReason::Left, ChannelId channel = kChannel) {
        event::ParticipantLeft left;
        left.session = session;
        left.user = user;
        left.channel = channel;
        left.guild = kGuild;
        left.reason = reason;
        client->observe(Effect{left});
    }
    bool waitPresence(size_t count) {
        return poster->waitUntil([count](const std::vector<FakePoster::Post>& posts) {
            size_t n = 0;
            for (const auto& post : posts) n += post.path.find("heartbeat") == std::string::npos;
            return n >= count;
        });
    }
};

std::string joinBody(UserId user) {
    return "{\"channel_id\":" + std::to_string(kChannel) + ",\"user_id\":" + std::to_string(user) +
           ",\"guild_id\":" + std::to_string(kGuild) + "}";
}

HttpResponse answered(long status) {
    HttpResponse response;
    response.kind = HttpResponse::Kind::Answered;
    response.status = status;
    return response;
}

void bodies_carry_exact_int64_ids_and_leave_out_a_missing_guild(void**) {
    assert_string_equal(WebhookClient::callBody(WebhookCall{WebhookPath::Join, kChannel, kAlice, kGuild}).c_str(),
                        "{\"channel_id\":1234567890123456789,\"user_id\":9007199254740993,"
                        "\"guild_id\":7777777777777777777}");
    assert_string_equal(WebhookClient::callBody(WebhookCall{WebhookPath::Leave, kChannel, kAlice, 0}).c_str(),
                        "{\"channel_id\":1234567890123456789,\"user_id\":9007199254740993}");
    assert_string_equal(WebhookClient::callBody(WebhookCall{WebhookPath::Alive, kChannel, 0, kGuild}).c_str(),
                        "{\"channel_id\":1234567890123456789,\"guild_id\":7777777777777777777}");
    assert_string_equal(WebhookClient::heartbeatBody(testSettings(), 3).c_str(),
                        "{\"id\":\"sfu-eu-1\",\"region\":\"eu\",\"url\":\"wss://sfu-eu.example.com/signal\","
                        "\"load\":3}");
}

void the_first_heartbeat_goes_out_at_once_then_every_interval_with_the_load(void**) {
    WebhookSettings settings = testSettings();
    settings.heartbeatIntervalMs = 20;
    Harness h(settings);
    h.client->start();
    h.join(1, kAlice);
    h.join(2, kAlice + 2);
    const std::string loaded = WebhookClient::heartbeatBody(settings, 2);
    assert_true(h.poster->waitUntil([&](const std::vector<FakePoster::Post>& posts) {
        size_t beats = 0;
        for (const auto& post : posts) beats += post.path == "/api/v1/webhook/sfu/heartbeat" && post.body == loaded;
        return beats >= 3;
    }));
    assert_int_equal(h.client->load(), 2);
    const std::vector<FakePoster::Post> posts = h.poster->posts();
    assert_string_equal(posts.front().path.c_str(), "/api/v1/webhook/sfu/heartbeat");
    assert_int_equal(posts.front().timeout, settings.timeoutMs);
    h.client->stop();
    // Registered once, however many heartbeats succeeded.
    assert_int_equal(h.logs.containing("registered with http://webhook.test:3200 as \"sfu-eu-1\""), 1);
    const WebhookCounters counters = h.client->counters();
    assert_true(counters.count(WebhookPath::Heartbeat, WebhookOutcome::Ok) >= 3);
    assert_true(counters.lastHeartbeatSuccessUnix > 1'600'000'000);
}

void presence_calls_go_out_in_the_order_of_the_events(void**) {
    Harness h;
    h.client->start();
    for (UserId n = 0; n < 20; ++n) h.join(static_cast<SessionId>(n + 1), kAlice + 2 * n);
    for (UserId n = 0; n < 20; n += 2) h.leave(static_cast<SessionId>(n + 1), kAlice + 2 * n, LeaveReason::Kicked);
    assert_true(h.waitPresence(30));
    const std::vector<FakePoster::Post> calls = h.poster->presence();
    assert_int_equal(calls.size(), 30);
    for (UserId n = 0; n < 20; ++n) {
        assert_string_equal(calls[n].path.c_str(), "/api/v1/webhook/sfu/voice/join");
        assert_string_equal(calls[n].body.c_str(), joinBody(kAlice + 2 * n).c_str());
    }
    for (size_t i = 20; i < 30; ++i) {
        assert_string_equal(calls[i].path.c_str(), "/api/v1/webhook/sfu/voice/leave");
        assert_string_equal(calls[i].body.c_str(), joinBody(kAlice + 2 * static_cast<UserId>(2 * (i - 20))).c_str());
    }
    h.client->stop();  // the 10 users still present leave
    assert_int_equal(h.client->counters().count(WebhookPath::Join, WebhookOutcome::Ok), 20);
    assert_int_equal(h.client->counters().count(WebhookPath::Leave, WebhookOutcome::Ok), 20);
}

constexpr size_t kMaxJoinPosts = WebhookClient::kMaxAttempts;

void an_unreachable_service_is_tried_three_times_and_a_4xx_once(void**) {
    Harness h;
    h.poster->setAnswer([](const FakePoster::Post& post) {
        if (post.path.find("heartbeat") != std::string::npos) return answered(204);
        if (post.path.find("join") != std::string::npos && post.body == joinBody(kAlice))
            return HttpResponse{HttpResponse::Kind::Failed, 0, "refused"};
        if (post.path.find("join") != std::string::npos) return answered(200);
        return answered(401);
    });
    h.client->start();
    h.join(1, kAlice);
    h.join(2, kBob);
    h.leave(2, kBob);
    assert_true(h.waitPresence(kMaxJoinPosts + 2));
    h.leave(1, kAlice);  // her join never reached the service: no leave either
    h.client->stop();
    const WebhookCounters counters = h.client->counters();
    assert_int_equal(counters.count(WebhookPath::Join, WebhookOutcome::Error), WebhookClient::kMaxAttempts);
    assert_int_equal(counters.count(WebhookPath::Leave, WebhookOutcome::Error), 1);    // Bob's 401, not retried
    assert_int_equal(counters.count(WebhookPath::Leave, WebhookOutcome::Dropped), 1);  // Alice's
    assert_int_equal(h.poster->presence().size(), WebhookClient::kMaxAttempts + 2);
    // Failing is logged once, not per attempt; Bob's join ended it, his
    // leave's 401 is a new failure.
    assert_int_equal(h.logs.containing("failing: refused"), 1);
    assert_int_equal(h.logs.containing("HTTP 401"), 1);
}

void a_timeout_is_counted_and_not_retried_and_recovery_is_logged(void**) {
    WebhookSettings settings = testSettings();
    settings.timeoutMs = 50;
    Harness h(settings);
    h.client->start();
    assert_true(h.poster->waitUntil([](const auto& posts) { return !posts.empty(); }));
    h.poster->setHang(true);
    h.join(1, kAlice);
    assert_true(h.waitPresence(1));
    h.poster->setHang(false);
    h.leave(1, kAlice);
    assert_true(h.waitPresence(2));
    h.client->stop();
    const WebhookCounters counters = h.client->counters();
    assert_int_equal(counters.count(WebhookPath::Join, WebhookOutcome::Timeout), 1);
    assert_int_equal(counters.count(WebhookPath::Leave, WebhookOutcome::Ok), 1);
    assert_int_equal(h.logs.containing("voice/join channel 1234567890123456789 user 9007199254740993 failing"), 1);
    assert_int_equal(h.logs.containing("presence calls succeed again (1 failed attempt(s) meanwhile)"), 1);
}

void registration_failure_and_recovery_are_each_logged_once(void**) {
    WebhookSettings settings = testSettings();
    settings.heartbeatIntervalMs = 10;
    Harness h(settings);
    bool failing = false;
    std::mutex mutex;
    h.poster->setAnswer([&](const FakePoster::Post&) {
        std::lock_guard<std::mutex> lock(mutex);
        return failing ? HttpResponse{HttpResponse::Kind::Failed, 0, "Connection refused"} : answered(204);
    });
    auto beats = [&h](size_t n) {
        const size_t base = h.poster->posts().size();
        return h.poster->waitUntil([base, n](const auto& posts) { return posts.size() >= base + n; });
    };
    h.client->start();
    assert_true(beats(3));
    {
        std::lock_guard<std::mutex> lock(mutex);
        failing = true;
    }
    assert_true(beats(4));
    {
        std::lock_guard<std::mutex> lock(mutex);
        failing = false;
    }
    assert_true(beats(3));
    h.client->stop();
    assert_int_equal(h.logs.containing("registered with"), 1);
    assert_int_equal(h.logs.containing("heartbeat to http://webhook.test:3200 failing: Connection refused"), 1);
    assert_int_equal(h.logs.containing("heartbeat accepted again"), 1);
    assert_true(h.client->counters().count(WebhookPath::Heartbeat, WebhookOutcome::Error) >= 3);
}

// While the service hangs, the queue holds queueSize calls: the oldest
// joins go first, and with them their users' leaves.
void a_full_queue_drops_the_oldest_join_and_its_leave_but_keeps_leaves(void**) {
    WebhookSettings settings = testSettings();
    settings.queueSize = 10;
    settings.timeoutMs = 10'000;
    Harness h(settings);
    h.poster->setHang(true);
    h.client->start();  // the first heartbeat hangs
    assert_true(h.poster->waitUntil([](const auto& posts) { return posts.size() == 1; }));
    auto user = [](SessionId n) { return kAlice + 2 * static_cast<UserId>(n); };
    // Joins 1..10 fill the queue; 11 and 12 push out 1 and 2.
    for (SessionId n = 1; n <= 12; ++n) h.join(n, user(n));
    h.leave(1, user(1));  // its join was dropped: this leave goes too
    h.leave(3, user(3));  // queue full: the join of 3 goes, and so does this leave
    h.leave(4, user(4));  // fits (9 queued)
    // Each further leave that finds the queue full pushes out the oldest
    // join, and that join's queued leave with it: 4, 5, 6, 7.
    for (SessionId n = 5; n <= 12; ++n) h.leave(n, user(n));
    h.poster->setHang(false);
    h.poster->release();
    assert_true(h.waitPresence(10));
    h.client->stop();
    std::vector<std::string> want;
    for (SessionId n = 8; n <= 12; ++n) want.push_back("join " + joinBody(user(n)));
    for (SessionId n = 8; n <= 12; ++n) want.push_back("leave " + joinBody(user(n)));
    std::vector<std::string> got;
    for (const auto& post : h.poster->presence())
        got.push_back((post.path.find("join") != std::string::npos ? "join " : "leave ") + post.body);
    if (got != want) fail_msg("%zu calls sent, first: %s", got.size(), got.empty() ? "-" : got.front().c_str());
    const WebhookCounters counters = h.client->counters();
    assert_int_equal(counters.count(WebhookPath::Join, WebhookOutcome::Dropped), 7);
    assert_int_equal(counters.count(WebhookPath::Leave, WebhookOutcome::Dropped), 7);
    assert_int_equal(h.logs.containing("queue full"), 1);  // rate-limited, not one line per drop
}

void stop_sends_a_leave_for_everyone_still_present(void**) {
    Harness h;
    h.client->start();
    h.join(1, kAlice);
    h.join(2, kAlice + 2);
    h.join(3, kAlice + 4, kChannel + 1, 0);
    h.leave(1, kAlice, LeaveReason::Replaced);  // replaced: alice is still present
    h.join(4, kAlice);
    assert_true(h.waitPresence(3));
    h.client->stop();
    h.join(5, kAlice + 6);  // after stop: ignored
    const std::vector<FakePoster::Post> calls = h.poster->presence();
    assert_int_equal(calls.size(), 6);
    std::vector<std::string> leaves;
    for (size_t i = 3; i < calls.size(); ++i) {
        assert_string_equal(calls[i].path.c_str(), "/api/v1/webhook/sfu/voice/leave");
        leaves.push_back(calls[i].body);
    }
    assert_string_equal(leaves[0].c_str(), joinBody(kAlice).c_str());
    assert_string_equal(leaves[1].c_str(), joinBody(kAlice + 2).c_str());
    assert_string_equal(leaves[2].c_str(), ("{\"channel_id\":" + std::to_string(kChannel + 1) +
                                            ",\"user_id\":" + std::to_string(kAlice + 4) + "}")
                                               .c_str());
}

// A service that hangs at shutdown costs at most the timeout: joins it
// never got are dropped with their leaves, and leaves that do not fit in
// the time are dropped and counted.
void stop_takes_at_most_the_timeout_when_the_service_hangs(void**) {
    WebhookSettings settings = testSettings();
    settings.timeoutMs = 200;
    Harness h(settings);
    h.client->start();
    h.join(1, kAlice);
    h.join(2, kAlice + 2);
    assert_true(h.waitPresence(2));
    h.poster->setHang(true);
    h.join(3, kAlice + 4);  // hangs in flight, then its leave goes out at stop
    assert_true(h.waitPresence(3));
    h.join(4, kAlice + 6);  // queued behind it: never sent, nor its leave
    const Millis started = steadyMs();
    h.client->stop();
    const Millis took = steadyMs() - started;
    if (took > 2 * settings.timeoutMs + 100) fail_msg("stop took %lld ms", static_cast<long long>(took));
    const WebhookCounters counters = h.client->counters();
    assert_int_equal(counters.count(WebhookPath::Join, WebhookOutcome::Dropped), 1);
    // Leaves of users 1, 2, 3: some sent (timed out), the rest dropped; user 4's dropped unsent.
    assert_int_equal(counters.count(WebhookPath::Leave, WebhookOutcome::Timeout) +
                         counters.count(WebhookPath::Leave, WebhookOutcome::Dropped),
                     4);
    for (const auto& post : h.poster->presence())
        if (post.path.find("leave") != std::string::npos) assert_true(post.timeout <= settings.timeoutMs);
}

void alive_calls_come_while_a_channel_is_occupied(void**) {
    WebhookSettings settings = testSettings();
    settings.aliveIntervalMs = 20;
    Harness h(settings);
    h.client->start();
    h.join(1, kAlice);
    const std::string alive =
        "{\"channel_id\":" + std::to_string(kChannel) + ",\"guild_id\":" + std::to_string(kGuild) + "}";
    assert_true(h.poster->waitUntil([&](const auto& posts) {
        size_t n = 0;
        for (const auto& post : posts) n += post.path == "/api/v1/webhook/sfu/channel/alive" && post.body == alive;
        return n >= 3;
    }));
    h.client->stop();
}

size_t countPath(const std::vector<FakePoster::Post>& posts, const std::string& path) {
    return static_cast<size_t>(
        std::count_if(posts.begin(), posts.end(), [&](const FakePoster::Post& post) { return post.path == path; }));
}

// Draining (docs/operations.md, Rolling upgrades): the heartbeat stops,
// presence and alive calls go on; resuming sends one at once. The alive
// calls (every 20 ms) are the clock: no sleep.
void a_paused_heartbeat_stops_while_presence_and_alive_calls_go_on(void**) {
    const std::string beat = "/api/v1/webhook/sfu/heartbeat";
    const std::string alive = "/api/v1/webhook/sfu/channel/alive";
    WebhookSettings settings = testSettings();
    settings.heartbeatIntervalMs = 20;
    settings.aliveIntervalMs = 20;
    Harness h(settings);
    h.client->start();
    h.join(1, kAlice);
    assert_true(h.poster->waitUntil([&](const auto& posts) { return countPath(posts, beat) >= 2; }));

    h.client->pauseHeartbeat();
    h.client->pauseHeartbeat();  // idempotent
    assert_true(h.client->heartbeatPaused());
    const std::vector<FakePoster::Post> atPause = h.poster->posts();
    h.join(2, kAlice + 2);
    h.leave(1, kAlice);
    // Six alive calls after the pause: at least 100 ms, five heartbeat intervals.
    assert_true(h.poster->waitUntil(
        [&](const auto& posts) { return countPath(posts, alive) >= countPath(atPause, alive) + 6; }));
    const std::vector<FakePoster::Post> paused = h.poster->posts();
    // At most the one being sent when the pause came.
    assert_true(countPath(paused, beat) <= countPath(atPause, beat) + 1);
    assert_int_equal(countPath(paused, "/api/v1/webhook/sfu/voice/join"), 2);
    assert_int_equal(countPath(paused, "/api/v1/webhook/sfu/voice/leave"), 1);

    const size_t beatsBefore = countPath(paused, beat);
    h.client->resumeHeartbeat();
    assert_false(h.client->heartbeatPaused());
    const std::string loaded = WebhookClient::heartbeatBody(settings, 1);
    assert_true(h.poster->waitUntil([&](const auto& posts) {
        size_t fresh = 0;
        for (size_t i = paused.size(); i < posts.size(); ++i) fresh += posts[i].path == beat && posts[i].body == loaded;
        return countPath(posts, beat) >= beatsBefore + 2 && fresh >= 2;
    }));
    h.client->stop();
    assert_int_equal(h.logs.containing("webhook: heartbeat paused (draining)"), 1);
    assert_int_equal(h.logs.containing("webhook: heartbeat resumed"), 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bodies_carry_exact_int64_ids_and_leave_out_a_missing_guild),
        cmocka_unit_test(the_first_heartbeat_goes_out_at_once_then_every_interval_with_the_load),
        cmocka_unit_test(presence_calls_go_out_in_the_order_of_the_events),
        cmocka_unit_test(an_unreachable_service_is_tried_three_times_and_a_4xx_once),
        cmocka_unit_test(a_timeout_is_counted_and_not_retried_and_recovery_is_logged),
        cmocka_unit_test(registration_failure_and_recovery_are_each_logged_once),
        cmocka_unit_test(a_full_queue_drops_the_oldest_join_and_its_leave_but_keeps_leaves),
        cmocka_unit_test(stop_sends_a_leave_for_everyone_still_present),
        cmocka_unit_test(stop_takes_at_most_the_timeout_when_the_service_hangs),
        cmocka_unit_test(alive_calls_come_while_a_channel_is_occupied),
        cmocka_unit_test(a_paused_heartbeat_stops_while_presence_and_alive_calls_go_on),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
