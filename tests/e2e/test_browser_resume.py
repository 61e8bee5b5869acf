"""Video comes back in Chromium after "Mute for me" / "Unmute for me" (t 506)
and after "Deafen" / "Undeafen" (t 508), clicked on the demo page like a
person would (docs/demo.md).

Chromium decodes nothing on a video line that resumes mid-stream until a
key frame arrives: the SFU asks the publisher for one as soon as a video
line starts receiving again (docs/architecture.md, Keyframes). Without
that request the viewer's page received packets again but decoded no
frame: its own PLIs never reached the publisher.

alice (camera on, with Deafen Members in her token: she is the moderator)
and bob join one channel. bob watches alice's video (framesDecoded of the
receiver in alice's tile); bob clicks "Mute for me" next to alice: alice's
video and audio stop in bob's page; "Unmute for me": within a deadline bob
decodes new frames of alice again. Then alice clicks "Deafen" next to bob,
bob's frames from alice stop; "Undeafen": they come back. Each resume's
timing (click to first packet, first key frame, first and tenth new frame)
and the key frame requests (bob's inbound-rtp pliCount/firCount for
alice's video, alice's outbound-rtp pliCount/keyFramesEncoded) go to the
check log and stdout. The case "viewer-camera-on" has bob's camera on as
well (a browser that also sends video attributes its RTCP differently).

Check log, screenshots after each resume and chromedriver logs:
run/e2e/latest/browser-resume/."""

import contextlib
import os
import time

import pytest

from harness import demo_page as demo
from harness import tokens
from harness.browser import CheckLog, open_browser, require_browser_tools, run_checked, wait_until
from harness.demo_page import page_url, participant_item
from harness.ids import snowflake, users

SETUP_TIMEOUT_S = 45  # join, cameras on, first frames (two browsers on a busy machine)
# Waiting deadlines, not timing assertions: the video must be seen again
# within RESUME_DEADLINE_S of the click (measured: well under a second).
STOP_DEADLINE_S = 5.0
RESUME_DEADLINE_S = 5.0
STILL_S = 1.0  # "stopped": the counters did not move for this long
NEW_FRAMES = 10  # "seen again": this many frames decoded after the resume
WARM_FRAMES = 30  # frames bob decodes of alice before the first pause


def first_encoding(outbound):
    """The outbound video stream that really encodes (the camera)."""
    return next((s for s in outbound if (s.get("framesEncoded") or 0) > 0), outbound[0] if outbound else {})


def wait_stopped(page, other_id, deadline):
    """Polls MEASURE until neither the video (framesDecoded, packets) nor
    the audio (packets) of `other_id` moved for STILL_S, or the deadline.
    Returns {video_still_s, audio_still_s, last}."""
    changed = {"video": time.monotonic(), "audio": time.monotonic()}
    previous = {}

    def probe():
        m = page.evaluate(demo.MEASURE, other_id)
        now = time.monotonic()
        video = (m["framesDecoded"], m["videoPackets"])
        audio = m["audioPackets"]
        if previous.get("video") != video:
            changed["video"] = now
        if previous.get("audio") != audio:
            changed["audio"] = now
        previous.update(video=video, audio=audio)
        return {"video_still_s": now - changed["video"], "audio_still_s": now - changed["audio"], "last": m}
    return wait_until(probe, deadline=deadline,
                      until=lambda r: r["video_still_s"] >= STILL_S and r["audio_still_s"] >= STILL_S)


def pause_and_resume(checks, out_dir, tag, action, viewer, viewer_page, publisher, publisher_page,
                     pause, resume):
    """`pause()` clicks the button that stops the publisher's media in the
    viewer's page, `resume()` the one that brings it back. Checks that
    video and audio stop, then that NEW_FRAMES new frames are decoded
    within RESUME_DEADLINE_S of the resume click, and reports the timing
    and the key frame request counters."""
    pub_id = publisher["id"]
    pause()
    stopped = wait_stopped(viewer_page, pub_id, time.monotonic() + STOP_DEADLINE_S + STILL_S)
    last = stopped["last"]
    checks.report(f"{action}_stops_video", stopped["video_still_s"] >= STILL_S, user=viewer["name"],
                  stillS=round(stopped["video_still_s"], 2), framesDecoded=last["framesDecoded"],
                  videoPackets=last["videoPackets"])
    checks.report(f"{action}_stops_audio", stopped["audio_still_s"] >= STILL_S, user=viewer["name"],
                  stillS=round(stopped["audio_still_s"], 2), audioPackets=last["audioPackets"])

    base = viewer_page.evaluate(demo.INBOUND_VIDEO, pub_id)
    sent_before = first_encoding(publisher_page.evaluate(demo.OUTBOUND_VIDEO))
    clicked_ms = time.time() * 1000.0
    clicked = time.monotonic()
    resume()
    remaining_ms = max(0.0, (clicked + RESUME_DEADLINE_S - time.monotonic()) * 1000.0)
    watch = viewer_page.evaluate(demo.VIDEO_RESUMES, pub_id, base, NEW_FRAMES, remaining_ms)
    sent_after = first_encoding(publisher_page.evaluate(demo.OUTBOUND_VIDEO))
    got = watch["last"]

    def since_click(at):
        return None if at is None else round(at - clicked_ms)
    figures = {
        "resumeMs": since_click(watch["reachedAt"]),
        "firstPacketMs": since_click(watch["firstPacketAt"]),
        "firstKeyFrameMs": since_click(watch["firstKeyFrameAt"]),
        "firstFrameMs": since_click(watch["firstFrameAt"]),
        "newFrames": got["framesDecoded"] - base["framesDecoded"],
        "newPackets": (got.get("packetsReceived") or 0) - (base.get("packetsReceived") or 0),
        "viewerPli": [base.get("pliCount"), got.get("pliCount")],
        "viewerFir": [base.get("firCount"), got.get("firCount")],
        "viewerKeyFramesDecoded": [base.get("keyFramesDecoded"), got.get("keyFramesDecoded")],
        "publisherPli": [sent_before.get("pliCount"), sent_after.get("pliCount")],
        "publisherFir": [sent_before.get("firCount"), sent_after.get("firCount")],
        "publisherKeyFramesEncoded": [sent_before.get("keyFramesEncoded"), sent_after.get("keyFramesEncoded")],
    }
    checks.report(f"{action}_undo_resumes_video", watch["reachedAt"] is not None, user=viewer["name"],
                  need=NEW_FRAMES, deadlineS=RESUME_DEADLINE_S, **figures)
    print(f"[{tag}] {action} undone: " + ", ".join(f"{k}={v}" for k, v in figures.items()))

    # The audio is back as well (its packets move again).
    heard = wait_until(lambda: viewer_page.evaluate(demo.MEASURE, pub_id),
                       deadline=clicked + RESUME_DEADLINE_S,
                       until=lambda m: m["audioPackets"] > last["audioPackets"])
    checks.report(f"{action}_undo_resumes_audio", heard["audioPackets"] > last["audioPackets"],
                  user=viewer["name"], audioPackets=[last["audioPackets"], heard["audioPackets"]])

    file = viewer_page.screenshot(os.path.join(out_dir, f"resume-{tag}-{action}-{viewer['name']}.png"))
    checks.report("screenshot", True, user=viewer["name"], action=action, file=file)


def resume_call(checks, out_dir, wav, alice, bob, viewer_camera, tag, setup_timeout_s):
    deadline = time.monotonic() + setup_timeout_s
    with contextlib.ExitStack() as stack:
        pages = {}
        for user in (alice, bob):
            page = open_browser(stack, checks, f"{tag}-{user['name']}", out_dir,
                                viewport=(1100, 640), fake_audio_wav=wav)
            page.goto(user["url"])
            pages[user["name"]] = page
        alice_page, bob_page = pages["alice"], pages["bob"]

        for user in (alice, bob):
            page = pages[user["name"]]
            page.click_button("Join")
            page.wait_for_js(demo.JOINED, timeout=15, what="joined")
            checks.report("joined", True, user=user["name"])
        cameras = [alice] + ([bob] if viewer_camera else [])
        for user in cameras:
            page = pages[user["name"]]
            page.wait_for_js(demo.CAMERA_BUTTON_ENABLED, what="camera button enabled")
            page.click_button("Camera on")
            page.wait_button("Camera off")

        # bob sees alice (and alice sees bob, when his camera is on).
        seen = wait_until(lambda: bob_page.evaluate(demo.INBOUND_VIDEO, alice["id"]), deadline=deadline,
                          until=lambda s: s["framesDecoded"] > WARM_FRAMES)
        checks.report("viewer_sees_publisher", seen["framesDecoded"] > WARM_FRAMES, user="bob", **seen)
        if viewer_camera:
            back = wait_until(lambda: alice_page.evaluate(demo.INBOUND_VIDEO, bob["id"]), deadline=deadline,
                              until=lambda s: s["framesDecoded"] > 0)
            checks.report("publisher_sees_viewer", back["framesDecoded"] > 0, user="alice", **back)
        checks.note({"viewer_inbound": seen, "viewer_outbound": bob_page.evaluate(demo.OUTBOUND_VIDEO),
                     "publisher_outbound": alice_page.evaluate(demo.OUTBOUND_VIDEO)})

        # bob stops receiving alice for himself only, then takes it back.
        pause_and_resume(
            checks, out_dir, tag, "local_mute", bob, bob_page, alice, alice_page,
            pause=lambda: bob_page.click_button("Mute for me", within=participant_item(alice["id"])),
            resume=lambda: bob_page.click_button("Unmute for me", within=participant_item(alice["id"])))

        # alice, a moderator, deafens bob for the room, then undeafens him
        # (the button turns to "Undeafen" when the t 508 broadcast arrives).
        pause_and_resume(
            checks, out_dir, tag, "deafen", bob, bob_page, alice, alice_page,
            pause=lambda: alice_page.click_button("Deafen", within=participant_item(bob["id"])),
            resume=lambda: alice_page.click_button("Undeafen", within=participant_item(bob["id"])))

        checks.note({"viewer_inbound_end": bob_page.evaluate(demo.INBOUND_VIDEO, alice["id"]),
                     "publisher_outbound_end": alice_page.evaluate(demo.OUTBOUND_VIDEO)})


RESUME_CHECKS = ("local_mute_stops_video", "local_mute_stops_audio", "local_mute_undo_resumes_video",
                 "local_mute_undo_resumes_audio", "deafen_stops_video", "deafen_stops_audio",
                 "deafen_undo_resumes_video", "deafen_undo_resumes_audio")


@pytest.mark.parametrize("viewer_camera", [False, True], ids=["viewer-camera-off", "viewer-camera-on"])
def test_video_comes_back_after_unmute_for_me_and_undeafen(gochat_janus, e2e_logdir, viewer_camera):
    """alice's camera, watched by bob in the demo page: "Mute for me" /
    "Unmute for me" (bob) and "Deafen" / "Undeafen" (alice, moderator)
    stop it and bring it back; after each resume bob's page decodes
    NEW_FRAMES new frames of alice within RESUME_DEADLINE_S."""
    require_browser_tools()
    out_dir = os.path.join(e2e_logdir, "browser-resume")
    os.makedirs(out_dir, exist_ok=True)
    wav = demo.write_voice_wav(os.path.join(out_dir, "voice-440hz.wav"))
    tag = "viewer-camera-on" if viewer_camera else "viewer-camera-off"

    channel = snowflake()
    alice_id, bob_id = users(2)
    alice = {"name": "alice", "id": str(alice_id), "url": page_url(
        channel, tokens.mint(alice_id, channel, tokens.PERMS_MEMBER | tokens.PERM_DEAFEN_MEMBERS, lifetime=300))}
    bob = {"name": "bob", "id": str(bob_id), "url": page_url(
        channel, tokens.mint(bob_id, channel, tokens.PERMS_MEMBER, lifetime=300))}

    log_path = os.path.join(out_dir, f"resume-{tag}.log")
    with CheckLog(log_path) as checks:
        run_checked(checks, resume_call, out_dir, wav, alice, bob, viewer_camera, tag, SETUP_TIMEOUT_S)

    names = checks.names()
    assert names and not checks.failed(), (
        f"resume checks failed; screenshots and log in {out_dir}\n{checks.summary()}\n"
        f"--- {log_path} ---\n{open(log_path).read()[-6000:]}")
    for check in RESUME_CHECKS:
        assert check in names, f"missing check {check}"
    assert names.count("screenshot") == 2
