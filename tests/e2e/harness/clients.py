"""Test clients: GoChatClient (the product's {op,t,d} protocol on
ws://127.0.0.1:3300/signal, or wss:// with an ssl context) and JanusApiClient (plain Janus API through the
stock WebSocket transport, for the harness self-test and transport-swap
tests). Both record every message they receive and expose awaitables with
deadlines."""

import asyncio
import itertools
import json
import logging
import ssl
import time
from typing import Any, Callable, List, Optional

import websockets

from .rtc import RtcPeer, SilenceProvesNothing, TinyCameraTrack, ToneTrack, parse_sdp
from .waiting import Changes

log = logging.getLogger("e2e.client")

GOCHAT_URL = "ws://127.0.0.1:3300/signal"
JANUS_URL = "ws://127.0.0.1:8188/"

OP_HEARTBEAT = 2
OP_RTC = 7
T_JOIN, T_OFFER, T_ANSWER, T_CANDIDATE, T_LEAVE = 500, 501, 502, 503, 504


def stream_of(user_id: int) -> str:
    return f"user-{user_id}"


class Received:
    def __init__(self, at: float, raw: str, msg: Any):
        self.at = at
        self.raw = raw
        self.msg = msg

    def __repr__(self):
        return f"<{self.raw[:200]}>"


class GoChatClient:
    """One GoChat voice participant.

    `tone` (Hz) gives it a microphone playing that sine; `camera=True` a tiny
    video source. After `join`, server offers are answered automatically
    (own tracks on the first audio and first video m-lines)."""

    def __init__(self, user_id: int, tone: Optional[float] = None, camera: bool = False,
                 name: Optional[str] = None, url: str = GOCHAT_URL, answer_pong: bool = True,
                 ssl_context: Optional[ssl.SSLContext] = None):
        self.user_id = user_id
        self.name = name or f"user-{user_id}"
        self.url = url
        # For a wss:// url: the context that trusts the server's
        # certificate (websockets' default would trust the system CAs only).
        self.ssl_context = ssl_context
        self.mic = ToneTrack(tone) if tone else None
        self.cam = TinyCameraTrack() if camera else None
        self.answer_pong = answer_pong
        self.changes = Changes()
        self.received: List[Received] = []
        self.sent: List[str] = []
        self.offers: List[str] = []   # server offers, in arrival order
        self.answers: List[str] = []  # our answers, in the same order
        self.errors: List[str] = []
        self.ws = None
        self.closed = False
        self.close_code = None
        self.close_reason = None
        self.peer: Optional[RtcPeer] = None
        self._reader = None
        self._offer_queue: asyncio.Queue = asyncio.Queue()
        self._offer_task = None

    # ---- connection
    async def connect(self):
        tls = {"ssl": self.ssl_context} if self.ssl_context is not None else {}
        self.ws = await websockets.connect(self.url, max_size=None, ping_interval=None,
                                           open_timeout=5, **tls)
        self._reader = asyncio.ensure_future(self._read_loop())
        self._offer_task = asyncio.ensure_future(self._offer_loop())
        return self

    async def _read_loop(self):
        try:
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    raw = raw.decode("utf-8", "replace")
                try:
                    msg = json.loads(raw)
                except ValueError:
                    msg = None
                self.received.append(Received(time.monotonic(), raw, msg))
                log.debug("%s <- %s", self.name, raw[:300])
                if isinstance(msg, dict):
                    await self._dispatch(msg)
                self.changes.changed()
        except websockets.ConnectionClosed:
            pass
        except Exception:
            log.exception("%s: reader failed", self.name)
        finally:
            self.closed = True
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.changes.changed()

    async def _dispatch(self, msg: dict):
        op, t, d = msg.get("op"), msg.get("t"), msg.get("d")
        if op == OP_HEARTBEAT and isinstance(d, dict) and d.get("ping") and self.answer_pong:
            pong = {"pong": True}
            if "nonce" in d:
                pong["nonce"] = d["nonce"]
            await self.send(OP_HEARTBEAT, None, pong)
        elif op == OP_RTC and t == T_OFFER and isinstance(d, dict) and "sdp" in d:
            self.offers.append(d["sdp"])
            self._offer_queue.put_nowait(d["sdp"])
        elif op == OP_RTC and t == T_CANDIDATE and isinstance(d, dict) and self.peer:
            try:
                await self.peer.add_remote_candidate(d.get("candidate", ""), d.get("sdpMid"),
                                                     d.get("sdpMLineIndex"))
            except Exception as exc:
                self.errors.append(f"remote candidate {d}: {exc!r}")

    async def _offer_loop(self):
        while True:
            sdp = await self._offer_queue.get()
            try:
                if self.peer is None:
                    self.peer = RtcPeer(self.name, on_change=self.changes.changed)
                answer = await self.peer.apply_offer(sdp, self.mic, self.cam)
                self.answers.append(answer)
                await self.send(OP_RTC, T_ANSWER, {"sdp": answer})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("%s: could not answer an offer", self.name)
                self.errors.append(f"answering offer #{len(self.offers)}: {exc!r}")
            self.changes.changed()

    async def send(self, op: int, t: Optional[int], d: Any):
        env = {"op": op}
        if t is not None:
            env["t"] = t
        if d is not None:
            env["d"] = d
        await self.send_raw(json.dumps(env))

    async def send_raw(self, text):
        if isinstance(text, str):
            self.sent.append(text)
        log.debug("%s -> %s", self.name, str(text)[:300])
        await self.ws.send(text)

    # ---- protocol helpers
    def rtc_messages(self, t: Optional[int] = None, since: int = 0):
        out = []
        for r in self.received[since:]:
            m = r.msg
            if isinstance(m, dict) and m.get("op") == OP_RTC and (t is None or m.get("t") == t):
                out.append(m)
        return out

    async def wait_message(self, predicate: Callable[[dict], bool], timeout: float = 5.0,
                           since: int = 0, what: str = "a message") -> dict:
        def find():
            for r in self.received[since:]:
                if isinstance(r.msg, dict) and predicate(r.msg):
                    return r.msg
            return None
        return await self.changes.wait_until(find, timeout, f"{self.name}: {what}",
                                             describe=self.describe)

    async def join(self, channel: int, token: str, timeout: float = 5.0) -> dict:
        """Send t 500 and return the ack's `d`."""
        mark = len(self.received)
        await self.send(OP_RTC, T_JOIN, {"channel": channel, "token": token})
        ack = await self.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == T_JOIN,
                                      timeout, since=mark, what="join ack (t 500)")
        return ack.get("d")

    async def leave(self):
        await self.send(OP_RTC, T_LEAVE, {})

    async def heartbeat(self, d: Optional[dict], timeout: float = 5.0) -> Received:
        mark = len(self.received)
        await self.send(OP_HEARTBEAT, None, d)

        def find():
            for r in self.received[mark:]:
                m = r.msg
                if isinstance(m, dict) and m.get("op") == OP_HEARTBEAT and \
                        isinstance(m.get("d"), dict) and m["d"].get("pong"):
                    return r
            return None
        return await self.changes.wait_until(find, timeout, f"{self.name}: heartbeat pong",
                                             describe=self.describe)

    async def wait_offers(self, count: int, timeout: float = 10.0):
        """Wait until `count` server offers have arrived AND been answered."""
        await self.changes.wait_until(lambda: len(self.answers) >= count or self.errors,
                                      timeout, f"{self.name}: {count} answered offer(s)",
                                      describe=self.describe)
        assert not self.errors, self.errors
        return self.offers[:count]

    async def wait_connected(self, timeout: float = 15.0):
        await self.changes.wait_until(
            lambda: self.peer is not None and self.peer.connection_state == "connected",
            timeout, f"{self.name}: PeerConnection connected", describe=self.describe)

    async def wait_closed(self, timeout: float = 5.0):
        await self.changes.wait_until(lambda: self.closed, timeout, f"{self.name}: socket closed",
                                      describe=self.describe)
        return self.close_code, self.close_reason

    # ---- media assertions
    async def wait_hearing(self, user_id: int, freq: float, timeout: float = 15.0):
        stream = stream_of(user_id)
        await self.changes.wait_until(lambda: self.peer is not None and self.peer.hears(stream, freq),
                                      timeout, f"{self.name} hearing {freq:.0f} Hz from {stream}",
                                      describe=self.describe)

    async def wait_not_hearing(self, user_id: int, timeout: float = 10.0):
        """Wait until `user_id`'s stream is silent; SilenceProvesNothing when
        that stream never reached this client (RtcPeer.silent)."""
        stream = stream_of(user_id)
        if self.peer is None:
            raise SilenceProvesNothing(f"{self.name}: silence on {stream} proves nothing: "
                                       "no offer was ever answered (no PeerConnection)")
        await self.changes.wait_until(lambda: self.peer.silent(stream),
                                      timeout, f"{self.name}: {stream} silent",
                                      describe=self.describe)

    def heard_streams(self, seconds: float = 1.0, min_rms: float = 300.0):
        if self.peer is None:
            return {}
        out = {}
        for stream in list(self.peer.audio):
            f, rms = self.peer.measure(stream, seconds)
            if rms >= min_rms:
                out[stream] = f
        return out

    def last_offer_lines(self):
        return parse_sdp(self.offers[-1]) if self.offers else []

    def describe(self) -> str:
        bits = [f"closed={self.closed} code={self.close_code} reason={self.close_reason!r}",
                f"offers={len(self.offers)} answers={len(self.answers)}"]
        if self.peer:
            bits.append(f"pc={self.peer.connection_state}")
            bits.append(self.peer.describe_audio())
        if self.errors:
            bits.append(f"errors={self.errors}")
        tail = [r.raw[:160] for r in self.received[-5:] if not (isinstance(r.msg, dict) and r.msg.get("t") == T_OFFER)]
        bits.append(f"last messages={tail}")
        return "; ".join(bits)

    async def close(self):
        for task in (self._offer_task,):
            if task:
                task.cancel()
        if self.ws is not None and not self.closed:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass
        if self._reader:
            self._reader.cancel()
        if self.peer:
            await self.peer.close()
        for track in (self.mic, self.cam):
            if track:
                track.stop()


class JanusApiError(RuntimeError):
    pass


class JanusApiClient:
    """Plain Janus API over the stock WebSocket transport (janus-protocol)."""

    def __init__(self, name: str = "janus-client", url: str = JANUS_URL, keepalive: float = 10.0):
        self.name = name
        self.url = url
        self.keepalive_interval = keepalive
        self.changes = Changes()
        self.received: List[Received] = []
        self.ws = None
        self.session_id = None
        self.handle_id = None
        self.plugin = None
        self.peer: Optional[RtcPeer] = None
        self._ids = itertools.count(1)
        self._reader = None
        self._keepalive = None
        self.closed = False

    async def connect(self):
        self.ws = await websockets.connect(self.url, subprotocols=["janus-protocol"],
                                           max_size=None, ping_interval=None, open_timeout=5)
        self._reader = asyncio.ensure_future(self._read_loop())
        return self

    async def _read_loop(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self.received.append(Received(time.monotonic(), raw, msg))
                self.changes.changed()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.changes.changed()

    async def request(self, body: dict, timeout: float = 10.0, accept=("success", "ack")) -> dict:
        tx = f"tx{next(self._ids)}"
        body = dict(body, transaction=tx)
        if self.session_id is not None and "session_id" not in body and body["janus"] != "create":
            body["session_id"] = self.session_id
        await self.ws.send(json.dumps(body))

        def find():
            for r in self.received:
                if r.msg.get("transaction") == tx and r.msg.get("janus") in accept + ("error",):
                    return r.msg
            return None
        reply = await self.changes.wait_until(find, timeout, f"reply to {body['janus']}")
        if reply.get("janus") == "error":
            raise JanusApiError(reply["error"])
        return reply

    async def create_session(self):
        reply = await self.request({"janus": "create"})
        self.session_id = reply["data"]["id"]
        self._keepalive = asyncio.ensure_future(self._keepalive_loop())

    async def _keepalive_loop(self):
        while not self.closed:
            await asyncio.sleep(self.keepalive_interval)  # a period, not a wait
            try:
                await self.request({"janus": "keepalive"}, accept=("ack",))
            except Exception:
                return

    async def attach(self, plugin: str):
        reply = await self.request({"janus": "attach", "plugin": plugin})
        self.handle_id = reply["data"]["id"]
        self.plugin = plugin
        return self.handle_id

    async def message(self, body: dict, jsep: Optional[dict] = None, timeout: float = 15.0,
                      want_jsep: bool = False) -> dict:
        """Send a plugin message; return the synchronous success or the
        asynchronous event carrying its transaction (with a jsep if asked)."""
        tx = f"tx{next(self._ids)}"
        req = {"janus": "message", "session_id": self.session_id, "handle_id": self.handle_id,
               "transaction": tx, "body": body}
        if jsep:
            req["jsep"] = jsep
        await self.ws.send(json.dumps(req))

        def find():
            for r in self.received:
                m = r.msg
                if m.get("transaction") != tx:
                    continue
                if m.get("janus") == "error":
                    return m
                if m.get("janus") in ("success", "event") and (not want_jsep or "jsep" in m):
                    return m
            return None
        reply = await self.changes.wait_until(find, timeout, f"reply to message {body}")
        if reply.get("janus") == "error":
            raise JanusApiError(reply["error"])
        return reply

    async def wait_event(self, predicate, timeout: float = 10.0, since: int = 0, what="event"):
        def find():
            for r in self.received[since:]:
                if predicate(r.msg):
                    return r.msg
            return None
        return await self.changes.wait_until(find, timeout, f"{self.name}: {what}")

    def new_peer(self):
        self.peer = RtcPeer(self.name, on_change=self.changes.changed)
        return self.peer

    def plugin_events(self, since: int = 0):
        return [r.msg for r in self.received[since:]
                if r.msg.get("janus") in ("event", "success") and "plugindata" in r.msg]

    def start_answering_offers(self, audio_track=None, video_track=None,
                               answer_body=None):
        """Answer every plugin event that carries an offer jsep (server-
        initiated negotiation), in arrival order, with `answer_body` (default
        {"request":"answer"}) and the answer as jsep."""
        body = answer_body or {"request": "answer"}
        self.offers: List[str] = []
        self.answers: List[str] = []
        self.answer_errors: List[str] = []

        async def loop():
            seen = 0
            while True:
                await self.changes.wait_until(lambda: len(self.received) > seen, 3600, "any message")
                for r in self.received[seen:]:
                    jsep = r.msg.get("jsep")
                    if r.msg.get("janus") == "event" and jsep and jsep.get("type") == "offer":
                        self.offers.append(jsep["sdp"])
                        try:
                            if self.peer is None:
                                self.new_peer()
                            ans = await self.peer.apply_offer(jsep["sdp"], audio_track, video_track)
                            self.answers.append(ans)
                            tx = f"tx{next(self._ids)}"
                            await self.ws.send(json.dumps({
                                "janus": "message", "session_id": self.session_id,
                                "handle_id": self.handle_id, "transaction": tx,
                                "body": body, "jsep": {"type": "answer", "sdp": ans}}))
                        except Exception as exc:
                            log.exception("%s: could not answer", self.name)
                            self.answer_errors.append(repr(exc))
                        self.changes.changed()
                seen = len(self.received)
        self._answerer = asyncio.ensure_future(loop())

    async def close(self):
        if getattr(self, "_answerer", None):
            self._answerer.cancel()
        if self._keepalive:
            self._keepalive.cancel()
        if self.ws is not None and not self.closed:
            try:
                if self.session_id:
                    await self.ws.send(json.dumps({"janus": "destroy", "session_id": self.session_id,
                                                   "transaction": "bye"}))
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass
        if self._reader:
            self._reader.cancel()
        if self.peer:
            await self.peer.close()
