"""aiortc 1.4 as a test client: patches, tone source, tone analysis, and a
peer wrapper that serves both the GoChat and the plain Janus client.

Patches (installed once by `install_aiortc_patches`, see docs/testing.md):
- ICE gathers only on the client end of the veth (198.18.0.2).
- Incoming RTP is routed by the MID header extension when the packet has
  one, as browsers do. Stock aiortc 1.4 routes only by SSRC, or by a payload
  type unique to one receiver; every audio line of an SFU offer shares PT
  111 and Janus gives a recycled line a new SSRC, so stock aiortc would drop
  that media. A receiver that sees a new SSRC gets a fresh jitter buffer.
- SSRCs announced in each new remote description are (re)bound to their
  line's receiver.
- RTCP BYE no longer stops a receiver's decoder for good (a recycled line
  must play again).
"""

import asyncio
import collections
import fractions
import logging
import math
import os
import re
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

import aioice.ice
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                    RTCSessionDescription)
from aiortc import rtcdtlstransport, rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpByePacket

from . import netns

log = logging.getLogger("e2e.rtc")

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms

_patched = False


def install_aiortc_patches(client_ip: str = netns.CLIENT_IP):
    global _patched
    if _patched:
        return
    _patched = True

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [client_ip]

    if os.environ.get("GOCHAT_E2E_NO_MID_ROUTING") == "1":
        return  # diagnostic: show what stock aiortc 1.4 does (self-test must fail)

    original_route_rtp = rtcdtlstransport.RtpRouter.route_rtp

    def route_by_mid(self, packet):
        mid = packet.extensions.mid
        if mid is not None:
            receiver = self.mid_table.get(mid)
            if receiver is None:
                return None  # line not (yet) receiving here: drop like a browser
            if self.ssrc_table.get(packet.ssrc) is not receiver:
                self.ssrc_table[packet.ssrc] = receiver
                _reset_receiver_buffers(receiver)
            return receiver
        return original_route_rtp(self, packet)

    def route_rtp(self, packet):
        receiver = route_by_mid(self, packet)
        if receiver is not None:
            _note_vp8_keyframe(receiver, packet)
        return receiver

    rtcdtlstransport.RtpRouter.route_rtp = route_rtp

    original_handle_rtcp = rtcrtpreceiver.RTCRtpReceiver._handle_rtcp_packet

    async def handle_rtcp(self, packet):
        if isinstance(packet, RtcpByePacket):
            log.debug("ignoring RTCP BYE for %s", packet.sources)
            return
        await original_handle_rtcp(self, packet)

    rtcrtpreceiver.RTCRtpReceiver._handle_rtcp_packet = handle_rtcp


def vp8_starts_keyframe(payload: bytes) -> bool:
    """Whether an RTP payload is the first packet of a VP8 key frame: the
    payload descriptor (RFC 7741 4.2) has S=1 and partition index 0, and the
    VP8 payload header after it has the inverse key frame bit P=0 (4.3)."""
    if len(payload) < 1:
        return False
    first = payload[0]
    start, partition = bool(first & 0x10), first & 0x07
    offset = 1
    if first & 0x80:  # X: extension byte follows
        if len(payload) < 2:
            return False
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) <= offset:
                return False
            offset += 2 if payload[offset] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            offset += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            offset += 1
    if not start or partition != 0 or len(payload) <= offset:
        return False
    return (payload[offset] & 0x01) == 0


def _note_vp8_keyframe(receiver, packet):
    """Remembers when each VP8 key frame reached a video receiver (aiortc
    decodes inter frames without one, so frames decoded prove nothing about
    what a browser would show)."""
    if getattr(receiver, "_RTCRtpReceiver__kind", None) != "video":
        return
    codec = getattr(receiver, "_RTCRtpReceiver__codecs", {}).get(packet.payload_type)
    if codec is None or codec.mimeType.lower() != "video/vp8":
        return
    if vp8_starts_keyframe(packet.payload):
        times = getattr(receiver, "_e2e_keyframes", None)
        if times is None:
            times = receiver._e2e_keyframes = []
        times.append(time.monotonic())


def _reset_receiver_buffers(receiver):
    """A new SSRC on a line starts a new sequence-number space."""
    if getattr(receiver, "_e2e_seen_ssrc", False):
        if receiver._RTCRtpReceiver__kind == "audio":
            receiver._RTCRtpReceiver__jitter_buffer = JitterBuffer(capacity=16, prefetch=4)
        else:
            receiver._RTCRtpReceiver__jitter_buffer = JitterBuffer(capacity=128, is_video=True)
        receiver._RTCRtpReceiver__timestamp_mapper = rtcrtpreceiver.TimestampMapper()
    receiver._e2e_seen_ssrc = True


def bind_announced_ssrcs(pc: RTCPeerConnection, sdp_text: str):
    """Bind the SSRCs a new remote description announces to their line's
    receiver, so routing works even for packets without the MID extension."""
    if os.environ.get("GOCHAT_E2E_NO_MID_ROUTING") == "1":
        return
    lines = parse_sdp(sdp_text)
    by_mid = {t.mid: t for t in pc.getTransceivers() if t.mid is not None}
    for m in lines:
        t = by_mid.get(m.mid)
        if t is None or not m.ssrcs:
            continue
        transport = t.receiver.transport
        router = getattr(transport, "_rtp_router", None)
        if router is None or t.receiver not in router.receivers:
            continue
        for ssrc in m.ssrcs:
            if router.ssrc_table.get(ssrc) is not t.receiver:
                router.ssrc_table[ssrc] = t.receiver


# ------------------------------------------------------------------ SDP

@dataclass
class MLine:
    index: int
    kind: str
    port: int
    mid: Optional[str] = None
    direction: str = "sendrecv"
    msid_stream: Optional[str] = None
    msid_track: Optional[str] = None
    ssrcs: List[int] = field(default_factory=list)
    codecs: Dict[int, str] = field(default_factory=dict)
    extmaps: Dict[int, str] = field(default_factory=dict)
    candidates: List[str] = field(default_factory=list)
    raw: List[str] = field(default_factory=list)


def parse_sdp(text: str) -> List[MLine]:
    out: List[MLine] = []
    cur: Optional[MLine] = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            cur = MLine(index=len(out), kind=parts[0], port=int(parts[1]))
            out.append(cur)
            continue
        if cur is None:
            continue
        cur.raw.append(line)
        if line.startswith("a=mid:"):
            cur.mid = line[6:]
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            cur.direction = line[2:]
        elif line.startswith("a=msid:"):
            bits = line[7:].split()
            cur.msid_stream = bits[0] if bits else None
            cur.msid_track = bits[1] if len(bits) > 1 else None
        elif line.startswith("a=ssrc:"):
            ssrc = int(line[7:].split()[0])
            if ssrc not in cur.ssrcs:
                cur.ssrcs.append(ssrc)
        elif line.startswith("a=rtpmap:"):
            pt, name = line[9:].split(None, 1)
            cur.codecs[int(pt)] = name
        elif line.startswith("a=extmap:"):
            ident, uri = line[9:].split(None, 1)
            cur.extmaps[int(ident.split("/")[0])] = uri.split()[0]
        elif line.startswith("a=candidate:"):
            cur.candidates.append(line[2:])
    return out


def sdp_origin_version(text: str) -> Optional[int]:
    m = re.search(r"^o=\S+ \S+ (\d+) ", text, re.M)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------ media

class ToneTrack(MediaStreamTrack):
    """48 kHz mono s16 sine at `freq` Hz, 20 ms frames, paced in real time.
    Set `silent = True` to send digital silence instead."""

    kind = "audio"

    def __init__(self, freq: float, amplitude: int = 8000):
        super().__init__()
        self.freq = float(freq)
        self.amplitude = amplitude
        self.silent = False
        self._phase = 0
        self._start = None
        self._pts = 0

    async def recv(self):
        from av import AudioFrame
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._pts += FRAME_SAMPLES
            wait = self._start + self._pts / SAMPLE_RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        n = np.arange(self._phase, self._phase + FRAME_SAMPLES)
        self._phase += FRAME_SAMPLES
        if self.silent:
            samples = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        else:
            samples = (self.amplitude * np.sin(2 * math.pi * self.freq * n / SAMPLE_RATE)).astype(np.int16)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.pts = self._pts
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame


class TinyCameraTrack(MediaStreamTrack):
    """A cheap 160x120, 10 fps video source (VP8 encoding costs CPU)."""

    kind = "video"

    def __init__(self, fps: int = 10):
        super().__init__()
        self.fps = fps
        self._start = None
        self._count = 0

    async def recv(self):
        from av import VideoFrame
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._count += 1
            wait = self._start + self._count / self.fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        img = np.zeros((120, 160, 3), dtype=np.uint8)
        img[:, :, 1] = 128
        img[:, (self._count * 4) % 160, :] = 255
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class AudioAnalyzer:
    """Keeps the last seconds of decoded audio of one stream and measures
    its dominant frequency and level."""

    def __init__(self, keep_seconds: float = 3.0):
        self.chunks = collections.deque()  # (arrival monotonic, mono float32)
        self.keep = keep_seconds
        self.frames = 0
        self.first_at = None
        self.last_at = None

    def add(self, samples: np.ndarray, at: float):
        self.chunks.append((at, samples))
        self.frames += 1
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        while self.chunks and self.chunks[0][0] < at - self.keep:
            self.chunks.popleft()

    def window(self, seconds: float, now: float = None) -> np.ndarray:
        now = time.monotonic() if now is None else now
        parts = [s for (t, s) in self.chunks if t >= now - seconds]
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts)

    def measure(self, seconds: float = 0.5):
        """(dominant frequency in Hz or None, RMS on the int16 scale)."""
        x = self.window(seconds)
        if len(x) < SAMPLE_RATE // 20:
            return None, 0.0
        rms = float(np.sqrt(np.mean(x * x)))
        if rms < 1.0:
            return None, rms
        spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        spec[0] = 0
        k = int(np.argmax(spec))
        return k * SAMPLE_RATE / len(x), rms


def frame_to_mono(frame) -> np.ndarray:
    arr = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if arr.ndim == 2 and arr.shape[0] == 1 and channels > 1:
        arr = arr.reshape(-1, channels)[:, 0]  # packed: interleaved
    elif arr.ndim == 2:
        arr = arr[0]  # planar: first channel
    return arr.astype(np.float32)


# ------------------------------------------------------------------ peer

class SilenceProvesNothing(Exception):
    """A test asserted silence on a line that could not have carried sound
    (never offered, never received a frame, connection not up). Not an
    AssertionError on purpose: code that waits for a condition and catches
    its timeout must not take this for "not yet"."""


class RtcPeer:
    """One aiortc PeerConnection plus bookkeeping a test asserts on.

    Remote audio is attributed per m-line (mid) to the MSID stream id the
    latest remote description gave that line. The owner of a line is sticky
    when the line goes inactive (so media still flowing on a line the SFU
    disabled counts against the old owner) and changes only when the line
    is re-used with a new msid."""

    def __init__(self, name: str, on_change=None):
        install_aiortc_patches()
        self.name = name
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.on_change = on_change or (lambda: None)
        self.mid_owner: Dict[str, str] = {}
        self.audio: Dict[str, AudioAnalyzer] = collections.defaultdict(AudioAnalyzer)
        self.audio_by_mid: Dict[str, AudioAnalyzer] = collections.defaultdict(AudioAnalyzer)
        self.video_frames: Dict[str, int] = collections.defaultdict(int)
        self._consumers = {}
        self.remote_lines: List[MLine] = []
        self.local_lines: List[MLine] = []
        # time.monotonic() when the PeerConnection first became connected
        # (media starts flowing right after), None before.
        self.connected_at: Optional[float] = None

        @self.pc.on("connectionstatechange")
        def _state():
            log.info("%s: connection %s", self.name, self.pc.connectionState)
            if self.pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()
            self.on_change()

    @property
    def connection_state(self):
        return self.pc.connectionState

    def _update_owners(self, lines: List[MLine]):
        self.remote_lines = lines
        for m in lines:
            if m.mid is not None and m.msid_stream and m.direction in ("sendonly", "sendrecv"):
                self.mid_owner[m.mid] = m.msid_stream

    def _start_consumers(self):
        for t in self.pc.getTransceivers():
            track = t.receiver.track
            if track is None or t.mid is None or t.mid in self._consumers:
                continue
            self._consumers[t.mid] = asyncio.ensure_future(self._consume(t.mid, t.kind, track))

    async def _consume(self, mid: str, kind: str, track):
        try:
            while True:
                frame = await track.recv()
                owner = self.mid_owner.get(mid, f"mid:{mid}")
                if kind == "audio":
                    samples, now = frame_to_mono(frame), time.monotonic()
                    self.audio[owner].add(samples, now)
                    self.audio_by_mid[mid].add(samples, now)
                    if self.audio[owner].frames % 5 == 0:
                        self.on_change()
                else:
                    self.video_frames[owner] += 1
                    self.on_change()
        except (MediaStreamError, asyncio.CancelledError):
            pass
        except Exception:  # never let a consumer kill the loop silently
            log.exception("%s: consumer of mid %s failed", self.name, mid)

    async def apply_offer(self, sdp: str, audio_track=None, video_track=None) -> str:
        """Apply a remote offer; publish on the FIRST audio and FIRST video
        line (as GoChat's web client does); return the answer SDP with our
        candidates inline."""
        lines = parse_sdp(sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        by_mid = {t.mid: t for t in self.pc.getTransceivers()}
        first_audio = next((m for m in lines if m.kind == "audio"), None)
        first_video = next((m for m in lines if m.kind == "video"), None)
        for m, track in ((first_audio, audio_track), (first_video, video_track)):
            if m is None or track is None:
                continue
            t = by_mid.get(m.mid)
            if t is None:
                continue
            t.direction = "sendonly"
            if t.sender.track is not track:
                t.sender.replaceTrack(track)
        self._update_owners(lines)
        bind_announced_ssrcs(self.pc, sdp)
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        self._start_consumers()
        local = self.pc.localDescription.sdp
        self.local_lines = parse_sdp(local)
        return local

    async def create_offer(self, audio_track=None, video_track=None) -> str:
        if audio_track is not None:
            self.pc.addTransceiver(audio_track, direction="sendrecv")
        if video_track is not None:
            self.pc.addTransceiver(video_track, direction="sendrecv")
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        local = self.pc.localDescription.sdp
        self.local_lines = parse_sdp(local)
        return local

    async def apply_answer(self, sdp: str):
        lines = parse_sdp(sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        self._update_owners(lines)
        # a client-offered line has no msid-based owner unless the answer
        # names one; fall back to the mid
        bind_announced_ssrcs(self.pc, sdp)
        self._start_consumers()

    async def add_remote_candidate(self, candidate: str, sdp_mid=None, sdp_mline_index=None):
        from aiortc.sdp import candidate_from_sdp
        if not candidate:
            return  # end-of-candidates: aiortc 1.4 cannot take it via addIceCandidate
        c = candidate_from_sdp(candidate.split(":", 1)[1] if candidate.startswith("candidate:") else candidate)
        c.sdpMid = sdp_mid
        c.sdpMLineIndex = sdp_mline_index
        await self.pc.addIceCandidate(c)

    def measure(self, stream: str, seconds: float = 0.5, by_mid: bool = False):
        a = (self.audio_by_mid if by_mid else self.audio).get(stream)
        if a is None:
            return None, 0.0
        return a.measure(seconds)

    def hears(self, stream: str, freq: float, tol: float = 15.0, min_rms: float = 300.0,
              seconds: float = 0.5, by_mid: bool = False) -> bool:
        f, rms = self.measure(stream, seconds, by_mid)
        return f is not None and abs(f - freq) <= tol and rms >= min_rms

    def silent(self, stream: str, max_rms: float = 100.0, seconds: float = 0.5,
               by_mid: bool = False) -> bool:
        """Nothing above `max_rms` on `stream` (or mid) for `seconds`.

        Raises SilenceProvesNothing unless the line could carry sound right
        now (see `why_silence_proves_nothing`): measured on a line that does
        not exist, or over a dead connection, silence is always true."""
        reason = self.why_silence_proves_nothing(stream, by_mid)
        if reason is not None:
            raise SilenceProvesNothing(f"{self.name}: silence on {'mid ' if by_mid else ''}{stream} "
                                       f"proves nothing: {reason} ({self.describe_audio()})")
        _, rms = self.measure(stream, seconds, by_mid)
        return rms <= max_rms

    def why_silence_proves_nothing(self, stream: str, by_mid: bool = False) -> Optional[str]:
        """None when silence on `stream` (a `user-<id>` stream id, or a mid
        with `by_mid`) means something; else why it does not.

        This SFU silences by forwarding nothing (mutes and deafens take the
        receiver out of the fan-out, a line without Speak is `inactive`), so
        "no sound" and "no line" look the same to a receiver. Silence counts
        only on a line that was offered to this peer, answered, carried
        audio at least once (at least one decoded frame: the path through
        the SFU worked) and whose PeerConnection is still connected."""
        if by_mid:
            known = any(t.mid == stream for t in self.pc.getTransceivers())
        else:
            known = stream in self.mid_owner.values()
        if not known:
            return "it was never offered to this peer (no line carries it)"
        state = self.pc.connectionState
        if state != "connected":
            return f"the PeerConnection is {state}, not connected"
        heard = (self.audio_by_mid if by_mid else self.audio).get(stream)
        if heard is None or heard.frames == 0:
            return "its line never received an audio frame"
        return None

    def keyframes(self, stream: str):
        """Arrival times (time.monotonic) of the VP8 key frames received on
        the video lines `stream` owns (see mid_owner)."""
        times = []
        for t in self.pc.getTransceivers():
            if t.kind == "video" and t.mid is not None and self.mid_owner.get(t.mid) == stream:
                times.extend(getattr(t.receiver, "_e2e_keyframes", []))
        return sorted(times)

    def describe_audio(self) -> str:
        parts = []
        for stream, a in sorted(self.audio.items()):
            f, rms = a.measure(0.5)
            parts.append(f"{stream}: frames={a.frames} f={f} rms={rms:.0f}")
        for mid, a in sorted(self.audio_by_mid.items()):
            f, rms = a.measure(0.5)
            parts.append(f"mid {mid}: frames={a.frames} f={f} rms={rms:.0f}")
        return "; ".join(parts) or "no audio received"

    async def close(self):
        for task in self._consumers.values():
            task.cancel()
        await self.pc.close()
