"""Voice control (t 505-512), replaced sessions and the speaking indicator
(t 514), end to end. Contract: docs/protocol.md, 3.5, 3.6 and 4;
docs/protocol.md and docs/plugin-api.md.

Every participant plays its own sine tone; a test asserts what a user would
notice: whose tone is heard on which `user-<id>` stream, which sockets close,
which notices arrive. "Keeps hearing" and "stays silent" are checked over a
window of time (the condition must hold on every check for that long)."""

import asyncio
import time

from harness import tokens
from harness.calls import (HEAR_TIMEOUT, HOLD, STOP_TIMEOUT, call_with_tones as call, closed_with, enter_call, expect,
                           keeps_hearing, offered_streams, reoffered_without, send_rtc, stays_silent)
from harness.clients import OP_RTC, T_JOIN, GoChatClient, stream_of
from harness.ids import snowflake, users
from harness.rtc import parse_sdp
from harness.scenario import Clients, run
from harness.waiting import holds

MEMBER = tokens.PERMS_MEMBER
MUTE = tokens.PERM_MUTE_MEMBERS
DEAFEN = tokens.PERM_DEAFEN_MEMBERS
MOVE = tokens.PERM_MOVE_MEMBERS
ADMIN = tokens.PERM_ADMINISTRATOR
MODERATION = MUTE | DEAFEN | MOVE

T_MUTE_SELF, T_MUTE_USER, T_SERVER_MUTE, T_SERVER_DEAFEN = 505, 506, 507, 508
T_KICK, T_BLOCK, T_MOVE, T_SPEAKING = 510, 511, 512, 514


# ------------------------------------------------------------------ helpers

async def gather(*aws):
    return await asyncio.gather(*aws)


def got(c: GoChatClient, t: int, since: int = 0):
    return [m.get("d") for m in c.rtc_messages(t, since)]


# ------------------------------------------------------------------ 505

def test_self_mute_silences_the_user_for_everyone_and_unmute_restores_it(gochat_janus):
    channel = snowflake()
    ua, ub, uc = users(3)

    async def scenario():
        async with Clients() as cl:
            a, b, c = await call(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER), (uc, 880, MEMBER))
            mark = await send_rtc(a, T_MUTE_SELF, {"muted": True})
            await expect(a, T_MUTE_SELF, {"ok": True}, mark)
            await gather(b.wait_not_hearing(ua, STOP_TIMEOUT), c.wait_not_hearing(ua, STOP_TIMEOUT))
            await gather(stays_silent(b, ua), stays_silent(c, ua),
                         # a self mute is not a deafen: A still hears the others
                         keeps_hearing(a, ub, 660), keeps_hearing(a, uc, 880))

            mark = await send_rtc(a, T_MUTE_SELF, {"muted": False})
            await expect(a, T_MUTE_SELF, {"ok": True}, mark)
            await gather(b.wait_hearing(ua, 440, STOP_TIMEOUT), c.wait_hearing(ua, 440, STOP_TIMEOUT))
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 506

def test_local_mute_stops_only_the_requester_hearing_the_user(gochat_janus):
    channel = snowflake()
    ua, ub, uc = users(3)

    async def scenario():
        async with Clients() as cl:
            a, b, c = await call(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER), (uc, 880, MEMBER))
            marks = {x: len(x.received) for x in (a, c)}
            mark = await send_rtc(b, T_MUTE_USER, {"user": ua, "muted": True})
            await expect(b, T_MUTE_USER, {"ok": True}, mark)
            await b.wait_not_hearing(ua, STOP_TIMEOUT)
            await gather(stays_silent(b, ua),
                         keeps_hearing(c, ua, 440),      # the third participant still hears A
                         keeps_hearing(b, uc, 880),      # B still hears C
                         keeps_hearing(a, ub, 660))      # and A still hears B
            # a local mute is private: nobody else is told
            for x in (a, c):
                assert not got(x, T_MUTE_USER, marks[x]), f"{x.name} was told about B's local mute"

            mark = await send_rtc(b, T_MUTE_USER, {"user": ua, "muted": False})
            await expect(b, T_MUTE_USER, {"ok": True}, mark)
            await b.wait_hearing(ua, 440, STOP_TIMEOUT)
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 507

def test_server_mute_is_broadcast_silences_the_target_for_all_and_survives_reconnect(gochat_janus):
    channel = snowflake()
    um, ua, ub = users(3)

    async def scenario():
        async with Clients() as cl:
            m, a, b = await call(cl, channel, (um, 550, MEMBER | MUTE), (ua, 440, MEMBER), (ub, 660, MEMBER))
            marks = {x: len(x.received) for x in (m, a, b)}
            await m.send(OP_RTC, T_SERVER_MUTE, {"user": ua, "muted": True})
            notice = {"user": ua, "muted": True}
            await gather(*(expect(x, T_SERVER_MUTE, notice, marks[x]) for x in (m, a, b)))
            await gather(m.wait_not_hearing(ua, STOP_TIMEOUT), b.wait_not_hearing(ua, STOP_TIMEOUT))
            await gather(stays_silent(m, ua), stays_silent(b, ua), keeps_hearing(a, ub, 660))

            # the target reconnects on a new socket: still muted (room lives)
            await a.close()
            a2 = await cl.gochat(ua, tone=470)
            await enter_call(a2, channel)
            await a2.wait_hearing(ub, 660, HEAR_TIMEOUT)  # A is back in the call
            await gather(stays_silent(m, ua, 2.0), stays_silent(b, ua, 2.0))

            marks = {x: len(x.received) for x in (m, a2, b)}
            await m.send(OP_RTC, T_SERVER_MUTE, {"user": ua, "muted": False})
            notice = {"user": ua, "muted": False}
            await gather(*(expect(x, T_SERVER_MUTE, notice, marks[x]) for x in (m, a2, b)))
            await gather(m.wait_hearing(ua, 470, STOP_TIMEOUT), b.wait_hearing(ua, 470, STOP_TIMEOUT))
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 508

def test_server_deafen_is_broadcast_and_the_target_hears_nobody_while_still_heard(gochat_janus):
    channel = snowflake()
    um, ua, ub = users(3)

    async def scenario():
        async with Clients() as cl:
            m, a, b = await call(cl, channel, (um, 550, MEMBER | DEAFEN), (ua, 440, MEMBER), (ub, 660, MEMBER))
            marks = {x: len(x.received) for x in (m, a, b)}
            await m.send(OP_RTC, T_SERVER_DEAFEN, {"user": ua, "deafened": True})
            notice = {"user": ua, "deafened": True}
            await gather(*(expect(x, T_SERVER_DEAFEN, notice, marks[x]) for x in (m, a, b)))
            await gather(a.wait_not_hearing(ub, STOP_TIMEOUT), a.wait_not_hearing(um, STOP_TIMEOUT))
            await gather(stays_silent(a, ub), stays_silent(a, um),
                         keeps_hearing(m, ua, 440), keeps_hearing(b, ua, 440))

            marks = {x: len(x.received) for x in (m, a, b)}
            await m.send(OP_RTC, T_SERVER_DEAFEN, {"user": ua, "deafened": False})
            notice = {"user": ua, "deafened": False}
            await gather(*(expect(x, T_SERVER_DEAFEN, notice, marks[x]) for x in (m, a, b)))
            await gather(a.wait_hearing(ub, 660, STOP_TIMEOUT), a.wait_hearing(um, 550, STOP_TIMEOUT))
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 510

def test_kick_disconnects_the_target_and_others_stop_hearing_it(gochat_janus):
    channel = snowflake()
    um, ua, ub = users(3)

    async def scenario():
        async with Clients() as cl:
            m, a, b = await call(cl, channel, (um, 550, MEMBER | MOVE), (ua, 440, MEMBER), (ub, 660, MEMBER))
            answered = {x: len(x.answers) for x in (m, b)}
            mark_a = len(a.received)
            mark = await send_rtc(m, T_KICK, {"user": ua})
            await expect(m, T_KICK, {"ok": True}, mark)
            await expect(a, T_KICK, {"error": "kicked"}, mark_a)
            await closed_with(a, 1000, "kicked")
            await gather(reoffered_without(m, ua, answered[m]), reoffered_without(b, ua, answered[b]))
            await gather(keeps_hearing(m, ub, 660), keeps_hearing(b, um, 550))

            # kicking or moving someone who is not (any more) in the room
            mark = await send_rtc(m, T_KICK, {"user": ua})
            await expect(m, T_KICK, {"ok": False, "error": "not found"}, mark)
            mark = await send_rtc(m, T_MOVE, {"user": snowflake(), "channel": snowflake()})
            await expect(m, T_MOVE, {"ok": False, "error": "not found"}, mark)
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 511

def test_block_disconnects_the_target_refuses_its_rejoin_unless_moved(gochat_janus):
    channel = snowflake()
    um, ua, ub = users(3)

    async def scenario():
        async with Clients() as cl:
            m, a, b = await call(cl, channel, (um, 550, MEMBER | MOVE), (ua, 440, MEMBER), (ub, 660, MEMBER))
            answered = {x: len(x.answers) for x in (m, b)}
            marks = {x: len(x.received) for x in (m, a, b)}
            await m.send(OP_RTC, T_BLOCK, {"user": ua, "block": True})
            await expect(a, T_BLOCK, {"error": "blocked"}, marks[a])
            await closed_with(a, 1000, "blocked")
            notice = {"user": ua, "block": True}
            await gather(expect(m, T_BLOCK, notice, marks[m]), expect(b, T_BLOCK, notice, marks[b]))
            await gather(reoffered_without(m, ua, answered[m]), reoffered_without(b, ua, answered[b]))

            # a blocked user cannot come back with an ordinary token ...
            again = await cl.gochat(ua, tone=440)
            ack = await again.join(channel, tokens.mint(ua, channel))
            assert ack == {"ok": False, "error": "blocked"}, ack
            await closed_with(again, 1008, "blocked")
            assert not again.offers

            # ... but can with a moved=true token, and is heard again
            moved = await cl.gochat(ua, tone=470)
            await enter_call(moved, channel, perms=0, moved=True)
            await gather(b.wait_hearing(ua, 470, HEAR_TIMEOUT), m.wait_hearing(ua, 470, HEAR_TIMEOUT))

            # unblocking is announced too
            marks = {x: len(x.received) for x in (m, b, moved)}
            await m.send(OP_RTC, T_BLOCK, {"user": ua, "block": False})
            notice = {"user": ua, "block": False}
            await gather(*(expect(x, T_BLOCK, notice, marks[x]) for x in (m, b, moved)))
            assert not moved.closed
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 512

def test_move_tells_the_target_its_new_channel_and_a_moved_token_joins_there(gochat_janus):
    channel, target_channel = snowflake(), snowflake()
    um, ua, ub = users(3)

    async def scenario():
        async with Clients() as cl:
            m, a, b = await call(cl, channel, (um, 550, MEMBER | MOVE), (ua, 440, MEMBER), (ub, 660, MEMBER))
            answered = {x: len(x.answers) for x in (m, b)}
            mark_a = len(a.received)
            mark = await send_rtc(m, T_MOVE, {"user": ua, "channel": target_channel})
            await expect(m, T_MOVE, {"ok": True}, mark)
            await expect(a, T_MOVE, {"channel": target_channel}, mark_a)
            assert str(target_channel) in "".join(r.raw for r in a.received[mark_a:]), \
                "the channel id must reach the client digit for digit"
            await closed_with(a, 1000, "moved")
            await gather(reoffered_without(m, ua, answered[m]), reoffered_without(b, ua, answered[b]))

            # the moved token is enough to join the new channel, even with no
            # permission bits of its own: moved grants Connect, Speak, Video
            moved = await cl.gochat(ua, tone=440)
            await enter_call(moved, target_channel, perms=0, moved=True)
            first = parse_sdp(moved.offers[0])
            assert [(x.kind, x.direction) for x in first] == [("audio", "recvonly"), ("video", "recvonly")], \
                "moved=true must grant Speak and Video"
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ forbidden

FORBIDDEN_CASES = [
    # (t, d, the requester's moderation bits: everything except the needed one)
    (T_SERVER_MUTE, lambda u: {"user": u, "muted": True}, DEAFEN | MOVE),
    (T_SERVER_DEAFEN, lambda u: {"user": u, "deafened": True}, MUTE | MOVE),
    (T_KICK, lambda u: {"user": u}, MUTE | DEAFEN),
    (T_BLOCK, lambda u: {"user": u, "block": True}, MUTE | DEAFEN),
    (T_MOVE, lambda u: {"user": u, "channel": snowflake()}, MUTE | DEAFEN),
]


def test_moderation_without_its_permission_is_forbidden_and_changes_nothing(gochat_janus):
    channel = snowflake()
    ur, ua = users(2)

    async def scenario():
        async with Clients() as cl:
            r, a = await call(cl, channel, (ur, 660, MEMBER), (ua, 440, MEMBER))
            marks = {x: len(x.received) for x in (r, a)}
            # a plain member, then members holding every other moderation bit
            for t, make_d, _ in FORBIDDEN_CASES:
                mark = await send_rtc(r, t, make_d(ua))
                await expect(r, t, {"ok": False, "error": "forbidden"}, mark)
            for t, make_d, bits in FORBIDDEN_CASES:
                other = await cl.gochat(snowflake())
                ack = await other.join(channel, tokens.mint(other.user_id, channel, MEMBER | bits))
                assert ack == {"ok": True}, ack
                mark = await send_rtc(other, t, make_d(ua))
                await expect(other, t, {"ok": False, "error": "forbidden"}, mark)
                await other.close()
            # nothing changed: the target is still there, heard and hearing
            await gather(keeps_hearing(r, ua, 440), keeps_hearing(a, ur, 660))
            assert not a.closed, a.describe()
            for x in (r, a):
                told = [m for m in x.rtc_messages(since=marks[x])
                        if m.get("t") in (T_SERVER_MUTE, T_SERVER_DEAFEN, T_KICK, T_BLOCK, T_MOVE)
                        and m.get("d", {}).get("error") != "forbidden"]
                assert not told, f"{x.name} was told of a moderation that was refused: {told}"
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ administrator

def test_administrator_passes_every_moderation_check(gochat_janus):
    channel, elsewhere = snowflake(), snowflake()
    um, ua, ub, uc = users(4)

    async def scenario():
        async with Clients() as cl:
            admin = ADMIN  # no other bit: not even Connect or Speak (it is heard below)
            m, a, b, c = await call(cl, channel, (um, 550, admin), (ua, 440, MEMBER),
                                    (ub, 660, MEMBER), (uc, 880, MEMBER))
            mark_b = len(b.received)
            await m.send(OP_RTC, T_SERVER_MUTE, {"user": ua, "muted": True})
            await expect(b, T_SERVER_MUTE, {"user": ua, "muted": True}, mark_b)
            await gather(b.wait_not_hearing(ua, STOP_TIMEOUT), c.wait_not_hearing(ua, STOP_TIMEOUT))

            mark_b = len(b.received)
            await m.send(OP_RTC, T_SERVER_DEAFEN, {"user": ub, "deafened": True})
            await expect(b, T_SERVER_DEAFEN, {"user": ub, "deafened": True}, mark_b)
            await b.wait_not_hearing(uc, STOP_TIMEOUT)

            mark = await send_rtc(m, T_KICK, {"user": ua})
            await expect(m, T_KICK, {"ok": True}, mark)
            await closed_with(a, 1000, "kicked")

            mark = await send_rtc(m, T_MOVE, {"user": uc, "channel": elsewhere})
            await expect(m, T_MOVE, {"ok": True}, mark)
            await closed_with(c, 1000, "moved")

            mark_b = len(b.received)
            await m.send(OP_RTC, T_BLOCK, {"user": ub, "block": True})
            await expect(b, T_BLOCK, {"error": "blocked"}, mark_b)
            await closed_with(b, 1000, "blocked")
            assert not [d for d in got(m, 0) if isinstance(d, dict) and d.get("error") == "forbidden"]
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ replaced

def test_second_join_of_the_same_user_replaces_the_first_socket(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a, b = await call(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            mark_a = len(a.received)
            a2 = await cl.gochat(ua, tone=770)
            await enter_call(a2, channel)
            await expect(a, T_JOIN, {"ok": False, "error": "replaced"}, mark_a)
            await closed_with(a, 4010, "replaced")
            # the new session is heard on the same user stream, and hears
            await gather(b.wait_hearing(ua, 770, HEAR_TIMEOUT), a2.wait_hearing(ub, 660, HEAR_TIMEOUT))
            await gather(keeps_hearing(b, ua, 770), keeps_hearing(a2, ub, 660))
            assert not a2.closed
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ continuity

async def _tone_returns_without_renegotiation(listener: GoChatClient, talker: GoChatClient,
                                              hz: float, mute, unmute):
    offers = len(listener.offers)
    stream = stream_of(talker.user_id)
    await mute()
    await listener.wait_not_hearing(talker.user_id, STOP_TIMEOUT)
    frames = listener.peer.audio[stream].frames
    await unmute()
    started = time.monotonic()
    await listener.wait_hearing(talker.user_id, hz, 3.0)
    took = time.monotonic() - started
    assert took <= 1.5, f"tone came back {took:.2f}s after the unmute (want ~1 s)"
    assert listener.peer.audio[stream].frames > frames, "the same receiver decodes again"
    assert len(listener.offers) == offers, \
        f"mute/unmute renegotiated: {len(listener.offers) - offers} new offer(s)"


def test_mute_and_unmute_keep_decoding_without_renegotiation_and_tone_returns_within_a_second(gochat_janus):
    channel = snowflake()
    ua, um = users(2)

    async def scenario():
        async with Clients() as cl:
            a, m = await call(cl, channel, (ua, 440, MEMBER), (um, 550, MEMBER | MUTE))

            async def self_mute(muted):
                mark = await send_rtc(a, T_MUTE_SELF, {"muted": muted})
                await expect(a, T_MUTE_SELF, {"ok": True}, mark)

            async def server_mute(muted):
                mark = await send_rtc(m, T_SERVER_MUTE, {"user": ua, "muted": muted})
                await expect(m, T_SERVER_MUTE, {"user": ua, "muted": muted}, mark)

            await _tone_returns_without_renegotiation(m, a, 440, lambda: self_mute(True),
                                                      lambda: self_mute(False))
            await _tone_returns_without_renegotiation(m, a, 440, lambda: server_mute(True),
                                                      lambda: server_mute(False))
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ 514

def speaking_of(c: GoChatClient, user: int, since: int = 0):
    return [m["d"].get("speaking") for m in c.rtc_messages(T_SPEAKING, since)
            if isinstance(m.get("d"), dict) and m["d"].get("user_id") == str(user)]


async def wait_speaking(c: GoChatClient, user: int, speaking: bool, since: int, timeout: float = 5.0):
    return await expect(c, T_SPEAKING, {"user_id": str(user), "speaking": speaking}, since, timeout)


def test_speaking_starts_and_stops_with_the_tone_and_a_muted_user_is_never_speaking(gochat_janus):
    channel = snowflake()
    ua, ub, um = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            a.mic.silent = True
            b = await cl.gochat(ub)       # listens only
            m = await cl.gochat(um)       # a moderator, listens only
            await gather(enter_call(a, channel), enter_call(b, channel), enter_call(m, channel, MEMBER | MUTE))
            await gather(*(x.changes.wait_until(lambda x=x: stream_of(ua) in offered_streams(x, "audio")
                                                and len(x.answers) == len(x.offers), 10,
                                                f"{x.name} offered A's audio", describe=x.describe)
                           for x in (b, m)))
            assert not speaking_of(b, ua, 0), "silence reported as speaking"

            # tone on: the others see A speaking, as a decimal string id
            mark = {x: len(x.received) for x in (a, b, m)}
            a.mic.silent = False
            await gather(wait_speaking(b, ua, True, mark[b], 10), wait_speaking(m, ua, True, mark[m], 10))
            raw = next(r.raw for r in b.received[mark[b]:]
                       if isinstance(r.msg, dict) and r.msg.get("t") == T_SPEAKING)
            assert f'"{ua}"' in raw, f"user_id must be a decimal string: {raw}"
            assert not speaking_of(a, ua, 0), "a user is not told about its own speaking"

            # silence: stops
            mark = {x: len(x.received) for x in (b, m)}
            a.mic.silent = True
            await gather(wait_speaking(b, ua, False, mark[b]), wait_speaking(m, ua, False, mark[m]))

            # self-muted and talking: never speaking; unmuted: speaking again
            ack = await send_rtc(a, T_MUTE_SELF, {"muted": True})
            await expect(a, T_MUTE_SELF, {"ok": True}, ack)
            mark_b = len(b.received)
            a.mic.silent = False
            await holds(b.changes, lambda: True not in speaking_of(b, ua, mark_b), HOLD,
                        "a self-muted user talking is not reported speaking", b.describe)
            ack = await send_rtc(a, T_MUTE_SELF, {"muted": False})
            await expect(a, T_MUTE_SELF, {"ok": True}, ack)
            await wait_speaking(b, ua, True, mark_b)

            # server-muted while talking: stops at once and stays stopped
            mark_b = len(b.received)
            await m.send(OP_RTC, T_SERVER_MUTE, {"user": ua, "muted": True})
            await expect(b, T_SERVER_MUTE, {"user": ua, "muted": True}, mark_b)
            await wait_speaking(b, ua, False, mark_b)
            mark_b = len(b.received)
            await holds(b.changes, lambda: True not in speaking_of(b, ua, mark_b), HOLD,
                        "a server-muted user talking is not reported speaking", b.describe)
            await m.send(OP_RTC, T_SERVER_MUTE, {"user": ua, "muted": False})
            await wait_speaking(b, ua, True, mark_b)
    run(scenario(), timeout=60)
