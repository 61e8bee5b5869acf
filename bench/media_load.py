#!/usr/bin/python3
"""Media-path load figures for the GoChat SFU (docs/benchmarks.md, "Media path").

    /usr/bin/python3 bench/media_load.py [--clients N] [--video] [--seconds S]

Run as root (it makes a private network namespace, as the e2e suite does).
It starts a real Janus 1.1.2 with the built plugin and transport
($GOCHAT_PREFIX, default ./local), joins N aiortc GoChat clients in one
channel (each plays a tone; with --video each also publishes a 160x120
10 fps VP8 camera), waits until everyone hears (and sees) everyone, then
measures Janus for S seconds in two phases:

  forwarding  every publication forwarded to the N-1 others;
  baseline    the same N peers, all self-muted (t 505; with --video also
              local-muting every other user, t 506, so cameras are not
              forwarded either): publishers keep sending, Janus receives,
              decrypts and drops; ICE, DTLS, RTCP and the sessions remain.

Printed per phase: Janus CPU (utime+stime from /proc/<pid>/stat) as % of
one core, per thread group, RSS, forwarded streams and the packets the
clients received; then CPU per forwarded stream and microseconds of Janus
CPU per forwarded packet, total and marginal (forwarding minus baseline).

It prints figures and asserts nothing about time; it is not a test and
scripts/test.sh does not run it. The clients (aiortc, ~10-12 % of a core
per peer) run on the same 2-core machine, so Janus competes with them for
CPU; the output says how busy the machine was.
"""

import argparse
import datetime
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

from harness import netns  # noqa: E402  (ctypes/os/subprocess only: no threads yet)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------------ /proc

def proc_cpu_seconds(pid):
    """utime+stime of the whole process (exited threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} from each thread's schedstat (ns)."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"{base}/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        out[tid] = (name, ns / 1e9)
    return out


def group_name(name):
    """Janus names threads per handle/session ("hloop 1234..."): group them."""
    return re.sub(r"[\s_-]*\d+$", "", name) or name


def self_cpu_seconds():
    t = os.times()
    return t.user + t.system


# ------------------------------------------------------------------ benchmark

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=4, help="participants (default 4)")
    p.add_argument("--video", action="store_true", help="each client also publishes a camera")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    p.add_argument("--warmup", type=float, default=3.0,
                   help="seconds to let things settle before each phase (default 3)")
    p.add_argument("--debug-level", type=int, default=4,
                   help="Janus debug_level (default 4, Janus's own default)")
    p.add_argument("--keep-logs", type=int, default=5, help="bench runs kept under run/bench")
    return p.parse_args()


def run_dir(keep):
    base = os.environ.get("GOCHAT_BENCH_LOGDIR", os.path.join(REPO, "run", "bench"))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(base, f"media-{stamp}-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
    runs = sorted(d for d in os.listdir(base) if d.startswith("media-"))
    for old in runs[:-keep]:
        shutil.rmtree(os.path.join(base, old), ignore_errors=True)
    return path


def main():
    args = parse_args()
    if args.clients < 2:
        sys.exit("--clients must be at least 2")
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark makes a private network namespace")

    # Before anything starts a thread (numpy/OpenBLAS, asyncio executors):
    # unshare() only moves the calling thread (harness/netns.py).
    netns.ensure_session_netns()

    import asyncio
    import logging

    from harness import janus as janus_mod
    from harness import tokens
    from harness.clients import OP_RTC, stream_of
    from harness.ids import snowflake, users
    from harness.scenario import Clients
    from aiortc import rtcrtpreceiver

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    # ---- count RTP packets as the clients' receivers get them, per kind
    received = {"audio": 0, "video": 0}
    original = rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet

    async def counting(self, packet, arrival_time_ms):
        received[self._RTCRtpReceiver__kind] += 1
        return await original(self, packet, arrival_time_ms)

    rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet = counting

    n = args.clients
    workdir = os.path.join(run_dir(args.keep_logs), "janus")
    cfg = janus_mod.JanusConfig(stock_ws=False, debug_level=args.debug_level,
                                max_participants=max(16, n), session_timeout=60)
    jp = janus_mod.JanusProcess(cfg, workdir)
    jp.start()
    pid = jp.proc.pid
    kinds = ["audio"] + (["video"] if args.video else [])

    async def sent_packets(clients):
        total = {"audio": 0, "video": 0}
        for c in clients:
            if c.peer is None:
                continue
            for t in c.peer.pc.getTransceivers():
                if t.sender.track is None:
                    continue
                for s in (await t.sender.getStats()).values():
                    if getattr(s, "type", "") == "outbound-rtp":
                        total[t.kind] += s.packetsSent
        return total

    async def measure(label, clients, streams):
        await asyncio.sleep(args.warmup)  # a period to settle, not a wait for an event
        t0 = time.monotonic()
        cpu0, th0, me0 = proc_cpu_seconds(pid), thread_cpu(pid), self_cpu_seconds()
        rx0, tx0 = dict(received), await sent_packets(clients)
        rss, per_second = [proc_rss_kib(pid)], []
        last_cpu, last_t = cpu0, t0
        while time.monotonic() - t0 < args.seconds:
            await asyncio.sleep(min(1.0, args.seconds - (time.monotonic() - t0)))
            now, cpu = time.monotonic(), proc_cpu_seconds(pid)
            per_second.append(100.0 * (cpu - last_cpu) / (now - last_t))
            last_cpu, last_t = cpu, now
            rss.append(proc_rss_kib(pid))
            problem = jp.exit_problem()
            if problem:
                raise RuntimeError(problem + "\n" + jp.log_tail())
        wall = time.monotonic() - t0
        cpu1, th1, me1 = proc_cpu_seconds(pid), thread_cpu(pid), self_cpu_seconds()
        rx1, tx1 = dict(received), await sent_packets(clients)
        groups = {}
        for tid, (name, sec) in th1.items():
            before = th0.get(tid, (name, 0.0))[1]
            g = group_name(name)
            cnt, s = groups.get(g, (0, 0.0))
            groups[g] = (cnt + 1, s + sec - before)
        return {
            "label": label, "wall": wall, "cpu": cpu1 - cpu0,
            "per_second": per_second, "rss_end": rss[-1], "rss_max": max(rss),
            "threads": groups, "nthreads": len(th1),
            "rx": {k: rx1[k] - rx0[k] for k in received},
            "tx": {k: tx1[k] - tx0[k] for k in tx0},
            "loadavg": open("/proc/loadavg").read().split()[0],
            "clients_cpu": 100.0 * (me1 - me0) / wall,
            "streams": streams,
        }

    async def idle_cpu(seconds=5.0):
        await asyncio.sleep(1.0)  # past start-up
        t0, c0 = time.monotonic(), proc_cpu_seconds(pid)
        await asyncio.sleep(seconds)
        return 100.0 * (proc_cpu_seconds(pid) - c0) / (time.monotonic() - t0), proc_rss_kib(pid)

    async def scenario():
        idle = await idle_cpu()
        channel = snowflake()
        ids = users(n)
        async with Clients() as cl:
            clients = [await cl.gochat(u, tone=300 + 70 * i, camera=args.video)
                       for i, u in enumerate(ids)]
            t_join = time.monotonic()

            async def enter(c):
                ack = await c.join(channel, tokens.mint(c.user_id, channel, tokens.PERMS_MEMBER))
                if ack != {"ok": True}:
                    raise RuntimeError(f"{c.name}: join refused: {ack}")
                await c.wait_offers(1)
                await c.wait_connected(30)

            await asyncio.gather(*(enter(c) for c in clients))
            waits = [x.wait_hearing(y.user_id, y.mic.freq, 45) for x in clients for y in clients
                     if x is not y]
            if args.video:
                def sees(x, y):
                    return lambda: x.peer.video_frames.get(stream_of(y.user_id), 0) >= 5
                waits += [x.changes.wait_until(sees(x, y), 45, f"{x.name} seeing {y.name}",
                                               describe=x.describe)
                          for x in clients for y in clients if x is not y]
            await asyncio.gather(*waits)
            ready = time.monotonic() - t_join
            pairs = n * (n - 1)
            fwd = await measure("forwarding", clients, {k: pairs for k in kinds})

            # baseline: nothing forwarded, every peer still connected and publishing
            for c in clients:
                await c.send(OP_RTC, 505, {"muted": True})
                if args.video:
                    for o in clients:
                        if o is not c:
                            await c.send(OP_RTC, 506, {"user": o.user_id, "muted": True})
            await asyncio.gather(*(x.wait_not_hearing(y.user_id, 10) for x in clients
                                   for y in clients if x is not y))
            base = await measure("baseline (all muted)", clients, {k: 0 for k in kinds})
            return idle, ready, fwd, base

    try:
        idle, ready, fwd, base = asyncio.run(asyncio.wait_for(scenario(), 70 + 2 * (args.seconds + args.warmup) + 30))
        rss_idle = proc_rss_kib(pid)
    finally:
        problem = jp.stop()
    report(args, idle, ready, fwd, base, rss_idle, problem, workdir)


def report(args, idle, ready, fwd, base, rss_after, problem, workdir):
    n = args.clients
    kinds = "audio + video" if args.video else "audio only"
    print()
    print(f"GoChat SFU media load: {n} clients, {kinds}, {args.seconds:.0f} s per phase "
          f"(Janus debug_level {args.debug_level})")
    print(f"everyone heard{' and saw' if args.video else ''} everyone {ready:.1f} s after joining")
    print("NOTE: the aiortc clients run on this same machine "
          f"({os.cpu_count()} cores) and cost ~10-12 % of a core per peer; Janus competes with")
    print("      them for CPU, so take these as figures under load, not an isolated server.")
    print(f"Janus idle before anyone joined: {idle[0]:.2f} % of one core, RSS {idle[1] / 1024:.1f} MiB")
    for ph in (fwd, base):
        cpu_pct = 100.0 * ph["cpu"] / ph["wall"]
        ps = ph["per_second"]
        print()
        print(f"== {ph['label']} ({ph['wall']:.1f} s)")
        print(f"  Janus CPU             {cpu_pct:6.2f} % of one core "
              f"(1 s samples {min(ps, default=0):.1f}-{max(ps, default=0):.1f} %)")
        print(f"  Janus CPU per peer    {cpu_pct / n:6.2f} % of one core")
        print(f"  Janus RSS             {ph['rss_end'] / 1024:6.1f} MiB (max {ph['rss_max'] / 1024:.1f})")
        for k, streams in ph["streams"].items():
            rx, tx = ph["rx"][k], ph["tx"][k]
            print(f"  {k:5s}: {streams:3d} forwarded streams, clients sent {tx / ph['wall']:7.1f} pkt/s, "
                  f"received {rx / ph['wall']:7.1f} pkt/s")
        top = sorted(ph["threads"].items(), key=lambda kv: -kv[1][1])
        shown = ", ".join(f"{g} x{cnt} {100.0 * s / ph['wall']:.2f}%" for g, (cnt, s) in top[:6]
                          if s > 0)
        print(f"  Janus threads ({ph['nthreads']}): {shown}")
        print(f"  load: clients (this process) {ph['clients_cpu']:.0f} % + Janus {cpu_pct:.0f} % "
              f"of one core, of {os.cpu_count()} cores; load average {ph['loadavg']}")

    cpu_f = 100.0 * fwd["cpu"] / fwd["wall"]
    cpu_b = 100.0 * base["cpu"] / base["wall"]
    streams = sum(fwd["streams"].values())
    pkts = sum(fwd["rx"].values())
    pkt_rate = pkts / fwd["wall"]
    base_pkts = sum(base["rx"].values())
    print()
    print("== summary")
    print(f"  Janus CPU: forwarding {cpu_f:.2f} %, baseline {cpu_b:.2f} % of one core "
          f"(per peer {cpu_f / n:.2f} % / {cpu_b / n:.2f} %)")
    print(f"  forwarded: {streams} streams ({', '.join(f'{v} {k}' for k, v in fwd['streams'].items())}), "
          f"{pkt_rate:.0f} pkt/s received by the clients (baseline {base_pkts / base['wall']:.0f} pkt/s)")
    if streams and pkts:
        print(f"  per forwarded stream: {cpu_f / streams:.3f} % of one core total, "
              f"{(cpu_f - cpu_b) / streams:.3f} % above the baseline")
        print(f"  per forwarded packet: {1e6 * fwd['cpu'] / pkts:.1f} us of Janus CPU total, "
              f"{1e6 * (fwd['cpu'] / fwd['wall'] - base['cpu'] / base['wall']) / pkt_rate:.1f} us "
              "above the baseline")
    print(f"  Janus RSS: {fwd['rss_end'] / 1024:.1f} MiB forwarding, {base['rss_end'] / 1024:.1f} MiB "
          f"baseline, {rss_after / 1024:.1f} MiB at the end")
    print(f"  Janus log: {os.path.join(workdir, 'janus.log')}")
    if problem:
        print(f"  WARNING: {problem}")


if __name__ == "__main__":
    main()
