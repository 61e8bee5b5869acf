// The room registry: joins and refusals, the offer sequence GoChat's web
// client needs, who forwards to whom, departures, line reuse and timers.
// Time is injected: no test sleeps.
#include "tests/unit/registry_fixture.hpp"

#include <map>

#include <algorithm>
#include <string>
#include <vector>

using namespace gochat::sfu;
using namespace gochat::sfu::testing;

namespace {

constexpr UserId kAlice = 1111111111111111111;
constexpr UserId kBob = 2222222222222222222;
constexpr UserId kCarol = 3333333333333333333;

void join_acks_then_offers_only_own_two_lines(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    Effects effects = f.join(2, kBob);
    assert_int_equal(effects.size(), 2);
    assert_true(std::holds_alternative<event::ParticipantJoined>(effects[0]));
    const WireEvent* ack = findEvent({effects[0]}, 2, "joined");
    assert_non_null(ack);
    assert_string_equal(ack->name.c_str(), "joined");
    assert_true(ack->answersRequest);
    const SendOffer* offer = std::get_if<SendOffer>(&effects[1]);
    assert_non_null(offer);
    // Alice already publishes, yet the first offer holds only Bob's own lines (docs/protocol.md, Negotiation).
    assert_int_equal(offer->plan.lines.size(), 2);
    assert_int_equal(static_cast<int>(offer->plan.lines[0].kind), static_cast<int>(MediaKind::Audio));
    assert_int_equal(static_cast<int>(offer->plan.lines[0].direction), static_cast<int>(Direction::RecvOnly));
    assert_int_equal(static_cast<int>(offer->plan.lines[1].kind), static_cast<int>(MediaKind::Video));
}

void first_answer_brings_remote_tracks_at_once(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    Effects effects = f.join(2, kBob);
    Effects followUp = f.answerAll(2, offerTo(effects, 2)->plan);
    const SendOffer* offer = offerTo(followUp, 2);
    assert_non_null(offer);  // no debounce wait for the first follow-up
    assert_int_equal(offer->plan.lines.size(), 3);
    const PlannedLine& remote = offer->plan.lines[2];
    assert_int_equal(static_cast<int>(remote.direction), static_cast<int>(Direction::SendOnly));
    assert_string_equal(remote.streamId.c_str(), "user-1111111111111111111");
    assert_false(remote.trackId.empty());
    assert_true(offer->plan.version > offerTo(effects, 2)->plan.version);
}

void token_for_other_channel_is_unauthorized(void**) {
    RegistryFixture f;
    Effects effects = f.join(1, kAlice, kVoice, 42);
    const WireEvent* refusal = findEvent(effects, 1, "join_refused");
    assert_non_null(refusal);
    assert_string_equal(errorOf(*refusal).c_str(), "unauthorized");
    assert_true(refusal->close.has_value());
    assert_false(f.registry.isJoined(1));
}

void join_without_connect_is_forbidden(void**) {
    RegistryFixture f;
    const Effects effects = f.join(1, kAlice, kSpeak | kVideo);
    const WireEvent* refusal = findEvent(effects, 1, "join_refused");
    assert_non_null(refusal);
    assert_string_equal(errorOf(*refusal).c_str(), "forbidden");
    assert_int_equal(f.registry.roomCount(), 0);
}

void moved_token_joins_without_connect(void**) {
    RegistryFixture f;
    const Effects effects = f.join(1, kAlice, 0, kChannel, true);
    assert_non_null(findEvent(effects, 1, "joined"));
}

void join_beyond_capacity_is_room_full(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.joinAndSettle(2, kBob);
    f.joinAndSettle(3, kCarol);
    const Effects effects = f.join(4, 4444444444444444444);
    const WireEvent* refusal = findEvent(effects, 4, "join_refused");
    assert_non_null(refusal);
    assert_string_equal(errorOf(*refusal).c_str(), "room full");
}

void second_join_of_same_user_replaces_first(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    Effects effects = f.join(2, kAlice);
    const WireEvent* notice = findEvent(effects, 1, "replaced");
    assert_non_null(notice);
    assert_int_equal(notice->close->code, 4010);
    assert_string_equal(notice->close->reason.c_str(), "replaced");
    assert_false(only<ClosePeer>(effects).empty());
    assert_non_null(findEvent(effects, 2, "joined"));
    assert_false(f.registry.isJoined(1));
    assert_true(f.registry.isJoined(2));
}

void audio_is_forwarded_only_to_ready_lines(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    Effects effects = f.join(2, kBob);
    Effects followUp = f.answerAll(2, offerTo(effects, 2)->plan);
    // Bob's line for Alice is offered but not answered yet: nothing forwards to it.
    const SetFanout* pending = fanoutOf(followUp, 1, MediaKind::Audio);
    assert_true(pending == nullptr || pending->targets.empty());
    Effects answered = f.answerAll(2, offerTo(followUp, 2)->plan);
    const SetFanout* ready = fanoutOf(answered, 1, MediaKind::Audio);
    assert_non_null(ready);
    assert_int_equal(ready->targets.size(), 1);
    assert_int_equal(ready->targets[0].subscriber, 2);
    assert_int_equal(ready->targets[0].mindex, 2);
}

void speaker_without_speak_gets_inactive_line_and_is_never_forwarded(void**) {
    RegistryFixture f;
    const OfferPlan mutePlan = f.joinAndSettle(1, kAlice, kConnect);
    assert_int_equal(static_cast<int>(mutePlan.lines[0].direction), static_cast<int>(Direction::Inactive));
    f.joinAndSettle(2, kBob);
    f.settleEveryone({1, 2});
    // Even if Alice claims to send, she has no publication, so no fan-out.
    std::vector<AnsweredLine> claim = {{0, MediaKind::Audio, Direction::SendOnly, "opus", {"opus"}}};
    Effects effects = f.registry.requestOffer(1, f.now);
    const SendOffer* offer = offerTo(effects, 1);
    assert_non_null(offer);
    assert_int_equal(static_cast<int>(offer->plan.lines[0].direction), static_cast<int>(Direction::Inactive));
    // Bob is heard by Alice: her offer holds a sending line for Bob.
    const bool receivesBob =
        std::any_of(offer->plan.lines.begin(), offer->plan.lines.end(), [](const PlannedLine& line) {
            return line.kind == MediaKind::Audio && line.direction == Direction::SendOnly &&
                   line.streamId == streamIdOf(kBob);
        });
    assert_true(receivesBob);
    Effects answered = f.registry.answer(1, claim, f.now);
    assert_null(fanoutOf(answered, 1, MediaKind::Audio));
    assert_true(only<event::PublicationChanged>(answered).empty());
    f.settleEveryone({1, 2});
    assert_null(fanoutOf(f.registry.tick(f.now += 100), 1, MediaKind::Audio));
}

void leaving_frees_the_line_and_reoffers_it_inactive(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.joinAndSettle(2, kBob);
    f.settleEveryone({1, 2});
    Effects effects = f.registry.leave(1, LeaveReason::Left, f.now);
    const WireEvent* bye = findEvent(effects, 1, "left");
    assert_non_null(bye);
    assert_int_equal(bye->close->code, 1000);
    // The departed publisher's fan-out is emptied at once.
    const SetFanout* cleared = fanoutOf(effects, 1, MediaKind::Audio);
    assert_non_null(cleared);
    assert_true(cleared->targets.empty());
    // Bob's re-offer is debounced, then shows the line inactive without a stream.
    assert_null(offerTo(effects, 2));
    f.now += 50;
    const Effects later = f.registry.tick(f.now);
    const SendOffer* offer = offerTo(later, 2);
    assert_non_null(offer);
    assert_int_equal(offer->plan.lines.size(), 3);
    assert_int_equal(static_cast<int>(offer->plan.lines[2].direction), static_cast<int>(Direction::Inactive));
    assert_true(offer->plan.lines[2].streamId.empty());
}

void freed_lines_are_reused_so_sdp_stays_bounded(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    for (int cycle = 0; cycle < 50; ++cycle) {
        const SessionId visitor = 100 + cycle;
        f.joinAndSettle(visitor, kBob + cycle);
        f.settleEveryone({1, visitor});
        f.registry.leave(visitor, LeaveReason::Disconnected, f.now);
        f.settleEveryone({1});
    }
    const Effects effects = f.registry.requestOffer(1, f.now);
    const SendOffer* offer = offerTo(effects, 1);
    assert_non_null(offer);
    assert_int_equal(offer->plan.lines.size(), 3);  // own two + peak of one remote audio track
}

void changes_during_an_unanswered_offer_fold_into_one_follow_up(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    Effects bobJoin = f.join(2, kBob);
    Effects bobFollow = f.answerAll(2, offerTo(bobJoin, 2)->plan);
    // Alice's re-offer for Bob goes out after the debounce...
    f.now += 50;
    const Effects debounced = f.registry.tick(f.now);
    const SendOffer* aliceOffer = offerTo(debounced, 1);
    assert_non_null(aliceOffer);
    const OfferPlan inFlight = aliceOffer->plan;
    // ...and while it is unanswered, Carol joins and publishes: no second offer yet.
    Effects carolJoin = f.join(3, kCarol);
    f.answerAll(3, offerTo(carolJoin, 3)->plan);
    f.now += 200;
    const Effects whileInFlight = f.registry.tick(f.now);
    assert_null(offerTo(whileInFlight, 1));
    // Alice answers: the change waited past its debounce, so the one
    // follow-up bringing Carol goes out with the answer.
    const Effects afterAnswer = f.answerAll(1, inFlight);
    const SendOffer* followUp = offerTo(afterAnswer, 1);
    assert_non_null(followUp);
    assert_int_equal(followUp->plan.lines.size(), 4);
    assert_true(followUp->plan.version == inFlight.version + 1);
    (void)bobFollow;
}

void answer_without_offer_is_invalid(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    const Effects effects = f.registry.answer(1, {}, f.now);
    const WireEvent* error = findEvent(effects, 1, "error");
    assert_non_null(error);
    assert_string_equal(errorOf(*error).c_str(), "invalid message");
}

void requests_before_join_are_refused(void**) {
    RegistryFixture f;
    const Effects answered = f.registry.answer(9, {}, f.now);
    assert_non_null(findEvent(answered, 9, "error"));
    const Effects left = f.registry.leave(9, LeaveReason::Left, f.now);
    assert_non_null(findEvent(left, 9, "error"));
    assert_true(f.registry.leave(9, LeaveReason::Disconnected, f.now).empty());
}

void empty_room_disappears_after_ttl(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.registry.leave(1, LeaveReason::Disconnected, f.now);
    assert_int_equal(f.registry.roomCount(), 1);
    assert_int_equal(f.registry.nextDeadline().value(), f.now + 10'000);
    f.registry.tick(f.now + 9'999);
    assert_int_equal(f.registry.roomCount(), 1);
    f.registry.tick(f.now + 10'000);
    assert_int_equal(f.registry.roomCount(), 0);
}

void rejoin_within_ttl_keeps_the_room(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.registry.leave(1, LeaveReason::Disconnected, f.now);
    f.now += 5'000;
    f.joinAndSettle(2, kAlice);
    f.registry.tick(f.now + 20'000);
    assert_int_equal(f.registry.roomCount(), 1);
}

void video_line_ready_requests_a_keyframe(void**) {
    RegistryFixture f;
    Effects aliceJoin = f.join(1, kAlice);
    f.answerAll(1, offerTo(aliceJoin, 1)->plan, true, true);  // Alice sends audio and video
    Effects bobJoin = f.join(2, kBob);
    Effects follow = f.answerAll(2, offerTo(bobJoin, 2)->plan);
    const SendOffer* offer = offerTo(follow, 2);
    assert_int_equal(offer->plan.lines.size(), 4);
    Effects answered = f.answerAll(2, offer->plan);
    const auto keyframes = only<RequestKeyframe>(answered);
    assert_int_equal(keyframes.size(), 1);
    assert_int_equal(keyframes[0].publisher, 1);
}

// The position of the first effect of type T, or -1.
template <class T>
int positionOf(const Effects& effects) {
    for (size_t i = 0; i < effects.size(); ++i)
        if (std::holds_alternative<T>(effects[i])) return static_cast<int>(i);
    return -1;
}

// Alice publishes audio and video, Bob receives both and answered.
void callWithAliceCamera(RegistryFixture& f) {
    Effects aliceJoin = f.join(1, kAlice);
    f.answerAll(1, offerTo(aliceJoin, 1)->plan, true, true);
    Effects bobJoin = f.join(2, kBob);
    Effects follow = f.answerAll(2, offerTo(bobJoin, 2)->plan);
    f.answerAll(2, offerTo(follow, 2)->plan);
}

// A browser decodes nothing after a pause until a keyframe comes (aiortc
// does); the resumed line must get one at once, after its fan-out is set.
void local_unmute_of_a_camera_requests_a_keyframe_after_the_fanout(void**) {
    RegistryFixture f;
    callWithAliceCamera(f);
    Effects muted = f.registry.muteUserLocally(2, kAlice, true, f.now);
    assert_true(only<RequestKeyframe>(muted).empty());
    assert_true(fanoutOf(muted, 1, MediaKind::Video)->targets.empty());
    Effects unmuted = f.registry.muteUserLocally(2, kAlice, false, f.now);
    const auto keyframes = only<RequestKeyframe>(unmuted);
    assert_int_equal(keyframes.size(), 1);
    assert_int_equal(keyframes[0].publisher, 1);
    assert_int_equal(fanoutOf(unmuted, 1, MediaKind::Video)->targets.size(), 1);
    assert_true(positionOf<SetFanout>(unmuted) < positionOf<RequestKeyframe>(unmuted));
}

void undeafen_requests_a_keyframe_from_every_camera_heard_again(void**) {
    RegistryFixture f;
    callWithAliceCamera(f);
    Effects carolJoin = f.join(3, kCarol, kVoice | kDeafen);
    f.answerAll(3, offerTo(carolJoin, 3)->plan);
    Effects deafened = f.registry.serverDeafen(3, kBob, true, f.now);
    assert_true(only<RequestKeyframe>(deafened).empty());
    Effects undeafened = f.registry.serverDeafen(3, kBob, false, f.now);
    const auto keyframes = only<RequestKeyframe>(undeafened);
    assert_int_equal(keyframes.size(), 1);
    assert_int_equal(keyframes[0].publisher, 1);
}

void audio_only_resume_requests_no_keyframe(void**) {
    RegistryFixture f;
    Effects aliceJoin = f.join(1, kAlice);
    f.answerAll(1, offerTo(aliceJoin, 1)->plan, true, false);  // microphone only
    Effects bobJoin = f.join(2, kBob);
    Effects follow = f.answerAll(2, offerTo(bobJoin, 2)->plan);
    f.answerAll(2, offerTo(follow, 2)->plan);
    f.registry.muteUserLocally(2, kAlice, true, f.now);
    Effects unmuted = f.registry.muteUserLocally(2, kAlice, false, f.now);
    assert_int_equal(fanoutOf(unmuted, 1, MediaKind::Audio)->targets.size(), 1);
    assert_true(only<RequestKeyframe>(unmuted).empty());
}

OfferedLine offered(int mindex, MediaKind kind, Direction direction, std::vector<std::pair<std::string, int>> codecs) {
    OfferedLine line;
    line.mindex = mindex;
    line.kind = kind;
    line.mid = std::to_string(mindex);
    line.direction = direction;
    line.codecs = std::move(codecs);
    return line;
}

const SendAnswer* answerTo(const Effects& effects, SessionId to) {
    for (const Effect& effect : effects)
        if (const SendAnswer* answer = std::get_if<SendAnswer>(&effect))
            if (answer->to == to) return answer;
    return nullptr;
}

void client_offer_while_our_offer_is_unanswered_is_refused(void**) {
    RegistryFixture f;
    const Effects joined = f.join(1, kAlice);  // our first offer is in flight
    const Effects effects = f.registry.clientOffer(1,
                                                   {offered(0, MediaKind::Audio, Direction::SendRecv, {{"opus", 111}}),
                                                    offered(1, MediaKind::Video, Direction::RecvOnly, {{"vp8", 96}})},
                                                   "sdp", f.now);
    const WireEvent* error = findEvent(effects, 1, "error");
    assert_non_null(error);
    assert_int_equal(error->t, 501);
    assert_string_equal(errorOf(*error).c_str(), "offer in flight");
    // Nothing changed: answering our offer still works.
    const Effects answered = f.answerAll(1, offerTo(joined, 1)->plan);
    assert_null(findEvent(answered, 1, "error"));
}

void client_offer_adding_a_camera_is_answered_and_reoffered_to_others(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.joinAndSettle(2, kBob);
    f.settleEveryone({1, 2});
    // Alice offers her camera on her own video line, with her own payload types.
    const Effects effects =
        f.registry.clientOffer(1,
                               {offered(0, MediaKind::Audio, Direction::SendRecv, {{"opus", 109}}),
                                offered(1, MediaKind::Video, Direction::SendOnly, {{"vp8", 120}, {"h264", 121}}),
                                offered(2, MediaKind::Audio, Direction::RecvOnly, {{"opus", 109}})},
                               "client sdp", f.now);
    const SendAnswer* answer = answerTo(effects, 1);
    assert_non_null(answer);
    assert_true(std::holds_alternative<SendAnswer>(effects.front()));  // the answer goes out first
    assert_string_equal(answer->clientOffer.c_str(), "client sdp");
    assert_int_equal(answer->plan.lines.size(), 3);
    assert_int_equal(static_cast<int>(answer->plan.lines[1].direction), static_cast<int>(Direction::RecvOnly));
    assert_string_equal(answer->plan.lines[1].codec.c_str(), "vp8");
    assert_int_equal(static_cast<int>(answer->plan.lines[2].direction), static_cast<int>(Direction::SendOnly));
    // Alice's line for Bob's audio now uses the payload type Alice offered.
    const SetFanout* toAlice = nullptr;
    for (const Effect& effect : effects)
        if (const SetFanout* change = std::get_if<SetFanout>(&effect))
            if (change->publisher == 2 && change->kind == MediaKind::Audio) toAlice = change;
    assert_non_null(toAlice);
    assert_int_equal(toAlice->targets[0].payloadType, 109);
    // Bob is re-offered Alice's new camera after the debounce.
    f.now += 50;
    const Effects later = f.registry.tick(f.now);
    const SendOffer* reoffer = offerTo(later, 2);
    assert_non_null(reoffer);
    bool hasCamera = false;
    for (const PlannedLine& line : reoffer->plan.lines)
        if (line.kind == MediaKind::Video && line.streamId == "user-1111111111111111111")
            hasCamera = line.codec == "vp8";
    assert_true(hasCamera);
}

void client_offer_with_an_extra_transceiver_keeps_it_idle(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    const Effects effects = f.registry.clientOffer(1,
                                                   {offered(0, MediaKind::Audio, Direction::SendRecv, {{"opus", 111}}),
                                                    offered(1, MediaKind::Video, Direction::Inactive, {{"vp8", 96}}),
                                                    offered(2, MediaKind::Video, Direction::SendRecv, {{"vp8", 96}})},
                                                   "sdp", f.now);
    const SendAnswer* answer = answerTo(effects, 1);
    assert_non_null(answer);
    assert_int_equal(static_cast<int>(answer->plan.lines[2].direction), static_cast<int>(Direction::Inactive));
    // Our next offer keeps the client's line (m-lines are never removed).
    f.now += 100;
    const Effects reoffer = f.registry.requestOffer(1, f.now);
    const SendOffer* offer = offerTo(reoffer, 1);
    assert_non_null(offer);
    assert_int_equal(offer->plan.lines.size(), 3);
}

void client_offer_dropping_lines_is_invalid(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    const Effects effects =
        f.registry.clientOffer(1, {offered(0, MediaKind::Audio, Direction::SendRecv, {{"opus", 111}})}, "sdp", f.now);
    assert_string_equal(errorOf(*findEvent(effects, 1, "error")).c_str(), "invalid message");
}

void unanswered_offer_times_out_and_frees_the_place(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    const Effects joined = f.join(2, kBob);  // Bob never answers
    (void)joined;
    assert_int_equal(f.registry.nextDeadline().value(), f.now + 30'000);
    f.now += 29'999;
    const Effects early = f.registry.tick(f.now);
    assert_null(findEvent(early, 2, "timeout"));
    f.now += 1;
    const Effects late = f.registry.tick(f.now);
    const WireEvent* notice = findEvent(late, 2, "timeout");
    assert_non_null(notice);
    assert_string_equal(errorOf(*notice).c_str(), "negotiation timeout");
    assert_int_equal(notice->close->code, 1008);
    assert_false(f.registry.isJoined(2));
    assert_true(f.registry.isJoined(1));
}

void a_publisher_over_the_audio_cap_is_told_why_and_removed(void**) {
    RegistryFixture f;
    f.joinAndSettle(1, kAlice);
    f.joinAndSettle(2, kBob);
    const Effects effects = f.registry.leave(2, LeaveReason::BitrateExceeded, f.now);
    const WireEvent* notice = findEvent(effects, 2, "bitrate_exceeded");
    assert_non_null(notice);
    // Told like a negotiation timeout: t 501, ok:false, closed as a policy violation.
    assert_int_equal(notice->t, 501);
    assert_string_equal(errorOf(*notice).c_str(), "bitrate exceeded");
    assert_true(notice->close.has_value());
    assert_int_equal(notice->close->code, 1008);
    assert_string_equal(notice->close->reason.c_str(), "bitrate exceeded");
    const bool closed = std::any_of(effects.begin(), effects.end(), [](const Effect& e) {
        const ClosePeer* close = std::get_if<ClosePeer>(&e);
        return close && close->session == 2;
    });
    assert_true(closed);
    assert_false(f.registry.isJoined(2));
    // Nobody receives Bob's audio any more.
    const bool silenced = std::any_of(effects.begin(), effects.end(), [](const Effect& e) {
        const SetFanout* fanout = std::get_if<SetFanout>(&e);
        return fanout && fanout->publisher == 2 && fanout->kind == MediaKind::Audio && fanout->targets.empty();
    });
    assert_true(silenced);
}

// A camera answered the way Chromium does when it prefers VP9 but keeps all:
// its answer lists VP9 first, yet it sends the offer's first kept format.
Effects answerCameraListing(RegistryFixture& f, SessionId session, const OfferPlan& plan,
                            std::vector<std::string> videoCodecs) {
    std::vector<AnsweredLine> lines;
    for (const PlannedLine& line : plan.lines) {
        AnsweredLine answered{line.mindex,
                              line.kind,
                              Direction::Inactive,
                              line.kind == MediaKind::Audio ? "opus" : videoCodecs.front(),
                              {}};
        answered.codecs = line.kind == MediaKind::Audio ? std::vector<std::string>{"opus"} : videoCodecs;
        if (line.direction == Direction::RecvOnly) answered.direction = Direction::SendOnly;
        if (line.direction == Direction::SendOnly) answered.direction = Direction::RecvOnly;
        lines.push_back(answered);
    }
    return f.registry.answer(session, lines, f.now);
}

const PlannedLine* cameraLineOf(const OfferPlan& plan, const std::string& streamId) {
    for (const PlannedLine& line : plan.lines)
        if (line.kind == MediaKind::Video && line.streamId == streamId) return &line;
    return nullptr;
}

void publisher_codec_follows_our_offer_order_not_the_answers(void**) {
    RegistryFixture f;
    const Effects joined = f.join(1, kAlice);
    answerCameraListing(f, 1, offerTo(joined, 1)->plan, {"vp9", "vp8", "h264"});
    const Effects bob = f.join(2, kBob);
    const Effects follow = f.answerAll(2, offerTo(bob, 2)->plan);
    const PlannedLine* camera = cameraLineOf(offerTo(follow, 2)->plan, "user-1111111111111111111");
    assert_non_null(camera);
    assert_string_equal(camera->codec.c_str(), "vp8");
}

void a_publisher_switching_to_another_negotiated_codec_is_followed(void**) {
    RegistryFixture f;
    const Effects joined = f.join(1, kAlice);
    answerCameraListing(f, 1, offerTo(joined, 1)->plan, {"vp9", "vp8"});
    f.joinAndSettle(2, kBob);
    // Alice's re-offer (for Bob's audio) is answered keeping her camera on.
    f.now += 50;
    const Effects reoffered = f.registry.tick(f.now);
    answerCameraListing(f, 1, offerTo(reoffered, 1)->plan, {"vp9", "vp8"});
    // Alice's packets turn out to carry VP9 (98): a new publication, re-offered to Bob.
    const Effects seen = f.registry.publisherSentPayloadType(1, MediaKind::Video, 98, f.now);
    const SetFanout* cleared = nullptr;
    for (const Effect& effect : seen)
        if (const SetFanout* change = std::get_if<SetFanout>(&effect))
            if (change->publisher == 1 && change->kind == MediaKind::Video) cleared = change;
    assert_non_null(cleared);
    assert_true(cleared->targets.empty());  // nothing forwarded until Bob accepts the new line
    assert_int_equal(cleared->sourcePayloadType, 98);
    f.now += 50;
    const Effects later = f.registry.tick(f.now);
    const SendOffer* reoffer = offerTo(later, 2);
    assert_non_null(reoffer);
    assert_string_equal(cameraLineOf(reoffer->plan, "user-1111111111111111111")->codec.c_str(), "vp9");
    // A payload type the publisher never negotiated changes nothing.
    assert_true(f.registry.publisherSentPayloadType(1, MediaKind::Video, 102, f.now).empty());
}

// Answers and due re-offers update only the lines they touch
// (fanout_planner.cpp): after every step of a room filling, answering out of
// order, muting and emptying, the fan-outs handed out are exactly what a
// full recount of the room gives, and the adapter saw every change.
void incremental_fanouts_always_agree_with_a_full_recount(void**) {
    RegistryConfig config = RegistryFixture::smallRooms();
    config.maxParticipants = 0;
    RegistryFixture f(config);
    std::map<std::pair<SessionId, int>, std::vector<FanoutTarget>> seen;  // what the adapter was told
    std::map<SessionId, OfferPlan> unanswered;
    auto apply = [&](const Effects& effects) {
        for (const Effect& effect : effects) {
            if (const SetFanout* change = std::get_if<SetFanout>(&effect))
                seen[{change->publisher, static_cast<int>(change->kind)}] = change->targets;
            if (const SendOffer* offer = std::get_if<SendOffer>(&effect)) unanswered[offer->to] = offer->plan;
        }
        assert_true(f.registry.fanoutsUpToDate());
    };
    auto answerSome = [&](unsigned seed) {
        // Answers about half of the waiting offers, in a shuffled order.
        std::vector<SessionId> waiting;
        for (const auto& [session, plan] : unanswered) waiting.push_back(session);
        for (size_t i = 0; i < waiting.size(); ++i) {
            if ((seed + i * 7) % 2) continue;
            const SessionId session = waiting[(i * 5 + seed) % waiting.size()];
            if (!unanswered.count(session)) continue;
            const OfferPlan plan = unanswered[session];
            unanswered.erase(session);
            apply(f.answerAll(session, plan, true, session % 3 == 0));
        }
    };
    for (SessionId session = 1; session <= 12; ++session) {
        apply(f.join(session, static_cast<UserId>(1000 + session)));
        answerSome(static_cast<unsigned>(session));
        f.now += 30;
        apply(f.registry.tick(f.now));
    }
    apply(f.registry.muteSelf(4, true, f.now));
    apply(f.registry.muteUserLocally(5, 1006, true, f.now));
    for (SessionId gone : {2, 7, 9}) {
        unanswered.erase(gone);
        apply(f.registry.leave(gone, LeaveReason::Left, f.now));
        answerSome(static_cast<unsigned>(gone));
    }
    for (int round = 0; round < 20 && !unanswered.empty(); ++round) {
        answerSome(static_cast<unsigned>(round));
        f.now += 100;
        apply(f.registry.tick(f.now));
    }
    assert_true(unanswered.empty());
    // Settled: everyone forwards its microphone to every other one present,
    // but for Alice's self-mute (4) and the local mute of 6 by 5.
    for (SessionId publisher : {1, 3, 4, 5, 6, 8, 10, 11, 12}) {
        const std::vector<FanoutTarget>& targets = seen[{publisher, static_cast<int>(MediaKind::Audio)}];
        const size_t expected = publisher == 4 ? 0 : publisher == 6 ? 7 : 8;
        assert_int_equal(targets.size(), expected);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_acks_then_offers_only_own_two_lines),
        cmocka_unit_test(first_answer_brings_remote_tracks_at_once),
        cmocka_unit_test(token_for_other_channel_is_unauthorized),
        cmocka_unit_test(join_without_connect_is_forbidden),
        cmocka_unit_test(moved_token_joins_without_connect),
        cmocka_unit_test(join_beyond_capacity_is_room_full),
        cmocka_unit_test(second_join_of_same_user_replaces_first),
        cmocka_unit_test(audio_is_forwarded_only_to_ready_lines),
        cmocka_unit_test(speaker_without_speak_gets_inactive_line_and_is_never_forwarded),
        cmocka_unit_test(leaving_frees_the_line_and_reoffers_it_inactive),
        cmocka_unit_test(freed_lines_are_reused_so_sdp_stays_bounded),
        cmocka_unit_test(changes_during_an_unanswered_offer_fold_into_one_follow_up),
        cmocka_unit_test(answer_without_offer_is_invalid),
        cmocka_unit_test(requests_before_join_are_refused),
        cmocka_unit_test(empty_room_disappears_after_ttl),
        cmocka_unit_test(rejoin_within_ttl_keeps_the_room),
        cmocka_unit_test(video_line_ready_requests_a_keyframe),
        cmocka_unit_test(local_unmute_of_a_camera_requests_a_keyframe_after_the_fanout),
        cmocka_unit_test(undeafen_requests_a_keyframe_from_every_camera_heard_again),
        cmocka_unit_test(audio_only_resume_requests_no_keyframe),
        cmocka_unit_test(client_offer_while_our_offer_is_unanswered_is_refused),
        cmocka_unit_test(client_offer_adding_a_camera_is_answered_and_reoffered_to_others),
        cmocka_unit_test(client_offer_with_an_extra_transceiver_keeps_it_idle),
        cmocka_unit_test(client_offer_dropping_lines_is_invalid),
        cmocka_unit_test(unanswered_offer_times_out_and_frees_the_place),
        cmocka_unit_test(a_publisher_over_the_audio_cap_is_told_why_and_removed),
        cmocka_unit_test(publisher_codec_follows_our_offer_order_not_the_answers),
        cmocka_unit_test(a_publisher_switching_to_another_negotiated_codec_is_followed),
        cmocka_unit_test(incremental_fanouts_always_agree_with_a_full_recount),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
