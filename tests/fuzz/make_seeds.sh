#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ from real messages:
# the envelopes of docs/protocol.md, a browser's SDP offer and answer, the Janus
# replies and plugin events the transport sees, and tokens minted by the
# built tools/gochat-token (fixed --issued-at, the fuzz_token secret).
#   bash tests/fuzz/make_seeds.sh [BUILD_DIR]      # BUILD_DIR holds tools/gochat-token
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:-$HERE/../..}
exec /usr/bin/python3 - "$HERE/corpus" "$BUILD/tools/gochat-token" <<'EOF'
import json, os, subprocess, sys
corpus, token_tool = sys.argv[1], sys.argv[2]
SECRET = "fuzz-secret-0123456789abcdef"   # fuzz_token.cpp kSecret
IAT = 1700000000                          # fuzz_token.cpp kMintedAt

OFFER = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
    "a=group:BUNDLE 0 1", "a=extmap-allow-mixed", "a=msid-semantic: WMS stream",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:Wp5e", "a=ice-pwd:1KnmAfOdh+VRe0HuaZ2rhGRm",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 9C:3B:0B:8E:1F:25:94:21:36:0B:59:7B:B3:18:A4:64:9A:9B:A5:5E:4B:97:3C:8C:34:8F:E1:8A:00:64:35:AE",
    "a=setup:actpass", "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=sendrecv", "a=msid:stream 0a1b2c3d-audio", "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc", "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:0 PCMU/8000", "a=ssrc:1001 cname:abc", "a=ssrc:1001 msid:stream 0a1b2c3d-audio",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Wp5e", "a=ice-pwd:1KnmAfOdh+VRe0HuaZ2rhGRm", "a=setup:actpass", "a=mid:1",
    "a=sendrecv", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli", "a=rtcp-fb:96 ccm fir", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000", "a=fmtp:98 profile-id=0", "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=ssrc:2002 cname:abc", ""])
ANSWER = "\r\n".join([
    "v=0", "o=- 3902000000 3902000000 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "a=msid-semantic:WMS *", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 198.18.0.2",
    "a=sendrecv", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=mid:0",
    "a=msid:5e1f 7c2a", "a=rtcp-mux", "a=ssrc:3003 cname:x", "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 useinbandfec=1", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdef01234567",
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    "a=setup:active", "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 198.18.0.2", "a=inactive",
    "a=mid:1", "a=rtcp-mux", "a=rtpmap:96 VP8/90000", ""])
CAND = "candidate:1 1 UDP 2130706431 198.18.0.2 50000 typ host"

def mint(*args):
    return subprocess.check_output([token_tool, "--secret", SECRET, "--issued-at", str(IAT), *args], text=True).strip()

tokens = {
    "member": mint("--user", "1234567890123456789", "--channel", "789"),
    "no-channel": mint("--user", "42", "--channel", "0"),
    "moderator": mint("--user", "43", "--channel", "789", "--guild", "5", "--perm", "connect,speak,video,mute,deafen,move"),
    "moved": mint("--user", "44", "--channel", "790", "--moved"),
    "admin": mint("--user", "-9223372036854775808", "--channel", "9223372036854775807", "--perm", "admin"),
}

def e(op, t=None, d=None):
    m = {"op": op}
    if t is not None: m["t"] = t
    if d is not None: m["d"] = d
    return json.dumps(m, separators=(",", ":"))

join = e(7, 500, {"channel": 789, "token": tokens["member"]})
client = {
    "heartbeat": e(2, d={"nonce": "abc", "ts": 1700000000123}),
    "heartbeat-bare": e(2),
    "heartbeat-int64-nonce": e(2, d={"nonce": 9223372036854775807, "ts": -1}),
    "pong": e(2, d={"pong": True, "nonce": 7}),
    "join": join,
    "join-bearer": e(7, 500, {"channel": 789, "token": "Bearer " + tokens["member"]}),
    "offer": e(7, 501, {"sdp": OFFER}),
    "answer": e(7, 502, {"sdp": ANSWER}),
    "candidate": e(7, 503, {"candidate": CAND, "sdpMid": "0", "sdpMLineIndex": 0}),
    "candidate-end": e(7, 503, {"candidate": ""}),
    "candidate-completed": e(7, 503, {"completed": True}),
    "leave": e(7, 504, {}),
    "mute-self": e(7, 505, {"muted": True}),
    "mute-user": e(7, 506, {"user": 1234567890123456789, "muted": True}),
    "server-mute": e(7, 507, {"user": 43, "muted": False}),
    "server-deafen": e(7, 508, {"user": 43, "deafened": True}),
    "binding-keepalive": e(7, 509, {}),
    "kick": e(7, 510, {"user": 42}),
    "block": e(7, 511, {"user": 42, "block": True}),
    "rebind": e(7, 513, {}),
    "web-negotiate": json.dumps({"event": "negotiate"}),
    "web-speaking": json.dumps({"event": "speaking", "data": "1"}),
    "unknown-op": e(9, 1, {}),
    "not-object": "[1,2,3]",
    "bad-utf8": b"{\"op\":2,\"d\":{\"nonce\":\"\xff\xfe\"}}",
}
def janus_event(t, d, name, close=None, jsep=None):
    data = {"gochat": name, "t": t, "d": d}
    if close: data["close"] = close
    m = {"janus": "event", "session_id": 11, "sender": 22, "transaction": "gcws-1-3",
         "plugindata": {"plugin": "janus.plugin.gochat.sfu", "data": data}}
    if jsep: m["jsep"] = jsep
    return "J " + json.dumps(m, separators=(",", ":"))
joined = janus_event(500, {"ok": True}, "joined")
server_offer = janus_event(501, {}, "offer", jsep={"type": "offer", "sdp": OFFER})
janus = {
    "janus-ack": 'J {"janus":"ack","session_id":11,"transaction":"gcws-1-3"}',
    "janus-error": 'J {"janus":"error","session_id":11,"transaction":"gcws-1-3","error":{"code":458,"reason":"No such session 11"}}',
    "janus-refused": janus_event(500, {"ok": False, "error": "unauthorized"}, "refused", close={"code": 1008, "reason": "unauthorized"}),
    "janus-kicked": janus_event(510, {"error": "kicked"}, "kicked", close={"code": 4001, "reason": "kicked"}),
    "janus-trickle": 'J {"janus":"trickle","session_id":11,"sender":22,"candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"' + CAND + '"}}',
    "janus-trickle-done": 'J {"janus":"trickle","session_id":11,"sender":22,"candidate":{"completed":true}}',
    "janus-timeout": 'J {"janus":"timeout","session_id":11}',
    "janus-detached": 'J {"janus":"detached","session_id":11,"sender":22}',
    "janus-webrtcup": 'J {"janus":"webrtcup","session_id":11,"sender":22}',
    "janus-success-plugindata": 'J {"janus":"success","session_id":11,"sender":22,"transaction":"gcws-1-3","plugindata":{"plugin":"janus.plugin.gochat.sfu","data":{"gochat":"info","t":0,"d":{"rooms":1}}}}',
}
scripts = {
    "session-call": "\n".join([client["heartbeat"], join, joined, server_offer, client["answer"], client["candidate"],
                                janus["janus-trickle"], client["mute-self"], janus["janus-ack"], client["web-speaking"],
                                "K", client["offer"], janus["janus-error"], client["leave"]]),
    "session-unattached": "!" + "\n".join([join, join, "T", janus["janus-kicked"]]),
    "session-join-timeout": "\n".join(["T", client["heartbeat"]]),
    "session-refused": "\n".join([join, janus["janus-refused"], client["leave"]]),
    "session-moderation": "\n".join([join, joined, client["server-mute"], client["kick"], client["block"],
                                      client["not-object"], client["unknown-op"], "B", janus["janus-kicked"]]),
    "session-over": "\n".join([join, joined, "O", "X"]),
}
def write(target, name, text):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())

for name, text in {**client, **scripts}.items(): write("transport", name, text)
for name, text in janus.items():
    write("transport", name, text)
    write("transport", name + "-bare", text[2:])   # the whole input as one Janus message

req = lambda **kw: json.dumps(kw, separators=(",", ":"))
requests = {
    "join": req(request="join", channel=789, token=tokens["member"]),
    "offer": req(request="offer", jsep={"type": "offer", "sdp": OFFER}),
    "answer": req(request="answer", jsep={"type": "answer", "sdp": ANSWER}),
    "leave": req(request="leave"), "negotiate": req(request="negotiate"),
    "speaking": req(request="speaking", speaking=True),
    "mute-self": req(request="mute_self", muted=True),
    "mute-user": req(request="mute_user", user=102, muted=True),
    "server-mute": req(request="server_mute", user=102, muted=True),
    "server-deafen": req(request="server_deafen", user=102, deafened=False),
    "kick": req(request="kick", user=103), "block": req(request="block", user=103, block=True),
    "move": req(request="move", user=104, channel=790),
    "info": req(request="info"),
}
for name, text in requests.items(): write("request", name, text)
J = lambda ch=789, **kw: dict(request="join", channel=ch, token="t", **kw)
mod = (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) | (1 << 24) | (1 << 25)
scenarios = {
    "scenario-call": [J(perms=mod), J(), J(), J(perms=1 << 20),
                      {"request": "answer", "jsep": {"type": "answer", "sdp": "\x01\x11"}},
                      {"request": "answer", "jsep": {"type": "answer", "sdp": "a1qQ"}},
                      {"request": "negotiate"}, {"request": "speaking", "speaking": True},
                      {"request": "server_mute", "user": 102, "muted": True},
                      {"request": "mute_user", "user": 101, "muted": True},
                      {"request": "server_deafen", "user": 103, "deafened": True},
                      {"request": "mute_self", "muted": True},
                      {"request": "offer", "jsep": {"type": "offer", "sdp": "\x01\x11!1"}},
                      {"request": "leave"}],
    "scenario-moderation": [J(perms=mod), J(), J(ch=790), J(),
                            {"request": "kick", "user": 102}, {"request": "move", "user": 104, "channel": 790},
                            {"request": "block", "user": 103, "block": True}, J(), J(), J(),
                            {"request": "block", "user": 102, "block": False, "wait": True}, J(moved=True)],
    "scenario-channel-mismatch": [J(token_channel=790), J(perms=0), J(token_channel=789, disconnect=True), J(wait=True)],
    # An operator closes a channel (the admin token is the adapter's business).
    "scenario-close-channel": [J(), J(), J(ch=790), {"request": "close_channel", "token": "x", "channel_id": 789},
                               {"request": "close_channel", "channel_id": 0},
                               {"request": "close_channel", "token": "x", "channel_id": 790, "wait": True},
                               {"request": "close_channel"}, J()],
}
for name, steps in scenarios.items(): write("request", name, json.dumps(steps, separators=(",", ":")))

for name, tok in tokens.items():
    write("token", name, tok)
write("token", "bearer", "bearer " + tokens["member"])
# Self-signed JSON (fuzz_token.cpp signs inputs that start with '{').
payload = {"typ": "sfu", "iss": "gochat", "aud": ["sfu"], "user_id": 1234567890123456789,
           "channel_id": 789, "guild_id": 5, "perms": 7340032, "moved": False, "iat": IAT, "exp": IAT + 120}
write("token", "json-payload", json.dumps(payload, separators=(",", ":")))
write("token", "json-header-payload", '{"alg":"HS256","typ":"JWT"}\n' + json.dumps(dict(payload, aud="sfu", nbf=IAT - 5.5), separators=(",", ":")))
write("token", "json-minimal", json.dumps({"typ": "sfu", "iss": "gochat", "aud": "sfu", "user_id": -1, "exp": IAT + 61}, separators=(",", ":")))
print("seeds written to", corpus)
EOF
