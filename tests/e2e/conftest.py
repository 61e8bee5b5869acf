"""End-to-end fixtures: a private network namespace for the session, Janus
instances with generated configs (one at a time, reused while the config
stays the same), crash detection and Janus logs attached to failures.

See docs/testing.md."""

import asyncio
import datetime
import logging
import os
import shutil

import pytest

from harness import janus as janus_mod
from harness import netns
from harness.webhook_service import WebhookService

log = logging.getLogger("e2e")


def pytest_configure(config):
    # Must happen while pytest is single-threaded: see harness/netns.py.
    netns.ensure_session_netns()
    config.addinivalue_line("markers", "slow: long-running call (tens of seconds)")
    config.addinivalue_line("markers", "soak: resource soak (minutes); runs after everything else")


def pytest_collection_modifyitems(session, config, items):
    """Harness self-test first (a broken environment should say so before
    the product tests fail), slow tests last (they need their own Janus),
    soak tests after those (they measure the process at the end)."""
    def rank(item):
        if item.fspath.basename == "test_harness_selftest.py":
            return 0
        if item.get_closest_marker("soak"):
            return 3
        if item.get_closest_marker("slow"):
            return 2
        return 1
    items.sort(key=rank)  # stable: file order is kept within a rank


def _session_logdir():
    base = os.environ.get("GOCHAT_E2E_LOGDIR",
                          os.path.join(janus_mod.repo_root(), "run", "e2e"))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(base, f"{stamp}-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
    latest = os.path.join(base, "latest")
    try:
        if os.path.islink(latest):
            os.unlink(latest)
        os.symlink(path, latest)
    except OSError:
        pass
    # keep the last few runs only
    runs = sorted(d for d in os.listdir(base) if d != "latest" and os.path.isdir(os.path.join(base, d)))
    for old in runs[:-5]:
        shutil.rmtree(os.path.join(base, old), ignore_errors=True)
    return path


class JanusPool:
    """At most one Janus runs at a time (they share ports in the namespace).
    `get(cfg)` returns the running instance when its config matches and it
    is alive, otherwise stops it and starts a new one."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.current = None
        self.count = 0
        self.problems = []

    def get(self, cfg: janus_mod.JanusConfig, test_name: str = ""):
        cur = self.current
        if cur is not None and cur.cfg == cfg and cur.alive():
            return cur
        self.stop_current()
        self.count += 1
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)[:60]
        workdir = os.path.join(self.logdir, f"janus-{self.count:02d}-{safe}")
        self.current = janus_mod.JanusProcess(cfg, workdir).start()
        log.info("started Janus #%d in %s", self.count, workdir)
        return self.current

    def stop_current(self):
        if self.current is not None:
            problem = self.current.stop()
            if problem and not self.current.crash_reported:
                self.problems.append(f"{self.current.workdir}: {problem}")
            # Reports written while Janus stopped (no test was running).
            reports = self.current.sanitizer_reports()
            if len(reports) > getattr(self.current, "_e2e_reported_sanitizer", 0):
                self.problems.append(f"{self.current.workdir}: sanitizer report(s) {reports}")
            self.current = None


@pytest.fixture(scope="session")
def e2e_logdir():
    return _session_logdir()


@pytest.fixture(scope="session")
def janus_pool(e2e_logdir):
    pool = JanusPool(e2e_logdir)
    yield pool
    pool.stop_current()
    if pool.problems:
        pytest.fail("Janus did not stop cleanly: " + "; ".join(pool.problems), pytrace=False)


def _use(request, pool, cfg):
    inst = pool.get(cfg, request.node.name)
    request.node._e2e_janus = inst
    request.node._e2e_log_offset = inst.log_size()
    return inst


@pytest.fixture
def janus_factory(request, janus_pool):
    """Call with a JanusConfig (or keyword overrides of the default GoChat
    config) to get a running Janus for this test."""
    def make(cfg=None, **overrides):
        import dataclasses
        cfg = cfg or janus_mod.JanusConfig()
        if overrides:
            cfg = dataclasses.replace(cfg, **overrides)
        return _use(request, janus_pool, cfg)
    return make


@pytest.fixture
def gochat_janus(janus_factory):
    """Janus with the built GoChat plugin and transport, default config."""
    return janus_factory()


STOCK_CFG = janus_mod.JanusConfig(gochat=False, stock_plugins=("echotest", "videoroom"))


@pytest.fixture
def stock_janus(janus_factory):
    """Janus with only stock plugins (echotest, videoroom) and stock WS."""
    return janus_factory(STOCK_CFG)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    inst = getattr(item, "_e2e_janus", None)
    if inst is None:
        return
    if report.when in ("call", "teardown") and not inst.crash_reported \
            and not inst.stopped_by_harness:
        problem = inst.exit_problem()
        if problem:
            inst.crash_reported = True
            if report.outcome != "failed":
                report.outcome = "failed"
                report.longrepr = f"{problem} during the test ({report.when})"
            else:
                report.sections.append(("janus", problem))
    # A sanitizer report (GOCHAT_JANUS_PRELOAD runs) fails the test that was
    # running when it appeared, even when Janus survived it.
    if report.when in ("call", "teardown"):
        reports = inst.sanitizer_reports()
        seen = getattr(inst, "_e2e_reported_sanitizer", 0)
        if len(reports) > seen:
            inst._e2e_reported_sanitizer = len(reports)
            text = inst.sanitizer_text()
            if report.outcome != "failed":
                report.outcome = "failed"
                report.longrepr = f"sanitizer report during the test ({report.when}):\n{text}"
            else:
                report.sections.append(("sanitizer", text))
    if report.failed:
        offset = getattr(item, "_e2e_log_offset", 0)
        text = inst.log_since(offset, limit=60_000)
        report.sections.append((f"janus log ({inst.log_path}, from this test)", text))


def run(coro, timeout: float = 120.0):
    """Run one async scenario with an overall deadline."""
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


@pytest.fixture
def webhook_service(janus_pool):
    """GoChat's webhook service stand-in (harness/webhook_service.py) on
    127.0.0.1:3200; a test fails if the SFU made a call GoChat would refuse."""
    # The previous test's Janus would keep calling port 3200 with its own
    # token: stop it before this test's service listens there.
    janus_pool.stop_current()
    service = WebhookService().start()
    yield service
    service.stop()
    assert not service.problems, f"calls GoChat's webhook service would refuse: {service.problems}"
