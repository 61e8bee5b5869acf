"""GET /metrics (docs/operations.md, Metrics), read with the real Prometheus text parser
(Debian's python3-prometheus-client). Contract: docs/operations.md
(Metrics), docs/plugin-api.md (the metrics request),
docs/architecture-transport.md (HTTP endpoints).

Every name of the contract's table is there with its type; the gauges and
counters move with what the clients did and saw: a speaker with a camera
and a listener join, the listener receives the speaker's packets, and the
SFU's forwarded-packet counters match what the listener's aiortc receivers
counted on the speaker's lines. metrics_enabled = false answers 404."""

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from harness import http, tokens
from harness.clients import GoChatClient, stream_of
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.waiting import poll_until
from harness.webhook_service import WebhookService, webhook_settings

HEAR_TIMEOUT = 20.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# docs/operations.md, Metrics: family name (as the parser names it: a counter's
# without _total) -> (type, label names of its samples).
CONTRACT = {
    "gochat_sfu_rooms": ("gauge", set()),
    "gochat_sfu_participants": ("gauge", set()),
    "gochat_sfu_joins": ("counter", set()),
    "gochat_sfu_join_refusals": ("counter", {"reason"}),
    "gochat_sfu_leaves": ("counter", {"reason"}),
    "gochat_sfu_forwarded_packets": ("counter", {"kind"}),
    "gochat_sfu_forwarded_bytes": ("counter", {"kind"}),
    "gochat_sfu_dropped_packets": ("counter", {"reason"}),
    "gochat_sfu_offers": ("counter", set()),
    "gochat_sfu_answers": ("counter", set()),
    "gochat_sfu_webhook_calls": ("counter", {"path", "outcome"}),
    "gochat_sfu_heartbeat_last_success_timestamp_seconds": ("gauge", set()),
}
LEAVE_REASONS = {"left", "disconnected", "kicked", "blocked", "moved", "closed", "timeout", "replaced",
                 "bitrate_exceeded"}


class Scrape:
    """One parsed /metrics answer: value(sample name, **labels)."""

    def __init__(self, text: str):
        self.text = text
        parsed = list(text_string_to_metric_families(text))
        self.families = {f.name: f for f in parsed}
        # No family twice (a gauge `x` and a counter `x_total` would be one name).
        assert len(self.families) == len(parsed), sorted(f.name for f in parsed)
        self.samples = {}
        for family in self.families.values():
            for s in family.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name: str, **labels) -> float:
        return self.samples[(name, tuple(sorted(labels.items())))]


async def scrape() -> Scrape:
    answer = await http.ametrics()
    assert answer.status == 200, answer
    assert answer.headers.get("content-type") == CONTENT_TYPE, answer.headers
    return Scrape(answer.text)


def received_packets(client: GoChatClient, user_id: int, kind: str) -> int:
    """RTP packets the client's aiortc receivers took on the lines carrying
    `user_id`'s `kind` (every SSRC a line saw)."""
    total = 0
    for t in client.peer.pc.getTransceivers():
        if t.kind != kind or t.mid is None or client.peer.mid_owner.get(t.mid) != stream_of(user_id):
            continue
        streams = getattr(t.receiver, "_RTCRtpReceiver__remote_streams", {})
        total += sum(s.packets_received for s in streams.values())
    return total


def test_every_contract_name_is_served_with_its_type(gochat_janus):
    async def scenario():
        metrics = await scrape()
        for name, (kind, labels) in CONTRACT.items():
            assert name in metrics.families, f"{name} missing:\n{metrics.text}"
            family = metrics.families[name]
            assert family.type == kind, (name, family.type)
            assert family.documentation, f"{name} has no HELP"
            assert family.samples, f"{name} has no sample"
            for s in family.samples:
                assert set(s.labels) == labels, (name, s)
        assert {s.labels["reason"] for s in metrics.families["gochat_sfu_leaves"].samples} == LEAVE_REASONS
        assert {s.labels["kind"] for s in metrics.families["gochat_sfu_forwarded_packets"].samples} == \
            {"audio", "video"}
        webhook = {(s.labels["path"], s.labels["outcome"]) for s in metrics.families["gochat_sfu_webhook_calls"].samples}
        assert webhook == {(p, o) for p in ("heartbeat", "join", "leave", "alive")
                           for o in ("ok", "error", "timeout", "dropped")}
        assert metrics.value("gochat_sfu_heartbeat_last_success_timestamp_seconds") == 0  # no webhook configured
        # The transport's own families follow the plugin's, under their own names.
        assert "gochat_sfu_transport_open_connections" in metrics.families
        assert "gochat_sfu_transport_refused_frames" in metrics.families
        # Plain GET only.
        wrong = await asyncio.to_thread(http.request, "POST", http.METRICS_PATH, b"", {})
        assert wrong.status == 405, wrong
        # A scraper keeps its connection: every answer leaves it open for the next.
        statuses = await asyncio.to_thread(http.keep_alive, [("GET", http.METRICS_PATH)] * 3)
        assert statuses == [200, 200, 200], statuses
    run(scenario(), timeout=30)


def test_counters_and_gauges_follow_a_call(gochat_janus):
    channel = snowflake()
    speaker_id, listener_id = users(2)

    async def scenario():
        async with Clients() as cl:
            before = await scrape()
            # A refused join is counted under its t=500 error.
            intruder = await cl.gochat(snowflake())
            assert await intruder.join(channel, tokens.mint(intruder.user_id, channel, bad_signature=True)) == \
                {"ok": False, "error": "unauthorized"}

            speaker = await cl.gochat(speaker_id, tone=440, camera=True)
            listener = await cl.gochat(listener_id, tone=550)
            for c, perms in ((speaker, tokens.PERMS_MEMBER), (listener, tokens.PERM_CONNECT)):
                assert await c.join(channel, tokens.mint(c.user_id, channel, perms)) == {"ok": True}
            for c in (speaker, listener):
                await c.wait_offers(1)
                await c.wait_connected()
            await listener.wait_hearing(speaker_id, 440, HEAR_TIMEOUT)
            await listener.changes.wait_until(lambda: listener.peer.video_frames.get(stream_of(speaker_id), 0) >= 5,
                                              HEAR_TIMEOUT, "listener decoding the camera")

            during = await scrape()
            assert during.value("gochat_sfu_participants") == before.value("gochat_sfu_participants") + 2
            assert during.value("gochat_sfu_rooms") >= 1
            assert during.value("gochat_sfu_joins_total") == before.value("gochat_sfu_joins_total") + 2
            assert during.value("gochat_sfu_join_refusals_total", reason="unauthorized") == \
                before.value("gochat_sfu_join_refusals_total", reason="unauthorized") + 1
            assert during.value("gochat_sfu_offers_total") >= before.value("gochat_sfu_offers_total") + 3
            assert during.value("gochat_sfu_forwarded_packets_total", kind="audio") > \
                before.value("gochat_sfu_forwarded_packets_total", kind="audio")
            assert during.value("gochat_sfu_transport_open_connections") >= 2

            # The speaker leaves; once the listener hears nothing more, every
            # packet forwarded has arrived.
            await speaker.leave()
            assert (await speaker.wait_closed(5))[0] == 1000
            await listener.wait_not_hearing(speaker_id, 10)
            after = await scrape()

            for kind, tolerance in (("audio", 0.02), ("video", 0.05)):
                forwarded = after.value("gochat_sfu_forwarded_packets_total", kind=kind) - \
                    before.value("gochat_sfu_forwarded_packets_total", kind=kind)
                seen = received_packets(listener, speaker_id, kind)
                print(f"{kind}: the SFU forwarded {forwarded:.0f} packets, the listener received {seen}")
                assert seen > 0, f"the listener received no {kind}"
                assert abs(forwarded - seen) <= max(5, tolerance * seen), \
                    f"{kind}: SFU forwarded {forwarded}, the listener received {seen}"
                forwarded_bytes = after.value("gochat_sfu_forwarded_bytes_total", kind=kind) - \
                    before.value("gochat_sfu_forwarded_bytes_total", kind=kind)
                assert forwarded_bytes >= 12 * forwarded, (kind, forwarded_bytes, forwarded)
            assert after.value("gochat_sfu_leaves_total", reason="left") == \
                before.value("gochat_sfu_leaves_total", reason="left") + 1
            assert after.value("gochat_sfu_participants") == before.value("gochat_sfu_participants") + 1
            # The listener's microphone was never forwarded: it may not speak.
            assert after.value("gochat_sfu_forwarded_packets_total", kind="audio") - \
                before.value("gochat_sfu_forwarded_packets_total", kind="audio") <= \
                received_packets(listener, speaker_id, "audio") + 5

            # An operator closes the channel: the listener leaves as "closed".
            closed = await http.aclose_channel(channel, tokens.mint_admin(channel))
            assert closed.status == 204, closed
            await listener.wait_closed(5)
            last = await scrape()
            assert last.value("gochat_sfu_leaves_total", reason="closed") == \
                before.value("gochat_sfu_leaves_total", reason="closed") + 1
            assert last.value("gochat_sfu_participants") == before.value("gochat_sfu_participants")
            assert last.value("gochat_sfu_transport_http_requests_total", path="/admin/channel/close", code="204") >= 1
            assert last.value("gochat_sfu_transport_frames_received_total") > \
                before.value("gochat_sfu_transport_frames_received_total")
            assert last.value("gochat_sfu_transport_frames_sent_total") > \
                before.value("gochat_sfu_transport_frames_sent_total")
    run(scenario(), timeout=90)


def test_metrics_disabled_is_not_found(janus_factory):
    janus_factory(gochat_ws_settings=(("metrics_enabled", False),))

    async def scenario():
        answer = await http.ametrics()
        assert answer.status == 404, answer
        # The admin endpoint is still there.
        refused = await http.aclose_channel(snowflake())
        assert refused.status == 401, refused
    run(scenario(), timeout=30)


def test_webhook_counters_are_the_webhook_clients(janus_factory, janus_pool):
    """With GoChat's webhook service configured (here its stand-in,
    harness/webhook_service.py), the webhook families carry the client's
    figures: heartbeats, a join, and the leave an admin close causes."""
    janus_pool.stop_current()  # no other Janus calls port 3200 meanwhile
    service = WebhookService().start()
    try:
        settings = webhook_settings("sfu-e2e-metrics")
        service.token = dict(settings)["token"]
        janus_factory(sfu_webhook=settings)
        channel = snowflake()

        def calls(metrics, path):
            return metrics.value("gochat_sfu_webhook_calls_total", path=path, outcome="ok")

        async def scenario():
            async with Clients() as cl:
                first = await poll_until(lambda: _scraped_if(lambda m: calls(m, "heartbeat") >= 1), 10,
                                         "a heartbeat counted")
                stamp = first.value("gochat_sfu_heartbeat_last_success_timestamp_seconds")
                assert abs(stamp - time.time()) < 60, stamp
                user = await cl.gochat(snowflake())
                assert await user.join(channel, tokens.mint(user.user_id, channel)) == {"ok": True}
                await poll_until(lambda: _scraped_if(lambda m: calls(m, "join") == 1), 10, "the join counted")
                closed = await http.aclose_channel(channel, tokens.mint_admin(channel))
                assert closed.status == 204, closed
                await user.wait_closed(5)
                # The close is a departure like any other: its leave is sent.
                last = await poll_until(lambda: _scraped_if(lambda m: calls(m, "leave") == 1), 10, "the leave counted")
                assert last.value("gochat_sfu_leaves_total", reason="closed") >= 1
                assert [c.body["user_id"] for c in service.snapshot("leave")] == [user.user_id]
        run(scenario(), timeout=60)
        assert not service.problems, service.problems
    finally:
        janus_pool.stop_current()
        service.stop()


async def _scraped_if(predicate):
    metrics = await scrape()
    return metrics if predicate(metrics) else None
