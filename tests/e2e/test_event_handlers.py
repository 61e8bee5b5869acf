"""Room events reach Janus's stock event handlers (docs/plugin-api.md,
Event handlers): Janus runs with its sample HTTP event handler
(libjanus_sampleevh from Debian's janus package) posting to a local HTTP
server, and a scripted call (join, publish audio and video, server mute,
deafen, kick, block, move, leave) must arrive there, in order, with the
documented fields."""

import asyncio

import pytest

from harness import tokens
from harness.calls import enter_call, send_rtc
from harness.event_sink import EVENT_SINK_URL, EventSink
from harness.ids import snowflake, users
from harness.scenario import Clients, run

MEMBER = tokens.PERMS_MEMBER
MODERATOR = MEMBER | tokens.PERM_MUTE_MEMBERS | tokens.PERM_DEAFEN_MEMBERS | tokens.PERM_MOVE_MEMBERS
T_LEAVE, T_SERVER_MUTE, T_SERVER_DEAFEN, T_KICK, T_BLOCK, T_MOVE = 504, 507, 508, 510, 511, 512
EVENT_TIMEOUT = 10.0


@pytest.fixture
def event_sink():
    sink = EventSink().start()
    yield sink
    sink.stop()


def events_of(sink: EventSink, user: int):
    return [e for e in sink.plugin_events() if e.get("user") == user]


def first_index(events, **fields):
    for i, event in enumerate(events):
        if all(event.get(k) == v for k, v in fields.items()):
            return i
    return -1


def test_a_scripted_call_reaches_the_event_handler_in_order_with_its_fields(janus_factory, event_sink):
    janus_factory(event_handler_backend=EVENT_SINK_URL)
    channel, elsewhere = snowflake(), snowflake()
    mod, ann, bob, cat = users(4)

    async def scenario():
        async with Clients() as cl:
            m = await cl.gochat(mod, tone=550)
            a = await cl.gochat(ann, tone=440, camera=True)
            b = await cl.gochat(bob, tone=660)
            c = await cl.gochat(cat, tone=770)
            await enter_call(m, channel, MODERATOR)
            await enter_call(a, channel, MEMBER)
            await enter_call(b, channel, MEMBER)
            await enter_call(c, channel, MEMBER)
            await event_sink.wait_for(lambda ev: first_index([e for e in ev if e.get("user") == ann],
                                                             event="published", kind="video") >= 0,
                                      EVENT_TIMEOUT, "ann's video publication")

            await send_rtc(m, T_SERVER_MUTE, {"user": ann, "muted": True}, ok_within=EVENT_TIMEOUT)
            await send_rtc(m, T_SERVER_DEAFEN, {"user": ann, "deafened": True}, ok_within=EVENT_TIMEOUT)
            await send_rtc(m, T_KICK, {"user": bob}, ok_within=EVENT_TIMEOUT)
            await send_rtc(m, T_BLOCK, {"user": cat, "block": True}, ok_within=EVENT_TIMEOUT)
            await send_rtc(m, T_MOVE, {"user": ann, "channel": elsewhere}, ok_within=EVENT_TIMEOUT)
            await send_rtc(m, T_LEAVE, {})
            await event_sink.wait_for(lambda ev: first_index([e for e in ev if e.get("user") == mod],
                                                             event="left") >= 0,
                                      EVENT_TIMEOUT, "the moderator's leave")
    run(scenario(), timeout=90)

    assert not event_sink.problems, event_sink.problems
    # (A Janus of an earlier test may still post its departures here: only
    # this test's users count.)
    everything = [e for e in event_sink.plugin_events() if e.get("user") in (mod, ann, bob, cat)]
    assert everything
    for event in everything:
        assert event.get("channel") == channel, event  # ids exact: no double on the way
    a_events = events_of(event_sink, ann)
    # Ann: joined (with her Janus session and handle), published audio and
    # video with their codecs, muted and deafened by the moderator, moved.
    joined = a_events[first_index(a_events, event="joined")]
    assert joined["_session_id"] and joined["_handle_id"], joined
    assert first_index(a_events, event="published", kind="audio", codec="opus") > 0
    assert first_index(a_events, event="published", kind="video", codec="vp8") > 0
    mute = first_index(a_events, event="server_muted", on=True)
    deafen = first_index(a_events, event="deafened", on=True)
    moved = first_index(a_events, event="left", reason="moved", moved_to=elsewhere)
    assert 0 < mute < deafen < moved, a_events
    assert a_events[mute]["by_session"] > 0
    # Bob kicked, Cat blocked (the flag, then her departure), the moderator left.
    b_events = events_of(event_sink, bob)
    assert 0 < first_index(b_events, event="left", reason="kicked"), b_events
    c_events = events_of(event_sink, cat)
    assert 0 < first_index(c_events, event="blocked", on=True) < first_index(c_events, event="left", reason="blocked")
    m_events = events_of(event_sink, mod)
    assert 0 < first_index(m_events, event="left", reason="left"), m_events
    # Each user joined once and left once; nobody was told of speaking (off by default).
    for user in (mod, ann, bob, cat):
        names = [e["event"] for e in events_of(event_sink, user)]
        assert names.count("joined") == 1 and names.count("left") == 1, (user, names)
        assert names.index("joined") < names.index("left")
    assert not [e for e in everything if e.get("event") == "speaking"]


def test_speaking_changes_reach_the_handler_only_when_asked_for(janus_factory, event_sink):
    janus_factory(event_handler_backend=EVENT_SINK_URL, sfu_general=(("speaking_events", True),))
    channel = snowflake()
    ann, bob = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ann, tone=440)
            b = await cl.gochat(bob, tone=660)
            await asyncio.gather(enter_call(a, channel, MEMBER), enter_call(b, channel, MEMBER))
            await event_sink.wait_for(lambda ev: [e for e in ev if e.get("event") == "speaking"
                                                  and e.get("user") == ann and e.get("speaking") is True],
                                      EVENT_TIMEOUT, "ann speaking")
    run(scenario(), timeout=60)


def test_no_events_are_built_when_the_plugin_is_told_not_to(janus_factory, event_sink):
    janus_factory(event_handler_backend=EVENT_SINK_URL, sfu_general=(("events", False),))
    channel = snowflake()
    (ann,) = users(1)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ann, tone=440)
            await enter_call(a, channel, MEMBER)
            # Janus's own events (sessions, handles, webrtc) still arrive: the handler works.
            await event_sink.wait_for(lambda _: [e for e in event_sink.events if e.get("type") == 16], EVENT_TIMEOUT,
                                      "a webrtc event from the core")
    run(scenario(), timeout=60)
    assert [e for e in event_sink.plugin_events() if e.get("channel") == channel] == []
