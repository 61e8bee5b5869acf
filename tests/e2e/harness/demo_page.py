"""What browser tests know about the demo page (demo/, docs/demo.md): the
in-page JavaScript that measures what a person would notice, init scripts
that adjust the page without changing it, the fake microphone, and SDP
reading. Drive it with harness.browser.Browser:

    b.add_init_script(MICROPHONE_WITHOUT_PROCESSING)
    b.goto(url)                      # ?channel=..&token=.. prefills the form
    b.click_button("Join")
    b.wait_for_js(JOINED, timeout=15, what="joined")
    m = b.evaluate(MEASURE, other_user_id)   # audioLevel, framesDecoded, ...

The JS constants are function sources for Browser.evaluate /
add_init_function, or statements for add_init_script.
"""

import math
import re
import struct
import wave

from harness import janus as janus_mod


def page_url(channel, token):
    """The demo page's link for one person (the form is prefilled from it),
    served by the GoChat transport in the test namespace."""
    return f"http://127.0.0.1:{janus_mod.GOCHAT_WS_PORT}/?channel={channel}&token={token}"


def participant_item(user_id):
    """CSS selector of `user_id`'s row in the participant list: the row
    holds the buttons next to that person ("Mute for me", "Deafen")."""
    return f'#participants li[data-user="{user_id}"]'


def write_voice_wav(path, hz=440.0, talk_s=1.2, pause_s=1.0, rate=48000, amplitude=0.5):
    """The fake microphone (Chromium loops the file): a sine in bursts, like
    words with pauses. The pauses matter: the SFU sends t 514 only when
    someone starts or stops speaking (docs/protocol.md, Speaking), so a steady tone that
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
    return path


# Init script (statements). The fake microphone plays a sine tone (in
# bursts). To Chromium's noise suppressor (and AGC) a tone is stationary
# noise, faded out within seconds (measured with a steady tone: the far
# end's audioLevel fell from 0.27 to 0.05). A voice is not stationary; to
# keep the tone "a voice", the page's microphone gets no processing.
# The page itself is unchanged: this only wraps getUserMedia.
MICROPHONE_WITHOUT_PROCESSING = """
(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints = {}) => {
    if (constraints.audio) {
      const audio = typeof constraints.audio === 'object' ? constraints.audio : {};
      constraints = { ...constraints, audio: { ...audio, noiseSuppression: false,
        autoGainControl: false, echoCancellation: false } };
    }
    return original(constraints);
  };
})();
"""

# () => bool: the page is in the call (its join was acknowledged).
JOINED = "() => window.demo.joined"

# () => bool: the camera button can be pressed (it is disabled before the
# call and while the camera is being switched).
CAMERA_BUTTON_ENABLED = "() => !document.getElementById('camera').disabled"

# async (otherId) => {...}: what the remote media of `otherId` does right
# now in this page: the stats of the receivers whose tracks are in that
# user's tile (inbound audioLevel and totalAudioEnergy, framesDecoded,
# packetsReceived as audioPackets/videoPackets),
# the participant list and who is lit as speaking, whether the tile
# exists, the latency shown, status and error texts.
MEASURE = """
async (other) => {
  const demo = window.demo;
  const out = { audioLevel: 0, audioEnergy: 0, framesDecoded: 0, audioPackets: 0, videoPackets: 0,
    participants: [], speaking: [] };
  for (const li of document.querySelectorAll('#participants li')) {
    out.participants.push(li.dataset.user);
    if (li.classList.contains('speaking')) out.speaking.push(li.dataset.user);
  }
  const tile = document.getElementById(`user-${other}`);
  out.tile = !!tile;
  if (!demo.pc || !tile) return out;
  // The stats of the receivers whose tracks are in the other user's tile.
  const audio = tile.querySelector('audio').srcObject?.getAudioTracks()[0];
  const video = tile.querySelector('video').srcObject?.getVideoTracks()[0];
  for (const receiver of demo.pc.getReceivers()) {
    if (receiver.track !== audio && receiver.track !== video) continue;
    const stats = await receiver.getStats();
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'audio') {
        out.audioLevel = Math.max(out.audioLevel, s.audioLevel || 0);
        out.audioEnergy += s.totalAudioEnergy || 0;
        out.audioPackets += s.packetsReceived || 0;
      } else if (s.kind === 'video') {
        out.framesDecoded += s.framesDecoded || 0;
        out.videoPackets += s.packetsReceived || 0;
      }
    });
  }
  out.latencyMs = demo.lastRttMs;
  out.status = document.getElementById('status').textContent;
  out.error = document.getElementById('error').textContent;
  return out;
}
"""

# async () => {local, remote} | null: the addresses of the selected ICE pair.
SELECTED_PAIR = """
async () => {
  const stats = await window.demo.pc.getStats();
  let selected = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) selected = stats.get(s.selectedCandidatePairId);
  });
  if (!selected) return null;
  const local = stats.get(selected.localCandidateId);
  const remote = stats.get(selected.remoteCandidateId);
  return { local: local && local.address, remote: remote && remote.address };
}
"""

# (userId) => bool: that user's tile shows no video any more (hidden and
# detached).
VIDEO_HIDDEN = """
(id) => {
  const video = document.querySelector(`#user-${id} video`);
  return !!video && video.hidden && !video.srcObject;
}
"""

# ------------------------------------------------------------------ codecs

# The SFU's video formats (docs/protocol.md, Codecs): what "the codec under
# test" means in an SDP fmtp line and in a capability's sdpFmtpLine.
# `fmtp` is a regexp source valid in JS and Python (used case-insensitively).
CODECS = {
    "VP9": {"mime": "video/VP9", "fmtp": r"^(?=.*(^|;)\s*profile-id=0(;|$))"},
    "H264": {"mime": "video/H264", "fmtp": r"^(?=.*profile-level-id=42e01f)(?=.*packetization-mode=1)"},
}


def fmtp_matches(codec, fmtp):
    """Whether an fmtp line / sdpFmtpLine is the SFU's profile of `codec`
    (an entry of CODECS)."""
    return re.search(codec["fmtp"], fmtp or "", re.IGNORECASE) is not None


# Init function (add_init_function(CODEC_HOOKS, wanted)), in every page of
# the codec test before its scripts. `wanted` is {mime, fmtp: <regexp
# source>, only, pinSender} for the publisher, null for the subscriber.
# It wraps RTCPeerConnection methods; the page itself is unchanged:
#   - setRemoteDescription records every server offer (window.codecTest.offers);
#   - createAnswer (publisher only) first calls setCodecPreferences on the
#     transceiver of the offer's first video line (the page's own camera
#     line, mid 1): `only`: the codec under test and rtx, so the answer's
#     own video line carries nothing else; otherwise that codec first,
#     every other codec after (answer "98 99 96 97 102 103");
#   - setLocalDescription (publisher, pinSender) then sets the camera
#     sender's encodings[0].codec to the codec under test
#     (RTCRtpSender.setParameters). Needed: setCodecPreferences only orders
#     what the page RECEIVES; as the answerer, Chromium 156 sends the first
#     codec of the remote OFFER (VP8, the SFU offers it first), even when
#     its own answer lists VP9 or H.264 alone (measured: answer "98 99",
#     outbound-rtp VP8 PT 96, libvpx).
CODEC_HOOKS = """
function codecHooks(wanted) { // wanted: {mime, fmtp, only, pinSender} or null
  const state = { offers: [], preferred: [], errors: [] };
  window.codecTest = state;
  const proto = RTCPeerConnection.prototype;
  const setRemote = proto.setRemoteDescription;
  proto.setRemoteDescription = function (description, ...rest) {
    if (description && description.type === 'offer') state.offers.push(description.sdp);
    return setRemote.call(this, description, ...rest);
  };
  if (!wanted) return;
  const fmtp = new RegExp(wanted.fmtp, 'i');
  const matches = (c) => c.mimeType.toLowerCase() === wanted.mime.toLowerCase() && fmtp.test(c.sdpFmtpLine || '');
  const firstVideoMid = (sdp) => {
    const video = (sdp || '').split(/\\r?\\nm=/).slice(1).find((s) => s.startsWith('video '));
    const mid = video && /\\r?\\na=mid:(\\S+)/.exec(video);
    return mid ? mid[1] : null;
  };
  state.pinned = [];
  if (wanted.pinSender) {
    const setLocal = proto.setLocalDescription;
    proto.setLocalDescription = async function (...args) {
      const result = await setLocal.apply(this, args);
      try {
        const mid = firstVideoMid(this.remoteDescription && this.remoteDescription.sdp);
        const transceiver = mid && this.getTransceivers().find((t) => t.mid === mid);
        const sender = transceiver && transceiver.sender;
        if (sender && sender.track) {
          const params = sender.getParameters();
          const negotiated = (params.codecs || []).find(matches) ||
            RTCRtpSender.getCapabilities('video').codecs.find(matches);
          if (params.encodings.length && negotiated) {
            const { mimeType, clockRate, sdpFmtpLine } = negotiated;
            params.encodings[0].codec = { mimeType, clockRate, sdpFmtpLine };
            await sender.setParameters(params);
            state.pinned.push({ mid, mimeType, payloadType: negotiated.payloadType });
          }
        }
      } catch (error) {
        state.errors.push(`pin sender: ${error}`);
      }
      return result;
    };
  }
  const createAnswer = proto.createAnswer;
  proto.createAnswer = function (...args) {
    try {
      const mid = firstVideoMid(this.remoteDescription && this.remoteDescription.sdp);
      const transceiver = mid && this.getTransceivers().find((t) => t.mid === mid);
      if (transceiver) {
        const all = RTCRtpReceiver.getCapabilities('video').codecs;
        const first = all.filter(matches);
        const rtx = all.filter((c) => c.mimeType.toLowerCase() === 'video/rtx');
        const rest = all.filter((c) => !first.includes(c) && !rtx.includes(c));
        transceiver.setCodecPreferences(wanted.only ? [...first, ...rtx] : [...first, ...rtx, ...rest]);
        state.preferred.push({ mid, first: first.map((c) => `${c.mimeType} ${c.sdpFmtpLine}`) });
      }
    } catch (error) {
      state.errors.push(String(error));
    }
    return createAnswer.apply(this, args);
  };
}
"""

# () => {send, recv}: this Chromium's video codecs (mimeType, sdpFmtpLine).
VIDEO_CAPABILITIES = """
() => ({
  send: RTCRtpSender.getCapabilities('video').codecs.map((c) => ({ mimeType: c.mimeType, sdpFmtpLine: c.sdpFmtpLine || '' })),
  recv: RTCRtpReceiver.getCapabilities('video').codecs.map((c) => ({ mimeType: c.mimeType, sdpFmtpLine: c.sdpFmtpLine || '' })),
})
"""

# async (otherId) => {...}: the inbound video of `otherId`'s tile:
# framesDecoded, keyFramesDecoded, packetsReceived, the key frame requests
# this page sent for it (pliCount, firCount), decoder, and its codec
# (mimeType, fmtp, payloadType) from the stats' codecId.
INBOUND_VIDEO = """
async (other) => {
  const out = { framesDecoded: 0, mimeType: null, fmtp: null };
  const video = document.querySelector(`#user-${other} video`);
  const track = video && video.srcObject && video.srcObject.getVideoTracks()[0];
  if (!track || !window.demo.pc) return out;
  const receiver = window.demo.pc.getReceivers().find((r) => r.track === track);
  if (!receiver) return out;
  const stats = await receiver.getStats();
  stats.forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    out.framesDecoded = s.framesDecoded || 0;
    out.keyFramesDecoded = s.keyFramesDecoded || 0;
    out.packetsReceived = s.packetsReceived;
    out.pliCount = s.pliCount || 0;
    out.firCount = s.firCount || 0;
    out.ssrc = s.ssrc;
    out.mid = s.mid;
    out.decoder = s.decoderImplementation;
    const c = s.codecId && stats.get(s.codecId);
    if (c) { out.mimeType = c.mimeType; out.fmtp = c.sdpFmtpLine || ''; out.payloadType = c.payloadType; }
  });
  return out;
}
"""

# async () => [{mid, mimeType, payloadType, framesEncoded, keyFramesEncoded,
# pliCount, firCount, encoder}]: what this page really sends (video
# outbound-rtp and its codec, the key frame requests it received).
OUTBOUND_VIDEO = """
async () => {
  const stats = await window.demo.pc.getStats();
  const out = [];
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      const c = s.codecId && stats.get(s.codecId);
      out.push({ mid: s.mid, mimeType: c && c.mimeType, payloadType: c && c.payloadType,
        framesEncoded: s.framesEncoded, keyFramesEncoded: s.keyFramesEncoded, pliCount: s.pliCount || 0,
        firCount: s.firCount || 0, ssrc: s.ssrc, encoder: s.encoderImplementation });
    }
  });
  return out;
}
"""

# async (otherId, base, need, timeoutMs) => {...}: watches the inbound
# video of `otherId`'s tile (INBOUND_VIDEO) every 50 ms, inside the page,
# until framesDecoded reaches base.framesDecoded + need or timeoutMs
# passed. `base` is what INBOUND_VIDEO said before (while the video was
# stopped). Returns the page's clock (Date.now(), ms) when the watch
# started, when the first new packet, the first new decoded frame, the
# first new key frame were seen and when `need` frames were reached (null
# if not), and the last INBOUND_VIDEO.
VIDEO_RESUMES = """
async (other, base, need, timeoutMs) => {
  const inbound = (%s);
  const out = { start: Date.now(), firstPacketAt: null, firstFrameAt: null, firstKeyFrameAt: null,
    reachedAt: null, polls: 0 };
  for (;;) {
    const now = Date.now();
    const s = await inbound(other);
    out.polls += 1;
    out.last = s;
    if (out.firstPacketAt === null && (s.packetsReceived || 0) > (base.packetsReceived || 0)) out.firstPacketAt = now;
    if (out.firstFrameAt === null && s.framesDecoded > base.framesDecoded) out.firstFrameAt = now;
    if (out.firstKeyFrameAt === null && s.keyFramesDecoded > (base.keyFramesDecoded || 0)) out.firstKeyFrameAt = now;
    if (s.framesDecoded >= base.framesDecoded + need) { out.reachedAt = now; return out; }
    if (now - out.start >= timeoutMs) return out;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
""" % INBOUND_VIDEO.strip()

# () => string: the page's current local description (its last answer).
LOCAL_SDP = "() => window.demo.pc.localDescription.sdp"

_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)\b", re.M)
_EXCERPT = re.compile(r"^(video|a=(mid|msid|rtpmap|fmtp|sendonly|recvonly|sendrecv|inactive))")


def parse_sdp(sdp):
    """The m-line sections of an SDP, each a dict: kind, mid, msid (stream
    id), direction, pts (payload types in m= order), formats {pt: {codec,
    fmtp, apt?}} and excerpt (the m= line and its mid/msid/rtpmap/fmtp/
    direction lines, for reports)."""
    sections = []
    for text in re.split(r"\r?\nm=", sdp or "")[1:]:
        lines = re.split(r"\r?\n", text)
        kind, _, _, *pts = lines[0].split(" ")
        formats = {pt: {"codec": None, "fmtp": ""} for pt in pts}
        for line in lines:
            m = re.match(r"a=rtpmap:(\d+) ([^/]+)", line)
            if m and m[1] in formats:
                formats[m[1]]["codec"] = m[2]
            m = re.match(r"a=fmtp:(\d+) (.*)$", line)
            if m and m[1] in formats:
                formats[m[1]]["fmtp"] = m[2]
                apt = re.search(r"apt=(\d+)", m[2])
                if apt:
                    formats[m[1]]["apt"] = apt[1]

        def attribute(pattern):
            m = re.search(pattern, text, re.M)
            return m[1] if m else None
        direction = _DIRECTION.search(text)
        excerpt = [line for line in lines if _EXCERPT.match(line)]
        sections.append({
            "kind": kind, "mid": attribute(r"^a=mid:(\S+)"), "msid": attribute(r"^a=msid:(\S+)"),
            "direction": direction[1] if direction else None, "pts": pts, "formats": formats,
            "excerpt": ["m=" + lines[0], *excerpt[1:]]})
    return sections
