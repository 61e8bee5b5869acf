"""GoChat platform integration: the SFU's calls to GoChat's webhook service
(docs/operations.md, "Joining a GoChat deployment"): the discovery
heartbeat with the load, voice/join and voice/leave for every way of
leaving, channel/alive while a channel is occupied, a service that is down
or hangs, and the leaves of a clean shutdown.

The service is harness/webhook_service.py: a real HTTP server in the test's
namespace that checks every call as GoChat's does (token signature and
claims, required fields, ids as exact int64: the ids here are 19-digit
snowflakes above 2^53). Every test ends by asserting it saw no call GoChat
would refuse. Each test has its own service_id, hence its own Janus."""

import asyncio
import statistics
import time

import pytest

from harness import tokens
from harness.admin import rss_kib
from harness.clients import OP_RTC, GoChatClient
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.webhook_service import PUBLIC_URL, WebhookService, webhook_settings

MEMBER = tokens.PERMS_MEMBER
MOVE = tokens.PERM_MOVE_MEMBERS
T_KICK, T_BLOCK, T_MOVE = 510, 511, 512
HEAR_TIMEOUT = 20.0
CALL_TIMEOUT = 10.0     # a presence call reaches the service well within this


class SilentClient(GoChatClient):
    """A GoChat client without WebRTC: joins, never answers an offer (no
    PeerConnection, no cost)."""

    async def _offer_loop(self):
        while True:
            await self._offer_queue.get()




def start_janus(janus_factory, service: WebhookService, service_id: str, cfg=None, **webhook):
    settings = webhook_settings(service_id, **webhook)
    service.token = dict(settings)["token"]
    return janus_factory(sfu_webhook=settings, **(cfg or {}))


def body(channel, user=None, guild=None):
    out = {"channel_id": channel}
    if user is not None:
        out["user_id"] = user
    if guild is not None:
        out["guild_id"] = guild
    return out


def has(kind, expected, since=0.0):
    """Predicate: the service got a `kind` call with exactly this body."""
    return lambda s: [c for c in s.snapshot(kind, since) if c.body == expected]


def heartbeat_with_load(load, since):
    return lambda s: [c for c in s.snapshot("heartbeat", since) if c.body["load"] == load]


async def enter(cl: Clients, user: int, channel: int, perms=MEMBER, guild=None, silent=False, **mint):
    """Connect and join; an ordinary client answers the first offer."""
    if silent:
        c = SilentClient(user)
        cl.all.append(c)
        await c.connect()
    else:
        c = await cl.gochat(user)
    if guild is None:
        mint.setdefault("drop", ("guild_id",))
    else:
        mint["guild_id"] = guild
    ack = await c.join(channel, tokens.mint(user, channel, perms, **mint))
    assert ack == {"ok": True}, f"{c.name}: {ack}"
    if not silent:
        await c.wait_offers(1)
    return c


async def wait_log(janus, text: str, timeout: float, since: int = 0):
    """janus.log is a file: polled (bounded), as test_abuse polls /proc."""
    deadline = time.monotonic() + timeout
    while text not in janus.log_since(since):
        if time.monotonic() > deadline:
            raise AssertionError(f"janus.log: no {text!r} within {timeout:.0f}s")
        await asyncio.sleep(0.1)


def webhook_log_lines(janus, since=0):
    return [line for line in janus.log_since(since).splitlines() if "[gochat.sfu] webhook:" in line]


def presence_by_user(service: WebhookService):
    """(channel, user) -> the kinds of its presence calls, in arrival order."""
    out = {}
    for call in service.presence():
        out.setdefault(call.key(), []).append(call.kind)
    return out


# ------------------------------------------------------------------ settings

@pytest.mark.parametrize("overrides,reason", [
    (dict(token=""), "webhook.token is required when webhook.url is set"),
    (dict(service_id="sfu-e2e-other"), "webhook.token's id claim \"sfu-e2e-refused\" is not webhook.service_id "
                                       "\"sfu-e2e-other\""),
    (dict(public_url="https://127.0.0.1:3300/signal"),
     "webhook.public_url must be a ws:// or wss:// URL ending in /signal"),
])
def test_a_webhook_url_without_usable_settings_keeps_the_plugin_from_starting(janus_factory, overrides, reason):
    settings = dict(webhook_settings("sfu-e2e-refused"))
    settings.update(overrides)
    janus = janus_factory(sfu_webhook=tuple(sorted(settings.items())))
    log = janus.log_since(0)
    refusal = [line for line in log.splitlines() if "[gochat.sfu]" in line and reason in line]
    assert refusal, log[-3000:]
    assert "janus.plugin.gochat.sfu.jcfg: " in refusal[0], refusal[0]
    assert settings["token"] == "" or settings["token"] not in log, "the token was logged"
    assert "The 'janus.plugin.gochat.sfu' plugin could not be initialized" in log, log[-3000:]


# ------------------------------------------------------------------ heartbeat

def test_heartbeat_every_interval_reports_the_load_and_registration_is_logged_once(janus_factory,
                                                                                  webhook_service):
    service = webhook_service
    janus = start_janus(janus_factory, service, "sfu-e2e-heartbeat")
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        await service.wait(heartbeat_with_load(0, 0), 5, "a first heartbeat with load 0")
        async with Clients() as cl:
            mark = time.monotonic()
            a = await enter(cl, ua, channel, silent=True)
            await service.wait(heartbeat_with_load(1, mark), 3, "a heartbeat with load 1")
            mark = time.monotonic()
            b = await enter(cl, ub, channel, silent=True)
            await service.wait(heartbeat_with_load(2, mark), 3, "a heartbeat with load 2")
            mark = time.monotonic()
            await a.leave()
            await a.wait_closed(5)
            await service.wait(heartbeat_with_load(1, mark), 3, "a heartbeat with load 1 after a leave")
            mark = time.monotonic()
            await b.ws.close()  # a dropped socket counts the same
            await service.wait(heartbeat_with_load(0, mark), 5, "a heartbeat with load 0 after a close")
    run(scenario(), timeout=60)

    beats = service.snapshot("heartbeat")
    for beat in beats:
        assert beat.body == {"id": "sfu-e2e-heartbeat", "region": "e2e", "url": PUBLIC_URL,
                             "load": beat.body["load"]}, beat
    gaps = [later.at - earlier.at for earlier, later in zip(beats, beats[1:])]
    assert len(beats) >= 5, beats
    assert 0.35 <= statistics.median(gaps) <= 0.8, f"heartbeat_interval is 500 ms, gaps {gaps}"
    assert max(gaps) < 1.6, f"a heartbeat came late: gaps {gaps}"
    # Each user joined once and left once, in that order.
    assert presence_by_user(service) == {(channel, ua): ["join", "leave"], (channel, ub): ["join", "leave"]}
    lines = webhook_log_lines(janus)
    registered = [line for line in lines if "webhook: registered with http://127.0.0.1:3200" in line]
    assert len(registered) == 1, lines
    assert '"sfu-e2e-heartbeat" (region e2e, clients connect to ws://127.0.0.1:3300/signal)' in registered[0]
    assert not [line for line in lines if "failing" in line or "dropped" in line], lines


# ------------------------------------------------------------------ presence

def test_join_and_leave_for_every_way_of_leaving_each_users_leave_once_after_its_join(janus_factory,
                                                                                     webhook_service):
    """504, a dropped socket, kick, block, move, negotiation timeout and a
    replaced session (no leave: the user is still there)."""
    service = webhook_service
    start_janus(janus_factory, service, "sfu-e2e-presence", cfg=dict(answer_timeout=3))
    channel, elsewhere = snowflake(), snowflake()
    um, ua, ub, uc, ud, ue, uf, ug = users(8)
    guild = {u: snowflake() for u in (um, ub, uc, ud, ue, uf, ug)}  # ua's token has no guild

    def joined(u, ch=channel):
        return service.wait(has("join", body(ch, u, guild.get(u))), CALL_TIMEOUT, f"join of {u} in {ch}")

    def left(u, ch=channel):
        return service.wait(has("leave", body(ch, u, guild.get(u))), CALL_TIMEOUT, f"leave of {u} from {ch}")

    async def scenario():
        async with Clients() as cl:
            m = await enter(cl, um, channel, MEMBER | MOVE, guild[um])
            await joined(um)

            a = await enter(cl, ua, channel)               # t 504
            await joined(ua)
            await a.leave()
            await left(ua)

            b = await enter(cl, ub, channel, guild=guild[ub])   # the socket drops
            await joined(ub)
            b.ws.transport.abort()
            await left(ub)

            await enter(cl, uc, channel, guild=guild[uc])   # kicked
            await joined(uc)
            await m.send(OP_RTC, T_KICK, {"user": uc})
            await left(uc)

            await enter(cl, ud, channel, guild=guild[ud])   # blocked
            await joined(ud)
            await m.send(OP_RTC, T_BLOCK, {"user": ud, "block": True})
            await left(ud)

            await enter(cl, ue, channel, guild=guild[ue])   # moved, then joins the other channel
            await joined(ue)
            await m.send(OP_RTC, T_MOVE, {"user": ue, "channel": elsewhere})
            await left(ue)
            e2 = await enter(cl, ue, elsewhere, 0, guild[ue], moved=True)
            await joined(ue, elsewhere)
            await e2.leave()
            await left(ue, elsewhere)

            started = time.monotonic()
            await enter(cl, uf, channel, guild=guild[uf], silent=True)   # never answers
            await joined(uf)
            await left(uf)
            waited = time.monotonic() - started
            assert 2.0 <= waited <= 9.0, f"negotiation timeout after {waited:.1f}s, answer_timeout is 3 s"

            g = await enter(cl, ug, channel, guild=guild[ug])   # replaced by a second connection
            await joined(ug)
            g2 = await enter(cl, ug, channel, guild=guild[ug])
            code, _ = await g.wait_closed(5)
            assert code == 4010, g.describe()
            # Nothing for ug while its new session is there: the moderator's
            # leave, sent after g2's, must arrive first.
            await m.leave()
            await left(um)
            assert presence_by_user(service)[(channel, ug)] == ["join"], service.presence()
            await g2.leave()
            await left(ug)
    run(scenario(), timeout=120)

    everyone = {(channel, u): ["join", "leave"] for u in (um, ua, ub, uc, ud, ue, uf, ug)}
    everyone[(elsewhere, ue)] = ["join", "leave"]
    assert presence_by_user(service) == everyone, service.presence()
    # The token without a guild gives bodies without guild_id; the 19-digit
    # ids arrived digit for digit.
    a_calls = [c for c in service.presence() if c.key() == (channel, ua)]
    assert all("guild_id" not in c.body for c in a_calls), a_calls
    assert all(str(ua) in c.raw and str(channel) in c.raw for c in a_calls), a_calls


# ------------------------------------------------------------------ alive

def test_channel_alive_every_interval_while_occupied_and_not_once_empty(janus_factory, webhook_service):
    service = webhook_service
    start_janus(janus_factory, service, "sfu-e2e-alive")   # alive_interval 1000 ms
    busy, quiet = snowflake(), snowflake()
    ua, ub, uc = users(3)
    g = snowflake()

    def alive_of(channel, since=0.0):
        return [c for c in service.snapshot("alive", since) if c.body["channel_id"] == channel]

    async def scenario():
        async with Clients() as cl:
            a = await enter(cl, ua, busy, guild=g, silent=True)
            b = await enter(cl, ub, busy, guild=g, silent=True)
            await enter(cl, uc, quiet, silent=True)
            await service.wait(lambda s: len(alive_of(busy)) >= 3 and len(alive_of(quiet)) >= 2, 8,
                               "alive calls of both channels")
            await a.leave()
            await b.leave()
            await service.wait(has("leave", body(busy, ub, g)), CALL_TIMEOUT, "the last leave of the busy channel")
            emptied = time.monotonic()
            # Two more intervals of the other channel: none for the empty one.
            await service.wait(lambda s: len(alive_of(quiet, emptied)) >= 2, 5, "alive calls of the other channel")
            return emptied
    emptied = run(scenario(), timeout=60)

    assert not alive_of(busy, emptied), alive_of(busy)
    assert all(c.body == {"channel_id": busy, "guild_id": g} for c in alive_of(busy)), alive_of(busy)
    assert all(c.body == {"channel_id": quiet} for c in alive_of(quiet)), alive_of(quiet)
    gaps = [later.at - earlier.at for earlier, later in zip(alive_of(quiet), alive_of(quiet)[1:])]
    assert all(0.6 <= gap <= 1.8 for gap in gaps), f"alive_interval is 1000 ms, gaps {gaps}"
    # The first alive comes an interval after the channel filled, not at once.
    first_join = service.snapshot("join")[0].at
    assert alive_of(busy)[0].at - first_join >= 0.6


# ------------------------------------------------------------------ down, then hanging

def join_times(results):
    return sorted(round(t, 3) for t in results)


async def join_and_leave(user: int, channel: int):
    """A silent participant comes and goes; returns how long its join took."""
    c = SilentClient(user)
    try:
        await c.connect()
        started = time.monotonic()
        ack = await c.join(channel, tokens.mint(user, channel))
        took = time.monotonic() - started
        assert ack == {"ok": True}, ack
        await c.leave()
        await c.wait_closed(5)
        return took
    finally:
        await c.close()


def test_a_webhook_service_down_or_hanging_changes_nothing_for_callers(janus_factory, webhook_service):
    """Down (port closed), then hanging (accepts, never answers; each call
    waits its whole 2 s timeout): joins take what they took with the service
    up, the call goes on with audio, a burst of calls is dropped from the
    bounded queue (counted and logged once), Janus's memory stays flat, and
    heartbeats resume when the service answers again."""
    service = webhook_service
    janus = start_janus(janus_factory, service, "sfu-e2e-trouble", timeout=2000, queue_size=16)
    channel = snowflake()
    ua, ub, ud = users(3)

    async def scenario():
        await service.wait(lambda s: s.snapshot("heartbeat"), 5, "registration")
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            for c in (a, b):
                assert await c.join(channel, tokens.mint(c.user_id, channel)) == {"ok": True}
            await asyncio.gather(a.wait_connected(), b.wait_connected())
            await asyncio.gather(a.wait_hearing(ub, 660, HEAR_TIMEOUT), b.wait_hearing(ua, 440, HEAR_TIMEOUT))
            baseline = [await join_and_leave(u, channel) for u in users(5)]

            service.stop()   # down: connections refused
            await wait_log(janus, "webhook: heartbeat to http://127.0.0.1:3200 failing", 5)
            down = [await join_and_leave(u, channel) for u in users(5)]

            service.start(hanging=True)   # up, but never answers
            await service.wait(lambda s: [c for c in s.calls if not c.answered], 5, "a call hanging")
            rss_before = rss_kib(janus.proc.pid)
            hanging = []
            batch = users(200)
            for start in range(0, len(batch), 10):
                hanging += await asyncio.gather(*(join_and_leave(u, channel) for u in batch[start:start + 10]))
            rss_after = rss_kib(janus.proc.pid)
            await wait_log(janus, "webhook: queue full (16 calls): dropped", 5)
            # The thread gave up on a hanging call after its timeout and
            # went on to the next one (which hangs too).
            await service.wait(lambda s: len([c for c in s.calls if not c.answered]) >= 2, 10,
                               "a second hanging call")

            # A newcomer still joins, hears and is heard while the service hangs.
            d = await cl.gochat(ud, tone=880)
            assert await d.join(channel, tokens.mint(ud, channel)) == {"ok": True}
            await d.wait_connected()
            await asyncio.gather(d.wait_hearing(ua, 440, HEAR_TIMEOUT), a.wait_hearing(ud, 880, HEAR_TIMEOUT),
                                 b.wait_hearing(ua, 440, 5))

            resumed = time.monotonic()
            service.answer()
            await service.wait(lambda s: [c for c in s.snapshot("heartbeat", resumed) if c.answered], 15,
                               "an answered heartbeat after the service came back")
            await wait_log(janus, "webhook: heartbeat accepted again", 5)
            # Presence calls flow again: a newcomer's join and leave arrive.
            await d.leave()
            ue = users(1)[0]
            mark = time.monotonic()
            await join_and_leave(ue, channel)
            default_guild = 1111111111111111111  # tokens.mint's
            for kind in ("join", "leave"):
                await service.wait(has(kind, body(channel, ue, default_guild), mark), CALL_TIMEOUT,
                                   f"a {kind} after the service came back")
            return baseline, down, hanging, rss_before, rss_after
    baseline, down, hanging, rss_before, rss_after = run(scenario(), timeout=180)

    slowest_ok = max(baseline)
    print(f"join ack times (s): service up {join_times(baseline)}, down {join_times(down)}, "
          f"hanging max {max(hanging):.3f} median {statistics.median(hanging):.3f}; "
          f"VmRSS {rss_before} -> {rss_after} KiB over {len(hanging)} join/leave cycles while hanging")
    # A join waiting for the service would take its 2 s timeout at least.
    assert max(down) < max(1.0, 3 * slowest_ok), (baseline, down)
    assert max(hanging) < 1.5, f"a join took {max(hanging):.2f}s while the service hung (timeout 2 s)"
    assert rss_after - rss_before < 16 * 1024, f"VmRSS grew {rss_after - rss_before} KiB while the service hung"
    lines = webhook_log_lines(janus)
    assert sum("heartbeat to http://127.0.0.1:3200 failing" in line for line in lines) == 1, lines
    assert sum("heartbeat accepted again" in line for line in lines) == 1, lines
    assert sum("registered with" in line for line in lines) == 1, lines
    assert 1 <= sum("queue full" in line for line in lines) <= 3, lines   # logged, at most every 10 s
    # Whatever was dropped, GoChat never sees a leave without the join
    # before it: a dropped join takes its user's leave along.
    for key, kinds in presence_by_user(service).items():
        assert kinds in ([], ["join"], ["join", "leave"]), (key, kinds)


# ------------------------------------------------------------------ clean shutdown

def test_clean_shutdown_sends_the_leave_of_everyone_present(janus_factory, janus_pool, webhook_service):
    service = webhook_service
    janus = start_janus(janus_factory, service, "sfu-e2e-shutdown")
    one, two = snowflake(), snowflake()
    ua, ub, uc = users(3)
    g = snowflake()

    async def scenario():
        async with Clients() as cl:
            await enter(cl, ua, one, guild=g, silent=True)
            await enter(cl, ub, one, silent=True)
            await enter(cl, uc, two, guild=g, silent=True)
            await enter(cl, uc, one, guild=g, silent=True)   # the same user in a second channel
            for key in ((one, ua, g), (one, ub, None), (two, uc, g), (one, uc, g)):
                await service.wait(has("join", body(*key)), CALL_TIMEOUT, f"join {key}")
            started = time.monotonic()
            await asyncio.to_thread(janus_pool.stop_current)   # SIGINT while everyone is in
            return time.monotonic() - started
    took = run(scenario(), timeout=60)

    assert janus.stop_problem is None, janus.stop_problem
    assert took < 5.0
    assert presence_by_user(service) == {(one, ua): ["join", "leave"], (one, ub): ["join", "leave"],
                                         (two, uc): ["join", "leave"], (one, uc): ["join", "leave"]}, \
        service.presence()
    assert has("leave", body(one, ub))(service) and has("leave", body(two, uc, g))(service)


def test_clean_shutdown_with_a_hanging_service_still_ends_in_bounded_time(janus_factory, janus_pool,
                                                                         webhook_service):
    service = webhook_service
    janus = start_janus(janus_factory, service, "sfu-e2e-shutdown-hang")   # timeout 1000 ms
    channel = snowflake()

    async def scenario():
        async with Clients() as cl:
            for u in users(3):
                await enter(cl, u, channel, silent=True)
            await service.wait(lambda s: len(s.snapshot("join")) == 3, CALL_TIMEOUT, "3 joins")
            service.hang()
            started = time.monotonic()
            await asyncio.to_thread(janus_pool.stop_current)
            return time.monotonic() - started
    took = run(scenario(), timeout=60)

    assert janus.stop_problem is None, janus.stop_problem
    assert took < 4.5, f"Janus took {took:.1f}s to stop"
    # Three leaves cannot all hang for their timeout within the budget of one.
    assert "leave(s) unsent: the service did not take them within 1000 ms" in janus.log_since(0)
