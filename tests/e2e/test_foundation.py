"""Foundation of the GoChat SFU: join, hear each other, late join, leave,
permissions, refusals, session keepalive, first-offer shape, heartbeat,
bad input. Contract: docs/protocol.md and docs/plugin-api.md.

Every participant plays its own sine tone; a test asserts who hears which
frequency from which `user-<id>` stream."""

import asyncio
import json
import time

import pytest

from harness import tokens
from harness.calls import enter_call, offered_streams, remote_lines
from harness.clients import OP_RTC, T_JOIN, GoChatClient, stream_of
from harness.ids import snowflake, users
from harness.rtc import parse_sdp, sdp_origin_version
from harness.scenario import Clients, run

CONNECT_ONLY = tokens.PERM_CONNECT
HEAR_TIMEOUT = 20.0


async def wait_all(*aws):
    await asyncio.gather(*aws)


# --------------------------------------------------------------- (a)

def test_two_users_hear_each_others_tone_on_their_user_stream(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await wait_all(b.wait_hearing(ua, 440, HEAR_TIMEOUT), a.wait_hearing(ub, 660, HEAR_TIMEOUT))
            # nobody receives their own voice, and streams are named by user id
            assert stream_of(ua) not in offered_streams(a, "audio")
            assert stream_of(ub) not in offered_streams(b, "audio")
            assert offered_streams(a, "audio") == {stream_of(ub)}
            assert offered_streams(b, "audio") == {stream_of(ua)}
    run(scenario())


# --------------------------------------------------------------- (b)

def test_late_joiner_hears_both_and_leaver_disappears_for_everyone(gochat_janus):
    channel = snowflake()
    ua, ub, uc = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await b.wait_hearing(ua, 440, HEAR_TIMEOUT)

            c = await cl.gochat(uc, tone=880)
            await enter_call(c, channel)
            await wait_all(c.wait_hearing(ua, 440, HEAR_TIMEOUT), c.wait_hearing(ub, 660, HEAR_TIMEOUT),
                           a.wait_hearing(uc, 880, HEAR_TIMEOUT), b.wait_hearing(uc, 880, HEAR_TIMEOUT))

            marks = {x: len(x.offers) for x in (b, c)}
            await a.leave()
            code, _ = await a.wait_closed(5)
            assert code == 1000, f"leave should close normally, got {code}"

            async def reoffered_without_a(x):
                await x.changes.wait_until(
                    lambda: len(x.answers) > marks[x] and len(x.answers) == len(x.offers)
                    and stream_of(ua) not in offered_streams(x),
                    10, f"{x.name}: answered re-offer without {stream_of(ua)}", describe=x.describe)
                await x.wait_not_hearing(ua, 10)
            await wait_all(reoffered_without_a(b), reoffered_without_a(c))
            # the others still talk
            await wait_all(b.wait_hearing(uc, 880, 5), c.wait_hearing(ub, 660, 5))
    run(scenario())


def test_leave_followed_at_once_by_a_close_is_still_a_clean_leave(gochat_janus):
    """A client that sends t 504 and closes its socket in the same breath
    (a browser's ws.close() without a code) still gets 1000 "leave", the
    others lose its tracks, and Janus never sees a request for a session
    that is already gone."""
    from websockets.frames import Close
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await b.wait_hearing(ua, 440, HEAR_TIMEOUT)
            log_offset = gochat_janus.log_size()
            mark = len(b.offers)
            # 504 and an empty close frame in one write, before any reply
            await a.ws.send(json.dumps({"op": OP_RTC, "t": 504, "d": {}}))
            await a.ws.write_close_frame(Close(1005, ""), b"")
            code, reason = await a.wait_closed(5)
            assert (code, reason) == (1000, "leave"), f"closed with {code} {reason!r}"
            await b.changes.wait_until(
                lambda: len(b.answers) > mark and len(b.answers) == len(b.offers)
                and stream_of(ua) not in offered_streams(b),
                10, "B: answered re-offer without A", describe=b.describe)
            await b.wait_not_hearing(ua, 10)
            log = gochat_janus.log_since(log_offset)
            assert "Couldn't find any session" not in log, log[-3000:]
    run(scenario())


# --------------------------------------------------------------- (c)

def test_user_without_speak_is_heard_by_nobody_but_hears_everyone(gochat_janus):
    channel = snowflake()
    ua, ub, ul = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            listener = await cl.gochat(ul, tone=550)  # tries to speak anyway
            await wait_all(enter_call(a, channel), enter_call(b, channel),
                           enter_call(listener, channel, CONNECT_ONLY))
            first = parse_sdp(listener.offers[0])
            own_audio = next(m for m in first if m.kind == "audio")
            own_video = next(m for m in first if m.kind == "video")
            assert own_audio.direction == "inactive", "own audio line must be inactive without Speak"
            assert own_video.direction == "inactive", "own video line must be inactive without Video"

            await wait_all(listener.wait_hearing(ua, 440, HEAR_TIMEOUT),
                           listener.wait_hearing(ub, 660, HEAR_TIMEOUT),
                           a.wait_hearing(ub, 660, HEAR_TIMEOUT), b.wait_hearing(ua, 440, HEAR_TIMEOUT))
            # everyone has been in the call for a while: the listener never
            # appears as a track and no 550 Hz reaches anyone
            for x in (a, b):
                assert stream_of(ul) not in offered_streams(x, "audio"), f"{x.name} was offered the listener's audio"
                heard = x.heard_streams(seconds=1.0)
                assert stream_of(ul) not in heard, heard
                assert all(f is None or abs(f - 550) > 20 for f in heard.values()), heard
    run(scenario())


# --------------------------------------------------------------- (d)

def _bad_token(kind, user, channel):
    if kind == "bad signature":
        return tokens.mint(user, channel, bad_signature=True)
    if kind == "other secret":
        return tokens.mint(user, channel, secret="not-the-secret")
    if kind == "expired":
        return tokens.mint(user, channel, lifetime=-60)
    if kind == "wrong channel":
        return tokens.mint(user, channel + 2)
    if kind == "no connect permission":
        return tokens.mint(user, channel, perms=tokens.PERM_SPEAK | tokens.PERM_VIDEO)
    if kind == "alg none":
        return tokens.mint(user, channel, alg="none")
    raise ValueError(kind)


@pytest.mark.parametrize("kind,reason", [
    ("bad signature", "unauthorized"),
    ("other secret", "unauthorized"),
    ("expired", "unauthorized"),
    ("wrong channel", "unauthorized"),
    ("alg none", "unauthorized"),
    ("no connect permission", "forbidden"),
])
def test_join_is_refused_and_socket_closed(gochat_janus, kind, reason):
    channel = snowflake()
    user = snowflake()

    async def scenario():
        async with Clients() as cl:
            c = await cl.gochat(user)
            token = _bad_token(kind, user, channel)
            ack = await c.join(channel, token)
            assert ack == {"ok": False, "error": reason}
            code, why = await c.wait_closed(5)
            assert code == 1008, f"refused join closes with 1008 (docs/plugin-api.md), got {code} {why!r}"
            assert token not in "".join(r.raw for r in c.received), "token echoed back"
            assert tokens.DEFAULT_SECRET not in "".join(r.raw for r in c.received)
            assert not c.offers
    run(scenario(), timeout=30)


def test_no_join_within_timeout_is_refused_and_closed(gochat_janus):
    async def scenario():
        async with Clients() as cl:
            c = await cl.gochat(snowflake())
            started = time.monotonic()
            join_timeout = gochat_janus.cfg.join_timeout_ms / 1000
            ack = await c.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == T_JOIN,
                                       join_timeout + 5, what="join refusal")
            assert ack["d"] == {"ok": False, "error": "join timeout"}
            elapsed = time.monotonic() - started
            assert elapsed >= join_timeout - 0.5, f"refused after {elapsed:.1f}s, before the timeout"
            await c.wait_closed(5)
    run(scenario(), timeout=30)


# --------------------------------------------------------------- (e)

@pytest.mark.slow
def test_call_outlives_janus_session_timeout(janus_factory):
    """Janus session_timeout = 10 s: only Janus API traffic refreshes a
    session, so the transport must keep it alive on its own."""
    janus = janus_factory(session_timeout=10)
    channel = snowflake()
    ua, ub = users(2)
    hold = 30.0

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await wait_all(b.wait_hearing(ua, 440, HEAR_TIMEOUT), a.wait_hearing(ub, 660, HEAR_TIMEOUT))
            started = time.monotonic()

            def broken():
                for x in (a, b):
                    if x.closed or x.peer.connection_state in ("failed", "closed"):
                        return f"{x.name}: {x.describe()}"
                return None
            # the call must NOT break during `hold` seconds
            waiters = [x.changes.wait_until(broken, hold, "a broken call") for x in (a, b)]
            done, pending = await asyncio.wait([asyncio.ensure_future(w) for w in waiters],
                                               return_when=asyncio.FIRST_COMPLETED)
            for p in pending:
                p.cancel()
            outcome = [d.exception() for d in done]
            assert all(isinstance(e, AssertionError) for e in outcome), \
                f"call broke after {time.monotonic() - started:.1f}s: {broken()}"
            await wait_all(b.wait_hearing(ua, 440, 3), a.wait_hearing(ub, 660, 3))
    run(scenario(), timeout=120)
    assert "Timeout expired for session" not in janus.log_tail(200_000)


# --------------------------------------------------------------- (f)

def test_late_joiners_first_offer_holds_only_its_own_lines(gochat_janus):
    channel = snowflake()
    ua, ub, uc = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440, camera=True)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await b.changes.wait_until(lambda: stream_of(ua) in offered_streams(b, "video"),
                                       HEAR_TIMEOUT, "B offered A's camera", describe=b.describe)
            await b.wait_hearing(ua, 440, HEAR_TIMEOUT)

            c = await cl.gochat(uc, tone=880)
            await enter_call(c, channel)
            first = parse_sdp(c.offers[0])
            assert [m.kind for m in first] == ["audio", "video"], \
                f"first offer must hold only the joiner's own lines: {[(m.kind, m.direction) for m in first]}"
            assert all(m.direction == "recvonly" for m in first), [m.direction for m in first]
            assert all(m.port != 0 for m in first)

            await c.wait_offers(2)
            second = parse_sdp(c.offers[1])
            assert [m.kind for m in second[:2]] == ["audio", "video"]
            assert [m.mid for m in second[:2]] == [m.mid for m in first], "own lines must keep their mids"
            remote = {(m.kind, m.msid_stream) for m in remote_lines(c.offers[1])}
            assert remote == {("audio", stream_of(ua)), ("video", stream_of(ua)),
                              ("audio", stream_of(ub))}, remote
            assert sdp_origin_version(c.offers[1]) > sdp_origin_version(c.offers[0])
            await wait_all(c.wait_hearing(ua, 440, HEAR_TIMEOUT), c.wait_hearing(ub, 660, HEAR_TIMEOUT))
            await c.changes.wait_until(lambda: c.peer.video_frames.get(stream_of(ua), 0) >= 5,
                                       HEAR_TIMEOUT, "C decoding A's video", describe=c.describe)
    run(scenario())


# --------------------------------------------------------------- heartbeat

BIG = 9007199254740993  # 2^53 + 1: a double would turn it into ...992


async def _check_heartbeats(c: GoChatClient):
    r = await c.heartbeat({"nonce": 1234567890123456789, "ts": BIG})
    d = r.msg["d"]
    assert d["pong"] is True
    assert d["nonce"] == 1234567890123456789 and d["ts"] == BIG, r.raw
    assert "9007199254740993" in r.raw and "1234567890123456789" in r.raw, r.raw
    assert isinstance(d["server_ts"], int) and abs(d["server_ts"] - time.time() * 1000) < 60_000
    r = await c.heartbeat({"nonce": "n-1", "ts": 1})
    assert r.msg["d"]["nonce"] == "n-1" and r.msg["d"]["ts"] == 1
    r = await c.heartbeat({})
    assert "nonce" not in r.msg["d"] and "ts" not in r.msg["d"], r.raw
    r = await c.heartbeat(None)  # {"op":2} without d
    assert r.msg["d"]["pong"] is True and "nonce" not in r.msg["d"], r.raw


def test_heartbeat_echoes_int64_nonce_and_ts_before_and_after_join(gochat_janus):
    channel = snowflake()

    async def scenario():
        async with Clients() as cl:
            c = await cl.gochat(snowflake(), tone=440)
            await _check_heartbeats(c)
            await enter_call(c, channel)
            await _check_heartbeats(c)
            # a client's reply to an SFU ping is not answered
            mark = len(c.received)
            await c.send(2, None, {"pong": True, "nonce": 7})
            r = await c.heartbeat({"nonce": 8})
            assert r.msg["d"]["nonce"] == 8
            assert not [x for x in c.received[mark:] if isinstance(x.msg, dict)
                        and x.msg.get("op") == 2 and x.msg.get("d", {}).get("nonce") == 7]
    run(scenario(), timeout=40)


# --------------------------------------------------------------- bad input

def test_malformed_input_after_join_is_answered_and_session_goes_on(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await wait_all(enter_call(a, channel), enter_call(b, channel))
            await b.wait_hearing(ua, 440, HEAR_TIMEOUT)

            async def expect_invalid(raw, t):
                mark = len(a.received)
                await a.send_raw(raw)
                m = await a.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == t
                                         and isinstance(m.get("d"), dict) and m["d"].get("ok") is False,
                                         5, since=mark, what=f"invalid message answer to {raw!r}")
                assert m["d"] == {"ok": False, "error": "invalid message"}, m

            await expect_invalid("this is not json", 0)
            await expect_invalid("[1,2,3]", 0)
            await expect_invalid(json.dumps({"op": 7, "t": 599, "d": {}}), 599)
            await expect_invalid(json.dumps({"op": 7, "t": 502, "d": {"sdp": 42}}), 502)
            assert not a.closed
            r = await a.heartbeat({"nonce": 1})
            assert r.msg["d"]["nonce"] == 1
            # media keeps flowing both ways
            await wait_all(b.wait_hearing(ua, 440, 5), a.wait_hearing(ub, 660, 5))
    run(scenario(), timeout=60)
