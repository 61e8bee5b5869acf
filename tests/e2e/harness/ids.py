"""Real-looking 19-digit snowflakes (they exceed 2^53, so any double on the
way would corrupt them), unique per test so rooms never collide, even with
rooms a previous test left to expire."""

import itertools
import os
import random

_rng = random.Random(int.from_bytes(os.urandom(8), "big"))
_seq = itertools.count(1)


def snowflake() -> int:
    # 19 digits, well above 2^53, below 2^63
    base = _rng.randrange(1_200_000_000_000_000_000, 9_000_000_000_000_000_000)
    return base | 1 | (next(_seq) << 1 & 0xFFFF)


def users(n: int):
    out = set()
    while len(out) < n:
        out.add(snowflake())
    return sorted(out)
