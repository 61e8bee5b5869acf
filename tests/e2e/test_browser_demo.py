"""The demo page (docs/demo.md) in real headless Chromium, used like a person
would: two people open their links, click Join and Camera on, and each one
hears and sees the other, sees both names in the participant list and the
other one's speaking light. A screenshot of each page is kept with the test
output (run/e2e/latest/browser-demo/).

Chromium (Debian's `chromium`) is driven through Debian's `chromium-driver`
with `python3-selenium` (harness/browser.py: one browser process per
person); the in-page measurements are in harness/demo_page.py. It runs in
this suite's network namespace: the page and the WebSocket come from the
transport on 127.0.0.1:3300, the media goes over the veth to Janus on
198.18.0.1 (Janus gathers nothing else: ice_enforce_list)."""

import contextlib
import os
import time

import pytest

from harness import demo_page as demo
from harness import janus as janus_mod
from harness import netns, tokens
from harness.browser import CheckLog, open_browser, require_browser_tools, run_checked, wait_until
from harness.demo_page import page_url
from harness.ids import snowflake, users

CALL_TIMEOUT_S = 60


def demo_call(checks, out_dir, wav, people, refused_url, timeout_s):
    """Two people in one voice channel, using the demo page the way a
    person would: open the link, click Join, turn the camera on. Then it
    measures, inside each page, what that person would notice: the other
    one's voice (decoded audio energy), their video (frames decoded), both
    names in the participant list, the speaking light. Reports every check
    to `checks`; an unexpected error is the check "exception"."""
    deadline = time.monotonic() + timeout_s

    def until_ok(probe):
        """Probes until ok or the overall deadline (at least once)."""
        return wait_until(probe, deadline=deadline, until=lambda m: m["ok"])

    def measure(browser, other_id):
        return browser.evaluate(demo.MEASURE, other_id)

    with contextlib.ExitStack() as stack:
        # A refused join is shown as such (here: a token signed with another key).
        with contextlib.ExitStack() as refused_stack:
            page = open_browser(refused_stack, checks, "refused", out_dir,
                                viewport=(1100, 400), fake_audio_wav=wav)
            page.goto(refused_url)
            page.click_button("Join")
            with contextlib.suppress(AssertionError):
                page.wait_visible('[role="alert"]', timeout=15)
            text = page.text_content('[role="alert"]')
            checks.report("refused_join_shown", "Join refused: unauthorized" in text, text=text)
            page.screenshot(os.path.join(out_dir, "demo-refused.png"))

        pages = []
        for user in people:
            page = open_browser(stack, checks, user["name"], out_dir,
                                viewport=(1100, 640), fake_audio_wav=wav)
            page.add_init_script(demo.MICROPHONE_WITHOUT_PROCESSING)
            page.goto(user["url"])
            pages.append((user, page))

        # Like a person: the form is prefilled from the link; click Join,
        # wait for the call, click Camera on.
        for user, page in pages:
            page.click_button("Join")
            page.wait_button("Camera on")
            page.wait_for_js(demo.JOINED, timeout=15, what="joined")
            checks.report("joined", True, user=user["name"])
        for user, page in pages:
            page.wait_for_js(demo.CAMERA_BUTTON_ENABLED, what="camera button enabled")
            page.click_button("Camera on")
            page.wait_button("Camera off")

        # Each page: the other's audio and video decoded, both listed, the
        # other one speaking (the fake microphone plays a tone in bursts).
        for user, page in pages:
            other = next(u for u in people if u is not user)

            def media(page=page, user=user, other=other):
                m = measure(page, other["id"])
                m["ok"] = (m["audioLevel"] > 0.01 and m["framesDecoded"] > 0
                           and other["id"] in m["participants"] and user["id"] in m["participants"]
                           and other["id"] in m["speaking"] and m.get("latencyMs") is not None)
                return m
            last = until_ok(media)
            checks.report("hears_other", last["audioLevel"] > 0.01, user=user["name"],
                          audioLevel=last["audioLevel"], audioEnergy=last["audioEnergy"])
            checks.report("sees_other", last["framesDecoded"] > 0, user=user["name"],
                          framesDecoded=last["framesDecoded"])
            checks.report("lists_both", other["id"] in last["participants"] and user["id"] in last["participants"],
                          user=user["name"], participants=last["participants"])
            checks.report("other_speaking", other["id"] in last["speaking"], user=user["name"],
                          speaking=last["speaking"])
            checks.report("latency_shown", last.get("latencyMs") is not None, user=user["name"],
                          latencyMs=last.get("latencyMs"))
            if last.get("error"):
                checks.report("no_error_shown", False, user=user["name"], error=last["error"])

        # The media path: the selected ICE pair ends at Janus's veth address
        # (Janus never gathers on loopback; ice_enforce_list keeps it on the veth).
        for user, page in pages:
            pair = page.evaluate(demo.SELECTED_PAIR)
            checks.report("media_over_veth", bool(pair) and pair.get("remote") == netns.JANUS_IP,
                          user=user["name"], pair=pair)

        # Our own light comes from the page's own level meter.
        for user, page in pages:
            def self_speaking(page=page, user=user):
                m = measure(page, user["id"])
                m["ok"] = user["id"] in m["speaking"]
                return m
            last = until_ok(self_speaking)
            checks.report("self_speaking", last["ok"], user=user["name"], speaking=last["speaking"])

        # Pictures of what each person sees, kept with the test output (after
        # a second of video, so the tiles show moving pictures, not a first frame).
        for user, page in pages:
            other = next(u for u in people if u is not user)
            until_ok(lambda page=page, other=other:
                     {"ok": measure(page, other["id"])["framesDecoded"] > 30})
        for user, page in pages:
            file = page.screenshot(os.path.join(out_dir, f"demo-{user['name']}.png"))
            checks.report("screenshot", True, user=user["name"], file=file)

        # Camera off: a negotiate, our video line answered inactive; the other
        # page's tile loses the video (its track leaves the stream).
        (first_user, first), (second_user, second) = pages
        first.click_button("Camera off")
        dark = until_ok(lambda: {"ok": bool(second.evaluate(demo.VIDEO_HIDDEN, first_user["id"]))})
        checks.report("camera_off_hides_video", dark["ok"], user=second_user["name"])

        # Leave like a person; the other page drops the tile.
        second.click_button("Leave")

        def left():
            m = measure(first, second_user["id"])
            m["ok"] = not m["tile"] and second_user["id"] not in m["participants"]
            return m
        gone = until_ok(left)
        checks.report("leave_removes_tile", gone["ok"], participants=gone["participants"])


def test_two_people_join_from_the_demo_page_and_hear_and_see_each_other(gochat_janus, e2e_logdir):
    require_browser_tools()
    out_dir = os.path.join(e2e_logdir, "browser-demo")
    os.makedirs(out_dir, exist_ok=True)
    wav = demo.write_voice_wav(os.path.join(out_dir, "voice-440hz.wav"))

    channel = snowflake()
    people = []
    for name, user in zip(("alice", "bob"), users(2)):
        token = tokens.mint(user, channel, tokens.PERMS_MEMBER, lifetime=300)
        people.append({"name": name, "id": str(user), "url": page_url(channel, token)})
    refused = tokens.mint(users(1)[0], channel, tokens.PERMS_MEMBER, secret="not-the-secret")

    log_path = os.path.join(out_dir, "demo_call.log")
    with CheckLog(log_path) as checks:
        run_checked(checks, demo_call, out_dir, wav, people, page_url(channel, refused), CALL_TIMEOUT_S)

    names = checks.names()
    assert names and not checks.failed(), (
        f"demo page checks failed; screenshots and log in {out_dir}\n{checks.summary()}\n"
        f"--- {log_path} ---\n{open(log_path).read()[-6000:]}")
    for name in ("alice", "bob"):
        assert os.path.getsize(os.path.join(out_dir, f"demo-{name}.png")) > 0
    # every check the scenario makes, for each person
    for check in ("joined", "hears_other", "sees_other", "lists_both", "other_speaking",
                  "latency_shown", "media_over_veth", "self_speaking", "screenshot"):
        assert names.count(check) == 2, f"missing check {check}"
    for check in ("refused_join_shown", "camera_off_hides_video", "leave_removes_tile"):
        assert check in names, f"missing check {check}"


CODEC_TIMEOUT_S = 20
CODEC_CHECKS = ("codec_capability", "publisher_sends_codec", "publisher_answer_picks_codec",
                "subscriber_decodes", "subscriber_codec", "subscriber_offer_has_codec_only",
                "subscriber_answer_accepts_line")


def codec_call(checks, out_dir, codec_name, preference, pin_sender, people, timeout_s):
    """One camera published in a codec other than VP8: the publisher's page
    prefers `codec_name` on its own video line (demo_page.CODEC_HOOKS,
    preference "only" or "first", `pin_sender`), the subscriber's page
    must receive and decode it. Without pin_sender the checks expect the
    SFU to offer the subscriber the codec the publisher really sends.
    Returns a skip reason when this Chromium cannot send or receive the
    codec at the SFU's profile, else None."""
    codec = demo.CODECS[codec_name]
    if preference not in ("only", "first"):
        raise ValueError(f"unknown preference {preference}")
    tag = f"{codec_name}-{preference}" + ("" if pin_sender else "-unpinned")

    with contextlib.ExitStack() as stack:
        pages = {}
        for role in ("subscriber", "publisher"):
            user = people[role]
            page = open_browser(stack, checks, user["name"], out_dir, viewport=(900, 500))
            wanted = ({"mime": codec["mime"], "fmtp": codec["fmtp"], "only": preference == "only",
                       "pinSender": pin_sender} if role == "publisher" else None)
            page.add_init_function(demo.CODEC_HOOKS, wanted)
            page.goto(user["url"])
            pages[role] = (user, page)
        # The budget counts from here: starting two browsers takes a few
        # seconds on a busy machine, which says nothing about the SFU.
        deadline = time.monotonic() + timeout_s
        pub_user, pub = pages["publisher"]
        sub_user, sub = pages["subscriber"]

        # Can this Chromium send (publisher) and receive (subscriber) the
        # codec at the SFU's profile at all? If not, the case is skipped.
        caps = pub.evaluate(demo.VIDEO_CAPABILITIES)

        def has(codecs):
            return any(c["mimeType"] == codec["mime"] and demo.fmtp_matches(codec, c["sdpFmtpLine"])
                       for c in codecs)
        if not has(caps["send"]) or not has(caps["recv"]):
            can_send = has(caps["send"])
            reason = (f"this Chromium cannot {'receive' if can_send else 'send'} {codec_name} at the "
                      f"SFU's profile (RTCRtp{'Receiver' if can_send else 'Sender'}.getCapabilities('video'))")
            checks.note({"skip": reason, "caps": caps})
            return reason
        checks.report("codec_capability", True, codec=codec_name)

        # Both join; only the publisher turns its camera on.
        for role in ("subscriber", "publisher"):
            user, page = pages[role]
            page.click_button("Join")
            page.wait_for_js(demo.JOINED, timeout=15, what="joined")
            checks.report("joined", True, user=user["name"])
        pub.wait_for_js(demo.CAMERA_BUTTON_ENABLED, what="camera button enabled")
        pub.click_button("Camera on")
        pub.wait_button("Camera off")

        # The subscriber decodes the publisher's camera (waits for 10 frames).
        pub_id = pub_user["id"]
        last = wait_until(lambda: sub.evaluate(demo.INBOUND_VIDEO, pub_id), deadline=deadline,
                          until=lambda s: s["framesDecoded"] > 10 and s["mimeType"])

        # What the publisher really sends (outbound-rtp and its codec).
        sent = pub.evaluate(demo.OUTBOUND_VIDEO)
        sent_codec = next((s for s in sent if (s.get("framesEncoded") or 0) > 0), {}).get("mimeType") or None
        # Pinned: the codec under test, really sent. Otherwise: whatever is sent.
        want = codec["mime"] if pin_sender else sent_codec
        checks.report("publisher_sends_codec", bool(sent_codec) and sent_codec == want,
                      want=want, sent=sent, preference=preference)

        # The publisher's answer picked the codec: first payload type on its
        # own video line (mid 1), sending ("only": no other codec on that line).
        pub_state = pub.evaluate("""() => ({
          local: window.demo.pc.localDescription.sdp, preferred: window.codecTest.preferred,
          errors: window.codecTest.errors, pinned: window.codecTest.pinned,
        })""")
        own = next((s for s in demo.parse_sdp(pub_state["local"]) if s["mid"] == "1"), None)
        first_pt = own["pts"][0] if own and own["pts"] else None
        first_format = own["formats"].get(first_pt) if own else None
        own_codecs = [pt for pt in own["pts"] if own["formats"][pt]["codec"] != "rtx"] if own else []
        checks.report(
            "publisher_answer_picks_codec",
            bool(own) and own["kind"] == "video" and own["direction"] == "sendonly"
            and bool(first_format) and f"video/{first_format['codec']}".lower() == codec["mime"].lower()
            and demo.fmtp_matches(codec, first_format["fmtp"]) and not pub_state["errors"]
            and (preference != "only" or len(own_codecs) == 1),
            firstPt=first_pt, firstFormat=first_format, direction=own and own["direction"],
            preferred=pub_state["preferred"][-1:], pinned=(pub_state.get("pinned") or [])[-1:],
            errors=pub_state["errors"], excerpt=own and own["excerpt"])

        checks.report("subscriber_decodes", last["framesDecoded"] > 0, user=sub_user["name"], **last)
        checks.report("subscriber_codec", bool(want) and last["mimeType"] == want,
                      want=want, got=last["mimeType"], fmtp=last["fmtp"])

        # The subscriber's last server offer: the publisher's video line
        # carries that codec only (its rtx aside); VP9/H.264 at the SFU's profile.
        offers = sub.evaluate("() => window.codecTest.offers")
        last_offer = offers[-1] if offers else ""
        line = next((s for s in demo.parse_sdp(last_offer)
                     if s["kind"] == "video" and s["msid"] == f"user-{pub_id}"), None)
        media = [pt for pt in line["pts"] if line["formats"][pt]["codec"] != "rtx"] if line else []
        rtx_ok = (all(line["formats"][pt].get("apt") in media
                      for pt in line["pts"] if line["formats"][pt]["codec"] == "rtx") if line else False)
        offered = f"video/{line['formats'][media[0]]['codec']}" if len(media) == 1 else None
        only_codec = (bool(line) and bool(want) and len(media) == 1 and offered.lower() == want.lower()
                      and (want != codec["mime"] or demo.fmtp_matches(codec, line["formats"][media[0]]["fmtp"]))
                      and rtx_ok and line["direction"] == "sendonly")
        checks.report("subscriber_offer_has_codec_only", only_codec, want=want, offers=len(offers),
                      mid=line and line["mid"], direction=line and line["direction"],
                      excerpt=line and line["excerpt"])

        # ... and the subscriber's answer accepted that line.
        sub_local = sub.evaluate(demo.LOCAL_SDP)
        accepted = (next((s for s in demo.parse_sdp(sub_local) if s["mid"] == line["mid"]), None)
                    if line else None)
        checks.report("subscriber_answer_accepts_line",
                      bool(accepted) and accepted["direction"] == "recvonly" and bool(media)
                      and media[0] in accepted["pts"],
                      direction=accepted and accepted["direction"], excerpt=accepted and accepted["excerpt"])

        for role in ("publisher", "subscriber"):
            user, page = pages[role]
            page.screenshot(os.path.join(out_dir, f"codec-{tag}-{user['name']}.png"))
    return None


def run_codec_call(e2e_logdir, codec, preference, pin_sender=True, timeout_s=CODEC_TIMEOUT_S):
    """Runs codec_call: a publisher page that answers its own video line
    with `codec` (preference "only": that codec alone; "first": that codec
    first, the others after) and, with `pin_sender`, makes its camera
    sender encode `codec` (encodings[0].codec); a subscriber page that only
    receives. Returns the checks; skips the test when this Chromium lacks
    the codec at the SFU's profile."""
    require_browser_tools()
    out_dir = os.path.join(e2e_logdir, "browser-codec")
    os.makedirs(out_dir, exist_ok=True)
    channel = snowflake()
    people = {}
    for role, name, user in zip(("publisher", "subscriber"), ("carol", "dave"), users(2)):
        token = tokens.mint(user, channel, tokens.PERMS_MEMBER, lifetime=300)
        people[role] = {"name": name, "id": str(user), "url": page_url(channel, token)}
    tag = f"{codec}-{preference}" + ("" if pin_sender else "-unpinned")
    log_path = os.path.join(out_dir, f"codec_call-{tag}.log")
    with CheckLog(log_path) as checks:
        skip = run_checked(checks, codec_call, out_dir, codec, preference, pin_sender, people, timeout_s)
    if skip:
        pytest.skip(skip)
    names = checks.names()
    assert names and not checks.failed(), (
        f"{tag} camera checks failed; screenshots and log in {out_dir}\n{checks.summary()}\n"
        f"--- {log_path} ---\n{open(log_path).read()[-6000:]}")
    for check in CODEC_CHECKS:
        assert check in names, f"missing check {check}"
    return checks.results


@pytest.mark.parametrize("codec", ["VP9", "H264"])
def test_camera_published_in_vp9_or_h264_is_decoded_by_the_other_page(gochat_janus, e2e_logdir, codec):
    """docs/protocol.md, Codecs: a publisher may answer its own video line
    with VP9 (PT 98, profile 0) or H.264 (PT 102, 42e01f, mode 1) instead
    of VP8. Checked in the pages: the publisher's answer on mid 1 holds
    that codec (first, and alone) and its outbound-rtp uses it; the other
    page's last offer carries only that codec (+ rtx) on the publisher's
    line, its answer accepts it, and its inbound-rtp decodes frames in it.
    The demo page is unchanged: init scripts (harness/demo_page.py,
    CODEC_HOOKS) make the publisher's page call RTCRtpTransceiver.
    setCodecPreferences([codec, rtx]) on its own video transceiver before
    each answer, and set its camera sender's encodings[0].codec after each
    setLocalDescription (Chromium as answerer otherwise sends the offer's
    first codec, VP8, whatever its answer says). Skipped, not failed, when
    this Chromium's RTCRtpSender/RTCRtpReceiver capabilities lack the codec
    at that profile."""
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
