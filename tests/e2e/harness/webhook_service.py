"""A stand-in for GoChat's webhook service: a real HTTP server on
127.0.0.1 in the test's network namespace that checks every call the SFU
makes the way GoChat does, and more strictly (docs/operations.md, "Joining
a GoChat deployment"):

- POST to one of the four routes, Content-Type application/json;
- X-Webhook-Token: exactly the configured token, an HS256 JWT signed with
  the service's secret, claims typ "sfu" and, for the heartbeat, id equal
  to the body's id (what GoChat checks);
- bodies parsed with big integers kept as ints and any float refused, so an
  id that went through a double cannot pass; required fields present and
  non-zero, no unknown field; the heartbeat's url a ws(s) URL ending in
  /signal and its load an integer.

Answers 204 to heartbeats and 200 to the rest, like GoChat; a call that
breaks a rule gets 400/401 and is listed in `problems` (a test asserts the
list stays empty). `stop()` closes the port (a service that is down),
`hang()` accepts calls and never answers them, `answer()` answers again."""

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional

from . import tokens

WEBHOOK_PORT = 3200
WEBHOOK_URL = f"http://127.0.0.1:{WEBHOOK_PORT}"
WEBHOOK_SECRET = "e2e-webhook-secret-fedcba9876543210"
PUBLIC_URL = "ws://127.0.0.1:3300/signal"

ROUTES = {
    "/api/v1/webhook/sfu/heartbeat": "heartbeat",
    "/api/v1/webhook/sfu/voice/join": "join",
    "/api/v1/webhook/sfu/voice/leave": "leave",
    "/api/v1/webhook/sfu/channel/alive": "alive",
}
INT64_MAX = (1 << 63) - 1


def mint_webhook_token(service_id: str, secret: str = WEBHOOK_SECRET) -> str:
    """What an operator configures as webhook.token: {"typ":"sfu","id":...}."""
    return tokens.sign({"alg": "HS256", "typ": "JWT"}, {"typ": "sfu", "id": service_id}, secret)


def webhook_settings(service_id: str, **overrides) -> tuple:
    """The plugin's `webhook` category for JanusConfig.sfu_webhook, pointing
    at this stand-in; keyword arguments override or add keys."""
    settings = {
        "url": WEBHOOK_URL,
        "token": mint_webhook_token(service_id),
        "service_id": service_id,
        "region": "e2e",
        "public_url": PUBLIC_URL,
        "heartbeat_interval": 500,
        "alive_interval": 1000,
        "timeout": 1000,
    }
    settings.update(overrides)
    return tuple(sorted(settings.items()))


class Call:
    """One request the service received."""

    def __init__(self, kind: str, body: dict, raw: str, answered: bool):
        self.at = time.monotonic()
        self.kind = kind        # heartbeat, join, leave, alive
        self.body = body
        self.raw = raw
        self.answered = answered  # False: it arrived while the service hung

    def key(self):
        return (self.body.get("channel_id"), self.body.get("user_id"))

    def __repr__(self):
        return f"<{self.kind} {self.raw}{'' if self.answered else ' (hung)'}>"


def _reject_float(text):
    raise ValueError(f"non-integer number {text}")


def _reject_constant(text):
    raise ValueError(f"{text} is not JSON")


def _check_token(token: str, secret: str, expected_id: Optional[str]) -> Optional[str]:
    """GoChat's token check: HS256 signature, typ "sfu", and the id
    when one is expected. Returns what is wrong, or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return "X-Webhook-Token is not a JWT"
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return "X-Webhook-Token does not decode"
    if header.get("alg") != "HS256":
        return f"X-Webhook-Token alg {header.get('alg')!r}"
    signature = hmac.new(secret.encode(), (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
    if base64.urlsafe_b64encode(signature).rstrip(b"=").decode() != parts[2]:
        return "X-Webhook-Token signature"
    if claims.get("typ") != "sfu":
        return f"X-Webhook-Token typ {claims.get('typ')!r}"
    if expected_id is not None and claims.get("id") != expected_id:
        return f"X-Webhook-Token id {claims.get('id')!r} is not the heartbeat's {expected_id!r}"
    return None


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT64_MAX


def check_body(kind: str, body) -> Optional[str]:
    """Required fields as GoChat validates them, exact types, no
    extra fields. Returns what is wrong, or None."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    if kind == "heartbeat":
        if set(body) != {"id", "region", "url", "load"}:
            return f"heartbeat fields {sorted(body)}"
        for name in ("id", "region", "url"):
            if not isinstance(body[name], str) or not body[name]:
                return f"heartbeat {name} must be a non-empty string"
        if not re.fullmatch(r"wss?://[^/\s]+(/\S*)?/signal", body["url"]):
            return f"heartbeat url {body['url']!r} is not a ws(s) URL ending in /signal"
        load = body["load"]
        if not isinstance(load, int) or isinstance(load, bool) or load < 0:
            return f"heartbeat load {load!r}"
        return None
    required = {"channel_id", "user_id"} if kind in ("join", "leave") else {"channel_id"}
    allowed = required | {"guild_id"}
    if not required <= set(body) <= allowed:
        return f"{kind} fields {sorted(body)}"
    for name in body:
        if not _is_id(body[name]):
            return f"{kind} {name} {body[name]!r} is not a positive int64"
    return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "gochat-webhook-e2e"

    def log_message(self, fmt, *args):  # keep pytest's output clean
        pass

    def do_POST(self):
        service: WebhookService = self.server.service
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        kind = ROUTES.get(self.path)
        problem, status, body = None, 200, None
        if kind is None:
            problem, status = f"unknown route {self.path}", 404
        elif self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            problem, status = f"{kind}: Content-Type {self.headers.get('Content-Type')!r}", 400
        else:
            try:
                body = json.loads(raw, parse_float=_reject_float, parse_constant=_reject_constant)
                problem = check_body(kind, body)
            except ValueError as exc:
                problem = f"{kind}: body {raw!r}: {exc}"
            if problem:
                status = 400
            else:
                token = self.headers.get("X-Webhook-Token", "")
                expected = body["id"] if kind == "heartbeat" else None
                problem = _check_token(token, service.secret, expected)
                if problem is None and service.token is not None and token != service.token:
                    problem = "X-Webhook-Token is not the configured token"
                if problem:
                    status = 401
        if status == 200 and kind == "heartbeat":
            status = 204
        service._record(kind, body, raw, problem, hung=service.hanging)
        if service.hanging and not problem:
            service._wait_released()
            if not service.running:
                return
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class WebhookService:
    def __init__(self, token: Optional[str] = None, secret: str = WEBHOOK_SECRET, port: int = WEBHOOK_PORT):
        self.token = token
        self.secret = secret
        self.port = port
        self.calls: List[Call] = []
        self.problems: List[str] = []
        self.hanging = False
        self.running = False
        self._cond = threading.Condition()
        self._release = threading.Event()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- states
    def start(self, hanging: bool = False):
        """Listen (again): answering, or hanging from the first call on."""
        if hanging:
            self.hang()
        else:
            self.answer()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        server.service = self
        self._server = server
        self.running = True
        self._thread = threading.Thread(target=server.serve_forever, name="webhook-service", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Close the port: calls are refused (a service that is down)."""
        self.running = False
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def hang(self):
        """Accept calls and never answer them (until answer() or stop())."""
        self._release.clear()
        self.hanging = True

    def answer(self):
        """Answer every call again, and the ones hanging now."""
        self.hanging = False
        self._release.set()

    # --- what arrived
    def _record(self, kind, body, raw, problem, hung):
        with self._cond:
            if problem:
                self.problems.append(problem)
            else:
                self.calls.append(Call(kind, body, raw, answered=not hung))
            self._cond.notify_all()

    def _wait_released(self):
        self._release.wait(60)

    def snapshot(self, kind: Optional[str] = None, since: float = 0.0) -> List[Call]:
        with self._cond:
            return [c for c in self.calls if (kind is None or c.kind == kind) and c.at >= since]

    def presence(self, since: float = 0.0) -> List[Call]:
        return [c for c in self.snapshot(since=since) if c.kind in ("join", "leave")]

    def wait_blocking(self, predicate: Callable[["WebhookService"], object], timeout: float, what: str):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"webhook service: timed out after {timeout:.1f}s waiting for {what}; "
                                         f"last calls {self.calls[-8:]}; problems {self.problems[:5]}")
                self._cond.wait(min(remaining, 0.2))

    async def wait(self, predicate, timeout: float = 10.0, what: str = "a call"):
        """Wait (from a scenario) until `predicate(service)` is truthy; woken
        by every call that arrives."""
        import asyncio
        return await asyncio.to_thread(self.wait_blocking, predicate, timeout, what)
