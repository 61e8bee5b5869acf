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
