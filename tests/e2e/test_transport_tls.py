"""TLS on the GoChat transport (docs/operations.md, "TLS").

With `tls = true` the transport's one port serves `wss://.../signal` and the
demo page over `https://` with the configured certificate, and nothing in
plain text. A certificate or key that cannot be used keeps the transport
from starting, with a log line that names the file (and never the key's
passphrase).

The certificates are self-signed for 127.0.0.1, made by `openssl req` in the
test's temporary directory; the clients trust exactly that certificate."""

import asyncio
import os
import socket
import ssl
import subprocess

import pytest
import websockets

from harness import janus as janus_mod
from harness.calls import enter_call
from harness.clients import stream_of
from harness.ids import snowflake, users
from harness.scenario import Clients, run
from harness.waiting import Changes

PORT = janus_mod.GOCHAT_WS_PORT
WSS_URL = f"wss://127.0.0.1:{PORT}/signal"
WS_URL = f"ws://127.0.0.1:{PORT}/signal"
HEAR_TIMEOUT = 20.0
PASSPHRASE = "e2e-tls-passphrase-5c1d9e"
# Janus logs this after a transport's init returned an error (janus.c).
TRANSPORT_REFUSED = "The 'janus.transport.gochat.ws' plugin could not be initialized"


class Certificate:
    def __init__(self, directory, name, passphrase=None):
        """A self-signed P-256 certificate for 127.0.0.1 and localhost, valid
        one day; its key is encrypted when `passphrase` is given."""
        self.cert = os.path.join(directory, f"{name}-cert.pem")
        self.key = os.path.join(directory, f"{name}-key.pem")
        key_protection = ["-passout", f"pass:{passphrase}"] if passphrase else ["-nodes"]
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             *key_protection, "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", self.key, "-out", self.cert],
            check=True, capture_output=True, timeout=30)

    def client_context(self, alpn=None) -> ssl.SSLContext:
        """Trusts this certificate only, with hostname (IP) checking on."""
        context = ssl.create_default_context(cafile=self.cert)
        if alpn:
            context.set_alpn_protocols(alpn)
        return context


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def certificate(tls_dir):
    return Certificate(tls_dir, "plain")


@pytest.fixture(scope="module")
def encrypted_certificate(tls_dir):
    return Certificate(tls_dir, "encrypted", passphrase=PASSPHRASE)


def tls_settings(cert, key, **more):
    settings = {"tls": True, "tls_cert": cert, "tls_key": key, **more}
    return tuple(settings.items())


@pytest.fixture
def tls_janus(janus_factory, certificate):
    return janus_factory(gochat_ws_settings=tls_settings(certificate.cert, certificate.key))


def https_get(context: ssl.SSLContext, path: str = "/"):
    """One HTTP/1.1 GET over TLS on a raw socket, so the test sees the
    protocol ALPN settled on. Returns (alpn, status line, headers, body)."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            alpn = tls.selected_alpn_protocol()
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
                        "Connection: close\r\n\r\n".encode())
            response = b""
            while chunk := tls.recv(65536):
                response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in header_lines)}
    return alpn, status, headers, body


async def wait_for_log(janus, offset: int, text: str, timeout: float = 10.0) -> str:
    """The Janus log from `offset` once it contains `text`."""
    def found():
        log = janus.log_since(offset)
        return log if text in log else None
    # Nothing wakes us on a log write: wait_until re-checks every 0.1 s.
    return await Changes().wait_until(found, timeout, f"'{text}' in {janus.log_path}")


# --------------------------------------------------------------- (a)

def test_two_clients_over_wss_hear_each_other(tls_janus, certificate):
    channel = snowflake()
    ua, ub = users(2)
    context = certificate.client_context()

    async def scenario():
        async with Clients() as cl:
            a = await cl.gochat(ua, tone=440, url=WSS_URL, ssl_context=context)
            b = await cl.gochat(ub, tone=660, url=WSS_URL, ssl_context=context)
            await asyncio.gather(enter_call(a, channel), enter_call(b, channel))
            await asyncio.gather(b.wait_hearing(ua, 440, HEAR_TIMEOUT),
                                 a.wait_hearing(ub, 660, HEAR_TIMEOUT))
            # the right user on the right stream, and not oneself
            assert set(a.heard_streams()) == {stream_of(ub)}
            assert set(b.heard_streams()) == {stream_of(ua)}
            # the envelope protocol is unchanged over TLS
            pong = await a.heartbeat({"nonce": 9007199254740993})
            assert pong.msg["d"]["nonce"] == 9007199254740993
    run(scenario())


# --------------------------------------------------------------- (b)

def test_demo_page_is_served_over_https_on_http_1_1(tls_janus, certificate):
    # A browser offers h2 first; the transport keeps to HTTP/1.1, the only
    # protocol its page and upgrade handling read (ws_server.cpp).
    alpn, status, headers, body = https_get(certificate.client_context(alpn=["h2", "http/1.1"]))
    assert alpn == "http/1.1"
    assert status.startswith("HTTP/1.1 200"), status
    assert headers["content-type"].startswith("text/html")
    installed = os.path.join(janus_mod.gochat_prefix(), "share", "gochat-sfu", "demo", "index.html")
    with open(installed, "rb") as f:
        assert body == f.read()
    _, status, headers, _ = https_get(certificate.client_context(), "/app.js")
    assert status.startswith("HTTP/1.1 200") and headers["content-type"].startswith("text/javascript")
    assert https_get(certificate.client_context(), "/nope.js")[1].startswith("HTTP/1.1 404")


# --------------------------------------------------------------- (c)

def test_plain_ws_and_http_are_refused_on_the_tls_port(tls_janus, certificate):
    async def scenario():
        # No WebSocket handshake without TLS: lws reads "GET ..." as a
        # broken TLS record and drops the connection (no plain fallback).
        with pytest.raises((websockets.exceptions.InvalidHandshake, ConnectionError, EOFError)):
            ws = await websockets.connect(WS_URL, open_timeout=5)
            await ws.close()

        # Plain HTTP gets no HTTP answer either.
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", PORT), 5)
        writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n\r\n".encode())
        await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.read(), 5)
        except ConnectionError:
            answer = b""
        writer.close()
        assert not answer.startswith(b"HTTP/"), answer[:80]

        # The listener is none the worse for it.
        async with Clients() as cl:
            c = await cl.gochat(users(1)[0], url=WSS_URL, ssl_context=certificate.client_context())
            await c.heartbeat({"nonce": 1})
    run(scenario(), timeout=30)


def test_a_client_that_does_not_trust_the_certificate_cannot_connect(tls_janus):
    """What a browser does with a self-signed certificate (docs/operations.md:
    browsers need a certificate they trust)."""
    async def scenario():
        untrusting = ssl.create_default_context()  # system CAs only
        with pytest.raises(ssl.SSLCertVerificationError):
            ws = await websockets.connect(WSS_URL, ssl=untrusting, open_timeout=5)
            await ws.close()
    run(scenario(), timeout=30)


# --------------------------------------------------------------- passphrase

def test_an_encrypted_key_with_its_passphrase_serves_and_the_passphrase_is_not_logged(
        janus_factory, encrypted_certificate):
    janus = janus_factory(gochat_ws_settings=tls_settings(
        encrypted_certificate.cert, encrypted_certificate.key, tls_key_password=PASSPHRASE))
    _, status, _, _ = https_get(encrypted_certificate.client_context())
    assert status.startswith("HTTP/1.1 200"), status

    async def scenario():
        async with Clients() as cl:
            c = await cl.gochat(users(1)[0], url=WSS_URL,
                                ssl_context=encrypted_certificate.client_context())
            await c.heartbeat({"nonce": 2})
    run(scenario(), timeout=30)
    log = janus.log_since(0)
    assert "[gochat.ws] listening on wss://127.0.0.1:3300/signal" in log
    assert "[gochat.ws] TLS certificate CN=localhost" in log
    assert PASSPHRASE not in log


# --------------------------------------------------------------- (d)

@pytest.mark.parametrize("case", ["missing key", "encrypted key without passphrase",
                                  "tls without tls_cert"])
def test_transport_refuses_to_start_with_an_unusable_key(janus_factory, tls_dir, certificate,
                                                         encrypted_certificate, case):
    if case == "missing key":
        missing = os.path.join(tls_dir, "no-such-key.pem")
        settings = tls_settings(certificate.cert, missing)
        expected = f"[gochat.ws] TLS: tls_key {missing}: No such file or directory; not starting"
    elif case == "encrypted key without passphrase":
        settings = tls_settings(encrypted_certificate.cert, encrypted_certificate.key)
        expected = (f"[gochat.ws] TLS: tls_key {encrypted_certificate.key} is encrypted: "
                    "set tls_key_password; not starting")
    else:
        settings = (("tls", True), ("tls_key", certificate.key))
        expected = "tls = true needs tls_cert (the PEM certificate chain)"
    # Janus itself stays up on its stock WebSocket transport.
    janus = janus_factory(gochat_ws_settings=settings, gochat_ws_listens=False)

    async def scenario():
        return await wait_for_log(janus, 0, TRANSPORT_REFUSED)
    log = run(scenario(), timeout=30)
    assert expected in log
    assert janus.alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
