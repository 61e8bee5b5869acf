"""Swapping transports changes nothing in the room (docs/plugin-api.md: the
room logic lives in the plugin, whatever the transport): a participant on the GoChat
transport ({op,t,d} on :3300) and one on Janus's stock WebSocket transport
(plain Janus API, `janus-protocol`, :8188) share a room, hear each other,
and a moderator on either side acts on the other. Contract: docs/protocol.md
(voice control), docs/plugin-api.md."""

import asyncio

from harness import tokens
from harness.calls import enter_call, expect, offered_streams
from harness.clients import OP_RTC, JanusApiClient, stream_of
from harness.ids import snowflake, users
from harness.rtc import ToneTrack
from harness.scenario import Clients, run
from harness.waiting import holds

PLUGIN = "janus.plugin.gochat.sfu"
MEMBER = tokens.PERMS_MEMBER
HEAR_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
HOLD = 1.5


def plugin_data(m: dict) -> dict:
    return (m.get("plugindata") or {}).get("data") or {}


async def plain_join(p: JanusApiClient, channel: int, user: int, perms: int, hz: float):
    """Attach, answer every server offer with a tone, join; wait until the
    PeerConnection is up."""
    await p.attach(PLUGIN)
    p.start_answering_offers(audio_track=ToneTrack(hz))
    mark = len(p.received)
    await p.message({"request": "join", "channel": channel, "token": tokens.mint(user, channel, perms)})
    joined = await p.wait_event(lambda m: plugin_data(m).get("t") == 500, 10, since=mark,
                                what="join outcome (t 500)")
    assert plugin_data(joined).get("d") == {"ok": True}, joined
    await p.changes.wait_until(lambda: p.peer is not None and p.peer.connection_state == "connected",
                               15, f"{p.name}: PeerConnection connected", describe=lambda: describe_plain(p))


async def plain_request(p: JanusApiClient, body: dict) -> int:
    """Send a plugin request; return the mark to look for its outcome after
    (the outcome is an asynchronous event)."""
    mark = len(p.received)
    await p.request({"janus": "message", "handle_id": p.handle_id, "body": body}, accept=("ack",))
    return mark


def describe_plain(p: JanusApiClient) -> str:
    bits = [f"closed={p.closed}", f"offers={len(getattr(p, 'offers', []))}"]
    if p.peer:
        bits += [f"pc={p.peer.connection_state}", p.peer.describe_audio()]
    bits.append(f"events={[plugin_data(r.msg) for r in p.received[-4:] if 'plugindata' in r.msg]}")
    return "; ".join(bits)


async def plain_hearing(p: JanusApiClient, user: int, hz: float, timeout: float = HEAR_TIMEOUT):
    await p.changes.wait_until(lambda: p.peer is not None and p.peer.hears(stream_of(user), hz), timeout,
                               f"{p.name} hearing {hz:.0f} Hz from {stream_of(user)}",
                               describe=lambda: describe_plain(p))


async def plain_not_hearing(p: JanusApiClient, user: int, timeout: float = STOP_TIMEOUT):
    await p.changes.wait_until(lambda: p.peer is not None and p.peer.silent(stream_of(user)), timeout,
                               f"{p.name}: {stream_of(user)} silent", describe=lambda: describe_plain(p))


def test_plain_api_moderator_server_mutes_a_gochat_user_and_nobody_hears_them(gochat_janus):
    channel = snowflake()
    up, ug, ul = users(3)

    async def scenario():
        async with Clients() as cl:
            p = await cl.janus("plain-moderator")
            g = await cl.gochat(ug, tone=660)
            listener = await cl.gochat(ul, tone=880)
            await asyncio.gather(plain_join(p, channel, up, MEMBER | tokens.PERM_MUTE_MEMBERS, 440),
                                 enter_call(g, channel), enter_call(listener, channel))
            await asyncio.gather(plain_hearing(p, ug, 660), listener.wait_hearing(ug, 660, HEAR_TIMEOUT),
                                 g.wait_hearing(up, 440, HEAR_TIMEOUT))

            marks = {x: len(x.received) for x in (g, listener)}
            mark = await plain_request(p, {"request": "server_mute", "user": ug, "muted": True})
            notice = {"user": ug, "muted": True}
            ev = await p.wait_event(lambda m: plugin_data(m).get("gochat") == "server_muted", 5,
                                    since=mark, what="server_muted event")
            assert plugin_data(ev)["t"] == 507 and plugin_data(ev)["d"] == notice, ev
            await asyncio.gather(expect(g, 507, notice, marks[g]), expect(listener, 507, notice, marks[listener]))

            await asyncio.gather(plain_not_hearing(p, ug), listener.wait_not_hearing(ug, STOP_TIMEOUT))
            await asyncio.gather(
                holds(p.changes, lambda: p.peer.silent(stream_of(ug)), HOLD,
                      "plain moderator hears nothing from the muted user", lambda: describe_plain(p)),
                holds(listener.changes, lambda: listener.peer.silent(stream_of(ug)), HOLD,
                      "listener hears nothing from the muted user", listener.describe),
                # muted, not deafened: the GoChat user still hears both
                holds(g.changes, lambda: g.peer.hears(stream_of(up), 440) and g.peer.hears(stream_of(ul), 880),
                      HOLD, "muted user keeps hearing the others", g.describe))

            mark = await plain_request(p, {"request": "server_mute", "user": ug, "muted": False})
            await asyncio.gather(plain_hearing(p, ug, 660, STOP_TIMEOUT),
                                 listener.wait_hearing(ug, 660, STOP_TIMEOUT))
    run(scenario(), timeout=60)


def test_gochat_moderator_kicks_a_plain_api_user_who_gets_kicked_with_close_info_and_goes_silent(gochat_janus):
    channel = snowflake()
    up, um = users(2)

    async def scenario():
        async with Clients() as cl:
            p = await cl.janus("plain-member")
            m = await cl.gochat(um, tone=660)
            await asyncio.gather(plain_join(p, channel, up, MEMBER, 440),
                                 enter_call(m, channel, MEMBER | tokens.PERM_MOVE_MEMBERS))
            await asyncio.gather(m.wait_hearing(up, 440, HEAR_TIMEOUT), plain_hearing(p, um, 660))

            mark_p = len(p.received)
            answered = len(m.answers)
            mark = len(m.received)
            await m.send(OP_RTC, 510, {"user": up})
            await expect(m, 510, {"ok": True}, mark)
            ev = await p.wait_event(lambda m_: plugin_data(m_).get("gochat") == "kicked", 5,
                                    since=mark_p, what="kicked event")
            data = plugin_data(ev)
            assert data["t"] == 510 and data["d"] == {"error": "kicked"}, ev
            assert data.get("close") == {"code": 1000, "reason": "kicked"}, ev
            assert ev.get("sender") == p.handle_id, ev

            await m.changes.wait_until(
                lambda: len(m.answers) > answered and len(m.answers) == len(m.offers)
                and stream_of(up) not in offered_streams(m),
                10, "moderator answered a re-offer without the kicked user", describe=m.describe)
            await m.wait_not_hearing(up, STOP_TIMEOUT)
            await holds(m.changes, lambda: m.peer.silent(stream_of(up)), HOLD,
                        "moderator hears nothing from the kicked user", m.describe)

            # the plugin already removed it: a request on the old handle is
            # answered `not joined`
            mark_p = len(p.received)
            await plain_request(p, {"request": "mute_self", "muted": True})
            ev = await p.wait_event(lambda m_: plugin_data(m_).get("d", {}).get("ok") is False, 5,
                                    since=mark_p, what="refusal after kick")
            assert plugin_data(ev)["d"]["error"] == "not joined", ev
    run(scenario(), timeout=60)
