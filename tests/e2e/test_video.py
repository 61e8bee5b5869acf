"""Video end to end: cameras published, forwarded and decoded on the right
`user-<id>` stream; cameras turned on and off mid-call the way GoChat's web
client does it (`{"event":"negotiate"}` + the fresh server offer) and
through client offers (t 501); glare ("offer in flight"); PermVoiceVideo;
the m-line bound under churn. Contract: docs/protocol.md (negotiation, media rules, the web client),
docs/protocol.md, docs/plugin-api.md.

Clients use `WebClientPeer`, which answers like FlameInTheDark/gochatui's
`voice` store: it adopts the LAST video line of the first offer as its
camera line for good (mid 1, since the first offer holds only the client's
own lines), attaches the camera there with direction `sendrecv` when the
camera is on, and turns it off with `replaceTrack(null)` + `recvonly`
(so the answer carries the own video line `inactive`)."""

import asyncio
import copy
import json
import time
from typing import Optional

from harness import tokens
from harness.calls import enter_call, send_rtc
from harness.clients import OP_RTC, T_ANSWER, T_OFFER, GoChatClient, stream_of
from harness.ids import snowflake, users
from harness.rtc import (RtcPeer, SilenceProvesNothing, TinyCameraTrack, bind_announced_ssrcs,
                         parse_sdp)
from harness.scenario import Clients, run
from aiortc import RTCSessionDescription
from aiortc.codecs import CODECS, HEADER_EXTENSIONS
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

MEMBER = tokens.PERMS_MEMBER
NO_VIDEO = tokens.PERM_CONNECT | tokens.PERM_SPEAK
TIMEOUT = 15.0          # media starts / an offer arrives well within this
FRAMES = 5              # "decodes": at least this many new frames
QUIET = 1.0             # "frames stopped": none for this long (10 fps source)
NEGOTIATE = json.dumps({"event": "negotiate", "data": ""})


# ------------------------------------------------------------------ client

class WebClientPeer(RtcPeer):
    """RtcPeer answering server offers like GoChat's web client (see the
    module docstring). `gate`, when set to an unset asyncio.Event, holds
    offers unanswered until it is set. `lock` serialises server offers with
    the client's own offer/answer exchanges (the client has one signaling
    state)."""

    def __init__(self, name, on_change=None):
        super().__init__(name, on_change)
        self.camera_mid: Optional[str] = None
        self.gate: Optional[asyncio.Event] = None
        self.lock = asyncio.Lock()

    def transceiver(self, mid):
        return next(t for t in self.pc.getTransceivers() if t.mid == mid)

    def bind_camera(self, camera):
        """What gochatui does on the adopted transceiver when the camera is
        switched on (replaceTrack + sendrecv) or off (null + recvonly)."""
        t = self.transceiver(self.camera_mid)
        if camera is not None:
            if t.sender.track is not camera:
                t.sender.replaceTrack(camera)
            t.direction = "sendrecv"
        else:
            if t.sender.track is not None:
                t.sender.replaceTrack(None)
            t.direction = "recvonly"

    async def apply_offer(self, sdp, audio_track=None, video_track=None):
        if self.gate is not None:
            await self.gate.wait()
        async with self.lock:
            lines = parse_sdp(sdp)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            by_mid = {t.mid: t for t in self.pc.getTransceivers()}
            first_audio = next((m for m in lines if m.kind == "audio"), None)
            if first_audio is not None and audio_track is not None:
                t = by_mid[first_audio.mid]
                t.direction = "sendrecv"
                if t.sender.track is not audio_track:
                    t.sender.replaceTrack(audio_track)
            if self.camera_mid is None:
                videos = [m for m in lines if m.kind == "video"]
                if videos:  # adopted for good, like adoptPeerVideoTransceiver
                    self.camera_mid = videos[-1].mid
            if self.camera_mid is not None:
                self.bind_camera(video_track)
            self._update_owners(lines)
            bind_announced_ssrcs(self.pc, sdp)
            answer = await self.pc.createAnswer()
            await self.pc.setLocalDescription(answer)
            self._start_consumers()
            local = self.pc.localDescription.sdp
            self.local_lines = parse_sdp(local)
            return local


async def web_client(cl: Clients, user_id: int, **kw) -> GoChatClient:
    c = await cl.gochat(user_id, **kw)
    c.peer = WebClientPeer(c.name, on_change=c.changes.changed)
    c.spare_tracks = []
    return c


async def wait_settled(c: GoChatClient, since: int, timeout: float = TIMEOUT):
    """Wait until an offer newer than `since` arrived and every offer so far
    is answered."""
    await c.changes.wait_until(
        lambda: (len(c.answers) > since and len(c.answers) == len(c.offers)) or c.errors,
        timeout, f"{c.name}: a new server offer answered (after #{since})", describe=c.describe)
    assert not c.errors, c.errors


async def camera_on_by_negotiate(c: GoChatClient):
    """gochatui's camera on: bind the camera to the adopted line, set it
    sendrecv, send negotiate, answer the fresh offer."""
    c.cam = TinyCameraTrack()
    c.peer.bind_camera(c.cam)
    mark = len(c.answers)
    await c.send_raw(NEGOTIATE)
    await wait_settled(c, mark)


async def camera_off_by_negotiate(c: GoChatClient):
    c.spare_tracks.append(c.cam)  # stopped at the end: the sender may still hold it
    c.cam = None
    c.peer.bind_camera(None)
    mark = len(c.answers)
    await c.send_raw(NEGOTIATE)
    await wait_settled(c, mark)


def is_offer_reply(m: dict) -> bool:
    d = m.get("d")
    return m.get("op") == OP_RTC and isinstance(d, dict) and (
        m.get("t") == T_ANSWER or (m.get("t") == T_OFFER and d.get("ok") is False))


def _browser_like_codecs():
    """aiortc's codec table renumbered the way a browser re-offers: payload
    types keep the meaning negotiated so far on this PeerConnection (the
    SFU's: Opus 111, VP8 96 + rtx 97, H.264 42e01f 102 + rtx 103)."""
    def pt(codec, number, apt=None):
        codec = copy.deepcopy(codec)
        codec.payloadType = number
        if apt is not None:
            codec.parameters["apt"] = apt
        return codec
    audio, video = CODECS["audio"], CODECS["video"]
    opus = next(c for c in audio if c.mimeType.lower() == "audio/opus")
    vp8 = next(c for c in video if c.mimeType.lower() == "video/vp8")
    rtx = next(c for c in video if c.mimeType.lower() == "video/rtx")
    h264 = next(c for c in video if c.mimeType.lower() == "video/h264"
                and c.parameters.get("profile-level-id") == "42e01f")
    return {"audio": [pt(opus, 111)],
            "video": [pt(vp8, 96), pt(rtx, 97, 96), pt(h264, 102), pt(rtx, 103, 102)]}


async def create_offer(pc):
    """pc.createOffer() the way a browser re-offers. aiortc 1.4 differs in
    two ways that break a bundled renegotiation, so both are corrected while
    it builds the offer:
    - it renumbers payload types from its static table on every offer
      (Opus 96, VP8 97 + rtx 98): Janus's core then drops 97/98 as
      "duplicate payload type" (they meant something else on this
      PeerConnection) and the video line is left without formats;
    - it uses header extension id 2 for audio-level on audio AND for
      abs-send-time on video; one BUNDLE transport parses every incoming
      packet with one id map, so once its video sender starts, a forwarded
      audio packet's level is read as abs-send-time and the exception kills
      aiortc's DTLS transport (all media stops)."""
    saved = dict(CODECS), dict(HEADER_EXTENSIONS)
    CODECS.update(_browser_like_codecs())
    HEADER_EXTENSIONS["video"] = [
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(
            id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")]
    try:
        return await pc.createOffer()  # copies both tables before its first await
    finally:
        CODECS.update(saved[0])
        HEADER_EXTENSIONS.update(saved[1])


async def client_offer(c: GoChatClient, timeout: float = TIMEOUT) -> dict:
    """createOffer -> setLocalDescription -> t 501; apply the t 502 answer.
    Returns the reply envelope (t 502, or the t 501 refusal)."""
    async with c.peer.lock:
        offer = await create_offer(c.peer.pc)
        await c.peer.pc.setLocalDescription(offer)
        sdp = c.peer.pc.localDescription.sdp
        c.peer.local_lines = parse_sdp(sdp)
        mark = len(c.received)
        await c.send(OP_RTC, T_OFFER, {"sdp": sdp})
        reply = await c.wait_message(is_offer_reply, timeout, since=mark, what="reply to t 501")
        if reply["t"] == T_ANSWER:
            await c.peer.apply_answer(reply["d"]["sdp"])
        return reply


# ------------------------------------------------------------------ probes

def frames(viewer: GoChatClient, user_id: int) -> int:
    return viewer.peer.video_frames.get(stream_of(user_id), 0) if viewer.peer else 0


async def wait_seeing(viewer: GoChatClient, user_id: int, count: int = FRAMES,
                      timeout: float = TIMEOUT):
    start = frames(viewer, user_id)
    await viewer.changes.wait_until(
        lambda: frames(viewer, user_id) >= start + count, timeout,
        f"{viewer.name} decoding {count} video frames from {stream_of(user_id)} "
        f"(video frames by stream: {dict(viewer.peer.video_frames) if viewer.peer else {}})",
        describe=viewer.describe)


async def wait_video_stops(viewer: GoChatClient, user_id: int, timeout: float = 8.0):
    """No new frame from `user_id` for QUIET seconds, within `timeout`.
    Like RtcPeer.silent, only on a camera that was decoded before over a
    connected PeerConnection: otherwise "no frames" is always true."""
    if frames(viewer, user_id) == 0 or viewer.peer.connection_state != "connected":
        raise SilenceProvesNothing(f"{viewer.name}: video from {stream_of(user_id)} stopping proves "
                                   f"nothing: never decoded, or not connected ({viewer.describe()})")
    state = {"n": frames(viewer, user_id), "since": time.monotonic()}

    def quiet():
        n, now = frames(viewer, user_id), time.monotonic()
        if n != state["n"]:
            state.update(n=n, since=now)
        return now - state["since"] >= QUIET
    await viewer.changes.wait_until(quiet, timeout,
                                    f"{viewer.name}: video from {stream_of(user_id)} stopping",
                                    describe=viewer.describe)


def camera_lines(c: GoChatClient, user_id: int, offer: Optional[str] = None):
    """Lines of an offer (default: the latest) forwarding `user_id`'s camera."""
    sdp = offer if offer is not None else (c.offers[-1] if c.offers else "")
    return [m for m in parse_sdp(sdp) if m.kind == "video" and m.direction == "sendonly"
            and m.msid_stream == stream_of(user_id)]


def offered_camera(c: GoChatClient, user_id: int) -> bool:
    return bool(camera_lines(c, user_id)) and len(c.answers) == len(c.offers)


async def wait_offered_camera(c: GoChatClient, user_id: int, timeout: float = TIMEOUT):
    await c.changes.wait_until(lambda: offered_camera(c, user_id), timeout,
                               f"{c.name}: answered offer with {stream_of(user_id)}'s camera",
                               describe=c.describe)


def line(sdp: str, mid: str):
    return next(m for m in parse_sdp(sdp) if m.mid == mid)


def sdp_excerpt(sdp: str) -> str:
    keep = ("m=", "a=mid", "a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive", "a=msid",
            "a=rtpmap")
    return "\n".join(l for l in sdp.splitlines() if l.startswith(keep))


# --------------------------------------------------------------- 1

def test_vp8_camera_is_decoded_by_a_subscriber_on_the_publishers_stream(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))

            own_video = line(a.offers[0], "1")
            assert own_video.kind == "video" and own_video.direction == "recvonly"
            video_codecs = [(pt, name.split("/")[0].upper()) for pt, name in own_video.codecs.items()
                            if not name.lower().startswith("rtx/")]
            assert video_codecs == [(96, "VP8"), (98, "VP9"), (102, "H264")], \
                f"own video line offers VP8 (96), VP9 (98), H.264 (102):\n{sdp_excerpt(a.offers[0])}"
            assert line(a.answers[0], "1").direction == "sendonly"

            await wait_offered_camera(b, ua)
            [cam] = camera_lines(b, ua)
            names = {n.split("/")[0].upper() for n in cam.codecs.values()}
            assert names - {"RTX"} == {"VP8"}, \
                f"a remote camera line offers only the publisher's codec:\n{sdp_excerpt(b.offers[-1])}"
            await wait_seeing(b, ua)
            assert set(b.peer.video_frames) == {stream_of(ua)}, dict(b.peer.video_frames)
            assert not camera_lines(a, ub), "B has no camera, A must not be offered one"
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 2

def test_camera_without_video_permission_is_seen_by_nobody(gochat_janus):
    channel = snowflake()
    ua, ub, un = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)      # positive control
            b = await web_client(cl, ub, tone=660)
            nv = await web_client(cl, un, tone=550, camera=True)     # tries to publish anyway
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel),
                                 enter_call(nv, channel, NO_VIDEO))
            own = parse_sdp(nv.offers[0])
            assert [(m.mid, m.kind) for m in own] == [("0", "audio"), ("1", "video")]
            assert own[0].direction == "recvonly", "Speak is granted: own audio line recvonly"
            assert own[1].direction == "inactive", \
                f"own video line must be inactive without PermVoiceVideo:\n{sdp_excerpt(nv.offers[0])}"

            await asyncio.gather(wait_seeing(b, ua), wait_seeing(nv, ua))
            # it now also offers its camera itself (t 501, camera on mid 1)
            nv.peer.bind_camera(nv.cam)
            reply = await client_offer(nv)
            assert reply["t"] == T_ANSWER, reply
            await nv.changes.wait_until(lambda: len(nv.answers) == len(nv.offers), TIMEOUT,
                                        "nv: offers answered", describe=nv.describe)
            # everyone has been in the call for a while (B decoded 10 more of
            # A's frames, hears the user without Video)
            await asyncio.gather(wait_seeing(b, ua, 2 * FRAMES), b.wait_hearing(un, 550, TIMEOUT))
            for x in (a, b):
                offered = [m.msid_stream for o in x.offers for m in parse_sdp(o)
                           if m.kind == "video" and m.msid_stream == stream_of(un)]
                assert not offered, f"{x.name} was offered the camera of a user without Video"
            for x in (a, b, nv):
                assert set(x.peer.video_frames) <= {stream_of(ua)}, \
                    f"{x.name} decoded video that is not A's: {dict(x.peer.video_frames)}"
            for o in nv.offers:
                assert line(o, "1").direction == "inactive", \
                    f"own video line must stay inactive:\n{sdp_excerpt(o)}"
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 3

CHURN_CYCLES = 50
CHURN_BATCH = 5


def test_m_lines_stay_bounded_after_50_join_leave_cycles(gochat_janus):
    channel = snowflake()
    ul, ur = users(2)

    async def scenario():
        async with Clients() as cl:
            lng = await web_client(cl, ul, tone=440)
            rem = await web_client(cl, ur, tone=660)
            await asyncio.gather(enter_call(lng, channel), enter_call(rem, channel))
            await lng.wait_hearing(ur, 660, TIMEOUT)

            def streams(c):
                return {m.msid_stream for m in parse_sdp(c.offers[-1])
                        if m.direction == "sendonly" and m.msid_stream}

            done = 0
            while done < CHURN_CYCLES:
                ids = users(min(CHURN_BATCH, CHURN_CYCLES - done))
                async with Clients() as batch:
                    churners = [await batch.gochat(u, tone=300 + 10 * i) for i, u in enumerate(ids)]

                    async def come(c):  # join and publish audio (answered first offer)
                        ack = await c.join(channel, tokens.mint(c.user_id, channel, MEMBER))
                        assert ack == {"ok": True}, ack
                        await c.wait_offers(1)
                    await asyncio.gather(*(come(c) for c in churners))
                    want = {stream_of(u) for u in ids}
                    await lng.changes.wait_until(
                        lambda: want <= streams(lng) and len(lng.answers) == len(lng.offers),
                        TIMEOUT, f"long-lived offered churners {sorted(want)}", describe=lng.describe)
                    await asyncio.gather(*(c.leave() for c in churners))
                    await asyncio.gather(*(c.wait_closed() for c in churners))
                await lng.changes.wait_until(
                    lambda: not (want & streams(lng)) and len(lng.answers) == len(lng.offers),
                    TIMEOUT, "long-lived re-offered without the churners", describe=lng.describe)
                done += len(ids)

            # own lines + peak concurrent remote tracks (as offered, and as
            # the test knows them: the remaining user and one batch)
            peak = max(len([m for m in parse_sdp(o) if m.direction == "sendonly" and m.msid_stream])
                       for o in lng.offers)
            assert 1 < peak <= 1 + CHURN_BATCH, peak
            sizes = [len(parse_sdp(o)) for o in lng.offers]
            assert len(sizes) >= 2 * CHURN_CYCLES // CHURN_BATCH, sizes
            assert max(sizes) <= 2 + peak, \
                f"m-lines grew beyond 2 + {peak}: sizes per offer {sizes}\n{sdp_excerpt(lng.offers[-1])}"
            assert len(parse_sdp(lng.answers[-1])) == sizes[-1]
            assert streams(lng) == {stream_of(ur)}, sdp_excerpt(lng.offers[-1])
            await lng.wait_hearing(ur, 660, TIMEOUT)
            await rem.wait_hearing(ul, 440, TIMEOUT)
    run(scenario(), timeout=60)


# --------------------------------------------------------------- 4

def test_client_offer_adding_a_camera_mid_call_reaches_the_others(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(b.wait_hearing(ua, 440, TIMEOUT), a.wait_hearing(ub, 660, TIMEOUT))
            assert a.peer.camera_mid == "1"
            b_mark = len(b.offers)

            a.cam = TinyCameraTrack()
            a.peer.bind_camera(a.cam)   # first video transceiver, sendrecv
            reply = await client_offer(a)
            assert reply["t"] == T_ANSWER, f"client offer refused: {reply}"
            answer = parse_sdp(reply["d"]["sdp"])
            offered = parse_sdp(a.peer.pc.localDescription.sdp)
            assert [m.mid for m in answer] == [m.mid for m in offered], \
                "the answer must hold every offered line, in order"
            own = line(reply["d"]["sdp"], "1")
            assert own.direction in ("recvonly", "sendrecv"), \
                f"SFU must accept A's camera:\n{sdp_excerpt(reply['d']['sdp'])}"
            first_codec = next(n for n in own.codecs.values() if not n.lower().startswith("rtx"))
            assert first_codec.upper().startswith("VP8/"), \
                f"answer the client's first codec (VP8):\n{sdp_excerpt(reply['d']['sdp'])}"

            await wait_offered_camera(b, ua)
            assert len(b.offers) > b_mark
            await wait_seeing(b, ua)
            # the SFU resynchronises A afterwards; media still flows both ways
            await a.changes.wait_until(lambda: len(a.answers) == len(a.offers), TIMEOUT,
                                       "A's offers answered", describe=a.describe)
            await asyncio.gather(b.wait_hearing(ua, 440, TIMEOUT), a.wait_hearing(ub, 660, TIMEOUT),
                                 wait_seeing(b, ua))
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 5

def test_client_offer_during_an_unanswered_server_offer_is_refused_and_session_goes_on(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(b.wait_hearing(ua, 440, TIMEOUT), a.wait_hearing(ub, 660, TIMEOUT))

            # hold A's next server offer unanswered
            a.peer.gate = asyncio.Event()
            mark = len(a.offers)
            await a.send_raw(NEGOTIATE)
            await a.changes.wait_until(lambda: len(a.offers) > mark, TIMEOUT,
                                       "A: server offer after negotiate", describe=a.describe)
            # a colliding offer: createOffer only (aiortc has no rollback)
            colliding = (await create_offer(a.peer.pc)).sdp
            since = len(a.received)
            await a.send(OP_RTC, T_OFFER, {"sdp": colliding})
            reply = await a.wait_message(is_offer_reply, TIMEOUT, since=since, what="reply to t 501")
            assert reply == {"op": OP_RTC, "t": T_OFFER, "d": {"ok": False, "error": "offer in flight"}}, reply
            assert not a.closed

            a.peer.gate.set()  # answer the pending offer
            await wait_settled(a, mark)
            # the client can still offer, with a camera this time
            a.cam = TinyCameraTrack()
            a.peer.bind_camera(a.cam)
            reply = await client_offer(a)
            assert reply["t"] == T_ANSWER, f"client offer after glare refused: {reply}"
            await a.changes.wait_until(lambda: len(a.answers) == len(a.offers), TIMEOUT,
                                       "A's offers answered", describe=a.describe)
            await wait_offered_camera(b, ua)
            await asyncio.gather(wait_seeing(b, ua), b.wait_hearing(ua, 440, TIMEOUT),
                                 a.wait_hearing(ub, 660, TIMEOUT))
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 6

def test_camera_turned_on_by_negotiate_and_reoffer_reaches_the_others(gochat_janus):
    channel = snowflake()
    ua, ub, uc = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440)
            b = await web_client(cl, ub, tone=660)
            c = await web_client(cl, uc, tone=880)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel), enter_call(c, channel))
            await asyncio.gather(b.wait_hearing(ua, 440, TIMEOUT), c.wait_hearing(ua, 440, TIMEOUT))
            assert not camera_lines(b, ua)

            await camera_on_by_negotiate(a)
            assert line(a.offers[-1], "1").direction == "recvonly"
            assert line(a.answers[-1], "1").direction in ("sendonly", "sendrecv"), \
                sdp_excerpt(a.answers[-1])
            await asyncio.gather(wait_offered_camera(b, ua), wait_offered_camera(c, ua))
            await asyncio.gather(wait_seeing(b, ua), wait_seeing(c, ua))
            await b.wait_hearing(ua, 440, TIMEOUT)
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 7

def test_late_joiner_camera_goes_on_its_own_first_video_line(gochat_janus):
    channel = snowflake()
    ua, ul = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440)
            await enter_call(a, channel)
            await camera_on_by_negotiate(a)

            late = await web_client(cl, ul, tone=660)
            await enter_call(late, channel)
            videos = [m for m in parse_sdp(late.offers[0]) if m.kind == "video"]
            assert [m.mid for m in videos] == ["1"], \
                f"the first offer's last video line is adopted as the camera line:\n{sdp_excerpt(late.offers[0])}"
            assert late.peer.camera_mid == "1"
            await wait_offered_camera(late, ua)
            await wait_seeing(late, ua)
            [a_cam] = camera_lines(late, ua)
            assert a_cam.mid != "1"

            await camera_on_by_negotiate(late)
            first_video = next(m for m in parse_sdp(late.offers[-1]) if m.kind == "video")
            assert first_video.mid == "1" and first_video.direction == "recvonly", \
                sdp_excerpt(late.offers[-1])
            ans = parse_sdp(late.answers[-1])
            assert line(late.answers[-1], "1").direction == "sendonly", sdp_excerpt(late.answers[-1])
            assert line(late.answers[-1], a_cam.mid).direction == "recvonly"
            assert len(ans) == len(parse_sdp(late.offers[-1]))
            await wait_offered_camera(a, ul)
            await wait_seeing(a, ul)
            await wait_seeing(late, ua)
    run(scenario(), timeout=30)


# --------------------------------------------------------------- 8

def test_camera_turned_off_disappears_from_the_others_offers_and_frames_stop(gochat_janus):
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await wait_offered_camera(b, ua)
            await wait_seeing(b, ua)
            [cam] = camera_lines(b, ua)
            b_mark = len(b.offers)

            await camera_off_by_negotiate(a)
            assert line(a.answers[-1], "1").direction == "inactive", \
                f"A's answer turns its own video line off:\n{sdp_excerpt(a.answers[-1])}"

            await b.changes.wait_until(
                lambda: len(b.offers) > b_mark and len(b.answers) == len(b.offers)
                and not camera_lines(b, ua), TIMEOUT,
                "B re-offered without A's camera", describe=b.describe)
            gone = line(b.offers[-1], cam.mid)
            assert gone.direction == "inactive" and gone.msid_stream is None, \
                f"A's former camera line must be inactive without msid:\n{sdp_excerpt(b.offers[-1])}"
            assert gone.port != 0
            await wait_video_stops(b, ua)
            await b.wait_hearing(ua, 440, TIMEOUT)  # audio unaffected
    run(scenario(), timeout=30)


# --------------------------------------------------------------- resume

RESUME_KEYFRAME_TIMEOUT = 5.0  # a deadline for the wait, not a measured goal


async def paused_then_resumed_brings_a_keyframe(viewer: GoChatClient, publisher: GoChatClient,
                                                pause, resume):
    """The viewer sees the publisher's camera; `pause()` stops it, `resume()`
    starts it again. A browser decodes nothing after such a gap until a key
    frame comes, so one must follow the resume: the aiortc camera sends key
    frames only when asked (its encoder's automatic interval is 300 s), so
    a key frame after the resume was requested by the SFU."""
    stream = stream_of(publisher.user_id)
    await wait_seeing(viewer, publisher.user_id)
    # Past the join's own keyframe requests and their 1 s rate limit.
    first = viewer.peer.keyframes(stream)
    assert first, "the viewer got a key frame when it started seeing the camera"
    await pause()
    await wait_video_stops(viewer, publisher.user_id)
    before = len(viewer.peer.keyframes(stream))
    resumed_at = time.monotonic()
    await resume()
    await viewer.changes.wait_until(lambda: len(viewer.peer.keyframes(stream)) > before,
                                    RESUME_KEYFRAME_TIMEOUT, f"{viewer.name}: a key frame after the resume",
                                    describe=viewer.describe)
    delay = viewer.peer.keyframes(stream)[before] - resumed_at
    print(f"[video] key frame {delay * 1000:.0f} ms after the resume request was sent")
    await wait_seeing(viewer, publisher.user_id)


def test_local_unmute_of_a_camera_brings_a_keyframe_to_the_viewer(gochat_janus):
    """issue: after t 506 muted:true then muted:false, a browser showed no
    video from the unmuted user (packets, but no key frame)."""
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await paused_then_resumed_brings_a_keyframe(
                b, a,
                lambda: send_rtc(b, 506, {"user": ua, "muted": True}, ok_within=TIMEOUT),
                lambda: send_rtc(b, 506, {"user": ua, "muted": False}, ok_within=TIMEOUT))
    run(scenario(), timeout=60)


def test_undeafen_brings_a_keyframe_from_the_camera_heard_again(gochat_janus):
    channel = snowflake()
    ua, ub, um = users(3)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)
            b = await web_client(cl, ub, tone=660)
            mod = await web_client(cl, um)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel),
                                 enter_call(mod, channel, MEMBER | tokens.PERM_DEAFEN_MEMBERS))
            await paused_then_resumed_brings_a_keyframe(
                b, a,
                lambda: send_rtc(mod, 508, {"user": ub, "deafened": True}, ok_within=TIMEOUT),
                lambda: send_rtc(mod, 508, {"user": ub, "deafened": False}, ok_within=TIMEOUT))
    run(scenario(), timeout=60)


def test_a_subscribers_keyframe_request_reaches_the_publisher(gochat_janus):
    """A viewer's own PLI for a remote camera line reaches that camera's
    publisher (aiortc answers a PLI with a key frame): sent the way aiortc
    does (Janus files it under the camera line) and the way Chromium does,
    from the viewer's own microphone SSRC (Janus 1.1.2 then files it under
    the viewer's own audio line: docs/architecture.md, Keyframes)."""
    from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket
    channel = snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await web_client(cl, ua, tone=440, camera=True)
            b = await web_client(cl, ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            stream = stream_of(ua)
            await wait_seeing(b, ua)
            [cam] = camera_lines(b, ua)
            receiver = b.peer.transceiver(cam.mid).receiver
            microphone = b.peer.transceiver("0").sender
            # More than the SFU's 1 s limit apart: each one is answered.
            for style in ("aiortc", "chromium", "aiortc", "chromium"):
                await b.changes.wait_until(
                    lambda: time.monotonic() - max(b.peer.keyframes(stream), default=0) > 1.2, 5,
                    "1.2 s since the last key frame")
                before = len(b.peer.keyframes(stream))
                media_ssrc = list(receiver._RTCRtpReceiver__remote_streams)[-1]
                if style == "aiortc":
                    await receiver._send_rtcp_pli(media_ssrc)
                else:
                    await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=microphone._ssrc,
                                                             media_ssrc=media_ssrc))
                await b.changes.wait_until(lambda: len(b.peer.keyframes(stream)) > before,
                                           RESUME_KEYFRAME_TIMEOUT, f"key frame after a PLI sent {style}'s way",
                                           describe=b.describe)
    run(scenario(), timeout=60)
