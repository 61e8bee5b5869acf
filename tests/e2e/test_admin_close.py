"""Closing a channel by an operator (docs/operations.md, Closing a channel): POST
/admin/channel/close on the signal port, an admin JWT, and what the
people in the call notice. Contract: docs/plugin-api.md (close_channel),
docs/operations.md (Admin endpoint), docs/architecture-transport.md
(HTTP endpoints).

Users talk on the SFU (their sine tones are heard, as in
test_foundation.py); the close is answered 204 only once every one of them
was told {op:7,t:510,d:{error:"channel closed"}}, and their sockets close.
Every refused close is answered with its status and JSON error and closes
nothing: the call goes on and is still heard. Afterwards no Janus session
of the HTTP requests is left (admin API)."""

import asyncio
import json
import os
import subprocess

import pytest

from harness import http, tokens
from harness.janus import gochat_prefix
from harness.admin import JanusAdmin
from harness.calls import enter_call
from harness.clients import OP_RTC, T_JOIN, GoChatClient
from harness.ids import snowflake, users
from harness.scenario import Clients, run

HEAR_TIMEOUT = 20.0
T_CLOSED = 510
CLOSED_NOTICE = {"error": "channel closed"}
ADMIN_CFG = dict(admin_ws=True, empty_room_ttl=2)


@pytest.fixture
def admin_janus(janus_factory):
    return janus_factory(**ADMIN_CFG)


def tool_admin_token(tmp_path, channel: int) -> str:
    """An admin token minted by the installed gochat-token (docs/tokens.md)."""
    secret = tmp_path / "auth_secret"
    secret.write_text(tokens.DEFAULT_SECRET + "\n")
    out = subprocess.run([os.path.join(gochat_prefix(), "bin", "gochat-token"), "--kind", "admin",
                          "--secret-file", str(secret), "--channel", str(channel)],
                         check=True, capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def closed_notices(c: GoChatClient):
    return [m for m in c.rtc_messages(T_CLOSED)]


async def janus_sessions_settle(expected: int, timeout: float = 5.0):
    """The Janus sessions of HTTP requests are gone (only the sockets' remain)."""
    async with JanusAdmin() as admin:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            sessions = await admin.sessions()
            status = await admin.sfu_status()
            if len(sessions) == expected and status.get("sessions") == expected:
                return
            if loop.time() > deadline:
                raise AssertionError(f"Janus sessions {sessions}, plugin status {status}; expected {expected}")
            await asyncio.sleep(0.05)


def test_close_tells_every_participant_and_spares_other_channels(admin_janus, tmp_path):
    closing, other = snowflake(), snowflake()
    ua, ub, uc, ud = users(4)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            c = await cl.gochat(uc, tone=550)
            d = await cl.gochat(ud, tone=770)
            await asyncio.gather(enter_call(a, closing), enter_call(b, closing),
                                 enter_call(c, other), enter_call(d, other))
            await asyncio.gather(a.wait_hearing(ub, 660, HEAR_TIMEOUT), b.wait_hearing(ua, 440, HEAR_TIMEOUT),
                                 c.wait_hearing(ud, 770, HEAR_TIMEOUT), d.wait_hearing(uc, 550, HEAR_TIMEOUT))

            answer = await http.aclose_channel(closing, tokens.mint_admin(closing))
            assert answer.status == 204, answer
            assert answer.body == b"", answer
            # Told before the 204 went out: the notices are on their way already.
            for x in (a, b):
                notice = await x.wait_message(lambda m: m.get("op") == OP_RTC and m.get("t") == T_CLOSED, 5,
                                              what="t 510 channel closed")
                assert notice["d"] == CLOSED_NOTICE, notice
                code, reason = await x.wait_closed(5)
                assert (code, reason) == (1000, "channel closed"), (code, reason)
            # The other channel goes on: nothing received, still heard.
            for x in (c, d):
                assert not x.closed and not closed_notices(x), x.describe()
            await asyncio.gather(c.wait_hearing(ud, 770, 5), d.wait_hearing(uc, 550, 5))

            # Closing a channel nobody is in (any more) is done as well.
            again = await http.aclose_channel(closing, tokens.mint_admin(closing))
            assert again.status == 204, again
            # A token for no channel in particular (channel_id 0) closes any;
            # this one is gochat-token's.
            unscoped = await http.aclose_channel(other, tool_admin_token(tmp_path, 0))
            assert unscoped.status == 204, unscoped
            for x in (c, d):
                notice = await x.wait_message(lambda m: m.get("t") == T_CLOSED, 5, what="t 510")
                assert notice["d"] == CLOSED_NOTICE
                assert (await x.wait_closed(5)) == (1000, "channel closed")
            await janus_sessions_settle(0)
    run(scenario(), timeout=90)


def _refusals(channel: int, other: int):
    """(what, request kwargs, status, error), in the order of docs/operations.md, Closing a channel of checks."""
    admin = tokens.mint_admin(channel)
    return [
        ("no Authorization header", dict(channel_id=channel), 401, "unauthorized"),
        ("a client token (typ sfu)", dict(channel_id=channel, token=tokens.mint(snowflake(), channel)), 401,
         "unauthorized"),
        ("an expired admin token", dict(channel_id=channel, token=tokens.mint_admin(channel, lifetime=-60)), 401,
         "unauthorized"),
        ("an admin token of another secret",
         dict(channel_id=channel, token=tokens.mint_admin(channel, secret="not-the-secret")), 401, "unauthorized"),
        ("an admin token without aud sfu", dict(channel_id=channel, token=tokens.mint_admin(channel, aud=("api",))),
         401, "unauthorized"),
        ("a token that is no JWT", dict(channel_id=channel, authorization="Basic YWRtaW46YWRtaW4="), 401,
         "unauthorized"),
        ("unparsable JSON", dict(token=admin, raw_body=b'{"channel_id":'), 400, "invalid body"),
        ("no channel_id", dict(token=admin, raw_body=b"{}"), 400, "invalid body"),
        ("channel_id 0", dict(channel_id=0, token=admin), 400, "invalid body"),
        ("channel_id as a string", dict(token=admin, raw_body=json.dumps({"channel_id": str(channel)}).encode()),
         400, "invalid body"),
        ("an admin token for another channel", dict(channel_id=channel, token=tokens.mint_admin(other)), 403,
         "channel mismatch"),
        # The order: the token before the body, the body before the match.
        ("no token and a bad body", dict(raw_body=b"nonsense"), 401, "unauthorized"),
        ("another channel's token and a bad body", dict(token=tokens.mint_admin(other), raw_body=b"[]"), 400,
         "invalid body"),
    ]


def test_every_refused_close_is_answered_and_closes_nothing(admin_janus):
    channel, other = snowflake(), snowflake()
    ua, ub = users(2)

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440)
            b = await cl.gochat(ub, tone=660)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(a.wait_hearing(ub, 660, HEAR_TIMEOUT), b.wait_hearing(ua, 440, HEAR_TIMEOUT))

            for what, kwargs, status, error in _refusals(channel, other):
                answer = await http.aclose_channel(**kwargs)
                assert answer.status == status, f"{what}: {answer}"
                assert answer.headers.get("content-type") == "application/json", f"{what}: {answer.headers}"
                assert answer.json() == {"error": error}, f"{what}: {answer}"
            # Not an endpoint for GET.
            wrong = await asyncio.to_thread(http.request, "GET", http.CLOSE_PATH)
            assert wrong.status == 405, wrong
            # HTTP framing the transport refuses itself, before the plugin.
            too_big = await asyncio.to_thread(http.request, "POST", http.CLOSE_PATH, b"{" + b" " * 5000 + b"}",
                                              {"Authorization": "Bearer " + tokens.mint_admin(channel)})
            assert too_big.status == 413 and too_big.json() == {"error": "body too large"}, too_big

            # Nothing was closed: both stay and keep hearing each other.
            for x in (a, b):
                assert not x.closed and not closed_notices(x), x.describe()
            await asyncio.gather(a.wait_hearing(ub, 660, 5), b.wait_hearing(ua, 440, 5))
            await janus_sessions_settle(2)
    run(scenario(), timeout=90)


def test_admin_token_is_refused_on_join(admin_janus):
    channel = snowflake()

    async def scenario():
        async with Clients() as cl:
            c = await cl.gochat(snowflake())
            ack = await c.join(channel, tokens.mint_admin(channel))
            assert ack == {"ok": False, "error": "unauthorized"}, ack
            code, _ = await c.wait_closed(5)
            assert code == 1008
            # Even with a user_id, an admin token joins nobody.
            d = await cl.gochat(snowflake())
            ack = await d.join(channel, tokens.mint_admin(channel, extra={"user_id": d.user_id,
                                                                         "perms": tokens.PERMS_MEMBER}))
            assert ack == {"ok": False, "error": "unauthorized"}, ack
            assert not c.offers and not d.offers
            assert not [m for m in c.rtc_messages(T_JOIN) if m["d"].get("ok")]
    run(scenario(), timeout=30)


def test_without_the_plugin_both_endpoints_answer_503(janus_factory):
    """The transport attaches each HTTP request to a plugin that is not
    loaded: Janus refuses the attach (460), the answer is 503, and the
    request's Janus session is destroyed."""
    janus_factory(**ADMIN_CFG, gochat_ws_settings=(("plugin", "janus.plugin.not.there"),))

    async def scenario():
        closed = await http.aclose_channel(snowflake(), tokens.mint_admin(0))
        assert closed.status == 503 and closed.json() == {"error": "sfu unavailable"}, closed
        scraped = await http.ametrics()
        assert scraped.status == 503 and scraped.json() == {"error": "sfu unavailable"}, scraped
        await janus_sessions_settle(0)
    run(scenario(), timeout=30)
