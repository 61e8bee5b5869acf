"""Start and stop a real Janus 1.1.2 with a generated configuration.

Each instance gets its own directory under the session's log directory:
`conf/` (the generated .jcfg files), `plugins/` and `transports/` (symlinks
to the .so files to load, nothing else) and `janus.log` (stdout and stderr).
"""

import dataclasses
import glob
import os
import signal
import socket
import subprocess
import time
from typing import Dict, List, Optional

from . import netns, tokens

JANUS_BIN = os.environ.get("GOCHAT_JANUS_BIN", "/usr/bin/janus")
STOCK_LIBDIR = "/usr/lib/x86_64-linux-gnu/janus"
GOCHAT_WS_PORT = 3300
STOCK_WS_PORT = 8188
ADMIN_WS_PORT = 7188  # Janus admin API on the stock WebSocket transport (admin_ws=True)
ADMIN_SECRET = "e2e-admin-secret"

# Sanitizer runs (docs/testing.md, "Sanitizers"): GOCHAT_JANUS_PRELOAD is put
# in Janus's LD_PRELOAD (the ASan runtime must come first when the plugin and
# transport were built with ./configure --enable-sanitizers). Reports go to
# <instance>/sanitizer.<pid>; a test during which one appears fails.
JANUS_PRELOAD = os.environ.get("GOCHAT_JANUS_PRELOAD", "").strip()
SANITIZER_LOG_PREFIX = "sanitizer"


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def gochat_prefix():
    return os.environ.get("GOCHAT_PREFIX", os.path.join(repo_root(), "local"))


# ---------------------------------------------------------------- jcfg text

def _jcfg_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"unsupported jcfg value {v!r}")


def render_jcfg(sections: Dict[str, Dict[str, object]]) -> str:
    out = []
    for name, items in sections.items():
        out.append(f"{name}: {{")
        for key, value in items.items():
            if value is None:
                continue
            out.append(f"\t{key} = {_jcfg_value(value)}")
        out.append("}")
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------- config

@dataclasses.dataclass(frozen=True)
class JanusConfig:
    """Everything that varies between Janus instances of the suite.

    `gochat=True` loads the built GoChat plugin and transport (plus Janus's
    stock WebSocket transport on 8188, so a test can reach the plugin with
    the plain Janus API); `gochat=False` loads only the stock plugins named
    in `stock_plugins` and the stock WebSocket transport (harness
    self-test)."""
    gochat: bool = True
    stock_plugins: tuple = ()
    stock_ws: bool = True
    session_timeout: int = 60
    debug_level: int = 4
    # janus.plugin.gochat.sfu.jcfg
    auth_secret: str = tokens.DEFAULT_SECRET
    issuer: str = tokens.DEFAULT_ISSUER
    token_leeway: int = 2
    empty_room_ttl: int = 10
    max_participants: int = 16
    answer_timeout: int = 30
    # The `webhook` category of janus.plugin.gochat.sfu.jcfg as (key, value)
    # pairs, e.g. harness/webhook_service.py's webhook_settings(service_id);
    # empty: no webhook category (no calls to GoChat)
    sfu_webhook: tuple = ()
    # janus.transport.gochat.ws.jcfg (times in milliseconds, as the
    # transport reads them)
    join_timeout_ms: int = 3000
    max_message_size: int = 262144
    keepalive_interval_ms: int = 5000
    # More `general` keys of janus.transport.gochat.ws.jcfg as (key, value)
    # pairs, applied over the ones above (a tuple keeps the config
    # comparable), e.g. (("tls", True), ("tls_cert", "/tmp/cert.pem"), ...)
    gochat_ws_settings: tuple = ()
    # False when the transport is meant to refuse to start (a bad TLS key):
    # Janus is then ready once its other ports listen.
    gochat_ws_listens: bool = True
    # Janus admin API (list_sessions, list_handles, message_plugin) on
    # ws://127.0.0.1:7188 through the stock WebSocket transport
    # (harness/admin.py); needs stock_ws
    admin_ws: bool = False
    # Janus's stock sample event handler posting to this URL (events.broadcast
    # on, libjanus_sampleevh loaded, one event per POST); "" = no handlers
    event_handler_backend: str = ""
    # RTP/ICE ports; a second Janus beside the pool's takes another range
    rtp_port_range: str = "20000-40000"
    # More `general` keys of janus.plugin.gochat.sfu.jcfg as (key, value) pairs
    sfu_general: tuple = ()
    # The `limits` category of janus.plugin.gochat.sfu.jcfg as (key, value)
    # pairs, e.g. (("max_audio_bitrate_kbps", 32), ("enforce_audio_bitrate", True));
    # empty: no category (no bitrate limits, docs/operations.md)
    sfu_limits: tuple = ()
    # The `audio` category of janus.plugin.gochat.sfu.jcfg as (key, value)
    # pairs (docs/operations.md: opus_dtx, forward_loudest, ...); empty: none
    sfu_audio: tuple = ()
    # More `general` keys of janus.jcfg as (key, value) pairs, e.g.
    # (("event_loops", 2),) (bench/compare.py --janus-general)
    janus_general: tuple = ()


def _sfu_jcfg(cfg: JanusConfig):
    sections = {
        "general": {
            "auth_secret": cfg.auth_secret,
            "issuer": cfg.issuer,
            "token_leeway": cfg.token_leeway,
            "empty_room_ttl": cfg.empty_room_ttl,
            "max_participants": cfg.max_participants,
            "answer_timeout": cfg.answer_timeout,
        },
        "permissions": {
            "voice_connect": 20,
            "voice_speak": 21,
            "voice_video": 22,
            "voice_mute_members": 23,
            "voice_deafen_members": 24,
            "voice_move_members": 25,
            "administrator": 26,
        },
    }
    sections["general"].update(dict(cfg.sfu_general))
    if cfg.sfu_audio:
        sections["audio"] = dict(cfg.sfu_audio)
    if cfg.sfu_webhook:
        sections["webhook"] = dict(cfg.sfu_webhook)
    if cfg.sfu_limits:
        sections["limits"] = dict(cfg.sfu_limits)
    return sections


def _gochat_ws_jcfg(cfg: JanusConfig):
    return {
        "general": {
            "enabled": True,
            "ip": "127.0.0.1",
            "port": GOCHAT_WS_PORT,
            "path": "/signal",
            "join_timeout": cfg.join_timeout_ms,
            "max_message_size": cfg.max_message_size,
            "keepalive_interval": cfg.keepalive_interval_ms,
            **dict(cfg.gochat_ws_settings),
        },
    }


def _stock_ws_jcfg(cfg: JanusConfig = None):
    admin = {"admin_ws": False, "admin_wss": False}
    if cfg is not None and cfg.admin_ws:
        admin = {"admin_ws": True, "admin_ws_port": ADMIN_WS_PORT,
                 "admin_ws_ip": "127.0.0.1", "admin_wss": False}
    return {
        "general": {"json": "plain", "ws": True, "ws_port": STOCK_WS_PORT,
                    "ws_ip": "127.0.0.1", "wss": False},
        "admin": admin,
    }


def _env_janus_general():
    """`general` keys of janus.jcfg for every Janus of a run, from
    GOCHAT_E2E_JANUS_GENERAL="key=value,..." (docs/testing.md, Janus
    instances: the suite under event_loops)."""
    general = {}
    for item in filter(None, os.environ.get("GOCHAT_E2E_JANUS_GENERAL", "").split(",")):
        key, _, value = item.partition("=")
        general[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return general


def _janus_jcfg(cfg: JanusConfig, base: str):
    return {
        "general": {
            "configs_folder": os.path.join(base, "conf"),
            "plugins_folder": os.path.join(base, "plugins"),
            "transports_folder": os.path.join(base, "transports"),
            "events_folder": os.path.join(base, "events"),
            "loggers_folder": os.path.join(base, "loggers"),
            "log_to_stdout": True,
            "debug_level": cfg.debug_level,
            "debug_timestamps": True,
            "debug_colors": False,
            "admin_secret": ADMIN_SECRET,
            "session_timeout": cfg.session_timeout,
            "server_name": "gochat-e2e",
            "interface": netns.JANUS_IP,
            **_env_janus_general(),
            **dict(cfg.janus_general),
        },
        "certificates": {},
        "media": {
            "ipv6": False,
            "rtp_port_range": cfg.rtp_port_range,
        },
        "nat": {
            "nice_debug": False,
            "full_trickle": False,
            "ice_enforce_list": netns.JANUS_IF,
            "ignore_mdns": True,
        },
        "plugins": {},
        "transports": {},
        "loggers": {},
        "events": {"broadcast": bool(cfg.event_handler_backend)},
    }


def _sample_event_handler_jcfg(cfg: JanusConfig):
    return {
        "general": {
            "enabled": True,
            "events": "all",
            "grouping": False,
            "json": "plain",
            "backend": cfg.event_handler_backend,
        },
    }


def gochat_shared_objects():
    """The built .so files of the product, as installed by `make install`."""
    prefix = gochat_prefix()
    plugins = sorted(glob.glob(os.path.join(prefix, "lib", "janus", "plugins", "*.so")))
    transports = sorted(glob.glob(os.path.join(prefix, "lib", "janus", "transports", "*.so")))
    return plugins, transports


class JanusNotBuilt(RuntimeError):
    pass


# ------------------------------------------------------------------ process

def _die_with_parent():
    """Janus gets SIGKILL if pytest dies (even by SIGKILL), so no orphan
    keeps the test namespace alive."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class JanusProcess:
    def __init__(self, cfg: JanusConfig, workdir: str):
        self.cfg = cfg
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "janus.log")
        self.proc: Optional[subprocess.Popen] = None
        self._log_file = None
        self.stop_problem: Optional[str] = None
        self.crash_reported = False  # a test already failed for this crash
        self.stopped_by_harness = False

    # --- setup
    def _write_tree(self):
        base = self.workdir
        for sub in ("conf", "plugins", "transports", "events", "loggers"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        cfg = self.cfg
        conf = os.path.join(base, "conf")
        files = {"janus.jcfg": _janus_jcfg(cfg, base)}
        plugin_sos: List[str] = []
        transport_sos: List[str] = []
        if cfg.gochat:
            plugin_sos, transport_sos = gochat_shared_objects()
            if not plugin_sos or not transport_sos:
                raise JanusNotBuilt(
                    "GoChat plugin/transport not built: no .so under "
                    f"{gochat_prefix()}/lib/janus/{{plugins,transports}} "
                    "(run scripts/test.sh or `make install`)")
            files["janus.plugin.gochat.sfu.jcfg"] = _sfu_jcfg(cfg)
            files["janus.transport.gochat.ws.jcfg"] = _gochat_ws_jcfg(cfg)
        for name in cfg.stock_plugins:
            plugin_sos.append(os.path.join(STOCK_LIBDIR, "plugins", f"libjanus_{name}.so"))
        if cfg.stock_ws:
            transport_sos.append(os.path.join(STOCK_LIBDIR, "transports", "libjanus_websockets.so"))
            files["janus.transport.websockets.jcfg"] = _stock_ws_jcfg(cfg)
        if cfg.event_handler_backend:
            so = os.path.join(STOCK_LIBDIR, "events", "libjanus_sampleevh.so")
            os.symlink(so, os.path.join(base, "events", os.path.basename(so)))
            files["janus.eventhandler.sampleevh.jcfg"] = _sample_event_handler_jcfg(cfg)
        for so in plugin_sos:
            os.symlink(so, os.path.join(base, "plugins", os.path.basename(so)))
        for so in transport_sos:
            os.symlink(so, os.path.join(base, "transports", os.path.basename(so)))
        for name, sections in files.items():
            with open(os.path.join(conf, name), "w") as f:
                f.write(render_jcfg(sections))

    def ports(self):
        ports = []
        if self.cfg.gochat and self.cfg.gochat_ws_listens:
            ports.append(int(dict(self.cfg.gochat_ws_settings).get("port", GOCHAT_WS_PORT)))
        if self.cfg.stock_ws:
            ports.append(STOCK_WS_PORT)
            if self.cfg.admin_ws:
                ports.append(ADMIN_WS_PORT)
        return ports

    def start(self, ready_timeout=20.0):
        os.makedirs(self.workdir, exist_ok=True)
        self._write_tree()
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [JANUS_BIN, "-C", os.path.join(self.workdir, "conf", "janus.jcfg"),
             "-F", os.path.join(self.workdir, "conf"), "-o"],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.workdir, preexec_fn=_die_with_parent, env=self._environment())
        deadline = time.monotonic() + ready_timeout
        pending = list(self.ports())
        while pending:
            problem = self.exit_problem()
            if problem:
                raise RuntimeError(f"Janus died during startup: {problem}\n" + self.log_tail())
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Janus did not listen on {pending} within "
                                   f"{ready_timeout}s\n" + self.log_tail())
            port = pending[0]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pending.pop(0)
            except OSError:
                time.sleep(0.05)
        return self

    def _environment(self):
        """Janus's environment: ours, plus the sanitizer runtime when
        GOCHAT_JANUS_PRELOAD asks for it."""
        env = dict(os.environ)
        if not JANUS_PRELOAD:
            return env
        log_path = os.path.join(self.workdir, SANITIZER_LOG_PREFIX)
        env["LD_PRELOAD"] = (JANUS_PRELOAD + " " + env.get("LD_PRELOAD", "")).strip()
        # Janus leaks at exit by design (plugins' static state, GLib): leak
        # checking would only report those. halt_on_error turns the first
        # report into an exit the crash detection already catches.
        asan = ("detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_odr_violation=0:"
                "allocator_may_return_null=1:print_summary=1:log_path=" + log_path)
        ubsan = "print_stacktrace=1:halt_on_error=1:print_summary=1:log_path=" + log_path
        env["ASAN_OPTIONS"] = asan + (":" + env["ASAN_OPTIONS"] if env.get("ASAN_OPTIONS") else "")
        env["UBSAN_OPTIONS"] = ubsan + (":" + env["UBSAN_OPTIONS"] if env.get("UBSAN_OPTIONS") else "")
        return env

    def sanitizer_reports(self) -> List[str]:
        """Paths of the sanitizer reports this instance wrote (empty unless
        started with GOCHAT_JANUS_PRELOAD)."""
        return sorted(glob.glob(os.path.join(self.workdir, SANITIZER_LOG_PREFIX + ".*")))

    def sanitizer_text(self, limit=60_000) -> str:
        parts = []
        for path in self.sanitizer_reports():
            try:
                with open(path, "rb") as f:
                    parts.append(f"--- {path}\n" + f.read(limit).decode("utf-8", "replace"))
            except OSError:
                pass
        return "\n".join(parts)

    # --- state
    def exit_problem(self) -> Optional[str]:
        """None while Janus runs; otherwise how it ended (it never should
        before the harness stops it)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            return None
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = str(-rc)
            return f"Janus was killed by signal {name}"
        return f"Janus exited with status {rc}"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset: int, limit: int = 200_000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return ""
        if len(data) > limit:
            data = b"[... cut ...]\n" + data[-limit:]
        return data.decode("utf-8", "replace")

    def log_tail(self, limit=8000):
        return self.log_since(max(0, self.log_size() - limit), limit)

    # --- teardown
    def stop(self, grace=5.0):
        """SIGINT, then SIGKILL after `grace` seconds. Returns a problem
        string when Janus had crashed or would not stop, else None."""
        if self.proc is None:
            return None
        problem = self.exit_problem()
        self.stopped_by_harness = True
        if problem is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                rc = self.proc.wait(timeout=grace)
                if rc != 0:
                    problem = f"Janus exited with status {rc} on SIGINT"
                    if rc < 0:
                        problem = f"Janus died of signal {signal.Signals(-rc).name} while stopping"
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problem = f"Janus did not exit within {grace}s of SIGINT (killed)"
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        self.stop_problem = problem
        return problem
