"""Region migration across two SFUs (docs/operations.md, Several SFUs and
regions; Closing a channel): two Janus instances with the plugin, each
registered in GoChat's discovery under its own id through the webhook
service stand-in. Two users talk on the first; GoChat's API closes their
channel there (POST /admin/channel/close with an admin token); each is told
t=510 "channel closed" and disconnected, the webhook service sees each
user's leave after its join, and both rejoin the second SFU with fresh
tokens and hear each other there."""

import asyncio
import os
import time

import pytest

from harness import http, tokens
from harness.calls import enter_call
from harness.ids import snowflake, users
from harness.janus import JanusConfig, JanusProcess
from harness.scenario import Clients, run
from harness.webhook_service import WebhookService, webhook_settings

HEAR_TIMEOUT = 20.0
CALL_TIMEOUT = 10.0
FIRST_PORT, SECOND_PORT = 3300, 3301




def sfu_settings(service_id: str, region: str, port: int) -> tuple:
    return webhook_settings(service_id, region=region, public_url=f"ws://127.0.0.1:{port}/signal")


@pytest.fixture
def second_sfu(e2e_logdir, webhook_service):
    """A second Janus beside the pool's: its own signal port and RTP range,
    no stock transport (the first one has it)."""
    cfg = JanusConfig(stock_ws=False, rtp_port_range="40001-60000",
                      gochat_ws_settings=(("port", SECOND_PORT),),
                      sfu_webhook=sfu_settings("sfu-us-1", "us", SECOND_PORT))
    janus = JanusProcess(cfg, os.path.join(e2e_logdir, f"janus-second-sfu-{int(time.time() * 1000)}")).start()
    yield janus
    problem = janus.stop()
    assert not problem, problem


def heartbeat_ids(service: WebhookService):
    return {(c.body["id"], c.body["region"], c.body["url"]) for c in service.snapshot("heartbeat")}


def test_a_channel_closed_on_one_sfu_rejoins_on_another_and_is_heard_there(janus_factory, webhook_service,
                                                                           second_sfu):
    janus_factory(sfu_webhook=sfu_settings("sfu-eu-1", "eu", FIRST_PORT))
    channel = snowflake()
    ann, bob = users(2)

    async def scenario():
        # Both SFUs registered, each under its own id, region and URL.
        expected = {("sfu-eu-1", "eu", f"ws://127.0.0.1:{FIRST_PORT}/signal"),
                    ("sfu-us-1", "us", f"ws://127.0.0.1:{SECOND_PORT}/signal")}
        await asyncio.to_thread(webhook_service.wait_blocking, lambda s: expected <= heartbeat_ids(s), CALL_TIMEOUT,
                                "heartbeats of both SFUs")

        async with Clients() as cl:
            first = f"ws://127.0.0.1:{FIRST_PORT}/signal"
            a = await cl.gochat(ann, tone=440, url=first)
            b = await cl.gochat(bob, tone=660, url=first)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(a.wait_hearing(bob, 660, HEAR_TIMEOUT), b.wait_hearing(ann, 440, HEAR_TIMEOUT))

            # GoChat moves the channel: the old SFU closes it.
            answer = await http.aclose_channel(channel, tokens.mint_admin(channel), port=FIRST_PORT)
            assert answer.status == 204, answer
            for c in (a, b):
                notice = await c.wait_message(lambda m: m.get("op") == 7 and m.get("t") == 510, CALL_TIMEOUT,
                                              what="t 510")
                assert notice["d"] == {"error": "channel closed"}, notice
                code, _ = await c.wait_closed(CALL_TIMEOUT)
                assert code == 1000, (c.name, code)
            for user in (ann, bob):
                await asyncio.to_thread(
                    webhook_service.wait_blocking,
                    lambda s, u=user: [c for c in s.snapshot("leave") if c.body.get("user_id") == u], CALL_TIMEOUT,
                    f"leave of {user}")

            # The clients rejoin where GoChat now routes the channel, with fresh tokens.
            second = f"ws://127.0.0.1:{SECOND_PORT}/signal"
            a2 = await cl.gochat(ann, tone=470, url=second)
            b2 = await cl.gochat(bob, tone=690, url=second)
            await asyncio.gather(enter_call(a2, channel), enter_call(b2, channel))
            await asyncio.gather(a2.wait_hearing(bob, 690, HEAR_TIMEOUT), b2.wait_hearing(ann, 470, HEAR_TIMEOUT))
            for user in (ann, bob):
                await asyncio.to_thread(
                    webhook_service.wait_blocking,
                    lambda s, u=user: len([c for c in s.snapshot("join") if c.body.get("user_id") == u]) == 2,
                    CALL_TIMEOUT, f"second join of {user}")

    run(scenario(), timeout=90)
    # Each user: join (first SFU), leave (the close), join (second SFU), in
    # that order; the leave of the second call may follow, as the test's
    # clients hang up.
    for user in (ann, bob):
        kinds = [c.kind for c in webhook_service.presence() if c.body.get("user_id") == user]
        assert kinds[:3] == ["join", "leave", "join"] and kinds[3:] in ([], ["leave"]), (user, kinds)
