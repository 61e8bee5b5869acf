"""Steps of a GoChat call that many test files take: enter a call (alone,
or several people hearing each other), send a t 5xx request and wait for
its reply, read which streams the latest server offer carries, what a user
notices (keeps hearing, stays silent, re-offered without someone, closed
with a code), vanish without a goodbye. One definition each, so a fix or a
stricter check reaches every test at once."""

import asyncio
from typing import List, Optional, Set

from . import tokens
from .clients import OP_RTC, GoChatClient, stream_of
from .rtc import MLine, parse_sdp
from .waiting import holds

HEAR_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0     # a mute/kick takes effect well within this
HOLD = 1.5             # how long "nothing changes" must hold


async def enter_call(c: GoChatClient, channel: int, perms: int = tokens.PERMS_MEMBER,
                     moved: bool = False):
    """Join with a fresh token, answer the first offer, wait for ICE+DTLS."""
    ack = await c.join(channel, tokens.mint(c.user_id, channel, perms, moved=moved))
    assert ack == {"ok": True}, f"{c.name} join refused: {ack}"
    await c.wait_offers(1)
    await c.wait_connected()


async def call_with_tones(cl, channel: int, *people):
    """`people`: (user_id, tone Hz, perms). Everyone joins concurrently and
    every tone is heard by everyone else before the scenario goes on.
    `cl` is a harness.scenario.Clients."""
    clients = [await cl.gochat(u, tone=hz) for (u, hz, _) in people]
    await asyncio.gather(*(enter_call(c, channel, p) for c, (_, _, p) in zip(clients, people)))
    await asyncio.gather(*(x.wait_hearing(y.user_id, hz, HEAR_TIMEOUT)
                           for x in clients for y, (_, hz, _) in zip(clients, people) if x is not y))
    return clients


async def keeps_hearing(c: GoChatClient, user: int, hz: float, seconds: float = HOLD):
    await holds(c.changes, lambda: c.peer.hears(stream_of(user), hz), seconds,
                f"{c.name} keeps hearing {hz:.0f} Hz from {stream_of(user)}", c.describe)


async def stays_silent(c: GoChatClient, user: int, seconds: float = HOLD):
    await holds(c.changes, lambda: c.peer.silent(stream_of(user)), seconds,
                f"{c.name} hears nothing from {stream_of(user)}", c.describe)


async def reoffered_without(x: GoChatClient, user: int, mark: int):
    """`x` answered a re-offer (after `mark` answers) that no longer carries
    any of `user`'s tracks, and stopped hearing them."""
    await x.changes.wait_until(
        lambda: len(x.answers) > mark and len(x.answers) == len(x.offers)
        and stream_of(user) not in offered_streams(x),
        10, f"{x.name}: answered re-offer without {stream_of(user)}", describe=x.describe)
    await x.wait_not_hearing(user, STOP_TIMEOUT)


async def closed_with(c: GoChatClient, code: int, reason: str):
    got_code, got_reason = await c.wait_closed(5)
    assert (got_code, got_reason) == (code, reason), \
        f"{c.name}: socket closed with {got_code} {got_reason!r}, want {code} {reason!r}"


def remote_lines(offer_sdp: str) -> List[MLine]:
    """m-lines that carry someone's track: sendonly (or sendrecv) with an msid."""
    return [m for m in parse_sdp(offer_sdp)
            if m.direction in ("sendonly", "sendrecv") and m.msid_stream]


def offered_streams(c: GoChatClient, kind: Optional[str] = None) -> Set[str]:
    """Stream ids (`user-<id>`) the latest server offer forwards to `c`, of
    one kind ("audio", "video") or of every kind (None)."""
    if not c.offers:
        return set()
    return {m.msid_stream for m in remote_lines(c.offers[-1]) if kind is None or m.kind == kind}


async def send_rtc(c: GoChatClient, t: int, d: dict, *, ok_within: Optional[float] = None) -> int:
    """Send {op:7,t,d}; return the mark to look for replies after.

    With `ok_within` (seconds), also wait that long for the reply: the ack,
    or for 507/508 the broadcast the requester gets too; a refusal
    (`ok: false`) fails the test."""
    mark = len(c.received)
    await c.send(OP_RTC, t, d)
    if ok_within is not None:
        reply = await c.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == t and
                                     isinstance(m.get("d"), dict) and ("ok" in m["d"] or "user" in m["d"]),
                                     ok_within, since=mark, what=f"t {t} reply")
        assert reply["d"].get("ok", True) is True, reply
    return mark


async def expect(c: GoChatClient, t: int, d: dict, since: int, timeout: float = 5.0) -> dict:
    """Wait for exactly {op:7,t,d} after mark `since` (ids compared as Python
    ints: exact)."""
    return await c.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == t and m.get("d") == d,
                                timeout, since=since, what=f"{{op:7,t:{t},d:{d}}}")


async def vanish(c: GoChatClient):
    """Gone without a word: the TCP connection is dropped and the ICE
    sockets closed, no WebSocket close, no DTLS close_notify."""
    c.ws.transport.abort()
    if c.peer is not None:
        for t in c.peer.pc.getTransceivers():
            dtls = t.receiver.transport
            ice = getattr(dtls, "transport", None) if dtls is not None else None
            conn = getattr(ice, "_connection", None)
            if conn is not None:
                try:
                    await conn.close()
                except Exception:
                    pass
