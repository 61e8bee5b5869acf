"""The plugin works identically through Janus's stock WebSocket transport
with the plain Janus API (docs/plugin-api.md: the room logic lives in the
plugin, whatever the transport): a plain-API participant and a
GoChat-protocol participant share a room and hear each other."""

from harness import tokens
from harness.clients import stream_of
from harness.ids import snowflake, users
from harness.rtc import ToneTrack, parse_sdp
from harness.scenario import Clients, run

PLUGIN = "janus.plugin.gochat.sfu"


def test_plain_api_participant_and_gochat_participant_hear_each_other(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.janus("plain-a")
            await a.attach(PLUGIN)
            a.start_answering_offers(audio_track=ToneTrack(440))
            mark = len(a.received)
            await a.message({"request": "join", "channel": channel,
                             "token": "Bearer " + tokens.mint(ua, channel)})
            joined = await a.wait_event(
                lambda m: m.get("plugindata", {}).get("data", {}).get("gochat") == "joined",
                10, since=mark, what="joined event")
            assert joined["plugindata"]["data"]["t"] == 500
            assert joined["plugindata"]["data"]["d"] == {"ok": True}

            b = await cl.gochat(ub, tone=660)
            ack = await b.join(channel, tokens.mint(ub, channel))
            assert ack == {"ok": True}

            await b.wait_hearing(ua, 440, 20)
            await a.changes.wait_until(lambda: a.peer is not None and a.peer.hears(stream_of(ub), 660),
                                       20, "plain client hearing user B",
                                       describe=lambda: a.peer.describe_audio() if a.peer else "no peer")
            assert not a.answer_errors, a.answer_errors
            first = parse_sdp(a.offers[0])
            assert [m.kind for m in first] == ["audio", "video"]
    run(scenario(), timeout=60)


def test_plain_api_request_before_join_is_refused(gochat_janus):
    async def scenario():
        async with Clients() as cl:
            a = await cl.janus("plain-early")
            await a.attach(PLUGIN)
            mark = len(a.received)
            await a.message({"request": "leave"})
            ev = await a.wait_event(
                lambda m: m.get("plugindata", {}).get("data", {}).get("d", {}).get("ok") is False,
                10, since=mark, what="refusal event")
            assert ev["plugindata"]["data"]["d"]["error"] == "not joined", ev
    run(scenario(), timeout=30)
