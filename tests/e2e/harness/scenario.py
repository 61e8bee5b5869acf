"""Glue for writing scenarios: run a coroutine with a deadline, and a group
that closes every client it created, whatever happens."""

import asyncio
import contextlib

from .clients import GoChatClient, JanusApiClient


def run(coro, timeout: float = 120.0):
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


class Clients(contextlib.AbstractAsyncContextManager):
    def __init__(self):
        self.all = []

    async def gochat(self, user_id: int, **kw) -> GoChatClient:
        c = GoChatClient(user_id, **kw)
        self.all.append(c)
        await c.connect()
        return c

    async def janus(self, name: str, **kw) -> JanusApiClient:
        c = JanusApiClient(name, **kw)
        self.all.append(c)
        await c.connect()
        await c.create_session()
        return c

    async def __aexit__(self, *exc):
        await asyncio.gather(*(c.close() for c in self.all), return_exceptions=True)
        return False
