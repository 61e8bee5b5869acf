"""An HTTP server on 127.0.0.1 standing in for an operator's monitoring
backend: Janus's stock sample event handler (libjanus_sampleevh, shipped in
Debian's janus package) POSTs every event to it (docs/operations.md, Event
handlers). It keeps each event as parsed JSON, in arrival order, and can
return the GoChat plugin's own (type 64 from janus.plugin.gochat.sfu)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List

EVENT_SINK_PORT = 3210
EVENT_SINK_URL = f"http://127.0.0.1:{EVENT_SINK_PORT}/events"
PLUGIN = "janus.plugin.gochat.sfu"
PLUGIN_EVENT_TYPE = 64


class _Handler(BaseHTTPRequestHandler):
    server_version = "gochat-e2e-event-sink"

    def log_message(self, fmt, *args):  # keep pytest's output clean
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self.server.sink.problems.append(f"not JSON: {raw[:200]!r}")
            body = []
        # grouping = true posts arrays; false posts one object per request.
        for event in body if isinstance(body, list) else [body]:
            self.server.sink.add(event)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class EventSink:
    def __init__(self, port: int = EVENT_SINK_PORT):
        self.port = port
        self.events: List[dict] = []
        self.problems: List[str] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.daemon_threads = True
        self._server.sink = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="event-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def add(self, event: dict):
        with self._lock:
            self.events.append(event)

    def plugin_events(self) -> List[dict]:
        """The `data` of every event of the GoChat plugin, in arrival order,
        each with the Janus session_id/handle_id of its envelope (or None)."""
        with self._lock:
            events = list(self.events)
        out = []
        for event in events:
            if event.get("type") != PLUGIN_EVENT_TYPE:
                continue
            inner = event.get("event") or {}
            if inner.get("plugin") != PLUGIN:
                continue
            data = dict(inner.get("data") or {})
            data["_session_id"] = event.get("session_id")
            data["_handle_id"] = event.get("handle_id")
            out.append(data)
        return out

    async def wait_for(self, predicate: Callable[[List[dict]], object], timeout: float, what: str):
        import asyncio
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.plugin_events())
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"event handler never received {what}; got {self.plugin_events()}")
            await asyncio.sleep(0.05)
