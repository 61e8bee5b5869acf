"""The native load generator (tools/loadgen) as a functional check, never a
timing one: simulated participants over the real protocols against the
real Janus, and every listener must receive every speaker, with no packet
lost on the veth (docs/benchmarks.md, "Load generator"; docs/testing.md)."""

from harness import tokens
from harness.ids import snowflake
from harness.loadgen import run_loadgen

PACKETS_PER_SECOND = 50  # Opus at 20 ms
DURATION = 10


def _check_everyone_hears_every_speaker(run, duration, packets_floor=0.5):
    """Every participant joined and got media, every listener received
    every speaker's audio (at least `packets_floor` of what `duration`
    seconds carry: a functional floor, not a timing), with the speaker's
    voice level relayed, and no stream lost a packet."""
    people = run.participants
    problems = [f"#{p['index']}: {p['error']}" for p in people if "error" in p]
    assert not problems, "\n".join(problems) + "\n" + run.stderr
    assert all(p["joined"] and p["connected"] for p in people), run.stderr
    speakers = {p["user_id"] for p in people if p["role"] == "speaker"}
    floor = packets_floor * PACKETS_PER_SECOND * duration
    for p in people:
        audio = {s["remote"]: s for s in p["streams"] if s["kind"] == "audio"}
        for speaker in speakers - {p["user_id"]}:
            s = audio.get(speaker)
            assert s is not None, f"#{p['index']} received nothing from speaker {speaker}\n{run.stderr}"
            assert s["packets"] >= floor, f"#{p['index']} got {s['packets']} packets of {speaker} (< {floor})"
            # PROTOCOL.md 3.3: forwarded audio keeps the publisher's RFC 6464 level.
            assert s["voice_packets"] == s["packets"] and s["last_level"] == 30, s
        lossy = [s for s in p["streams"] if s["lost"] != 0]
        assert not lossy, f"#{p['index']} lost packets: {lossy}"
        assert p["unrouted_packets"] == 0, p
    aggregate = run.report["aggregate"]
    assert aggregate["heard_pairs"] == aggregate["speaker_pairs"] > 0, aggregate


def test_loadgen_20_gochat_participants_every_listener_hears_the_3_speakers(janus_factory):
    # Everyone forwarded (forward_loudest = 0): this checks the load
    # generator's view of every stream; test_loudest_speakers.py checks the
    # default, which forwards the 4 loudest of a room.
    janus_factory(max_participants=32, sfu_audio=(("forward_loudest", 0),))
    run = run_loadgen(["--url", "ws://127.0.0.1:3300/signal", "--secret", tokens.DEFAULT_SECRET,
                       "--channel", snowflake(), "--participants", 20, "--speakers", 3,
                       "--others", "silence", "--duration", DURATION], timeout=60)
    _check_everyone_hears_every_speaker(run, DURATION)
    people = run.participants
    # The others' digital silence is forwarded too (nobody is muted): each of the
    # 20 receives the 19 others, and the speakers' streams carry no voice flag.
    for p in people:
        audio = [s for s in p["streams"] if s["kind"] == "audio"]
        assert len(audio) == 19, (p["index"], len(audio))
        for s in audio:
            if s["remote"] not in {q["user_id"] for q in people if q["role"] == "speaker"}:
                assert s["voice_packets"] == 0 and s["last_level"] == 127, s


def test_loadgen_gochat_video_reaches_every_other_participant(janus_factory):
    janus_factory(max_participants=32)
    run = run_loadgen(["--url", "ws://127.0.0.1:3300/signal", "--secret", tokens.DEFAULT_SECRET,
                       "--channel", snowflake(), "--participants", 6, "--speakers", 2,
                       "--video-share", 0.5, "--duration", 5], timeout=40)
    _check_everyone_hears_every_speaker(run, 5)
    cameras = {p["user_id"] for p in run.participants if p["video"]}
    assert len(cameras) == 3
    for p in run.participants:
        video = {s["remote"]: s for s in p["streams"] if s["kind"] == "video"}
        assert set(video) == cameras - {p["user_id"]}, (p["index"], video)
        # The SFU asks each publisher for a key frame for every new receiver.
        assert all(s["packets"] > 0 and s["keyframes"] > 0 for s in video.values()), video


def test_loadgen_videoroom_participants_hear_each_speaker_and_see_each_camera(stock_janus):
    room = snowflake() % 1_000_000_000
    run = run_loadgen(["--mode", "videoroom", "--janus-ws", "ws://127.0.0.1:8188/", "--channel", room,
                       "--participants", 6, "--speakers", 2, "--video-share", 0.5, "--duration", 5], timeout=40)
    _check_everyone_hears_every_speaker(run, 5)
    cameras = {p["user_id"] for p in run.participants if p["video"]}
    for p in run.participants:
        video = {s["remote"]: s for s in p["streams"] if s["kind"] == "video"}
        assert set(video) == cameras - {p["user_id"]}, (p["index"], video)
        # The VideoRoom drops keyframe requests within its rate limit; the
        # receivers ask again (as browsers do) until a key frame arrives.
        assert all(s["packets"] > 0 and s["keyframes"] > 0 for s in video.values()), video
