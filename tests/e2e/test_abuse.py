"""Hostile input and failure, end to end (issue "Hostile input and failure",
parts 3 and 4). Contract: docs/protocol.md; docs/protocol.md,
docs/architecture-transport.md (limits, close codes), docs/security.md.

In every test two legitimate users, A (440 Hz) and B (660 Hz), talk in a
call of their own while an attacker does its worst on the same SFU. They
must not notice: the longest stretch without a heard audio frame in A->B
and in B->A during the attack stays under GAP_LIMIT (harness/gaps.py), A's
heartbeat keeps being answered promptly, and afterwards the SFU's state is
back to "A and B only" (plugin status, Janus admin API list_sessions, file
descriptors of the Janus process).

Socket floods run on their own event loop in a worker thread (`off_loop`),
so the attacker's CPU work never delays the decoding of A's and B's audio
in the test process: a gap measured here is the SFU's.
"""

import asyncio
import json
import time

import pytest
import websockets
from websockets.frames import OP_BINARY, OP_TEXT

from harness import gaps, tokens
from harness.admin import JanusAdmin, fd_count
from harness.calls import vanish
from harness.clients import (GOCHAT_URL, OP_HEARTBEAT, OP_RTC, T_ANSWER, T_JOIN, T_LEAVE,
                             T_OFFER, GoChatClient, stream_of)
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.waiting import poll_until

MEMBER = tokens.PERMS_MEMBER
MODERATOR = tokens.PERM_MUTE_MEMBERS | tokens.PERM_DEAFEN_MEMBERS | tokens.PERM_MOVE_MEMBERS
T_SERVER_MUTE, T_SERVER_DEAFEN, T_KICK, T_BLOCK, T_MOVE = 507, 508, 510, 511, 512

# One Janus for the whole file: a short join timeout, the admin API, a short
# empty-room ttl (rooms of earlier tests are gone quickly).
ABUSE_CFG = dict(join_timeout_ms=2000, admin_ws=True, empty_room_ttl=2)
MAX_MESSAGE = 262144            # JanusConfig default max_message_size
GAP_LIMIT = 0.5                 # s: longest tolerated hole in A's or B's audio
HEARTBEAT_RTT_LIMIT = 0.5       # s: A's heartbeat during an attack
HEAR_TIMEOUT = 20.0
SETTLE = 1.0                    # s of audio still measured once the SFU is back to A and B
INVALID = {"ok": False, "error": "invalid message"}


@pytest.fixture
def abuse_janus(janus_factory):
    return janus_factory(**ABUSE_CFG)


# ------------------------------------------------------------------ helpers

class SilentClient(GoChatClient):
    """A GoChat client without WebRTC: it records server offers and never
    answers them (no PeerConnection, no cost)."""

    async def _offer_loop(self):
        while True:
            await self._offer_queue.get()


def minted(user, channel, perms=MEMBER, **kw):
    return tokens.mint(user, channel, perms, **kw)


async def off_loop(coro_fn, *args, timeout: float = 60.0):
    """Run `coro_fn(*args)` to completion on a fresh event loop in a worker
    thread, with a deadline."""
    def runner():
        return asyncio.run(asyncio.wait_for(coro_fn(*args), timeout))
    return await asyncio.to_thread(runner)


def rtc_replies(c: GoChatClient, since: int, t=None, d=None):
    return [m for m in c.rtc_messages(t, since) if d is None or m.get("d") == d]


class Call:
    """A and B in a channel of their own, each hearing the other, with gap
    watches on both directions and the admin API connected."""

    def __init__(self, janus):
        self.janus = janus
        self.channel = snowflake()
        self.ua, self.ub = users(2)
        self.figures = {}

    async def start(self, cl: Clients):
        self.a = await cl.gochat(self.ua, tone=440, name="A")
        self.b = await cl.gochat(self.ub, tone=660, name="B")
        for c in (self.a, self.b):
            ack = await c.join(self.channel, minted(c.user_id, self.channel))
            assert ack == {"ok": True}, ack
        await asyncio.gather(self.a.wait_offers(1), self.b.wait_offers(1))
        await asyncio.gather(self.a.wait_connected(), self.b.wait_connected())
        await asyncio.gather(self.b.wait_hearing(self.ua, 440, HEAR_TIMEOUT),
                             self.a.wait_hearing(self.ub, 660, HEAR_TIMEOUT))
        self.ab = gaps.watch(self.b.peer, stream_of(self.ua), "A->B")
        self.ba = gaps.watch(self.a.peer, stream_of(self.ub), "B->A")
        self.admin = await JanusAdmin().connect()
        # only A and B in the SFU (rooms of earlier tests may still expire)
        await poll_until(self._only_us, 10, "plugin status participants == 2, sessions == 2")
        self.pid = self.janus.proc.pid
        return self

    async def _only_us(self):
        st = await self.admin.sfu_status()
        return st.get("participants") == 2 and st.get("sessions") == 2 and st

    async def back_to_two(self, timeout=10.0):
        """Plugin status: A's and B's sessions and participants only; the
        Janus admin API lists exactly two sessions."""
        async def ok():
            st = await self.admin.sfu_status()
            return (st.get("participants") == 2 and st.get("sessions") == 2
                    and len(await self.admin.sessions()) == 2) and st
        try:
            st = await poll_until(ok, timeout, "SFU back to A and B only")
            # the gap window goes on for SETTLE s more: a late effect of the
            # attack (a teardown, a timer) would show as a gap too
            end = time.monotonic() + SETTLE
            await self.b.changes.wait_until(lambda: time.monotonic() >= end, SETTLE + 5,
                                            "settle window")
            return st
        except AssertionError:
            st = await self.admin.sfu_status()
            sessions = await self.admin.all_handles()
            raise AssertionError(f"SFU not back to A and B only after {timeout}s: plugin status {st}, "
                                 f"Janus sessions/handles {sessions}")

    def window(self):
        return gaps.GapWindow([self.ab, self.ba])

    async def attack(self, coro_fn, *args):
        """Runs an attack off the call's event loop while measuring A's
        responsiveness, then waits until the SFU is back to A and B only.
        Returns (what the attack observed, A's worst heartbeat round trip)."""
        job = asyncio.ensure_future(off_loop(coro_fn, *args))
        rtt = await self.responsive_during(job)
        out = job.result()
        await self.back_to_two()
        return out, rtt

    async def heartbeat_rtt(self) -> float:
        t0 = time.monotonic()
        await self.a.heartbeat({"nonce": 1}, timeout=5)
        return time.monotonic() - t0

    async def responsive_during(self, task: asyncio.Future) -> float:
        """A's worst heartbeat round trip while `task` runs (at least one)."""
        worst = await self.heartbeat_rtt()
        while not task.done():
            worst = max(worst, await self.heartbeat_rtt())
            await asyncio.wait({task}, timeout=0.1)
        return worst

    async def still_fine(self, w: gaps.GapWindow, what: str, rtt: float = None):
        w.assert_max(GAP_LIMIT, what)
        assert not self.a.closed and not self.b.closed, (self.a.describe(), self.b.describe())
        rtt = max(rtt or 0.0, await self.heartbeat_rtt())
        assert rtt <= HEARTBEAT_RTT_LIMIT, f"{what}: A's heartbeat took {rtt * 1000:.0f} ms"
        print(f"[abuse] {what}: {w.report()}; A heartbeat worst {rtt * 1000:.0f} ms")

    async def close(self):
        await self.admin.close()


# ------------------------------------------------------------------ 0. the instrument

def test_gap_meter_sees_a_one_second_self_mute(abuse_janus):
    """Control: the gap measurement reports a hole that is really there (A
    self-mutes for 1 s: A->B shows a gap of about 1 s, B->A none)."""
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                with call.window() as w:
                    await call.a.send(OP_RTC, 505, {"muted": True})
                    await call.b.wait_not_hearing(call.ua, 5)
                    end = time.monotonic() + 1.0
                    await call.b.changes.wait_until(lambda: time.monotonic() >= end, 6, "1 s muted")
                    await call.a.send(OP_RTC, 505, {"muted": False})
                    await call.b.wait_hearing(call.ua, 440, 5)
                print(f"[abuse] control, A muted 1 s: {w.report()}")
                ab, ba = w.result["A->B"][0], w.result["B->A"][0]
                assert ab >= 1.0, w.report()
                assert ba <= GAP_LIMIT, w.report()
            finally:
                await call.close()
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 1. idle sockets

IDLE_SOCKETS = 200


async def _idle_sockets(n: int, limit: float):
    """Open `n` sockets that never join; return (open durations, close
    codes/reasons, last message each got)."""
    async def one(i):
        ws = await websockets.connect(GOCHAT_URL, ping_interval=None, open_timeout=10,
                                      close_timeout=2, max_size=None)
        opened = time.monotonic()
        last = None
        try:
            async for raw in ws:
                last = raw
        except websockets.ConnectionClosed:
            pass
        return time.monotonic() - opened, ws.close_code, ws.close_reason, last

    return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), limit)


def test_200_sockets_that_never_join_are_closed_after_join_timeout_and_leave_nothing(abuse_janus):
    join_timeout = ABUSE_CFG["join_timeout_ms"] / 1000

    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                fds0 = fd_count(call.pid)
                sessions0 = await call.admin.sessions()
                peak = {"sessions": 0, "fds": 0}
                with call.window() as w:
                    flood = asyncio.ensure_future(off_loop(_idle_sockets, IDLE_SOCKETS,
                                                           join_timeout + 15))

                    async def watch_peak():
                        while not flood.done():
                            peak["sessions"] = max(peak["sessions"], len(await call.admin.sessions()))
                            peak["fds"] = max(peak["fds"], fd_count(call.pid))
                            await asyncio.wait({flood}, timeout=0.2)
                    rtt, _ = await asyncio.gather(call.responsive_during(flood), watch_peak())
                    results = flood.result()
                    t0 = time.monotonic()
                    fds = await poll_until(lambda: fd_count(call.pid) <= fds0 and fd_count(call.pid),
                                           10, f"Janus fds back to {fds0}")
                    fd_settle = time.monotonic() - t0
                    await call.back_to_two()
                assert sorted(await call.admin.sessions()) == sorted(sessions0)
                codes = {}
                for _, code, reason, _ in results:
                    codes[(code, reason)] = codes.get((code, reason), 0) + 1
                assert codes == {(1008, "join timeout"): IDLE_SOCKETS}, codes
                lasts = {r[3] for r in results}
                refusal = json.dumps({"op": OP_RTC, "t": T_JOIN,
                                      "d": {"ok": False, "error": "join timeout"}})
                assert all(json.loads(x) == json.loads(refusal) for x in lasts), lasts
                durations = sorted(r[0] for r in results)
                assert durations[0] >= join_timeout - 0.5, f"closed after {durations[0]:.2f}s"
                assert durations[-1] <= join_timeout + 3, f"closed after {durations[-1]:.2f}s"
                print(f"[abuse] idle sockets: {IDLE_SOCKETS} closed 1008 'join timeout' after "
                      f"{durations[0]:.2f}..{durations[-1]:.2f}s; Janus fds {fds0} -> peak "
                      f"{peak['fds']} -> {fds} ({fd_settle:.1f}s after the last close); Janus "
                      f"sessions {len(sessions0)} -> peak {peak['sessions']} -> {len(sessions0)}")
                await call.still_fine(w, f"{IDLE_SOCKETS} sockets that never join", rtt)
            finally:
                await call.close()
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ 2. oversize

async def _oversize(channel: int, user: int, user2: int, user3: int):
    """Returns a dict of what each oversize sender observed."""
    out = {}
    # before join: one frame of max_message_size + 1 bytes
    pre = await websockets.connect(GOCHAT_URL, ping_interval=None, max_size=None, close_timeout=2)
    await pre.send("x" * (MAX_MESSAGE + 1))
    await pre.wait_closed()
    out["pre-join frame"] = (pre.close_code, pre.close_reason)

    async def joined(u):
        c = SilentClient(u, name=f"oversize-{u}")
        await c.connect()
        ack = await c.join(channel, minted(u, channel))
        assert ack == {"ok": True}, ack
        return c

    # a message of exactly max_message_size is fine (answered)
    c = await joined(user)
    pad = MAX_MESSAGE - len(json.dumps({"op": 2, "d": {"nonce": ""}}))
    exact = json.dumps({"op": 2, "d": {"nonce": "n" * pad}})
    assert len(exact.encode()) == MAX_MESSAGE
    mark = len(c.received)
    await c.send_raw(exact)
    pong = await c.wait_message(lambda m: m.get("op") == OP_HEARTBEAT, 10, since=mark,
                                what="pong to a max-size heartbeat")
    out["exact size answered"] = pong["d"].get("nonce") == "n" * pad and not c.closed
    # ...one byte more closes with 1009
    await c.send_raw(json.dumps({"op": 2, "d": {"nonce": "n" * (pad + 1)}}))
    out["joined frame"] = await c.wait_closed(10)
    await c.close()

    # one message in fragments that add up to more than the limit
    c = await joined(user2)
    chunk = "y" * (MAX_MESSAGE // 3 + 1)
    await c.ws.send(iter(['{"op":2,"d":{"nonce":"', chunk, chunk, chunk, '"}}']))
    out["joined fragments"] = await c.wait_closed(10)
    await c.close()

    # a huge binary frame
    c = await joined(user3)
    await c.ws.send(b"\0" * (4 * MAX_MESSAGE))
    out["joined binary"] = await c.wait_closed(10)
    await c.close()
    return out


def test_frames_over_max_message_size_close_that_socket_with_1009(abuse_janus):
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                with call.window() as w:
                    u1, u2, u3 = users(3)
                    out, rtt = await call.attack(_oversize, call.channel, u1, u2, u3)
                print(f"[abuse] oversize: {out}")
                assert out["exact size answered"], out
                for key in ("pre-join frame", "joined frame", "joined fragments", "joined binary"):
                    assert out[key] == (1009, "message too big"), (key, out)
                await call.still_fine(w, "frames over max_message_size", rtt)
            finally:
                await call.close()
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 3. bad frames

DEEP = 10_000


async def _write_raw(ws, opcode: int, data: bytes):
    """A frame websockets would refuse to build (e.g. a text frame that is
    not UTF-8)."""
    await ws.write_frame(True, opcode, data)


async def _bad_frames(channel: int, user: int):
    out = {}
    # before join each of these is a refused join: invalid message, 1008
    for name, opcode, data in (("binary", OP_BINARY, b'{"op":2,"d":{}}'),
                               ("invalid utf-8", OP_TEXT, b'{"op":2,"d":{"x":"\xff\xfe"}}'),
                               ("deep json", OP_TEXT, ("[" * DEEP + "]" * DEEP).encode())):
        ws = await websockets.connect(GOCHAT_URL, ping_interval=None, max_size=None, close_timeout=2)
        await _write_raw(ws, opcode, data)
        msgs = []
        try:
            async for raw in ws:
                msgs.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        out[f"pre-join {name}"] = (ws.close_code, ws.close_reason, msgs)

    # after join: answered invalid message (t 0 or the envelope's t), the
    # session goes on
    c = SilentClient(user, name="bad-frames")
    await c.connect()
    ack = await c.join(channel, minted(user, channel))
    assert ack == {"ok": True}, ack
    deep_envelope = ('{"op":7,"t":505,"d":' + '{"a":' * DEEP + "1" + "}" * DEEP + "}").encode()
    cases = (("binary", OP_BINARY, b'{"op":2,"d":{}}'),
             ("invalid utf-8", OP_TEXT, b'{"op":7,"t":505,"d":{"muted":"\xc3\x28"}}'),
             ("lone surrogate", OP_TEXT, b'{"op":7,"t":505,"d":{"muted":"\xed\xa0\x80"}}'),
             ("deep json array", OP_TEXT, ("[" * DEEP + "]" * DEEP).encode()),
             ("deep json envelope", OP_TEXT, deep_envelope))
    for name, opcode, data in cases:
        mark = len(c.received)
        await _write_raw(c.ws, opcode, data)
        try:
            m = await c.wait_message(lambda m: m.get("op") == OP_RTC and m.get("d") == INVALID,
                                     5, since=mark, what=f"invalid message for {name}")
            out[f"joined {name}"] = ("answered", m.get("t"), c.closed)
        except AssertionError:
            out[f"joined {name}"] = ("no answer", c.close_code, c.close_reason)
            break
    if not c.closed:
        r = await c.heartbeat({"nonce": 42})
        out["joined heartbeat after"] = r.msg["d"].get("nonce")
    out["joined socket closed"] = (c.closed, c.close_code, c.close_reason)
    await c.close()
    return out


def test_binary_invalid_utf8_and_10000_deep_json_are_invalid_messages(abuse_janus):
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                with call.window() as w:
                    out, rtt = await call.attack(_bad_frames, call.channel, snowflake())
                print(f"[abuse] bad frames: {out}")
                for name in ("binary", "invalid utf-8", "deep json"):
                    code, reason, msgs = out[f"pre-join {name}"]
                    assert (code, reason) == (1008, "invalid message"), (name, out)
                    assert msgs == [{"op": OP_RTC, "t": T_JOIN, "d": INVALID}], (name, msgs)
                for name in ("binary", "invalid utf-8", "lone surrogate", "deep json array",
                             "deep json envelope"):
                    assert out[f"joined {name}"][0] == "answered", (name, out)
                    assert out[f"joined {name}"][2] is False, (name, out)
                assert out["joined heartbeat after"] == 42, out
                await call.still_fine(w, "binary, invalid UTF-8, 10,000-deep JSON", rtt)
            finally:
                await call.close()
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 4. heartbeat burst

BURST = 10_000


async def _heartbeat_burst(channel: int, user: int):
    c = SilentClient(user, name="heartbeat-burst", answer_pong=False)
    await c.connect()
    ack = await c.join(channel, minted(user, channel))
    assert ack == {"ok": True}, ack
    t0 = time.monotonic()
    # one write per heartbeat, as fast as the socket takes them
    for i in range(BURST):
        await c.ws.send('{"op":2,"d":{"nonce":%d}}' % i)
    sent = time.monotonic() - t0

    def pongs():
        return [r.msg["d"].get("nonce") for r in c.received
                if isinstance(r.msg, dict) and r.msg.get("op") == OP_HEARTBEAT]
    try:
        await c.changes.wait_until(lambda: len(pongs()) >= BURST or c.closed, 30,
                                   "all pongs or a close")
    finally:
        answered = time.monotonic() - t0
    nonces = pongs()
    out = {"sent_s": sent, "answered_s": answered, "pongs": len(nonces),
           "in_order": nonces == list(range(len(nonces))), "closed": c.closed,
           "close": (c.close_code, c.close_reason)}
    if not c.closed:
        r = await c.heartbeat({"nonce": -1})
        out["after"] = r.msg["d"].get("nonce")
    await c.close()
    return out


def test_10000_heartbeats_in_a_burst_are_all_answered_and_the_sfu_stays_responsive(abuse_janus):
    """Documented outcome (docs/security.md): a client that reads gets every
    pong, in order; the `too slow` close (1008) is for a client that does not
    read (unsent output over 16 x max_message_size, ~4 MiB, far above the
    ~0.5 MB of 10,000 pongs)."""
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                with call.window() as w:
                    out, rtt = await call.attack(_heartbeat_burst, call.channel, snowflake())
                print(f"[abuse] heartbeat burst: {out}")
                assert out["pongs"] == BURST and out["in_order"] and not out["closed"], out
                assert out["after"] == -1, out
                await call.still_fine(w, f"{BURST} heartbeats in a burst", rtt)
            finally:
                await call.close()
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ 5. malformed envelopes

MALFORMED = 1000


def _malformed(i: int) -> str:
    kinds = (
        "not json {",
        "[1,2,3]",
        '"a string"',
        "12345",
        "null",
        '{"op":"7","t":505,"d":{"muted":true}}',
        '{"op":7,"t":"505","d":{"muted":true}}',
        '{"op":7,"t":599,"d":{}}',
        '{"op":99,"t":500,"d":{}}',
        '{"op":7,"t":505,"d":[]}',
        '{"op":7,"t":505,"d":{"muted":"yes"}}',
        '{"op":7,"t":507,"d":{"user":"123","muted":true}}',
        '{"op":7,"t":510,"d":{"user":1.5}}',
        '{"op":7,"t":512,"d":{"user":1,"channel":"x"}}',
        '{"op":7,"t":502,"d":{"sdp":42}}',
        '{"op":7,"t":505,"d":{"muted":true},"op":7}',
        '{"op":7,"t":500,"d":{"channel":1,"token":"x"}}',
        "{}",
    )
    return kinds[i % len(kinds)]


async def _malformed_flood(channel: int, user: int):
    c = SilentClient(user, name="malformed")
    await c.connect()
    ack = await c.join(channel, minted(user, channel))
    assert ack == {"ok": True}, ack
    mark = len(c.received)
    t0 = time.monotonic()
    for i in range(MALFORMED):
        await c.ws.send(_malformed(i))

    def answers():
        return [r.msg for r in c.received[mark:] if isinstance(r.msg, dict)
                and r.msg.get("op") == OP_RTC and isinstance(r.msg.get("d"), dict)
                and r.msg["d"].get("ok") is False]
    try:
        await c.changes.wait_until(lambda: len(answers()) >= MALFORMED or c.closed, 30,
                                   f"{MALFORMED} answers")
    except AssertionError:
        pass
    got = answers()
    out = {"answers": len(got), "s": time.monotonic() - t0,
           "errors": sorted({m["d"].get("error") for m in got}),
           "closed": (c.closed, c.close_code, c.close_reason)}
    if not c.closed:
        out["heartbeat after"] = (await c.heartbeat({"nonce": 7})).msg["d"].get("nonce")
        mark2 = len(c.received)
        await c.send(OP_RTC, 505, {"muted": True})  # a valid request still works
        ok = await c.wait_message(lambda m: m.get("t") == 505 and m.get("d") == {"ok": True}, 5,
                                  since=mark2, what="mute_self ok after the flood")
        out["valid request after"] = ok["d"]
    await c.close()
    return out


def test_1000_malformed_envelopes_from_a_joined_client_are_each_answered_and_it_stays(abuse_janus):
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                with call.window() as w:
                    out, rtt = await call.attack(_malformed_flood, call.channel, snowflake())
                print(f"[abuse] malformed flood: {out}")
                assert out["closed"][0] is False, out
                assert out["answers"] == MALFORMED and out["errors"] == ["invalid message"], out
                assert out["heartbeat after"] == 7 and out["valid request after"] == {"ok": True}, out
                await call.still_fine(w, f"{MALFORMED} malformed envelopes", rtt)
            finally:
                await call.close()
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ 6. negotiation abuse

OFFER_FLOOD = 100


async def _throwaway_offer() -> str:
    """A valid client offer (audio sendrecv + video recvonly) from a
    PeerConnection nobody keeps."""
    from aiortc import RTCPeerConnection
    from harness.rtc import ToneTrack, install_aiortc_patches
    install_aiortc_patches()
    pc = RTCPeerConnection()
    tone = ToneTrack(500)
    pc.addTransceiver(tone, direction="sendrecv")
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    tone.stop()
    return sdp


def test_clients_that_never_answer_vanish_mid_ice_or_flood_offers_do_not_affect_a_call(abuse_janus):
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            ch = call.channel
            try:
                with call.window() as w:
                    un, uv, uo = users(3)
                    # 1. joins and never answers the server's offer
                    never = SilentClient(un, name="never-answers")
                    cl.all.append(never)
                    await never.connect()
                    assert await never.join(ch, minted(un, ch)) == {"ok": True}
                    await never.changes.wait_until(lambda: never.offers, 5, "first offer")

                    # 2. answers, then vanishes while ICE/DTLS is under way
                    vanisher = await cl.gochat(uv, tone=550, name="vanisher")
                    assert await vanisher.join(ch, minted(uv, ch)) == {"ok": True}
                    await vanisher.wait_offers(1)
                    await vanish(vanisher)

                    # 3. connects, then sends 100 offers in a row
                    flooder = await cl.gochat(uo, tone=770, name="offer-flooder")
                    assert await flooder.join(ch, minted(uo, ch)) == {"ok": True}
                    await flooder.wait_offers(1)
                    await flooder.wait_connected()
                    # its own PeerConnection's renegotiation offer (same ICE
                    # credentials, fingerprint, mids and payload types), never
                    # applied locally, sent 100 times without waiting
                    offer = (await flooder.peer.pc.createOffer()).sdp
                    mark = len(flooder.received)
                    t0 = time.monotonic()
                    for _ in range(OFFER_FLOOD):
                        await flooder.send(OP_RTC, T_OFFER, {"sdp": offer})

                    def replies(since=mark):
                        out = []
                        for m in flooder.rtc_messages(since=since):
                            d = m.get("d") if isinstance(m.get("d"), dict) else {}
                            if m.get("t") == T_ANSWER and "sdp" in d:
                                out.append("answer")
                            elif m.get("t") in (T_OFFER, 0) and d.get("ok") is False:
                                out.append(d.get("error"))
                        return out
                    try:
                        await flooder.changes.wait_until(
                            lambda: len(replies()) >= OFFER_FLOOD or flooder.closed, 30,
                            f"{OFFER_FLOOD} replies")
                    except AssertionError:
                        pass
                    got = replies()
                    flood_s = time.monotonic() - t0
                    kinds = {k: got.count(k) for k in set(got)}
                    # then 10 offers of a foreign PeerConnection (other ICE
                    # credentials, fingerprint and payload types): each gets a
                    # reply (Janus refuses them: invalid message)
                    foreign = await _throwaway_offer()
                    mark2 = len(flooder.received)
                    for _ in range(10):
                        await flooder.send(OP_RTC, T_OFFER, {"sdp": foreign})
                    try:
                        await flooder.changes.wait_until(
                            lambda: len(replies(mark2)) >= 10 or flooder.closed, 15, "10 replies")
                    except AssertionError:
                        pass
                    foreign_got = replies(mark2)
                    foreign_kinds = {k: foreign_got.count(k) for k in set(foreign_got)}
                    # the flooder can still leave cleanly
                    leave_mark = len(flooder.received)
                    flood_closed = flooder.closed
                    if not flooder.closed:
                        await flooder.leave()
                        await flooder.wait_message(lambda m: m.get("t") == T_LEAVE, 10,
                                                   since=leave_mark, what="leave ack")
                        await flooder.wait_closed(5)
                    st_during = await call.admin.sfu_status()
                    await never.close()
                    await call.back_to_two()
                print(f"[abuse] offer flood: {len(got)} replies in {flood_s:.1f}s: {kinds}; "
                      f"foreign offers: {foreign_kinds}; "
                      f"flooder closed during flood: {flood_closed}; "
                      f"status before the never-answering client left: {st_during}")
                assert not flood_closed, flooder.describe()
                assert len(got) == OFFER_FLOOD, kinds
                assert set(kinds) <= {"answer", "offer in flight"}, kinds
                assert len(foreign_got) == 10, foreign_kinds
                assert st_during.get("participants") == 3, st_during  # A, B, never-answers
                await call.still_fine(w, "never-answers, vanisher, 100 offers", None)
            finally:
                await call.close()
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ 7. privileges

FORBIDDEN = ((T_SERVER_MUTE, lambda u: {"user": u, "muted": True}),
             (T_SERVER_DEAFEN, lambda u: {"user": u, "deafened": True}),
             (T_KICK, lambda u: {"user": u}),
             (T_BLOCK, lambda u: {"user": u, "block": True}),
             (T_MOVE, lambda u: {"user": u, "channel": snowflake()}))


def test_privileged_requests_from_members_and_from_moderators_of_other_channels_change_nothing(abuse_janus):
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            a, b, ua = call.a, call.b, call.ua
            try:
                marks = {x: len(x.received) for x in (a, b)}
                with call.window() as w:
                    # an unprivileged member of A's own channel
                    member = SilentClient(snowflake(), name="member")
                    cl.all.append(member)
                    await member.connect()
                    assert await member.join(call.channel, minted(member.user_id, call.channel)) \
                        == {"ok": True}
                    for t, make in FORBIDDEN:
                        mark = len(member.received)
                        await member.send(OP_RTC, t, make(ua))
                        m = await member.wait_message(
                            lambda m: m.get("t") == t and isinstance(m.get("d"), dict)
                            and "ok" in m["d"], 5, since=mark, what=f"reply to t {t}")
                        assert m["d"] == {"ok": False, "error": "forbidden"}, (t, m)

                    # a moderator of another channel X names A (who is in Y)
                    x = snowflake()
                    mod = SilentClient(snowflake(), name="moderator-X")
                    cl.all.append(mod)
                    await mod.connect()
                    assert await mod.join(x, minted(mod.user_id, x, MEMBER | MODERATOR)) == {"ok": True}
                    outcome = {}
                    for t, d in ((T_KICK, {"user": ua}),
                                 (T_MOVE, {"user": ua, "channel": x}),
                                 (T_MOVE, {"user": ua, "channel": call.channel}),
                                 (T_SERVER_MUTE, {"user": ua, "muted": True}),
                                 (T_SERVER_DEAFEN, {"user": ua, "deafened": True}),
                                 (T_BLOCK, {"user": ua, "block": True})):
                        mark = len(mod.received)
                        await mod.send(OP_RTC, t, d)
                        m = await mod.wait_message(lambda m: m.get("t") == t, 5, since=mark,
                                                   what=f"reply to t {t}")
                        outcome[(t, json.dumps(d))] = m["d"]
                    await member.close()
                    await mod.close()
                    await call.back_to_two()
                print(f"[abuse] moderator of channel X on a user in Y: {outcome}")
                assert outcome[(T_KICK, json.dumps({"user": ua}))] == {"ok": False, "error": "not found"}
                for key, d in outcome.items():
                    if key[0] == T_MOVE:
                        assert d == {"ok": False, "error": "not found"}, (key, d)
                # 507/508/511 on an absent user wait for them in X: announced in X only
                assert outcome[(T_SERVER_MUTE, json.dumps({"user": ua, "muted": True}))] == \
                    {"user": ua, "muted": True}
                assert outcome[(T_SERVER_DEAFEN, json.dumps({"user": ua, "deafened": True}))] == \
                    {"user": ua, "deafened": True}
                assert outcome[(T_BLOCK, json.dumps({"user": ua, "block": True}))] == \
                    {"user": ua, "block": True}
                for c in (a, b):
                    told = [m for m in c.rtc_messages(since=marks[c])
                            if m.get("t") in (T_SERVER_MUTE, T_SERVER_DEAFEN, T_KICK, T_BLOCK, T_MOVE)]
                    assert not told, f"{c.name} was told: {told}"
                # A is heard and hears (the gap window covers the whole time)
                await call.still_fine(w, "privileged requests from members and other channels", None)
                assert b.peer.hears(stream_of(ua), 440) and a.peer.hears(stream_of(call.ub), 660)
            finally:
                await call.close()
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 8. replayed token

def test_replayed_token_of_a_kicked_user_rejoins_until_blocked(abuse_janus):
    """A kick is not a ban: the kicked user's token (valid 2 minutes) joins
    again; only a block keeps it out (and a moved=true token passes even
    that, docs/protocol.md). Documented in docs/security.md."""
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            ch = call.channel
            try:
                with call.window() as w:
                    uv = snowflake()
                    token = minted(uv, ch)          # captured once, replayed below
                    mod = SilentClient(snowflake(), name="moderator")
                    cl.all.append(mod)
                    await mod.connect()
                    assert await mod.join(ch, minted(mod.user_id, ch, MEMBER | MODERATOR)) == {"ok": True}

                    async def victim_joins():
                        v = SilentClient(uv, name="victim")
                        cl.all.append(v)
                        await v.connect()
                        return v, await v.join(ch, token)

                    async def moderate(t, d, want):
                        mark = len(mod.received)
                        await mod.send(OP_RTC, t, d)
                        await mod.wait_message(lambda m: m.get("t") == t and m.get("d") == want, 5,
                                               since=mark, what=f"t {t} -> {want}")

                    v1, ack = await victim_joins()
                    assert ack == {"ok": True}
                    await moderate(T_KICK, {"user": uv}, {"ok": True})
                    assert await v1.wait_closed() == (1000, "kicked")

                    v2, ack = await victim_joins()      # replay after the kick
                    replay_after_kick = ack
                    await moderate(T_BLOCK, {"user": uv, "block": True}, {"user": uv, "block": True})
                    blocked_close = await v2.wait_closed()

                    v3, ack = await victim_joins()      # replay while blocked
                    replay_while_blocked = (ack, await v3.wait_closed())

                    await moderate(T_BLOCK, {"user": uv, "block": False}, {"user": uv, "block": False})
                    v4, ack = await victim_joins()      # replay after the unblock
                    replay_after_unblock = ack
                    await v4.close()
                    await mod.close()
                    await call.back_to_two()
                print(f"[abuse] replayed token: after kick {replay_after_kick}; blocked: close "
                      f"{blocked_close}; while blocked {replay_while_blocked}; after unblock "
                      f"{replay_after_unblock}")
                assert replay_after_kick == {"ok": True}
                assert blocked_close == (1000, "blocked")
                assert replay_while_blocked == ({"ok": False, "error": "blocked"}, (1008, "blocked"))
                assert replay_after_unblock == {"ok": True}
                await call.still_fine(w, "replayed token of a kicked user", None)
            finally:
                await call.close()
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ negotiation timeout

def test_a_client_that_never_answers_is_removed_after_answer_timeout(janus_factory):
    """A client that joins and never answers the server's offer is told
    `negotiation timeout` and closed after `answer_timeout`, and the others
    are re-offered without it, while the call goes on."""
    janus = janus_factory(**dict(ABUSE_CFG, answer_timeout=2))

    async def scenario():
        async with Clients() as cl:
            call = await Call(janus).start(cl)
            try:
                with call.window() as w:
                    silent_user = users(1)[0]
                    silent = SilentClient(silent_user, name="never-answers")
                    cl.all.append(silent)
                    await silent.connect()
                    t0 = time.monotonic()
                    assert await silent.join(call.channel, minted(silent_user, call.channel)) == {"ok": True}
                    notice = await silent.wait_message(
                        lambda m: m.get("op") == OP_RTC and m.get("t") == 501 and
                        isinstance(m.get("d"), dict) and m["d"].get("ok") is False,
                        10, what="negotiation timeout (t 501)")
                    waited = time.monotonic() - t0
                    assert notice["d"] == {"ok": False, "error": "negotiation timeout"}, notice
                    code, reason = await silent.wait_closed(5)
                    assert (code, reason) == (1008, "negotiation timeout"), (code, reason)
                    assert 1.5 <= waited <= 6.0, f"removed after {waited:.1f} s, answer_timeout is 2 s"
                    await call.back_to_two()
                await call.still_fine(w, "a client that never answers, removed by answer_timeout")
            finally:
                await call.close()
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ sockets that close at once

async def _connect_and_drop(count: int):
    """Opens `count` sockets, 20 at a time, each sending an oversize frame at
    once: the SFU closes it (1009) in the same breath as it asked Janus for
    its session, so some sockets are gone before their session exists."""
    oversize = "x" * (MAX_MESSAGE + 1)

    async def one():
        ws = await websockets.connect(GOCHAT_URL, ping_interval=None, max_size=None, close_timeout=2)
        await ws.send(oversize)
        await ws.wait_closed()
    for start in range(0, count, 20):
        await asyncio.gather(*(one() for _ in range(min(20, count - start))), return_exceptions=True)


def test_sockets_that_close_at_once_leave_no_janus_session_behind(abuse_janus):
    """A socket that closes while its Janus session is still being created
    must not leave that session behind until Janus's session timeout."""
    async def scenario():
        async with Clients() as cl:
            call = await Call(abuse_janus).start(cl)
            try:
                sessions0 = sorted(await call.admin.sessions())
                with call.window() as w:
                    await off_loop(_connect_and_drop, 100)
                    await poll_until(lambda: _same_sessions(call, sessions0), 10,
                                     f"Janus sessions back to {len(sessions0)}")
                    await call.back_to_two()
                await call.still_fine(w, "100 sockets closed at once (1009)")
            finally:
                await call.close()
    run(scenario(), timeout=60)


async def _same_sessions(call, expected):
    return sorted(await call.admin.sessions()) == expected
