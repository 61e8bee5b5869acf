"""Forwarding the K loudest speakers of a room (docs/voice-control.md,
"Forwarding the loudest speakers") and Opus DTX in the plugin's SDP, with
the native load generator (harness/loadgen.py) against the real Janus:
functional checks on what each listener received, never timings."""

from harness import tokens
from harness.ids import snowflake
from harness.loadgen import run_loadgen

CHANGE_AFTER = 4  # seconds after the last join started
DURATION = 8


def _gochat_run(extra, participants=4, speakers=2, others="noise", duration=DURATION):
    return run_loadgen(["--url", "ws://127.0.0.1:3300/signal", "--secret", tokens.DEFAULT_SECRET,
                        "--channel", snowflake(), "--participants", participants, "--speakers", speakers,
                        "--others", others, "--duration", duration, *extra], timeout=60)


def _no_errors(run):
    problems = [f"#{p['index']}: {p['error']}" for p in run.participants if "error" in p]
    assert not problems, "\n".join(problems) + "\n" + run.stderr
    assert all(p["joined"] and p["connected"] for p in run.participants), run.stderr


def _audio_from(listener, speaker):
    return next((s for s in listener["streams"] if s["kind"] == "audio" and s["remote"] == speaker), None)


def _before_change(stream):
    return 0 if stream is None else stream["packets"] - stream.get("packets_after_change", 0)


def _after_change(stream):
    return 0 if stream is None else stream.get("packets_after_change", 0)


def test_with_one_place_a_listener_gets_the_louder_speaker_and_follows_the_switch(janus_factory):
    janus_factory(sfu_audio=(("forward_loudest", 1),))
    # Speaker 0 at -30 dBov and speaker 1 at -45 dBov; at the change speaker 1
    # gets louder (-20) and speaker 0 quieter (-50). The two others have their
    # microphones open on background noise.
    run = _gochat_run(["--levels", "30,45", "--change-after", CHANGE_AFTER, "--levels-after", "50,20"])
    _no_errors(run)
    people = run.participants
    first, second = people[0]["user_id"], people[1]["user_id"]
    for listener in people[2:]:
        loud, quiet = _audio_from(listener, first), _audio_from(listener, second)
        # Before the change: the louder one only (a packet or two of the
        # other while the room first filled is tolerated).
        assert _before_change(loud) >= 0.5 * 50 * CHANGE_AFTER, (listener["index"], loud)
        assert _before_change(quiet) <= 3, (listener["index"], quiet)
        # After it: the other one, continuously and without loss; the first
        # one stops within a selection round.
        assert quiet is not None and quiet["voice_after_change"] >= 0.5 * 50 * (DURATION - CHANGE_AFTER), quiet
        assert quiet["last_level"] == 20, quiet
        assert _after_change(loud) <= 3, (listener["index"], loud)
        for stream in (loud, quiet):
            assert stream["lost"] == 0, stream  # held back, then continued: no gap
        # Nobody's background noise reached anyone.
        for other in people[2:]:
            if other is not listener:
                assert _audio_from(listener, other["user_id"]) is None, listener["streams"]


def test_without_a_limit_every_speaker_and_every_open_microphone_is_forwarded(janus_factory):
    janus_factory(sfu_audio=(("forward_loudest", 0), ("opus_dtx", False)))
    run = _gochat_run(["--levels", "30,45", "--change-after", CHANGE_AFTER, "--levels-after", "50,20"])
    _no_errors(run)
    people = run.participants
    for listener in people:
        audio = [s for s in listener["streams"] if s["kind"] == "audio"]
        assert len(audio) == len(people) - 1, (listener["index"], audio)
        for stream in audio:
            assert stream["packets"] >= 0.5 * 50 * DURATION and stream["lost"] == 0, stream
    assert not any(p["dtx"] for p in people)  # opus_dtx = false: nobody was asked for DTX


def test_the_plugin_asks_for_opus_dtx_and_silent_participants_stop_sending(janus_factory):
    janus_factory()  # the defaults: opus_dtx on
    run = _gochat_run([], participants=3, speakers=1, duration=5)
    _no_errors(run)
    people = run.participants
    assert all(p["dtx"] for p in people), [p["dtx"] for p in people]
    speaker, others = people[0], people[1:]
    # DTX sends one packet per 400 ms instead of 50 a second; speech is sent in full.
    assert speaker["audio_sent"] >= 0.8 * 50 * 5, speaker
    for other in others:
        assert other["audio_sent"] <= 5 * 3 + 5, other
        assert _audio_from(other, speaker["user_id"])["voice_packets"] >= 0.5 * 50 * 5
