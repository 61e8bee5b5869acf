// GoChat SFU demo client. Speaks the GoChat envelope {op,t,d} over the
// WebSocket at /signal of the server that served this page, the way
// GoChat's web client does (docs/protocol.md):
//   join (t 500) -> server offer (501) -> our answer (502), trickle (503)
//   both ways, re-offers answered as they come, camera toggled with
//   {"event":"negotiate"}, speaking (514), moderation (507/508), ping (op 2).
// No framework and no build step: plain DOM code.
'use strict';

const $ = (id) => document.getElementById(id);
const PING_INTERVAL_MS = 3000;

// All ids are int64 and exceed 2^53: they stay decimal strings here, and go
// into JSON by string splicing (see send) instead of JSON.stringify(number).
const ID_PATTERN = /^-?[0-9]{1,19}$/;

// Everything about the current call; reset by cleanup(). Exposed as
// window.demo so a test (or a curious person in DevTools) can look inside.
const demo = {
  ws: null,
  pc: null,
  selfId: null,        // from the token's user_id claim, for display only
  mic: null,           // MediaStreamTrack
  camera: null,        // MediaStreamTrack while the camera is on
  localStream: null,   // holds mic (and camera) for msid purposes
  muted: false,
  joined: false,
  participants: new Map(), // userId -> {speaking, serverMuted, deafened, tracks:Set}
  locallyMuted: new Set(), // userIds this page asked not to receive (t 506)
  canDeafen: false,        // the token's perms carry Deafen Members or Administrator
  pendingCandidates: [],   // server candidates that came before its offer
  offerChain: Promise.resolve(),
  pings: new Map(),        // nonce -> sent time
  nextNonce: 1,
  pingTimer: null,
  lastRttMs: null,
};
window.demo = demo;

// ---------------------------------------------------------------- helpers

function showError(text) {
  const box = $('error');
  box.textContent = text;
  box.hidden = !text;
}

function setStatus(text, connected = false) {
  $('status').textContent = text;
  $('status').classList.toggle('connected', connected);
}

// JSON.parse would round int64 numbers. Before parsing, quote the values of
// the id fields the SFU sends as numbers ("user", "channel", ...). Inside a
// JSON string every quote is escaped, so the pattern cannot match an SDP.
function parseEnvelope(text) {
  const quoted = text.replace(/"(user|channel|user_id|channel_id)"\s*:\s*(-?\d+)/g, '"$1":"$2"');
  return JSON.parse(quoted);
}

// Sends an op 7 event. `d` is either an object without ids (stringified
// normally) or a ready JSON text (for payloads with int64 ids).
function send(t, d) {
  if (!demo.ws || demo.ws.readyState !== WebSocket.OPEN) return;
  const body = typeof d === 'string' ? d : JSON.stringify(d);
  demo.ws.send(`{"op":7,"t":${t},"d":${body}}`);
}

// The token's user_id claim as an exact decimal string (display only; the
// SFU checks the token). Read from the raw JSON text for the same reason.
function claimsText(token) {
  const part = token.replace(/^bearer\s+/i, '').split('.')[1];
  return atob(part.replace(/-/g, '+').replace(/_/g, '/'));
}

// Whether the token grants Deafen Members (bit 24) or Administrator (bit
// 26), the default bits (docs/tokens.md); display only: the SFU decides.
function canDeafenFromToken(token) {
  try {
    const match = claimsText(token).match(/"perms"\s*:\s*(\d+)/);
    if (!match) return false;
    const perms = BigInt(match[1]);
    return ((perms >> 24n) & 1n) === 1n || ((perms >> 26n) & 1n) === 1n;
  } catch {
    return false;
  }
}

function userIdFromToken(token) {
  try {
    const match = claimsText(token).match(/"user_id"\s*:\s*"?(-?\d+)/);
    return match ? match[1] : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------ participants

function participant(userId) {
  let p = demo.participants.get(userId);
  if (!p) {
    p = { speaking: false, serverMuted: false, deafened: false, tracks: new Set() };
    demo.participants.set(userId, p);
  }
  return p;
}

// Someone stays listed while their media is here, or while moderation state
// about them is worth showing. The protocol has no roster: this page knows
// others only by their tracks and the events about them.
function forgetIfGone(userId) {
  const p = demo.participants.get(userId);
  if (p && userId !== demo.selfId && p.tracks.size === 0 && !p.serverMuted && !p.deafened) {
    demo.participants.delete(userId);
    const tile = $(`user-${userId}`);
    if (tile) tile.remove();
  }
}

function renderParticipants() {
  const list = $('participants');
  list.replaceChildren();
  for (const [userId, p] of demo.participants) {
    const item = document.createElement('li');
    item.dataset.user = userId;
    item.classList.toggle('speaking', p.speaking);
    const dot = document.createElement('span');
    dot.className = 'dot';
    const name = document.createElement('span');
    name.textContent = userId === demo.selfId ? `${userId} (you)` : userId;
    item.append(dot, name);
    const badges = [];
    if (userId === demo.selfId && demo.muted) badges.push(['muted', '']);
    if (p.serverMuted) badges.push(['server muted', 'server']);
    if (p.deafened) badges.push(['deafened', 'server']);
    for (const [text, kind] of badges) {
      const badge = document.createElement('span');
      badge.className = `badge ${kind}`;
      badge.textContent = text;
      item.append(badge);
    }
    if (userId !== demo.selfId && demo.joined) item.append(...participantActions(userId, p));
    list.append(item);
    const tile = $(`user-${userId}`);
    if (tile) tile.classList.toggle('speaking', p.speaking);
  }
}

// Buttons next to another participant: stop receiving them here only
// (t 506: their audio and video stop for this page, nobody else is told),
// and, for a moderator, deafen them for the whole room (t 508).
function participantActions(userId, p) {
  const buttons = [];
  const local = document.createElement('button');
  local.type = 'button';
  local.className = 'small';
  const muted = demo.locallyMuted.has(userId);
  local.textContent = muted ? 'Unmute for me' : 'Mute for me';
  local.setAttribute('aria-pressed', String(muted));
  local.addEventListener('click', () => {
    const on = !demo.locallyMuted.has(userId);
    if (on) demo.locallyMuted.add(userId);
    else demo.locallyMuted.delete(userId);
    send(506, `{"user":${userId},"muted":${on}}`);
    renderParticipants();
  });
  buttons.push(local);
  if (demo.canDeafen) {
    const deafen = document.createElement('button');
    deafen.type = 'button';
    deafen.className = 'small';
    deafen.textContent = p.deafened ? 'Undeafen' : 'Deafen';
    deafen.addEventListener('click', () => send(508, `{"user":${userId},"deafened":${!p.deafened}}`));
    buttons.push(deafen);
  }
  return buttons;
}

// One tile per user, id "user-<id>" like the SFU's MSID stream id: a video
// element, and an <audio autoplay> element (Chromium decodes no remote audio
// that is not attached to a media element).
function tileFor(userId) {
  let tile = $(`user-${userId}`);
  if (!tile) {
    tile = document.createElement('div');
    tile.className = 'tile';
    tile.id = `user-${userId}`;
    tile.classList.toggle('speaking', !!demo.participants.get(userId)?.speaking);
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound goes through the audio element
    video.hidden = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = userId === demo.selfId ? `${userId} (you)` : userId;
    tile.append(video, audio, name);
    if (userId === demo.selfId) $('tiles').prepend(tile);
    else $('tiles').append(tile);
  }
  return tile;
}

function attachTrack(userId, track) {
  const tile = tileFor(userId);
  const element = tile.querySelector(track.kind === 'video' ? 'video' : 'audio');
  element.srcObject = new MediaStream([track]);
  if (track.kind === 'video') element.hidden = false;
}

function detachTrack(userId, track) {
  const tile = $(`user-${userId}`);
  if (!tile) return;
  const element = tile.querySelector(track.kind === 'video' ? 'video' : 'audio');
  const current = element.srcObject && element.srcObject.getTracks()[0];
  if (current === track) {
    element.srcObject = null;
    if (track.kind === 'video') element.hidden = true;
  }
}

// ---------------------------------------------------------------- WebRTC

function createPeerConnection() {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  // The microphone goes in before the first offer: Chromium then puts it on
  // the offer's first audio line, as the SFU expects (docs/protocol.md, Negotiation).
  pc.addTrack(demo.mic, demo.localStream);

  pc.onicecandidate = (event) => {
    // End-of-candidates is never sent (GoChat's client does not either).
    if (!event.candidate || !event.candidate.candidate) return;
    send(503, {
      candidate: event.candidate.candidate,
      sdpMid: event.candidate.sdpMid,
      sdpMLineIndex: event.candidate.sdpMLineIndex,
    });
  };

  // Every remote track carries the stream id "user-<id>".
  pc.ontrack = (event) => {
    const stream = event.streams[0];
    const match = stream && /^user-(-?\d+)$/.exec(stream.id);
    if (!match) return;
    const userId = match[1];
    const track = event.track;
    participant(userId).tracks.add(track);
    attachTrack(userId, track);
    // A line the SFU stops sending (user left, stopped the camera, was
    // server-muted) goes inactive in the next offer: the track leaves its
    // stream.
    stream.addEventListener('removetrack', (removed) => {
      const p = demo.participants.get(userId);
      if (p) p.tracks.delete(removed.track);
      detachTrack(userId, removed.track);
      forgetIfGone(userId);
      renderParticipants();
    });
    renderParticipants();
  };

  pc.onconnectionstatechange = () => {
    const state = pc.connectionState;
    setStatus(state === 'connected' ? 'connected' : `media ${state}`, state === 'connected');
  };
  return pc;
}

// The first m-line of `kind` in an SDP, by its a=mid.
function firstMid(sdp, kind) {
  const sections = sdp.split(/\r?\nm=/).slice(1);
  for (const section of sections) {
    if (!section.startsWith(kind + ' ')) continue;
    const mid = /\r?\na=mid:(\S+)/.exec(section);
    return mid ? mid[1] : null;
  }
  return null;
}

// Our own media lives on the offer's FIRST audio and FIRST video line. The
// camera is attached (or detached) there while answering; turning it on or
// off only asks the SFU for a fresh offer ({"event":"negotiate"}).
async function attachOwnMedia(pc, sdp) {
  const audioMid = firstMid(sdp, 'audio');
  const videoMid = firstMid(sdp, 'video');
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver.mid === null || transceiver.stopped) continue;
    if (transceiver.mid === audioMid) {
      if (transceiver.sender.track !== demo.mic) await transceiver.sender.replaceTrack(demo.mic);
      transceiver.direction = 'sendonly';
    } else if (transceiver.mid === videoMid) {
      if (transceiver.sender.track !== demo.camera) await transceiver.sender.replaceTrack(demo.camera);
      // Answering the line inactive is how the SFU learns the camera is off.
      transceiver.direction = demo.camera ? 'sendonly' : 'inactive';
      if (demo.camera) transceiver.sender.setStreams(demo.localStream);
    }
  }
}

async function handleOffer(sdp) {
  const pc = demo.pc;
  if (!pc) return;
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await attachOwnMedia(pc, sdp);
  for (const candidate of demo.pendingCandidates.splice(0)) {
    await pc.addIceCandidate(candidate).catch(() => {});
  }
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  send(502, { sdp: pc.localDescription.sdp });
}

function handleServerCandidate(d) {
  if (!d || !d.candidate) return; // end-of-candidates: nothing to do
  const candidate = { candidate: d.candidate, sdpMid: d.sdpMid, sdpMLineIndex: d.sdpMLineIndex };
  if (demo.pc && demo.pc.remoteDescription) {
    demo.pc.addIceCandidate(candidate).catch((error) => console.warn('candidate', error));
  } else {
    demo.pendingCandidates.push(candidate);
  }
}

// ------------------------------------------------------------- signaling

function onMessage(text) {
  let message;
  try {
    message = parseEnvelope(text);
  } catch {
    return;
  }
  if (message.op === 2) return onHeartbeat(message.d || {});
  if (message.op !== 7) return;
  const d = message.d || {};
  switch (message.t) {
    case 500:
      if (d.ok) return onJoined();
      showError(`Join refused: ${d.error || 'unknown error'}`);
      return;
    case 501:
      // Offers are applied one after the other, never interleaved.
      demo.offerChain = demo.offerChain
        .then(() => handleOffer(d.sdp))
        .catch((error) => showError(`Could not apply the server offer: ${error.message || error}`));
      return;
    case 503:
      return handleServerCandidate(d);
    case 507:
      participant(d.user).serverMuted = d.muted === true;
      forgetIfGone(d.user);
      return renderParticipants();
    case 508:
      participant(d.user).deafened = d.deafened === true;
      forgetIfGone(d.user);
      return renderParticipants();
    case 514: {
      if (typeof d.user_id !== 'string') return; // a decimal string (docs/protocol.md, Speaking indicator)
      participant(d.user_id).speaking = d.speaking === true;
      return renderParticipants();
    }
    case 510:
    case 511:
      if (d.error) showError(`Removed from the channel: ${d.error}`);
      return;
    case 512:
      showError(`Moved to channel ${d.channel}: rejoin with a token for it`);
      return;
    default:
      if (d.ok === false && d.error) showError(`Request ${message.t} failed: ${d.error}`);
  }
}

// The SFU tells only the others that we speak (t 514); our own light comes
// from the microphone's level, measured here with WebAudio.
const SELF_SPEAKING_LEVEL = 0.02; // RMS of the samples, 0..1

function watchOwnVoice() {
  const audioContext = new AudioContext();
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 1024;
  audioContext.createMediaStreamSource(new MediaStream([demo.mic])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  demo.voiceWatch = { audioContext, timer: setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    const self = demo.participants.get(demo.selfId);
    const speaking = !demo.muted && rms > SELF_SPEAKING_LEVEL;
    if (self && self.speaking !== speaking) {
      self.speaking = speaking;
      renderParticipants();
    }
  }, 200) };
}

function onJoined() {
  demo.joined = true;
  showError('');
  setStatus('joined, connecting media');
  demo.pc = createPeerConnection();
  participant(demo.selfId);
  renderParticipants();
  watchOwnVoice();
  $('mute').disabled = false;
  $('camera').disabled = false;
  send(505, { muted: demo.muted });
}

// Latency: op 2 pings carry our clock; the pong echoes it.
function sendPing() {
  const nonce = demo.nextNonce++;
  const now = Date.now();
  demo.pings.set(nonce, now);
  if (demo.ws && demo.ws.readyState === WebSocket.OPEN) {
    demo.ws.send(JSON.stringify({ op: 2, d: { nonce, ts: now } }));
  }
}

function onHeartbeat(d) {
  if (d.ping) {
    // The SFU checking on us: answer like GoChat's client.
    demo.ws.send(JSON.stringify({ op: 2, d: { pong: true, nonce: d.nonce } }));
    return;
  }
  if (!d.pong || !demo.pings.has(d.nonce)) return;
  demo.lastRttMs = Date.now() - demo.pings.get(d.nonce);
  demo.pings.delete(d.nonce);
  $('latency').textContent = `latency ${demo.lastRttMs} ms`;
}

// ------------------------------------------------------------- UI actions

async function join(event) {
  event.preventDefault();
  showError('');
  const channel = $('channel').value.trim();
  const token = $('token').value.trim();
  if (!ID_PATTERN.test(channel) || /^-?0+$/.test(channel)) {
    showError('The channel must be a non-zero integer id.');
    return;
  }
  if (!token) {
    showError('Paste a token first.');
    return;
  }
  $('join').disabled = true;
  demo.selfId = userIdFromToken(token) || 'me';
  demo.canDeafen = canDeafenFromToken(token);
  try {
    // The microphone is on from the start of the call.
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    demo.mic = stream.getAudioTracks()[0];
    demo.mic.enabled = !demo.muted;
    demo.localStream = new MediaStream([demo.mic]);
  } catch (error) {
    showError(`No microphone: ${error.message || error}`);
    $('join').disabled = false;
    return;
  }

  const url = new URL('/signal', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  demo.ws = ws;
  setStatus('joining');
  ws.onopen = () => {
    // channel is a validated decimal string: spliced in, never a double.
    send(500, `{"channel":${channel},"token":${JSON.stringify(token)}}`);
    sendPing();
    demo.pingTimer = setInterval(sendPing, PING_INTERVAL_MS);
  };
  ws.onmessage = (message) => onMessage(message.data);
  ws.onerror = () => setStatus('connection error');
  ws.onclose = (closed) => {
    if (ws !== demo.ws) return;
    const reason = closed.reason ? ` (${closed.reason})` : '';
    if (closed.code !== 1000 && !$('error').textContent) {
      showError(`Disconnected: ${closed.code}${reason}`);
    }
    cleanup(`disconnected: ${closed.code}${reason}`);
  };
  $('leave').disabled = false;
}

function leave() {
  send(504, {});
  // The SFU closes the socket after the leave; we do not wait for it.
  const ws = demo.ws;
  cleanup('left');
  if (ws) setTimeout(() => ws.close(1000), 1000);
}

function toggleMute() {
  demo.muted = !demo.muted;
  if (demo.mic) demo.mic.enabled = !demo.muted;
  send(505, { muted: demo.muted });
  $('mute').setAttribute('aria-pressed', String(demo.muted));
  $('mute').textContent = demo.muted ? 'Unmute' : 'Mute';
  renderParticipants();
}

async function toggleCamera() {
  const button = $('camera');
  button.disabled = true;
  try {
    if (demo.camera) {
      demo.localStream.removeTrack(demo.camera);
      demo.camera.stop();
      demo.camera = null;
      detachTrack(demo.selfId, demo.selfPreview);
    } else {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      demo.camera = stream.getVideoTracks()[0];
      demo.localStream.addTrack(demo.camera);
      demo.selfPreview = demo.camera;
      attachTrack(demo.selfId, demo.camera);
    }
    // No offer of our own: the SFU sends a fresh one and the camera is
    // attached to (or removed from) its first video line while answering.
    demo.ws.send('{"event":"negotiate","data":""}');
    button.setAttribute('aria-pressed', String(!!demo.camera));
    button.textContent = demo.camera ? 'Camera off' : 'Camera on';
  } catch (error) {
    showError(`No camera: ${error.message || error}`);
  } finally {
    button.disabled = false;
  }
}

function cleanup(status) {
  clearInterval(demo.pingTimer);
  if (demo.voiceWatch) {
    clearInterval(demo.voiceWatch.timer);
    demo.voiceWatch.audioContext.close();
    demo.voiceWatch = null;
  }
  if (demo.pc) demo.pc.close();
  for (const track of [demo.mic, demo.camera]) if (track) track.stop();
  Object.assign(demo, {
    ws: null, pc: null, mic: null, camera: null, localStream: null, joined: false,
    pendingCandidates: [], offerChain: Promise.resolve(), pingTimer: null,
  });
  demo.pings.clear();
  demo.participants.clear();
  demo.locallyMuted.clear();
  $('tiles').replaceChildren();
  renderParticipants();
  $('join').disabled = false;
  for (const id of ['leave', 'mute', 'camera']) $(id).disabled = true;
  $('camera').textContent = 'Camera on';
  $('camera').setAttribute('aria-pressed', 'false');
  $('latency').textContent = '';
  setStatus(status);
}

// ---------------------------------------------------------------- start

// ?channel=<int64>&token=... prefill the form (channel kept as text).
const params = new URLSearchParams(location.search);
$('channel').value = params.get('channel') || '';
$('token').value = params.get('token') || '';
$('join-form').addEventListener('submit', join);
$('leave').addEventListener('click', leave);
$('mute').addEventListener('click', toggleMute);
$('camera').addEventListener('click', toggleCamera);
