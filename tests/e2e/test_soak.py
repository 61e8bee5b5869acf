"""Soak (issue "Hostile input and failure", part 4): 500 join/leave cycles
with media, then the Janus process must be back where it started.

WORKERS channels run side by side. In each, an anchor participant (a tone)
stays for the whole soak while a worker runs its share of the cycles, one
after another: a short-lived audio-only client connects, joins, answers,
gets ICE+DTLS up, hears the anchor's tone through the SFU (its frequency,
not just energy), and goes (most with t 504, every third by closing its
socket, every tenth by vanishing: TCP dropped and ICE sockets closed, no
goodbye). The anchor renegotiates on every join and leave, so the SFU's
m-line recycling is soaked as well.

Asserted at the end (figures printed and recorded in docs/testing.md):
- every cycle worked;
- Janus's RSS (VmRSS) at the end of the cycles is within RSS_TOLERANCE_KIB
  of its value after WARMUP cycles (same state: anchors joined);
- once the anchors left: Janus's admin API lists no session, the plugin's
  status says sessions=0 participants=0, the process has no more file
  descriptors or threads than before the soak, and after empty_room_ttl
  (2 s here) rooms=0.
"""

import asyncio
import os
import time

import pytest

from harness import tokens
from harness.admin import JanusAdmin, fd_count, rss_kib, thread_count
from harness.calls import vanish
from harness.clients import GoChatClient, stream_of
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.waiting import poll_until

SOAK_CFG = dict(join_timeout_ms=2000, admin_ws=True, empty_room_ttl=2)
# GOCHAT_SOAK_CYCLES: fewer cycles for a quick try (WARMUP scales down with it)
CYCLES = int(os.environ.get("GOCHAT_SOAK_CYCLES", "500"))
WORKERS = 4
WARMUP = min(100, CYCLES // 5)
RSS_TOLERANCE_KIB = 4 * 1024     # flat: at most 4 MiB (~10 KiB a cycle) growth over the last 400 cycles
CYCLE_TIMEOUT = 20.0
FRAMES_HEARD = 10                # 200 ms of the anchor's tone decoded per cycle
HEARD_WINDOW = 0.2               # s: the last 200 ms are the anchor's frequency (RtcPeer.hears, 15 Hz)
LAZY = 1                         # fd/thread Janus creates on first use and keeps
POLL = 0.2                       # s between two looks at the admin API or /proc
TIME_LIMIT = 420.0               # s, the whole soak (target: well under 10 minutes)


class Soak:
    def __init__(self, janus):
        self.janus = janus
        self.pid = janus.proc.pid
        self.done = 0
        self.failures = []
        self.samples = {}          # label -> (cycles done, rss KiB)
        self.cycle_times = []

    def sample(self, label):
        self.samples[label] = (self.done, rss_kib(self.pid), fd_count(self.pid),
                               thread_count(self.pid))

    async def cycle(self, channel: int, anchor: GoChatClient, anchor_hz: float, n: int):
        user = snowflake()
        c = GoChatClient(user, tone=300 + (n % 7) * 50, name=f"cycle-{n}")
        t0 = time.monotonic()
        try:
            await c.connect()
            ack = await c.join(channel, tokens.mint(user, channel))
            assert ack == {"ok": True}, ack
            await c.wait_offers(2, CYCLE_TIMEOUT)   # own lines, then the anchor's
            await c.wait_connected(CYCLE_TIMEOUT)
            stream = stream_of(anchor.user_id)
            # the anchor's own tone, not just energy: a line carrying another
            # participant's audio (or noise) must not count as hearing it
            await c.changes.wait_until(
                lambda: c.peer.audio.get(stream) is not None
                and c.peer.audio[stream].frames >= FRAMES_HEARD
                and c.peer.hears(stream, anchor_hz, seconds=HEARD_WINDOW),
                CYCLE_TIMEOUT, f"cycle {n} hearing the anchor's {anchor_hz:.0f} Hz", describe=c.describe)
            how = "vanish" if n % 10 == 9 else "close" if n % 3 == 2 else "leave"
            if how == "leave":
                await c.leave()
                await c.wait_closed(5)
                assert (c.close_code, c.close_reason) == (1000, "leave"), c.describe()
            elif how == "vanish":
                await vanish(c)
        except Exception as exc:
            self.failures.append(f"cycle {n}: {exc!r}")
        finally:
            await c.close()
            self.cycle_times.append(time.monotonic() - t0)
            self.done += 1
            if self.done == WARMUP:
                self.sample("warm-up")

    async def worker(self, w: int, cl: Clients, shares):
        channel = snowflake()
        hz = 440 + 110 * w
        anchor = await cl.gochat(users(1)[0], tone=hz, name=f"anchor-{w}")
        ack = await anchor.join(channel, tokens.mint(anchor.user_id, channel))
        assert ack == {"ok": True}, ack
        await anchor.wait_offers(1)
        await anchor.wait_connected()
        for n in shares:
            await self.cycle(channel, anchor, hz, n)
        return anchor


@pytest.mark.soak
def test_500_join_leave_cycles_leave_janus_flat_and_empty(janus_factory):
    janus = janus_factory(**SOAK_CFG)
    soak = Soak(janus)

    async def scenario():
        async with JanusAdmin() as admin:
            st0 = await admin.sfu_status()
            fds0, threads0, rss0 = fd_count(soak.pid), thread_count(soak.pid), rss_kib(soak.pid)
            fd_list0 = fd_targets(soak.pid)
            t0 = time.monotonic()
            async with Clients() as cl:
                anchors = await asyncio.gather(*(soak.worker(w, cl, range(w, CYCLES, WORKERS))
                                                 for w in range(WORKERS)))
                soak.sample("end")
                elapsed = time.monotonic() - t0
                st_end = await admin.sfu_status()
                for a in anchors:
                    await a.leave()
                await asyncio.gather(*(a.wait_closed(5) for a in anchors))
            # nothing left: sessions, handles, participants; then rooms
            await poll_until(lambda: _empty(admin), 10,
                             "no Janus session, plugin sessions=0 participants=0", POLL)
            sessions_left = await admin.sessions()
            st_left = await admin.sfu_status()
            t_rooms = time.monotonic()
            await poll_until(lambda: _no_rooms(admin), SOAK_CFG["empty_room_ttl"] + 10, "rooms=0", POLL)
            rooms_gone = time.monotonic() - t_rooms
            st_final = await admin.sfu_status()
            try:
                fds1 = await poll_until(lambda: fd_count(soak.pid) <= fds0 and fd_count(soak.pid),
                                        10, f"fds back to {fds0}", POLL)
            except AssertionError:
                fds1 = fd_count(soak.pid)
            fd_list1 = fd_targets(soak.pid)
            threads1 = thread_count(soak.pid)
            rss_final = rss_kib(soak.pid)

        times = sorted(soak.cycle_times)
        _, warm, warm_fds, warm_threads = soak.samples["warm-up"]
        _, end, end_fds, end_threads = soak.samples["end"]
        extra = sorted(fd_list1 - fd_list0)
        report = (f"[soak] {CYCLES} cycles by {WORKERS} workers in {elapsed:.0f}s "
                  f"(cycle median {times[len(times) // 2]:.2f}s, p95 {times[int(len(times) * .95)]:.2f}s, "
                  f"max {times[-1]:.2f}s); failures {len(soak.failures)}; "
                  f"RSS KiB: start {rss0}, after {WARMUP} cycles {warm}, after {CYCLES} {end} "
                  f"(delta {end - warm:+d}), after cleanup {rss_final}; "
                  f"fds: start {fds0}, warm-up {warm_fds}, end {end_fds}, after cleanup {fds1} "
                  f"(new: {extra}); threads: start {threads0}, warm-up {warm_threads}, "
                  f"end {end_threads}, after cleanup {threads1}; "
                  f"status before {st0}, at the end of the cycles {st_end}, after leaving {st_left}, "
                  f"{rooms_gone:.1f}s later {st_final}; Janus sessions left {sessions_left}")
        print(report)
        with open(f"{janus.workdir}/soak-figures.txt", "w") as f:
            f.write(report + "\n" + "\n".join(soak.failures) + "\n")
        assert not soak.failures, f"{len(soak.failures)} failed cycles: {soak.failures[:5]}"
        assert elapsed < TIME_LIMIT, report
        assert end - warm <= RSS_TOLERANCE_KIB, f"RSS grew {end - warm} KiB: {report}"
        assert sessions_left == [], report
        assert st_left.get("sessions") == 0 and st_left.get("participants") == 0, report
        assert st_final.get("rooms") == 0, report
        # same state (anchors joined) after warm-up and at the end: no growth
        assert end_fds <= warm_fds and end_threads <= warm_threads, report
        # after cleanup: what the first call created once (LAZY) may stay
        assert fds1 <= fds0 + LAZY and threads1 <= threads0 + LAZY, report
    run(scenario(), timeout=TIME_LIMIT + 120)


def fd_targets(pid: int):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.add((fd, os.readlink(f"/proc/{pid}/fd/{fd}")))
        except OSError:
            pass
    return out


async def _empty(admin: JanusAdmin):
    st = await admin.sfu_status()
    return (not await admin.sessions()) and st.get("sessions") == 0 and st.get("participants") == 0


async def _no_rooms(admin: JanusAdmin):
    return (await admin.sfu_status()).get("rooms") == 0
