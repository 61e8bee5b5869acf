"""Wait for a condition with a deadline, woken by events (never a blind
sleep). Objects call `changed()` whenever something a test may wait on
happened; `wait_until` re-checks its predicate then (and at least every
`poll` seconds, for conditions on the passage of time such as "silent for
the last 0.5 s")."""

import asyncio
import time


class ConditionTimeout(AssertionError):
    pass


class Changes:
    def __init__(self):
        self._event = asyncio.Event()

    def changed(self):
        ev = self._event
        self._event = asyncio.Event()
        ev.set()

    async def wait_until(self, predicate, timeout: float, what: str = "condition",
                         poll: float = 0.1, describe=None):
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = f" ({describe()})" if describe else ""
                raise ConditionTimeout(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
            try:
                await asyncio.wait_for(self._event.wait(), timeout=min(poll, remaining))
            except asyncio.TimeoutError:
                pass


async def holds(changes: Changes, ok, seconds: float, what: str, describe=None):
    """`ok()` must stay true on every check (each change, at least every
    0.1 s) for `seconds`: "nothing changes" as a window, never a sleep."""
    end = time.monotonic() + seconds
    broken = []

    def check():
        if not ok():
            broken.append(describe() if describe else "")
            return True
        return time.monotonic() >= end
    await changes.wait_until(check, seconds + 5, what)
    assert not broken, f"{what}: broke after less than {seconds}s ({broken[0]})"


async def poll_until(check, timeout: float, what: str, interval: float = 0.1):
    """Re-evaluate `check()` (sync or async) every `interval` seconds until
    truthy and return that value. Only for figures that change without an
    event to wait on (/proc, an admin API answer); bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)
