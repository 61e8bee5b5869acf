"""Steps of a GoChat call that many test files take: enter a call, send a
t 5xx request and wait for its reply, read which streams the latest server
offer carries, vanish without a goodbye. One definition each, so a fix or a
stricter check reaches every test at once."""

from typing import List, Optional, Set

from . import tokens
from .clients import OP_RTC, GoChatClient
from .rtc import MLine, parse_sdp


async def enter_call(c: GoChatClient, channel: int, perms: int = tokens.PERMS_MEMBER,
                     moved: bool = False):
    """Join with a fresh token, answer the first offer, wait for ICE+DTLS."""
    ack = await c.join(channel, tokens.mint(c.user_id, channel, perms, moved=moved))
    assert ack == {"ok": True}, f"{c.name} join refused: {ack}"
    await c.wait_offers(1)
    await c.wait_connected()


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
