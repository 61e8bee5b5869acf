"""A private network namespace for the whole test session.

Janus 1.1.2 never gathers ICE candidates on loopback, so Janus and the test
clients talk over a veth pair inside a namespace of their own (docs/testing.md, The namespace trick;
"Testing media end to end on one machine"). The namespace is anonymous: it
belongs to this pytest process and its children and vanishes with them, so
nothing is left behind even when the run is killed.
"""

import ctypes
import os
import subprocess

JANUS_IF = "gcj0"
CLIENT_IF = "gcc0"
JANUS_IP = "198.18.0.1"
CLIENT_IP = "198.18.0.2"
PREFIX_LEN = 15

CLONE_NEWNET = 0x40000000


def enter_private_netns():
    """Move this process into a fresh network namespace.

    Must run while the process has a single thread (pytest_configure does):
    unshare() changes the calling thread only, and every thread or child
    started afterwards inherits it.
    """
    threads = os.listdir("/proc/self/task")
    if len(threads) != 1:
        raise RuntimeError(f"enter_private_netns needs a single-threaded process, have {len(threads)}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "unshare(CLONE_NEWNET) failed (the e2e tests need root): "
                      + os.strerror(err))


def _run(*args):
    subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _sysctl(key, value):
    with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
        f.write(str(value))


def veth_ready():
    return os.path.exists(f"/sys/class/net/{JANUS_IF}") and os.path.exists(
        f"/sys/class/net/{CLIENT_IF}")


def setup_veth():
    """lo up, a veth pair with 198.18.0.1 (Janus) and 198.18.0.2 (clients).

    Both ends live in this namespace, so a packet from one end arrives on the
    other with a local source address: accept_local=1 stops Linux from
    dropping it (without it ICE times out). rp_filter is off for the same
    reason.
    """
    if veth_ready():
        return
    _run("ip", "link", "set", "lo", "up")
    _run("ip", "link", "add", JANUS_IF, "type", "veth", "peer", "name", CLIENT_IF)
    for ifname in ("all", "default", JANUS_IF, CLIENT_IF):
        _sysctl(f"net.ipv4.conf.{ifname}.accept_local", 1)
        _sysctl(f"net.ipv4.conf.{ifname}.rp_filter", 0)
    _run("ip", "addr", "add", f"{JANUS_IP}/{PREFIX_LEN}", "dev", JANUS_IF)
    _run("ip", "addr", "add", f"{CLIENT_IP}/{PREFIX_LEN}", "dev", CLIENT_IF)
    _run("ip", "link", "set", JANUS_IF, "up")
    _run("ip", "link", "set", CLIENT_IF, "up")


def ensure_session_netns():
    """Called once per pytest session, before any thread exists.

    Always unshares, even when already started inside a namespace (e.g. by
    `unshare -n` or `ip netns exec`): a nested namespace costs nothing and
    guarantees that the veth pair never lands in a namespace we do not own.
    """
    enter_private_netns()
    setup_veth()


def describe():
    out = subprocess.run(["ip", "-brief", "addr"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return out.stdout
