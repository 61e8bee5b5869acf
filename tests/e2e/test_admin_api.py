"""The plugin's admin API through Janus's own (docs/plugin-api.md, Admin
API; docs/operations.md, Admin API and Rolling upgrades): `message_plugin`
with the admin secret over Janus's admin WebSocket (harness/admin.py).

What an operator reads of a real call (rooms, participants and their state,
bytes growing, `handle_info`), what each operator action does to the people
in the call (the same notices, silences and closed sockets as a moderator's
request: test_voice_control.py), refusals as Janus error objects that change
nothing, and draining: new joins refused `draining` while the call goes on,
the discovery heartbeat gone from the webhook service's stand-in while
presence and alive calls continue, `undrain` bringing both back."""

import asyncio
import time

import pytest

from harness import tokens
from harness.admin import JanusAdmin
from harness.calls import (HEAR_TIMEOUT, STOP_TIMEOUT, call_with_tones, closed_with, enter_call, expect,
                           keeps_hearing, reoffered_without, stays_silent)
from harness.clients import OP_RTC
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.waiting import poll_until
from harness.webhook_service import webhook_settings

MEMBER = tokens.PERMS_MEMBER
GUILD = 1111111111111111111  # tokens.mint's default guild_id
T_SERVER_MUTE, T_SERVER_DEAFEN, T_KICK, T_BLOCK, T_CLOSED = 507, 508, 510, 511, 510
ADMIN_CFG = dict(admin_ws=True, empty_room_ttl=2)
NOT_FOUND = 404


@pytest.fixture
def admin_janus(janus_factory):
    return janus_factory(**ADMIN_CFG)


def refused(answer: dict, code: int) -> str:
    """The answer is Janus's error object with `code`; returns its reason."""
    assert answer.get("ok") is False, answer
    error = answer.get("error")
    assert isinstance(error, dict) and set(error) == {"code", "reason"}, answer
    assert error["code"] == code and isinstance(error["reason"], str) and error["reason"], answer
    return error["reason"]


def by_user(listed: dict) -> dict:
    assert listed.get("ok") is True, listed
    return {p["user"]: p for p in listed["participants"]}


async def participant(admin: JanusAdmin, channel: int, user: int) -> dict:
    return by_user(await admin.sfu({"request": "list_participants", "channel": channel})).get(user, {})


async def state_becomes(admin: JanusAdmin, channel: int, user: int, what: str, check):
    """Polls list_participants (an admin answer has no event to wait on)."""
    async def probe():
        return check(await participant(admin, channel, user))
    await poll_until(probe, 10, f"{user} in channel {channel}: {what}")


# ------------------------------------------------------------------ reading

def test_rooms_and_participants_of_a_real_call_with_their_state(admin_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            started = time.time()
            a = await cl.gochat(ua, tone=440, camera=True)
            b = await cl.gochat(ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(a.wait_hearing(ub, 660, HEAR_TIMEOUT), b.wait_hearing(ua, 440, HEAR_TIMEOUT))

            rooms = await admin.sfu({"request": "list_rooms"})
            assert rooms.get("ok") is True, rooms
            room = [r for r in rooms["rooms"] if r["channel"] == channel]
            assert len(room) == 1, rooms
            assert room[0]["participants"] == 2 and room[0]["publishers"] == 2, room
            assert 0 <= room[0]["age"] <= time.time() - started + 1, room

            listed = await admin.sfu({"request": "list_participants", "channel": channel})
            assert listed["channel"] == channel and listed["blocked"] == [], listed
            assert sorted(p["user"] for p in listed["participants"]) == sorted([ua, ub]), listed
            people = by_user(listed)
            for user in (ua, ub):
                p = people[user]
                assert p["channel"] == channel and p["guild"] == GUILD and p["perms"] == MEMBER, p
                assert (p["muted"], p["server_muted"], p["deafened"]) == (False, False, False), p
                assert started - 2 <= p["joined_at"] <= time.time() + 2, p
                assert p["bytes_in"] > 0 and p["bytes_out"] > 0, p
            assert people[ua]["publishing"] == {"audio": "opus", "video": "vp8"}, people[ua]
            assert people[ub]["publishing"] == {"audio": "opus"}, people[ub]
            # Both tones are voice: the speaking indicator is on for each.
            for user in (ua, ub):
                await state_becomes(admin, channel, user, "speaking", lambda p: p.get("speaking") is True)
            # Bytes keep growing while they talk.
            before = people
            for user in (ua, ub):
                await state_becomes(admin, channel, user, "more bytes in and out",
                                    lambda p, u=user: p["bytes_in"] > before[u]["bytes_in"]
                                    and p["bytes_out"] > before[u]["bytes_out"])

            # States follow: a self mute (t 505), an operator's mute and deafen.
            await a.send(OP_RTC, 505, {"muted": True})
            await state_becomes(admin, channel, ua, "muted", lambda p: p["muted"] is True)
            for request in ({"request": "mute", "channel": channel, "user": ub},
                            {"request": "deafen", "channel": channel, "user": ub}):
                answer = await admin.sfu(request)
                assert answer.get("ok") is True, answer
            p = await participant(admin, channel, ub)
            assert (p["muted"], p["server_muted"], p["deafened"]) == (False, True, True), p

            # handle_info of B's handle (query_session) shows the same state.
            info = await admin.sfu_handle_of(ub)
            mine = info.get("plugin_specific") or {}
            assert mine.get("joined") is True and mine.get("media") is True, info
            assert (mine["channel"], mine["user"], mine["guild"]) == (channel, ub, GUILD), mine
            assert (mine["server_muted"], mine["deafened"], mine["muted"]) == (True, True, False), mine
            assert mine["publishing"] == {"audio": "opus"} and mine["bytes_in"] > 0, mine

            status = await admin.sfu_status()
            assert status.get("ok") is True and status["participants"] >= 2 and status["draining"] is False, status
            assert status["heartbeat"] == "off", status  # no webhook configured
    run(scenario(), timeout=90)


# ------------------------------------------------------------------ actions

def test_operator_mute_and_deafen_do_what_a_moderators_do(admin_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            a, b = await call_with_tones(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            marks = {x: len(x.received) for x in (a, b)}
            answer = await admin.sfu({"request": "mute", "channel": channel, "user": ub})
            assert answer == {"ok": True, "channel": channel, "user": ub, "muted": True}, answer
            # Everyone is told, as with t 507 from a moderator; B is no longer heard.
            notice = {"user": ub, "muted": True}
            await asyncio.gather(*(expect(x, T_SERVER_MUTE, notice, marks[x]) for x in (a, b)))
            await a.wait_not_hearing(ub, STOP_TIMEOUT)
            await asyncio.gather(stays_silent(a, ub), keeps_hearing(b, ua, 440))

            marks = {x: len(x.received) for x in (a, b)}
            answer = await admin.sfu({"request": "mute", "channel": channel, "user": ub, "muted": False})
            assert answer.get("ok") is True and answer["muted"] is False, answer
            await asyncio.gather(*(expect(x, T_SERVER_MUTE, {"user": ub, "muted": False}, marks[x]) for x in (a, b)))
            await a.wait_hearing(ub, 660, STOP_TIMEOUT)

            marks = {x: len(x.received) for x in (a, b)}
            answer = await admin.sfu({"request": "deafen", "channel": channel, "user": ub})
            assert answer == {"ok": True, "channel": channel, "user": ub, "deafened": True}, answer
            await asyncio.gather(*(expect(x, T_SERVER_DEAFEN, {"user": ub, "deafened": True}, marks[x])
                                   for x in (a, b)))
            await b.wait_not_hearing(ua, STOP_TIMEOUT)
            await asyncio.gather(stays_silent(b, ua), keeps_hearing(a, ub, 660))

            marks = {x: len(x.received) for x in (a, b)}
            await admin.sfu({"request": "deafen", "channel": channel, "user": ub, "deafened": False})
            await asyncio.gather(*(expect(x, T_SERVER_DEAFEN, {"user": ub, "deafened": False}, marks[x])
                                   for x in (a, b)))
            await b.wait_hearing(ua, 440, STOP_TIMEOUT)
    run(scenario(), timeout=90)


def test_operator_kick_block_and_unblock_do_what_a_moderators_do(admin_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            a, b = await call_with_tones(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            answered, mark_b = len(a.answers), len(b.received)
            answer = await admin.sfu({"request": "kick", "channel": channel, "user": ub})
            assert answer == {"ok": True, "channel": channel, "user": ub}, answer
            await expect(b, T_KICK, {"error": "kicked"}, mark_b)
            await closed_with(b, 1000, "kicked")
            await reoffered_without(a, ub, answered)

            # Kicked is not blocked: B comes back and is heard.
            back = await cl.gochat(ub, tone=670)
            await enter_call(back, channel)
            await a.wait_hearing(ub, 670, HEAR_TIMEOUT)

            answered, marks = len(a.answers), {x: len(x.received) for x in (a, back)}
            answer = await admin.sfu({"request": "block", "channel": channel, "user": ub})
            assert answer == {"ok": True, "channel": channel, "user": ub, "blocked": True}, answer
            await expect(back, T_BLOCK, {"error": "blocked"}, marks[back])
            await closed_with(back, 1000, "blocked")
            await expect(a, T_BLOCK, {"user": ub, "block": True}, marks[a])
            await reoffered_without(a, ub, answered)
            listed = await admin.sfu({"request": "list_participants", "channel": channel})
            assert listed["blocked"] == [ub] and list(by_user(listed)) == [ua], listed

            again = await cl.gochat(ub, tone=680)
            ack = await again.join(channel, tokens.mint(ub, channel))
            assert ack == {"ok": False, "error": "blocked"}, ack
            await closed_with(again, 1008, "blocked")

            mark_a = len(a.received)
            answer = await admin.sfu({"request": "unblock", "channel": channel, "user": ub})
            assert answer == {"ok": True, "channel": channel, "user": ub, "blocked": False}, answer
            await expect(a, T_BLOCK, {"user": ub, "block": False}, mark_a)
            welcome = await cl.gochat(ub, tone=690)
            await enter_call(welcome, channel)
            await a.wait_hearing(ub, 690, HEAR_TIMEOUT)
    run(scenario(), timeout=120)


def test_operator_close_channel_tells_everyone_and_closes_their_sockets(admin_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            a, b = await call_with_tones(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            marks = {x: len(x.received) for x in (a, b)}
            answer = await admin.sfu({"request": "close_channel", "channel": channel})
            assert answer == {"ok": True, "channel": channel, "removed": 2}, answer
            for x in (a, b):
                await expect(x, T_CLOSED, {"error": "channel closed"}, marks[x])
                await closed_with(x, 1000, "channel closed")
            listed = await admin.sfu({"request": "list_participants", "channel": channel})
            assert listed.get("ok") is True and listed["participants"] == [], listed
    run(scenario(), timeout=60)


def test_unknown_channels_users_and_requests_are_refused_and_change_nothing(admin_janus):
    channel = snowflake()
    ua, ub = users(2)
    elsewhere, stranger = snowflake(), snowflake()

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            a, b = await call_with_tones(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            marks = {x: len(x.received) for x in (a, b)}
            not_here = [
                {"request": "list_participants", "channel": elsewhere},
                {"request": "close_channel", "channel": elsewhere},
                {"request": "unblock", "channel": elsewhere, "user": ub},
                {"request": "unblock", "channel": channel, "user": ub},  # not blocked
            ]
            for name in ("mute", "deafen", "kick", "block"):
                not_here.append({"request": name, "channel": elsewhere, "user": ub})
                not_here.append({"request": name, "channel": channel, "user": stranger})
            for request in not_here:
                reason = refused(await admin.sfu(request), NOT_FOUND)
                named = request.get("user") if request["channel"] == channel else request["channel"]
                assert str(named) in reason, (request, reason)
            malformed = [
                {"request": "kick", "channel": channel},
                {"request": "mute", "channel": channel, "user": ub, "muted": "yes"},
                {"request": "mute", "channel": 0, "user": ub},
                {"request": "frobnicate"},
                {"channel": channel},
            ]
            for request in malformed:
                refused(await admin.sfu(request), 400)
            # Ids as decimal strings are exact: this one is accepted, and harmless.
            muted = await admin.sfu({"request": "mute", "channel": str(channel), "user": str(ub), "muted": False})
            assert muted.get("ok") is True, muted

            # Nothing happened to the call: nobody was told anything but the
            # harmless unmute, and both still hear each other.
            for x in (a, b):
                told = [m for m in x.rtc_messages(since=marks[x]) if m.get("t") in (508, 510, 511)]
                assert not told, told
                assert all(m.get("d") == {"user": ub, "muted": False} for m in x.rtc_messages(507, marks[x]))
            await asyncio.gather(keeps_hearing(a, ub, 660), keeps_hearing(b, ua, 440))
            assert not a.closed and not b.closed
    run(scenario(), timeout=60)


# ------------------------------------------------------------------ draining



def test_drain_refuses_new_joins_leaves_discovery_and_keeps_the_call(janus_factory, webhook_service):
    service_id = "sfu-e2e-drain"
    settings = webhook_settings(service_id)
    webhook_service.token = dict(settings)["token"]
    janus_factory(sfu_webhook=settings, **ADMIN_CFG)
    channel = snowflake()
    ua, ub, uc = users(3)

    def calls(kind, since, **body):
        return [c for c in webhook_service.snapshot(kind, since)
                if all(c.body.get(k) == v for k, v in body.items())]

    async def scenario():
        async with Clients() as cl, JanusAdmin() as admin:
            a, b = await call_with_tones(cl, channel, (ua, 440, MEMBER), (ub, 660, MEMBER))
            await webhook_service.wait(lambda s: len([c for c in s.snapshot("join") if c.body["channel_id"] == channel])
                                       == 2, 10, "both joins")
            status = await admin.sfu_status()
            assert (status["draining"], status["heartbeat"]) == (False, "on"), status

            answer = await admin.sfu({"request": "drain"})
            assert (answer.get("ok"), answer.get("draining"), answer.get("participants")) == (True, True, 2), answer
            drained = time.monotonic()
            status = await admin.sfu_status()
            assert (status["draining"], status["heartbeat"], status["participants"]) == (True, "paused", 2), status

            # Nobody new comes in, not even moved here by a moderator.
            for moved in (False, True):
                c = await cl.gochat(uc)
                ack = await c.join(channel, tokens.mint(uc, channel, moved=moved))
                assert ack == {"ok": False, "error": "draining"}, ack
                await closed_with(c, 1008, "draining")
            # The call goes on: both keep hearing each other.
            await asyncio.gather(keeps_hearing(a, ub, 660, 2.0), keeps_hearing(b, ua, 440, 2.0))

            # No heartbeat reaches the service any more (one being sent when
            # the drain came may arrive just after it) while the channel's
            # alive calls go on: three of them after the margin take >= 2 s,
            # four heartbeat intervals.
            margin = drained + 0.5
            await webhook_service.wait(lambda s: len(calls("alive", margin, channel_id=channel)) >= 3, 10,
                                       "alive calls while draining")
            assert not calls("heartbeat", margin), calls("heartbeat", margin)
            # Presence goes on too: B leaves, GoChat hears of it.
            await b.leave()
            await closed_with(b, 1000, "leave")
            await webhook_service.wait(lambda s: calls("leave", drained, channel_id=channel, user_id=ub), 10,
                                       "B's leave while draining")
            status = await admin.sfu_status()
            assert status["participants"] == 1 and status["draining"] is True, status
            assert not calls("heartbeat", margin)

            answer = await admin.sfu({"request": "undrain"})
            assert answer.get("ok") is True and answer["draining"] is False and answer["participants"] == 1, answer
            undrained = time.monotonic()
            await webhook_service.wait(lambda s: [c for c in s.snapshot("heartbeat", undrained) if c.body["load"] == 1],
                                       3, "a heartbeat right after undrain, with the load")
            status = await admin.sfu_status()
            assert (status["draining"], status["heartbeat"]) == (False, "on"), status
            c = await cl.gochat(uc, tone=880)
            await enter_call(c, channel)
            await asyncio.gather(a.wait_hearing(uc, 880, HEAR_TIMEOUT), c.wait_hearing(ua, 440, HEAR_TIMEOUT))
            await webhook_service.wait(lambda s: calls("join", undrained, channel_id=channel, user_id=uc), 10,
                                       "C's join after undrain")
    run(scenario(), timeout=120)
