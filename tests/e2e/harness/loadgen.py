"""Runs the native load generator (tools/loadgen; docs/benchmarks.md, "Load
generator") from a test: inside the test's network namespace, gathering
ICE candidates on the client address only, and returns its JSON report."""

import json
import os
import subprocess
import tempfile

from . import janus, netns


class LoadgenNotBuilt(RuntimeError):
    pass


def loadgen_binary() -> str:
    """The installed gochat-loadgen ($GOCHAT_PREFIX/bin), else the one in the
    build tree (build/local)."""
    candidates = [
        os.path.join(janus.gochat_prefix(), "bin", "gochat-loadgen"),
        os.path.join(janus.repo_root(), "build", "local", "tools", "loadgen", "gochat-loadgen"),
    ]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise LoadgenNotBuilt("gochat-loadgen not built: none of " + ", ".join(candidates)
                          + " (run scripts/test.sh or `make install`)")


class LoadgenRun:
    def __init__(self, report: dict, stderr: str):
        self.report = report
        self.stderr = stderr  # the human summary and any errors

    @property
    def participants(self):
        return self.report["participants"]

    def by_user(self):
        return {p["user_id"]: p for p in self.participants}


def run_loadgen(args, timeout: float) -> LoadgenRun:
    """Runs gochat-loadgen with `args` (plus --local-ip and --out) and returns
    its report; fails when it exits non-zero."""
    with tempfile.TemporaryDirectory(prefix="loadgen-") as tmp:
        out = os.path.join(tmp, "report.json")
        cmd = [loadgen_binary(), "--local-ip", netns.CLIENT_IP, "--out", out, *map(str, args)]
        # A sanitizer build (GOCHAT_SANITIZE=1) checks memory errors but not
        # leaks at exit: GLib, libnice and OpenSSL keep process-wide state by
        # design; the unit tests cover the load generator's own leaks.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=0" + (":" + env["ASAN_OPTIONS"] if env.get("ASAN_OPTIONS") else "")
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
        stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise AssertionError(f"gochat-loadgen exited with {proc.returncode}: {' '.join(cmd)}\n{stderr}")
        with open(out) as f:
            return LoadgenRun(json.load(f), stderr)
