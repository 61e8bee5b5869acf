"""The demo page (docs/demo.md) in real headless Chromium, used like a person
would: two people open their links, click Join and Camera on, and each one
hears and sees the other, sees both names in the participant list and the
other one's speaking light. A screenshot of each page is kept with the test
output (run/e2e/latest/browser-demo/).

Chromium (Debian's `chromium`) is driven by tests/browser/demo_call.mjs with
playwright-core (`npm ci` in tests/browser, done by scripts/test.sh). It runs
in this suite's network namespace: the page and the WebSocket come from the
transport on 127.0.0.1:3300, the media goes over the veth to Janus on
198.18.0.1 (Janus gathers nothing else: ice_enforce_list)."""

import json
import math
import os
import shutil
import struct
import subprocess
import wave

import pytest

from harness import janus as janus_mod
from harness import netns, tokens
from harness.ids import snowflake, users

CHROMIUM = os.environ.get("GOCHAT_CHROMIUM", "/usr/bin/chromium")
BROWSER_DIR = os.path.join(janus_mod.repo_root(), "tests", "browser")
SCRIPT = os.path.join(BROWSER_DIR, "demo_call.mjs")
CALL_TIMEOUT_S = 60


def write_voice_wav(path, hz=440.0, talk_s=1.2, pause_s=1.0, rate=48000, amplitude=0.5):
    """The fake microphone (Chromium loops the file): a sine in bursts, like
    words with pauses. The pauses matter: the SFU sends t 514 only when
    someone starts or stops speaking (PROTOCOL.md 3.6), so a steady tone that
    began before the other person joined would never light their indicator
    for that person. 1.0 s of silence exceeds the plugin's release_ms (600)."""
    frames = bytearray()
    talk = int(talk_s * rate)
    for i in range(talk + int(pause_s * rate)):
        value = amplitude * math.sin(2 * math.pi * hz * i / rate) if i < talk else 0.0
        frames += struct.pack("<h", int(value * 32767))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def require_browser_tools():
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not shutil.which("node"):
        problems.append("no node (apt-get install nodejs)")
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        problems.append(f"no playwright-core: run `npm ci` in {BROWSER_DIR}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


def test_two_people_join_from_the_demo_page_and_hear_and_see_each_other(gochat_janus, e2e_logdir):
    require_browser_tools()
    out_dir = os.path.join(e2e_logdir, "browser-demo")
    os.makedirs(out_dir, exist_ok=True)
    wav = os.path.join(out_dir, "voice-440hz.wav")
    write_voice_wav(wav)

    channel = snowflake()
    base = f"http://127.0.0.1:{janus_mod.GOCHAT_WS_PORT}/"
    people = []
    for name, user in zip(("alice", "bob"), users(2)):
        token = tokens.mint(user, channel, tokens.PERMS_MEMBER, lifetime=300)
        people.append({"name": name, "id": str(user),
                       "url": f"{base}?channel={channel}&token={token}"})
    refused = tokens.mint(users(1)[0], channel, tokens.PERMS_MEMBER, secret="not-the-secret")
    config = {"chromium": CHROMIUM, "wav": wav, "outDir": out_dir, "janusIp": netns.JANUS_IP,
              "refusedUrl": f"{base}?channel={channel}&token={refused}",
              "timeoutMs": CALL_TIMEOUT_S * 1000, "users": people}
    config_path = os.path.join(out_dir, "config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)

    proc = subprocess.run(["node", SCRIPT, config_path], cwd=BROWSER_DIR,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=CALL_TIMEOUT_S + 60)
    with open(os.path.join(out_dir, "demo_call.log"), "w") as f:
        f.write(proc.stdout)

    checks = []
    for line in proc.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "check" in item:
            checks.append(item)
    failed = [c for c in checks if not c["ok"]]
    summary = "\n".join(json.dumps(c) for c in checks)
    assert checks and not failed and proc.returncode == 0, (
        f"demo page checks failed (node exit {proc.returncode}); screenshots and log in "
        f"{out_dir}\n{summary}\n--- node output ---\n{proc.stdout[-6000:]}")
    for name in ("alice", "bob"):
        assert os.path.getsize(os.path.join(out_dir, f"demo-{name}.png")) > 0
    # every check the script makes, for each person
    for check in ("joined", "hears_other", "sees_other", "lists_both", "other_speaking",
                  "latency_shown", "media_over_veth", "self_speaking", "screenshot"):
        assert sum(1 for c in checks if c["check"] == check) == 2, f"missing check {check}"
    for check in ("refused_join_shown", "camera_off_hides_video", "leave_removes_tile"):
        assert any(c["check"] == check for c in checks), f"missing check {check}"


CODEC_SCRIPT = os.path.join(BROWSER_DIR, "codec_call.mjs")
CODEC_TIMEOUT_S = 20
CODEC_CHECKS = ("codec_capability", "publisher_sends_codec", "publisher_answer_picks_codec",
                "subscriber_decodes", "subscriber_codec", "subscriber_offer_has_codec_only",
                "subscriber_answer_accepts_line")


def run_codec_call(e2e_logdir, codec, preference, pin_sender=True, timeout_s=CODEC_TIMEOUT_S):
    """Runs tests/browser/codec_call.mjs: a publisher page that answers its
    own video line with `codec` (preference "only": that codec alone;
    "first": that codec first, the others after) and, with `pin_sender`,
    makes its camera sender encode `codec` (encodings[0].codec); a
    subscriber page that only receives. Returns the script's checks; skips
    the test when this Chromium lacks the codec at the SFU's profile."""
    require_browser_tools()
    out_dir = os.path.join(e2e_logdir, "browser-codec")
    os.makedirs(out_dir, exist_ok=True)
    channel = snowflake()
    base = f"http://127.0.0.1:{janus_mod.GOCHAT_WS_PORT}/"
    people = {}
    for role, name, user in zip(("publisher", "subscriber"), ("carol", "dave"), users(2)):
        token = tokens.mint(user, channel, tokens.PERMS_MEMBER, lifetime=300)
        people[role] = {"name": name, "id": str(user), "url": f"{base}?channel={channel}&token={token}"}
    config = {"chromium": CHROMIUM, "outDir": out_dir, "janusIp": netns.JANUS_IP, "codec": codec,
              "preference": preference, "pinSender": pin_sender, "timeoutMs": timeout_s * 1000, **people}
    tag = f"{codec}-{preference}" + ("" if pin_sender else "-unpinned")
    config_path = os.path.join(out_dir, f"config-{tag}.json")
    with open(config_path, "w") as f:
        json.dump(config, f)

    proc = subprocess.run(["node", CODEC_SCRIPT, config_path], cwd=BROWSER_DIR,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout_s + 60)
    log_path = os.path.join(out_dir, f"codec_call-{tag}.log")
    with open(log_path, "w") as f:
        f.write(proc.stdout)

    checks, skip = [], None
    for line in proc.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "check" in item:
            checks.append(item)
        elif isinstance(item, dict) and "skip" in item:
            skip = item["skip"]
    if skip:
        pytest.skip(skip)
    failed = [c for c in checks if not c["ok"]]
    summary = "\n".join(json.dumps(c) for c in checks)
    assert checks and not failed and proc.returncode == 0, (
        f"{tag} camera checks failed (node exit {proc.returncode}); screenshots and log in "
        f"{out_dir}\n{summary}\n--- node output ---\n{proc.stdout[-6000:]}")
    for check in CODEC_CHECKS:
        assert any(c["check"] == check for c in checks), f"missing check {check}"
    return checks


@pytest.mark.parametrize("codec", ["VP9", "H264"])
def test_camera_published_in_vp9_or_h264_is_decoded_by_the_other_page(gochat_janus, e2e_logdir, codec):
    """docs/protocol.md, Codecs: a publisher may answer its own video line
    with VP9 (PT 98, profile 0) or H.264 (PT 102, 42e01f, mode 1) instead
    of VP8. Checked in the pages: the publisher's answer on mid 1 holds
    that codec (first, and alone) and its outbound-rtp uses it; the other
    page's last offer carries only that codec (+ rtx) on the publisher's
    line, its answer accepts it, and its inbound-rtp decodes frames in it.
    The demo page is unchanged: init scripts in tests/browser/codec_call.mjs
    make the publisher's page call RTCRtpTransceiver.setCodecPreferences(
    [codec, rtx]) on its own video transceiver before each answer, and set
    its camera sender's encodings[0].codec after each setLocalDescription
    (Chromium as answerer otherwise sends the offer's first codec, VP8,
    whatever its answer says). Skipped, not failed, when this Chromium's
    RTCRtpSender/RTCRtpReceiver capabilities lack the codec at that profile."""
    run_codec_call(e2e_logdir, codec, "only")


def test_publisher_preferring_vp9_but_keeping_vp8_is_still_seen(gochat_janus, e2e_logdir):
    """A publisher whose answer lists VP9 first but keeps VP8 and H.264
    (setCodecPreferences with every codec, VP9 first: "98 99 96 97 102 103"),
    with no sender codec pinned, as a client that only prefers to RECEIVE
    VP9 would do: it is still seen by the other page, in the codec it
    really sends."""
    # 10 s: a passing case decodes within ~5 s
    run_codec_call(e2e_logdir, "VP9", "first", pin_sender=False, timeout_s=10)


def test_demo_files_are_served_and_nothing_else(gochat_janus):
    """The transport's HTTP side: the page and its files with the right
    types, 404 for anything outside web_root, 405 for other methods, and
    the WebSocket path unchanged (the call above uses it)."""
    import http.client

    def request(method, path):
        conn = http.client.HTTPConnection("127.0.0.1", janus_mod.GOCHAT_WS_PORT, timeout=5)
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, resp.getheader("Content-Type", ""), body

    status, ctype, body = request("GET", "/")
    assert status == 200 and ctype.startswith("text/html") and b"app.js" in body
    assert request("GET", "/app.js")[:2] == (200, "text/javascript; charset=utf-8")
    assert request("GET", "/style.css")[:2] == (200, "text/css; charset=utf-8")
    status, _, body = request("HEAD", "/app.js")
    assert status == 200 and body == b""
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.hidden.js", "/nope.js",
                 "/signal", "/demo/", "/janus.transport.gochat.ws.jcfg"):
        assert request("GET", path)[0] == 404, path
    assert request("POST", "/")[0] == 405
