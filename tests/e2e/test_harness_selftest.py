"""Harness self-test against Janus's stock plugins (no GoChat code).

Proves, inside the test namespace, that ICE and DTLS connect between aiortc
and Janus, that a tone sent by a client comes back and is recognised by the
frequency detector, that the aiortc patches route media of a recycled
m-line (new SSRC, shared payload type) to the right line, and that a
silence check refuses to pass on a line that could not carry sound. When
this fails, the environment is broken, not the product."""

import random

import pytest

from harness import netns
from harness.clients import GoChatClient
from harness.rtc import RtcPeer, SilenceProvesNothing, parse_sdp
from harness.scenario import Clients, run


def test_namespace_has_the_veth_pair():
    text = netns.describe()
    assert netns.JANUS_IP in text and netns.CLIENT_IP in text, text


def test_echotest_returns_our_tone_and_video(stock_janus):
    async def scenario():
        async with Clients() as clients:
            c = await clients.janus("echo")
            await c.attach("janus.plugin.echotest")
            peer = c.new_peer()
            from harness.rtc import TinyCameraTrack, ToneTrack
            offer = await peer.create_offer(audio_track=ToneTrack(523.0),
                                            video_track=TinyCameraTrack())
            # we offer only our own address
            cands = [cand for m in parse_sdp(offer) for cand in m.candidates]
            assert cands and all(netns.CLIENT_IP in cand for cand in cands), cands
            reply = await c.message({"audio": True, "video": True},
                                    jsep={"type": "offer", "sdp": offer}, want_jsep=True)
            answer = reply["jsep"]["sdp"]
            janus_cands = [cand for m in parse_sdp(answer) for cand in m.candidates]
            assert janus_cands and all(netns.JANUS_IP in cand for cand in janus_cands), janus_cands
            await peer.apply_answer(answer)
            await c.changes.wait_until(lambda: peer.connection_state == "connected", 15,
                                       "ICE+DTLS connected")
            mid = peer.local_lines[0].mid
            await c.changes.wait_until(lambda: peer.hears(mid, 523.0, by_mid=True), 15,
                                       "523 Hz echoed back", describe=peer.describe_audio)
            await c.wait_event(lambda m: m.get("janus") == "webrtcup", 5, what="webrtcup")
            await c.changes.wait_until(lambda: sum(peer.video_frames.values()) >= 5, 15,
                                       "echoed video frames decoded",
                                       describe=lambda: dict(peer.video_frames))
    run(scenario(), timeout=60)


async def _videoroom_publisher(clients, room, name, freq):
    from harness.rtc import ToneTrack
    p = await clients.janus(name)
    await p.attach("janus.plugin.videoroom")
    joined = await p.message({"request": "join", "ptype": "publisher", "room": room,
                              "display": name})
    feed = joined["plugindata"]["data"]["id"]
    peer = p.new_peer()
    offer = await peer.create_offer(audio_track=ToneTrack(freq))
    reply = await p.message({"request": "publish", "audio": True, "video": False},
                            jsep={"type": "offer", "sdp": offer}, want_jsep=True)
    await peer.apply_answer(reply["jsep"]["sdp"])
    await p.wait_event(lambda m: m.get("janus") == "webrtcup", 15, what="publisher webrtcup")
    return feed


def test_videoroom_server_offers_with_recycled_line(stock_janus):
    """Server-initiated offers with several Opus lines sharing PT 111, then a
    line recycled for another publisher with a new SSRC: each line must play
    its own publisher's tone (this needs the MID routing patch)."""
    async def scenario():
        async with Clients() as clients:
            admin = await clients.janus("admin")
            await admin.attach("janus.plugin.videoroom")
            room = random.randint(10_000, 99_999)
            await admin.message({"request": "create", "room": room, "publishers": 6,
                                 "audiocodec": "opus"})
            f440 = await _videoroom_publisher(clients, room, "p440", 440.0)
            f660 = await _videoroom_publisher(clients, room, "p660", 660.0)
            f880 = await _videoroom_publisher(clients, room, "p880", 880.0)

            s = await clients.janus("subscriber")
            await s.attach("janus.plugin.videoroom")
            peer = s.new_peer()
            reply = await s.message({"request": "join", "ptype": "subscriber", "room": room,
                                     "streams": [{"feed": f440}, {"feed": f660}]},
                                    want_jsep=True)
            offer = reply["jsep"]["sdp"]
            lines = [m for m in parse_sdp(offer) if m.kind == "audio"]
            assert len(lines) == 2 and all(111 in m.codecs for m in lines), offer
            answer = await peer.apply_offer(offer)
            await s.message({"request": "start"}, jsep={"type": "answer", "sdp": answer})
            mid_a, mid_b = lines[0].mid, lines[1].mid
            await s.changes.wait_until(
                lambda: peer.hears(mid_a, 440.0, by_mid=True) and peer.hears(mid_b, 660.0, by_mid=True),
                20, "440 Hz on the first line and 660 Hz on the second", describe=peer.describe_audio)

            # drop the 440 Hz feed: its line goes inactive ...
            reply = await s.message({"request": "unsubscribe", "streams": [{"feed": f440}]},
                                    want_jsep=True)
            offer = reply["jsep"]["sdp"]
            assert [m.direction for m in parse_sdp(offer) if m.mid == mid_a] == ["inactive"], offer
            answer = await peer.apply_offer(offer)
            await s.message({"request": "start"}, jsep={"type": "answer", "sdp": answer})
            await s.changes.wait_until(lambda: peer.silent(mid_a, by_mid=True), 10,
                                       "first line silent", describe=peer.describe_audio)

            # ... and is recycled for the 880 Hz feed with a new SSRC
            old_ssrcs = lines[0].ssrcs
            reply = await s.message({"request": "subscribe", "streams": [{"feed": f880}]},
                                    want_jsep=True)
            offer = reply["jsep"]["sdp"]
            reused = [m for m in parse_sdp(offer) if m.mid == mid_a]
            assert reused and reused[0].direction == "sendonly", offer
            assert len([m for m in parse_sdp(offer) if m.kind == "audio"]) == 2, \
                "Janus appended a line instead of recycling the inactive one"
            assert set(reused[0].ssrcs) != set(old_ssrcs), "expected a new SSRC on the recycled line"
            answer = await peer.apply_offer(offer)
            await s.message({"request": "start"}, jsep={"type": "answer", "sdp": answer})
            await s.changes.wait_until(
                lambda: peer.hears(mid_a, 880.0, by_mid=True) and peer.hears(mid_b, 660.0, by_mid=True),
                20, "880 Hz on the recycled line, 660 Hz still on the second",
                describe=peer.describe_audio)
    run(scenario(), timeout=90)


def test_silence_on_a_line_that_never_carried_sound_raises(stock_janus):
    """Silence is what a mute looks like, and also what a line that does not
    exist looks like. `silent()` must refuse the second: a stream no offer
    ever carried, a line that was answered and connected but never got a
    frame, and a line that played but whose connection is gone all raise
    SilenceProvesNothing; a line that plays is measured (not silent)."""
    async def scenario():
        # nothing offered yet: no line, no PeerConnection
        bare = RtcPeer("bare")
        try:
            with pytest.raises(SilenceProvesNothing, match="never offered"):
                bare.silent("user-1")
            with pytest.raises(SilenceProvesNothing, match="never offered"):
                bare.silent("0", by_mid=True)
        finally:
            await bare.close()
        with pytest.raises(SilenceProvesNothing, match="no PeerConnection"):
            await GoChatClient(1234567890123456789).wait_not_hearing(42, 1)

        async with Clients() as clients:
            c = await clients.janus("echo-silence")
            await c.attach("janus.plugin.echotest")
            peer = c.new_peer()
            from harness.rtc import ToneTrack
            # a second audio line that receives only: the echo test has
            # nothing to send back on it, so it never gets a frame
            peer.pc.addTransceiver("audio", direction="recvonly")
            offer = await peer.create_offer(audio_track=ToneTrack(523.0))
            reply = await c.message({"audio": True, "video": False},
                                    jsep={"type": "offer", "sdp": offer}, want_jsep=True)
            await peer.apply_answer(reply["jsep"]["sdp"])
            await c.changes.wait_until(lambda: peer.connection_state == "connected", 15,
                                       "ICE+DTLS connected")
            mute_mid, tone_mid = peer.local_lines[0].mid, peer.local_lines[1].mid
            await c.changes.wait_until(lambda: peer.hears(tone_mid, 523.0, by_mid=True), 15,
                                       "523 Hz echoed back", describe=peer.describe_audio)

            # connected, and the other line plays: still no proof for these
            with pytest.raises(SilenceProvesNothing, match="never offered"):
                peer.silent("user-404")
            with pytest.raises(SilenceProvesNothing, match="never offered"):
                peer.silent("no-such-mid", by_mid=True)
            with pytest.raises(SilenceProvesNothing, match="never received an audio frame"):
                peer.silent(mute_mid, by_mid=True)
            # the line that plays is measured, and is not silent
            assert peer.silent(tone_mid, by_mid=True) is False

            # heard before, but the connection is gone
            await peer.close()
            with pytest.raises(SilenceProvesNothing, match="not connected"):
                peer.silent(tone_mid, by_mid=True)
    run(scenario(), timeout=60)
