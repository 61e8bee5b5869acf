"""Janus's admin API (ws://127.0.0.1:7188, `janus-admin-protocol`) and the
process figures a resource test asserts on: open file descriptors and RSS
of the Janus process. Needs a Janus started with `JanusConfig(admin_ws=True)`.
"""

import asyncio
import itertools
import json
import os
from typing import Dict, List

import websockets

from .janus import ADMIN_SECRET, ADMIN_WS_PORT

ADMIN_URL = f"ws://127.0.0.1:{ADMIN_WS_PORT}/"
SFU_PLUGIN = "janus.plugin.gochat.sfu"


class AdminError(RuntimeError):
    pass


class JanusAdmin:
    """One admin connection; requests are answered in order (one at a time)."""

    def __init__(self, url: str = ADMIN_URL, secret: str = ADMIN_SECRET):
        self.url = url
        self.secret = secret
        self.ws = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def connect(self):
        self.ws = await websockets.connect(self.url, subprotocols=["janus-admin-protocol"],
                                           max_size=None, ping_interval=None, open_timeout=5)
        return self

    async def close(self):
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass

    async def __aenter__(self):
        return await self.connect()

    async def __aexit__(self, *exc):
        await self.close()
        return False

    async def request(self, body: dict, timeout: float = 5.0) -> dict:
        async with self._lock:
            tx = f"admin{next(self._ids)}"
            await self.ws.send(json.dumps(dict(body, transaction=tx, admin_secret=self.secret)))

            async def reply():
                while True:
                    msg = json.loads(await self.ws.recv())
                    if msg.get("transaction") == tx:
                        return msg
            msg = await asyncio.wait_for(reply(), timeout)
        if msg.get("janus") != "success":
            raise AdminError(f"{body.get('janus')}: {msg.get('error', msg)}")
        return msg

    async def sessions(self) -> List[int]:
        return list((await self.request({"janus": "list_sessions"})).get("sessions") or [])

    async def handles(self, session_id: int) -> List[int]:
        try:
            msg = await self.request({"janus": "list_handles", "session_id": session_id})
        except AdminError:
            return []  # the session went away meanwhile
        return list(msg.get("handles") or [])

    async def all_handles(self) -> Dict[int, List[int]]:
        return {s: await self.handles(s) for s in await self.sessions()}

    async def sfu_status(self) -> dict:
        """The plugin's `status`: {ok, rooms, participants, sessions, draining, heartbeat}."""
        return await self.sfu({"request": "status"})

    async def sfu(self, request: dict, timeout: float = 10.0) -> dict:
        """One of the plugin's admin requests (docs/plugin-api.md, Admin
        API) through `message_plugin`; returns its `response`: {ok: true, ...}
        or {ok: false, error: {code, reason}}."""
        msg = await self.request({"janus": "message_plugin", "plugin": SFU_PLUGIN, "request": request},
                                 timeout=timeout)
        return msg.get("response") or {}

    async def handle_info(self, session_id: int, handle_id: int) -> dict:
        """Janus's `handle_info`: its `info` (the plugin's part is `plugin_specific`)."""
        msg = await self.request({"janus": "handle_info", "session_id": session_id, "handle_id": handle_id})
        return msg.get("info") or {}

    async def sfu_handle_of(self, user_id: int) -> dict:
        """The `handle_info` of the handle whose participant is `user_id`, or {}."""
        for session, handles in (await self.all_handles()).items():
            for handle in handles:
                try:
                    info = await self.handle_info(session, handle)
                except AdminError:
                    continue  # gone meanwhile
                if (info.get("plugin_specific") or {}).get("user") == user_id:
                    return info
        return {}


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))
