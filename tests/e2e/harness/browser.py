"""Headless Chromium for browser tests, driven with Debian's own packages:
`python3-selenium` (4.8) and `chromium-driver` (/usr/bin/chromedriver,
the same version as /usr/bin/chromium). No Node, no npm, no download.

One `Browser` is one person: its own chromedriver, its own Chromium
process and a fresh profile in a temporary directory, so two people never
share cookies, media devices or WebRTC state (like separate playwright
contexts). A browser test typically does:

    with contextlib.ExitStack() as stack:
        alice = stack.enter_context(Browser("alice", log_dir, fake_audio_wav=wav))
        alice.add_init_script(SOME_JS)        # runs before the page's scripts
        alice.goto(url)
        alice.click_button("Join")
        alice.wait_for_js("() => window.demo.joined", timeout=15, what="joined")
        level = alice.evaluate("async (id) => (await stats(id)).audioLevel", "42")
        alice.screenshot(os.path.join(log_dir, "alice.png"))

Waiting: never sleep for a fixed time. `wait_until(probe, ...)` polls a
Python callable until it says done or a deadline passes;
`Browser.wait_for_js` polls a page function the same way.

JavaScript: `run(body, *args)` is Selenium's execute_script (a function
body, `arguments[i]`, `return`; it may return DOM elements).
`evaluate(function_source, *args)` calls a JS function (sync or async)
with JSON arguments, awaits its promise, and returns its result through
JSON (like playwright's page.evaluate): the way to read getStats().

Selenium Manager (which would try to download a driver) is never used: the
driver is given by path and checked to exist first (Selenium 4.8 only
falls back to the manager when the driver is not found).
"""

import importlib.util
import json
import logging
import os
import shutil
import signal
import tempfile
import time

log = logging.getLogger("e2e.browser")

CHROMIUM = os.environ.get("GOCHAT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GOCHAT_CHROMEDRIVER", "/usr/bin/chromedriver")

# The flags of every browser (what a WebRTC test in a namespace needs).
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",  # grant mic/camera without a prompt
    "--use-fake-device-for-media-stream",  # a test-pattern camera, a beeping mic
    "--autoplay-policy=no-user-gesture-required",  # remote audio plays at once
    # Real host addresses in ICE candidates (the namespace's veth), not mDNS
    # names Janus cannot resolve.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",  # play out, but not to a sound card
)

DEFAULT_TIMEOUT_S = 30  # like playwright's default for clicks and waits
POLL_S = 0.25
# Any single WebDriver request (HTTP to chromedriver) gives up after this
# long, so a wedged Chromium fails the test instead of hanging it. Longer
# than every page-side timeout below.
DRIVER_HTTP_TIMEOUT_S = 120


class BrowserError(AssertionError):
    """A browser step failed: timeout, missing element, page exception."""


class BrowserTimeout(BrowserError):
    pass


class JavascriptError(BrowserError):
    """The page function passed to `evaluate` threw or rejected."""


def missing_tools(chromium=CHROMIUM, chromedriver=CHROMEDRIVER):
    """What is missing to run a browser test, as a list of readable
    problems (empty when everything is there)."""
    problems = []
    if not os.access(chromium, os.X_OK):
        problems.append(f"no Chromium at {chromium} (apt-get install chromium)")
    if not os.access(chromedriver, os.X_OK):
        problems.append(f"no chromedriver at {chromedriver} (apt-get install chromium-driver)")
    if importlib.util.find_spec("selenium") is None:
        problems.append("no selenium for this python (apt-get install python3-selenium; "
                        "run the tests with /usr/bin/python3)")
    return problems


def wait_until(probe, *, timeout=None, deadline=None, until=bool, interval=POLL_S):
    """Calls `probe()` until `until(result)` is true or the deadline passes
    (`deadline` in time.monotonic() seconds, or `timeout` from now), at
    least once. Returns the last result either way: the caller decides
    whether a result that is not done is a failure (and can report what
    was last seen)."""
    if deadline is None:
        deadline = time.monotonic() + (DEFAULT_TIMEOUT_S if timeout is None else timeout)
    while True:
        result = probe()
        if until(result):
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return result
        time.sleep(min(interval, remaining))


def _die_with_parent():
    """preexec_fn for chromedriver: SIGTERM when pytest dies, so a killed run
    does not leave drivers behind (chromedriver then ends its Chromium)."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# execute_async_script wrapper for `evaluate`: calls the function with the
# JSON arguments, awaits it, and hands back JSON (or the error).
_EVALUATE = """
const done = arguments[arguments.length - 1];
const args = JSON.parse(arguments[0]);
let fn;
try {
  fn = (
%s
);
} catch (error) {
  done(JSON.stringify({ error: String(error && error.stack || error) }));
  return;
}
Promise.resolve().then(() => fn(...args)).then(
  (value) => {
    let text;
    try { text = JSON.stringify({ value: value === undefined ? null : value }); }
    catch (error) { text = JSON.stringify({ error: `result is not JSON: ${error}` }); }
    done(text);
  },
  (error) => done(JSON.stringify({ error: String(error && error.stack || error) })));
"""

# A visible element whose ARIA role is button and whose name (aria-label,
# else its text; value for <input>) is `name` (whitespace-normalised,
# case-insensitive, whole name). With `enabled`, disabled ones do not count.
# With `within` (a CSS selector), only buttons inside the first element it
# matches count (none when it matches nothing).
_FIND_BUTTON = """
const [name, enabled, within] = arguments;
const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim().toLowerCase();
const selector = 'button, [role="button"], input[type="button"], input[type="submit"], input[type="reset"]';
const root = within ? document.querySelector(within) : document;
if (!root) return null;
for (const el of root.querySelectorAll(selector)) {
  const label = el.getAttribute('aria-label') || (el.tagName === 'INPUT' ? el.value : el.textContent);
  if (norm(label) !== norm(name)) continue;
  if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
  if (enabled && (el.disabled || el.getAttribute('aria-disabled') === 'true')) continue;
  return el;
}
return null;
"""

_IS_VISIBLE = """
const el = document.querySelector(arguments[0]);
return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
"""


class Browser:
    """One person's headless Chromium (its own process and profile).

    name: used in logs and file names. log_dir: where chromedriver's log goes
    (chromedriver-<name>.log); None: no driver log. viewport: the page's
    CSS size in pixels (screenshots have this size). fake_audio_wav: a WAV
    file Chromium loops as the microphone (else its beep). extra_args: more
    Chromium flags.
    """

    def __init__(self, name, log_dir=None, *, viewport=(1100, 640), fake_audio_wav=None,
                 extra_args=(), chromium=CHROMIUM, chromedriver=CHROMEDRIVER,
                 timeout=DEFAULT_TIMEOUT_S):
        problems = missing_tools(chromium, chromedriver)
        if problems:
            raise BrowserError("; ".join(problems))
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.chromium.remote_connection import ChromiumRemoteConnection

        self.name = name
        self.timeout = timeout
        self.console = []  # every console/page message seen so far (see console_messages)
        self.profile_dir = tempfile.mkdtemp(prefix=f"gochat-chromium-{name}-")
        self.driver = None

        options = Options()
        options.binary_location = chromium
        for arg in CHROMIUM_ARGS:
            options.add_argument(arg)
        if fake_audio_wav:
            options.add_argument(f"--use-file-for-fake-audio-capture={fake_audio_wav}")
        width, height = viewport
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--user-data-dir={self.profile_dir}")
        # chromedriver talks to Chromium over a pipe, not a debugging port:
        # when chromedriver dies (it gets SIGTERM when pytest dies), the
        # pipe closes and Chromium exits too. Over a port it would live on.
        options.add_argument("--remote-debugging-pipe")
        for arg in extra_args:
            options.add_argument(arg)
        # console.* calls and uncaught exceptions, read by console_messages()
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # chromedriver is on localhost: never through an http_proxy from the environment
        options.ignore_local_proxy_environment_variables()

        service_args = ["--log-level=INFO"] if log_dir else []
        service = Service(chromedriver,
                          log_path=os.path.join(log_dir, f"chromedriver-{name}.log") if log_dir else None,
                          service_args=service_args,
                          popen_kw={"preexec_fn": _die_with_parent})
        ChromiumRemoteConnection.set_timeout(DRIVER_HTTP_TIMEOUT_S)
        started = time.monotonic()
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
            self.driver.set_script_timeout(timeout)
            self.driver.set_page_load_timeout(timeout)
            # The exact viewport (--window-size is the window, and headless
            # Chromium reserves room for its invisible UI). Kept across
            # navigations of this tab.
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise
        log.info("%s: Chromium %s started in %.1f s", name,
                 self.driver.capabilities.get("browserVersion"), time.monotonic() - started)

    # ------------------------------------------------------------ lifecycle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Collects the last console messages, ends Chromium and chromedriver,
        removes the profile. Safe to call twice."""
        if self.driver is not None:
            try:
                self.console_messages()
            except Exception:  # a dead browser has no logs left to give
                pass
            browser_pid = (self.driver.capabilities or {}).get("goog:processID")
            try:
                self.driver.quit()
            except Exception as error:
                log.warning("%s: quitting the driver: %s", self.name, error)
            self.driver = None
            # quit() returns before Chromium has exited; its profile is
            # removed once it has (bounded: a stuck one is left to the OS).
            if browser_pid and not wait_until(lambda: not _alive(browser_pid), timeout=10):
                log.warning("%s: Chromium %d still running after quit", self.name, browser_pid)
        if self.profile_dir:
            shutil.rmtree(self.profile_dir, ignore_errors=True)
            self.profile_dir = None

    # ----------------------------------------------------------- the page

    def add_init_script(self, source):
        """Runs `source` (JS statements) in every document this tab opens from
        now on, before the page's own scripts (CDP
        Page.addScriptToEvaluateOnNewDocument). Call it before `goto`."""
        return self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                           {"source": source})["identifier"]

    def add_init_function(self, function_source, *args):
        """add_init_script for a JS function called with JSON arguments:
        add_init_function("(wanted) => {...}", {"mime": "video/VP9"})."""
        call_args = ", ".join(json.dumps(a) for a in args)
        return self.add_init_script(f"({function_source})({call_args});")

    def goto(self, url):
        self.driver.get(url)

    def run(self, body, *args):
        """Selenium's execute_script: `body` is a function body using
        arguments[i] and `return`; DOM elements come back as WebElements."""
        return self.driver.execute_script(body, *args)

    def evaluate(self, function_source, *args):
        """Calls the JS function `function_source` (e.g. "async (id) => ...")
        with JSON-serialisable `args`, awaits what it returns, and returns
        that value through JSON (undefined fields vanish, undefined is None).
        Raises JavascriptError when it throws or rejects."""
        from selenium.common.exceptions import JavascriptException
        try:
            answer = self.driver.execute_async_script(_EVALUATE % function_source,
                                                      json.dumps(list(args)))
        except JavascriptException as error:  # e.g. a syntax error in function_source
            raise JavascriptError(f"{self.name}: page function failed: {error.msg}") from None
        result = json.loads(answer)
        if "error" in result:
            raise JavascriptError(f"{self.name}: page function failed: {result['error']}")
        return result["value"]

    def wait_for_js(self, function_source, *args, timeout=None, what=None):
        """Polls the page function until it returns something truthy and
        returns that; BrowserTimeout after `timeout` seconds."""
        timeout = self.timeout if timeout is None else timeout
        value = wait_until(lambda: self.evaluate(function_source, *args), timeout=timeout)
        if not value:
            raise BrowserTimeout(f"{self.name}: timed out after {timeout:.1f} s waiting for "
                                 f"{what or function_source}")
        return value

    # ------------------------------------------------------- like a person

    def find_button(self, name, enabled=False, within=None):
        """The visible button called `name` (its role and accessible name, as
        a screen reader would announce it), or None. `within`: a CSS
        selector; only that element's buttons count (e.g. the one next to
        a given person in a list)."""
        return self.run(_FIND_BUTTON, name, enabled, within)

    def wait_button(self, name, timeout=None, enabled=False, within=None):
        """Waits until the button called `name` is visible (and enabled, if
        asked; inside `within`, if given); returns its WebElement."""
        timeout = self.timeout if timeout is None else timeout
        button = wait_until(lambda: self.find_button(name, enabled, within), timeout=timeout)
        if button is None:
            state = "visible and enabled" if enabled else "visible"
            where = f" in {within}" if within else ""
            raise BrowserTimeout(f"{self.name}: no {state} button {name!r}{where} after {timeout:.1f} s")
        return button

    def click_button(self, name, timeout=None, within=None):
        """Clicks the button called `name` (inside `within`, a CSS selector,
        if given) like a person: waits until it is visible and enabled,
        then a real click at its centre (WebDriver refuses a click another
        element would receive). Retries while the page re-renders it."""
        from selenium.common.exceptions import (ElementClickInterceptedException,
                                                ElementNotInteractableException,
                                                StaleElementReferenceException)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            button = self.wait_button(name, timeout=max(0.0, deadline - time.monotonic()), enabled=True,
                                      within=within)
            try:
                button.click()
                return
            except (StaleElementReferenceException, ElementClickInterceptedException,
                    ElementNotInteractableException) as error:
                if time.monotonic() >= deadline:
                    raise BrowserTimeout(f"{self.name}: could not click {name!r}: {error.msg}")
                time.sleep(POLL_S)

    def is_visible(self, css):
        """Whether the first element matching `css` exists and is rendered."""
        return bool(self.run(_IS_VISIBLE, css))

    def wait_visible(self, css, timeout=None):
        """Waits until `css` matches a rendered element; BrowserTimeout otherwise."""
        timeout = self.timeout if timeout is None else timeout
        if not wait_until(lambda: self.is_visible(css), timeout=timeout):
            raise BrowserTimeout(f"{self.name}: {css} not visible after {timeout:.1f} s")

    def text_content(self, css):
        """textContent of the first element matching `css` ('' if none)."""
        return self.run("const el = document.querySelector(arguments[0]);"
                        "return el ? el.textContent : '';", css) or ""

    def screenshot(self, path):
        """PNG of the viewport, as the person sees it."""
        if not self.driver.save_screenshot(path):
            raise BrowserError(f"{self.name}: screenshot {path} could not be written")
        return path

    # --------------------------------------------------------- diagnostics

    def console_messages(self):
        """Console messages and uncaught page errors since the last call,
        each {"browser", "type" (error|warning|info|debug|pageerror),
        "text", "source"}; all of them also accumulate in `self.console`
        (close() collects the last ones). Chromium hands each message out
        once, so read them through here only."""
        new = []
        for entry in self.driver.get_log("browser"):
            level = entry.get("level", "")
            kind = {"SEVERE": "error", "WARNING": "warning", "INFO": "info",
                    "DEBUG": "debug"}.get(level, level.lower())
            if entry.get("source") == "javascript":  # an uncaught exception or rejection
                kind = "pageerror"
            new.append({"browser": self.name, "type": kind, "text": entry.get("message", ""),
                        "source": entry.get("source")})
        self.console.extend(new)
        return new

    def errors(self, types=("error", "warning", "pageerror")):
        """The collected console messages of these types."""
        self.console_messages()
        return [m for m in self.console if m["type"] in types]


def require_browser_tools():
    """Fails the calling test (no traceback) when Chromium, chromedriver or
    selenium is missing."""
    import pytest
    problems = missing_tools()
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


def open_browser(stack, checks, name, log_dir, **options):
    """A Browser (options as for Browser) closed by `stack` (a
    contextlib.ExitStack); once closed, its console errors, warnings and
    uncaught page errors are noted in `checks` (a CheckLog)."""
    browser = Browser(name, log_dir, **options)

    def finish():
        browser.close()
        for message in browser.console:
            if message["type"] == "pageerror":
                checks.note({"pageerror": name, "text": message["text"]})
            elif message["type"] in ("error", "warning"):
                checks.note({"console": name, "type": message["type"], "text": message["text"]})
    stack.callback(finish)
    return browser


def run_checked(checks, scenario, *args):
    """Runs `scenario(checks, *args)`; an exception becomes the failed check
    "exception" (with its traceback), after the scenario's browsers were
    closed. Returns what the scenario returned, None after an exception."""
    import traceback
    try:
        return scenario(checks, *args)
    except Exception as error:
        checks.report("exception", False, error=f"{error}\n{traceback.format_exc()}")
        return None


class CheckLog:
    """What a browser scenario checked: one JSON line per check ({"check",
    "ok", ...details}) and per note, written to a log file as they happen
    and kept in `results`. A scenario reports every check (passing or
    not) and the test asserts on the list afterwards, so a failure shows
    everything that was measured."""

    def __init__(self, path):
        self.path = path
        self.results = []
        self._file = open(path, "w")

    def report(self, check, ok, **detail):
        line = {"check": check, "ok": bool(ok), **detail}
        self.results.append(line)
        self.note(line)
        return line

    def note(self, item):
        text = json.dumps(item, default=str)
        log.info("%s", text)
        self._file.write(text + "\n")
        self._file.flush()

    def failed(self):
        return [r for r in self.results if not r["ok"]]

    def names(self):
        return [r["check"] for r in self.results]

    def summary(self):
        return "\n".join(json.dumps(r, default=str) for r in self.results)

    def close(self):
        passed = sum(1 for r in self.results if r["ok"])
        self.note({"done": True, "passed": passed, "failed": len(self.results) - passed})
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
