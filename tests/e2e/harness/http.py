"""Plain HTTP to the GoChat transport's port (docs/operations.md, Closing a channel and Metrics:
POST /admin/channel/close, GET /metrics) with http.client, from inside the
test namespace. The calls block: an async scenario runs them with
`await asyncio.to_thread(...)` (or the `a*` wrappers below) so its clients
keep decoding audio meanwhile."""

import asyncio
import http.client
import json
from typing import Dict, Optional

from .janus import GOCHAT_WS_PORT

CLOSE_PATH = "/admin/channel/close"
METRICS_PATH = "/metrics"


class HttpAnswer:
    def __init__(self, status: int, reason: str, headers: Dict[str, str], body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case names
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<HTTP {self.status} {self.headers.get('content-type', '')} {self.body[:200]!r}>"


def request(method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
            port: int = GOCHAT_WS_PORT, timeout: float = 10.0) -> HttpAnswer:
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return HttpAnswer(resp.status, resp.reason, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def keep_alive(requests, port: int = GOCHAT_WS_PORT, timeout: float = 10.0):
    """Several (method, path) requests on ONE connection (HTTP/1.1
    keep-alive); returns their statuses."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    statuses = []
    try:
        for method, path in requests:
            conn.request(method, path)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
            if resp.will_close:
                break
    finally:
        conn.close()
    return statuses


def close_channel(channel_id=None, token: Optional[str] = None, *, raw_body: Optional[bytes] = None,
                  authorization: Optional[str] = None, port: int = GOCHAT_WS_PORT) -> HttpAnswer:
    """POST /admin/channel/close as GoChat's API sends it: `Authorization:
    Bearer <token>` and {"channel_id": ...}. `raw_body` replaces the body,
    `authorization` the whole header value; no token and no header sends none."""
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif token is not None:
        headers["Authorization"] = "Bearer " + token
    body = raw_body if raw_body is not None else json.dumps({"channel_id": channel_id}).encode()
    return request("POST", CLOSE_PATH, body=body, headers=headers, port=port)


def metrics(port: int = GOCHAT_WS_PORT) -> HttpAnswer:
    return request("GET", METRICS_PATH, port=port)


async def aclose_channel(*args, **kw) -> HttpAnswer:
    return await asyncio.to_thread(close_channel, *args, **kw)


async def ametrics(**kw) -> HttpAnswer:
    return await asyncio.to_thread(metrics, **kw)
