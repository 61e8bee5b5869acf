"""Gaps in received audio: when did a listener last decode a frame with
energy from a given `user-<id>` stream, and what is the longest stretch
without one inside a measured window.

`watch(peer, stream)` hooks the stream's AudioAnalyzer (rtc.py) of an
RtcPeer; every decoded 20 ms frame whose RMS is at or above `min_rms` (the
harness tone is ~5600 RMS, silence 0) counts as heard at its arrival time
(time.monotonic() when the decoder handed it over). A window's max gap
includes the stretch from the window's start to the first heard frame and
from the last heard frame to the window's end, so a stream that stops
altogether shows up as one long gap.
"""

import time
from typing import List, Optional, Tuple

import numpy as np


class GapWatch:
    def __init__(self, name: str, min_rms: float):
        self.name = name
        self.min_rms = min_rms
        self.last_heard: Optional[float] = None
        self.frames = 0
        self._window_start: Optional[float] = None
        self._window_last: Optional[float] = None
        self._window_max = 0.0
        self._window_worst: Tuple[float, float] = (0.0, 0.0)

    def on_frame(self, samples: np.ndarray, at: float):
        if len(samples) == 0:
            return
        rms = float(np.sqrt(np.mean(samples * samples)))
        if rms < self.min_rms:
            return
        self.frames += 1
        if self._window_start is not None:
            prev = self._window_last if self._window_last is not None else self._window_start
            gap = at - prev
            if gap > self._window_max:
                self._window_max = gap
                self._window_worst = (prev, at)
            self._window_last = at
        self.last_heard = at

    def start(self):
        self._window_start = time.monotonic()
        self._window_last = None
        self._window_max = 0.0
        self._window_worst = (self._window_start, self._window_start)

    def stop(self) -> float:
        """End the window; return its max gap in seconds."""
        now = time.monotonic()
        prev = self._window_last if self._window_last is not None else self._window_start
        if prev is not None and now - prev > self._window_max:
            self._window_max = now - prev
            self._window_worst = (prev, now)
        self._window_start = None
        return self._window_max

    @property
    def worst(self):
        return self._window_worst


def watch(peer, stream: str, name: str = None, min_rms: float = 300.0) -> GapWatch:
    """Start timestamping heard frames of `stream` on `peer` (an RtcPeer)."""
    g = GapWatch(name or f"{peer.name}<-{stream}", min_rms)
    analyzer = peer.audio[stream]  # the same object the consumer adds to
    original = analyzer.add

    def add(samples, at):
        original(samples, at)
        g.on_frame(samples, at)
    analyzer.add = add
    return g


class GapWindow:
    """Measure several streams over one window:

        with GapWindow([a_from_b, b_from_a]) as w:
            ... attack ...
        w.assert_max(0.5, "200 idle sockets")
    """

    def __init__(self, watches: List[GapWatch]):
        self.watches = watches
        self.result = {}
        self.started = None
        self.duration = 0.0

    def __enter__(self):
        self.started = time.monotonic()
        for g in self.watches:
            g.start()
        return self

    def __exit__(self, *exc):
        self.duration = time.monotonic() - self.started
        for g in self.watches:
            self.result[g.name] = (g.stop(), g.worst)
        return False

    def report(self) -> str:
        parts = [f"{name}: max gap {gap * 1000:.0f} ms"
                 f" (at +{(worst[0] - self.started):.2f}s..+{(worst[1] - self.started):.2f}s)"
                 for name, (gap, worst) in self.result.items()]
        return f"window {self.duration:.1f}s; " + "; ".join(parts)

    def max_gap(self) -> float:
        return max(gap for gap, _ in self.result.values())

    def assert_max(self, limit: float, what: str):
        assert self.max_gap() <= limit, \
            f"{what}: audio gap over {limit * 1000:.0f} ms ({self.report()})"
