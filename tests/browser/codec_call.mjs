// One camera published in a codec other than VP8, through the demo page in
// Debian's headless Chromium: the publisher's page prefers the codec under
// test on its own video line, the other page must receive and decode it.
//
// The demo page is unchanged. An init script (codecHooks below) wraps two
// RTCPeerConnection methods on both pages:
//   - setRemoteDescription records every server offer (window.codecTest.offers);
//   - createAnswer first calls RTCRtpTransceiver.setCodecPreferences on the
//     transceiver of the offer's first video line (the page's own camera
//     line, mid 1). Only the publisher's page does; the subscriber's page
//     answers with Chromium's defaults.
//     config.preference "only" (default): the codec under test and rtx only,
//     so the answer's own video line carries nothing else.
//     config.preference "first": the codec under test first, every other
//     codec after (answer "98 99 96 97 102 103").
//   - setLocalDescription, when config.pinSender (default true), then sets
//     the camera sender's encodings[0].codec to the codec under test
//     (RTCRtpSender.setParameters). Needed: setCodecPreferences only orders
//     what the page RECEIVES; as the answerer, Chromium 156 sends the first
//     codec of the remote OFFER (VP8, the SFU offers it first), even when
//     its own answer lists VP9 or H.264 alone (measured: answer "98 99",
//     outbound-rtp VP8 PT 96, libvpx).
//   Without pinSender the checks expect the SFU to offer the subscriber the
//   codec the publisher really sends (the xfail test in test_browser_demo.py).
//
// Run by tests/e2e/test_browser_demo.py inside the e2e network namespace:
//   node codec_call.mjs <config.json>
// config: {chromium, outDir, timeoutMs, janusIp, codec: "VP9"|"H264",
//          preference: "only"|"first", pinSender: bool, publisher: {name, id, url},
//          subscriber: {name, id, url}}
// Prints one JSON line per check, or {"skip": reason} when this Chromium
// cannot send or receive the codec, then {"done":true,...}; exits 0 when
// every check passed (or on skip).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + config.timeoutMs;
const results = [];

function report(check, ok, detail = {}) {
  const line = { check, ok, ...detail };
  results.push(line);
  console.log(JSON.stringify(line));
}

// The SFU's video formats (docs/protocol.md, Codecs): what "the codec under
// test" means in an SDP fmtp line and in a capability's sdpFmtpLine.
// `fmtpPattern` is a regexp source, so it can also go into the page.
const CODECS = {
  VP9: { mime: 'video/VP9', fmtpPattern: '^(?=.*(^|;)\\s*profile-id=0(;|$))' },
  H264: {
    mime: 'video/H264',
    fmtpPattern: '^(?=.*profile-level-id=42e01f)(?=.*packetization-mode=1)',
  },
};
const codec = CODECS[config.codec];
if (!codec) throw new Error(`unknown codec ${config.codec}`);
const preference = config.preference || 'only';
if (!['only', 'first'].includes(preference)) throw new Error(`unknown preference ${preference}`);
const pinSender = config.pinSender !== false;
const tag = `${config.codec}-${preference}${pinSender ? '' : '-unpinned'}`;
codec.fmtp = (f) => new RegExp(codec.fmtpPattern, 'i').test(f || '');

// Runs in every page before its scripts (page.addInitScript). `wanted` is
// {mime, fmtp: <regexp source>} for the publisher, null for the subscriber.
function codecHooks(wanted) { // wanted: {mime, fmtp, only}
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
    const video = (sdp || '').split(/\r?\nm=/).slice(1).find((s) => s.startsWith('video '));
    const mid = video && /\r?\na=mid:(\S+)/.exec(video);
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

// The m-line sections of an SDP, each with its mid, msid stream, direction,
// payload types in m= order and {pt: {codec, fmtp, apt}}.
function parseSdp(sdp) {
  return sdp.split(/\r?\nm=/).slice(1).map((text) => {
    const lines = text.split(/\r?\n/);
    const [kind, , , ...pts] = lines[0].split(' ');
    const formats = {};
    for (const pt of pts) formats[pt] = { codec: null, fmtp: '' };
    for (const line of lines) {
      let m = /^a=rtpmap:(\d+) ([^/]+)/.exec(line);
      if (m && formats[m[1]]) formats[m[1]].codec = m[2];
      m = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (m && formats[m[1]]) {
        formats[m[1]].fmtp = m[2];
        const apt = /apt=(\d+)/.exec(m[2]);
        if (apt) formats[m[1]].apt = apt[1];
      }
    }
    const mid = (/^a=mid:(\S+)/m.exec(text) || [])[1] || null;
    const msid = (/^a=msid:(\S+)/m.exec(text) || [])[1] || null;
    const direction = (/^a=(sendrecv|sendonly|recvonly|inactive)\b/m.exec(text) || [])[1] || null;
    const excerpt = lines.filter((l) => /^(video|a=(mid|msid|rtpmap|fmtp|sendonly|recvonly|sendrecv|inactive))/.test(l));
    return { kind, mid, msid, direction, pts, formats, excerpt: ['m=' + lines[0], ...excerpt.slice(1)] };
  });
}

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    '--no-sandbox', // root in CI
    '--disable-gpu',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', // a test-pattern camera, a beeping mic
    '--autoplay-policy=no-user-gesture-required',
    '--disable-features=WebRtcHideLocalIpsWithMdns', // real host candidates
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--mute-audio',
  ],
});

let exitCode = 1;
try {
  const pages = {};
  for (const role of ['subscriber', 'publisher']) {
    const user = config[role];
    const context = await browser.newContext({ viewport: { width: 900, height: 500 } });
    const wanted = role === 'publisher' ? { mime: codec.mime, fmtp: codec.fmtpPattern,
      only: preference === 'only', pinSender } : null;
    await context.addInitScript(codecHooks, wanted);
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        console.log(JSON.stringify({ console: user.name, type: msg.type(), text: msg.text() }));
      }
    });
    page.on('pageerror', (error) => console.log(JSON.stringify({ pageerror: user.name, text: String(error) })));
    await page.goto(user.url);
    pages[role] = { user, page };
  }

  // Can this Chromium send (publisher) and receive (subscriber) the codec at
  // the SFU's profile at all? If not, the case is skipped, not failed.
  const caps = await pages.publisher.page.evaluate(() => ({
    send: RTCRtpSender.getCapabilities('video').codecs.map((c) => ({ mimeType: c.mimeType, sdpFmtpLine: c.sdpFmtpLine || '' })),
    recv: RTCRtpReceiver.getCapabilities('video').codecs.map((c) => ({ mimeType: c.mimeType, sdpFmtpLine: c.sdpFmtpLine || '' })),
  }));
  const has = (list) => list.some((c) => c.mimeType === codec.mime && codec.fmtp(c.sdpFmtpLine));
  if (!has(caps.send) || !has(caps.recv)) {
    const reason = `this Chromium cannot ${has(caps.send) ? 'receive' : 'send'} ${config.codec} at the SFU's profile ` +
      `(RTCRtp${has(caps.send) ? 'Receiver' : 'Sender'}.getCapabilities('video'))`;
    console.log(JSON.stringify({ skip: reason, caps }));
    exitCode = 0;
  } else {
    report('codec_capability', true, { codec: config.codec });

    // Both join; only the publisher turns its camera on.
    for (const role of ['subscriber', 'publisher']) {
      const { user, page } = pages[role];
      await page.getByRole('button', { name: 'Join' }).click();
      await page.waitForFunction(() => window.demo.joined, null, { timeout: 15000 });
      report('joined', true, { user: user.name });
    }
    const pub = pages.publisher;
    await pub.page.waitForFunction(() => !document.getElementById('camera').disabled);
    await pub.page.getByRole('button', { name: 'Camera on' }).click();
    await pub.page.getByRole('button', { name: 'Camera off' }).waitFor();

    // The subscriber decodes the publisher's camera (waits for 10 frames).
    const pubId = pub.user.id;
    let last;
    for (;;) {
      last = await pages.subscriber.page.evaluate(async (other) => {
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
          out.packetsReceived = s.packetsReceived;
          out.decoder = s.decoderImplementation;
          const c = s.codecId && stats.get(s.codecId);
          if (c) { out.mimeType = c.mimeType; out.fmtp = c.sdpFmtpLine || ''; out.payloadType = c.payloadType; }
        });
        return out;
      }, pubId);
      if ((last.framesDecoded > 10 && last.mimeType) || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // What the publisher really sends (outbound-rtp and its codec).
    const sent = await pub.page.evaluate(async () => {
      const stats = await window.demo.pc.getStats();
      const out = [];
      stats.forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          const c = s.codecId && stats.get(s.codecId);
          out.push({ mid: s.mid, mimeType: c && c.mimeType, payloadType: c && c.payloadType,
            framesEncoded: s.framesEncoded, encoder: s.encoderImplementation });
        }
      });
      return out;
    });
    const sentCodec = (sent.find((s) => s.framesEncoded > 0) || {}).mimeType || null;
    // Pinned: the codec under test, really sent. Otherwise: whatever is sent.
    const want = pinSender ? codec.mime : sentCodec;
    report('publisher_sends_codec', !!sentCodec && sentCodec === want,
      { want, sent, preference });

    // The publisher's answer picked the codec: first payload type on its own
    // video line (mid 1), sending ("only": no other codec on that line).
    const pubState = await pub.page.evaluate(() => ({
      local: window.demo.pc.localDescription.sdp, preferred: window.codecTest.preferred,
      errors: window.codecTest.errors, pinned: window.codecTest.pinned,
    }));
    const own = parseSdp(pubState.local).find((s) => s.mid === '1');
    const firstPt = own && own.pts[0];
    const firstFormat = own && own.formats[firstPt];
    const ownCodecs = own ? own.pts.filter((pt) => own.formats[pt].codec !== 'rtx') : [];
    report('publisher_answer_picks_codec', !!own && own.kind === 'video' && own.direction === 'sendonly' &&
      !!firstFormat && `video/${firstFormat.codec}`.toLowerCase() === codec.mime.toLowerCase() &&
      codec.fmtp(firstFormat.fmtp) && pubState.errors.length === 0 &&
      (preference !== 'only' || ownCodecs.length === 1),
    { firstPt, firstFormat, direction: own && own.direction, preferred: pubState.preferred.slice(-1),
      pinned: pubState.pinned.slice(-1), errors: pubState.errors, excerpt: own && own.excerpt });

    report('subscriber_decodes', last.framesDecoded > 0, { user: pages.subscriber.user.name, ...last });
    report('subscriber_codec', !!want && last.mimeType === want, { want, got: last.mimeType, fmtp: last.fmtp });

    // The subscriber's last server offer: the publisher's video line carries
    // that codec only (its rtx aside); VP9/H.264 at the SFU's profile.
    const offers = await pages.subscriber.page.evaluate(() => window.codecTest.offers);
    const lastOffer = offers[offers.length - 1] || '';
    const line = parseSdp(lastOffer).find((s) => s.kind === 'video' && s.msid === `user-${pubId}`);
    const media = line ? line.pts.filter((pt) => line.formats[pt].codec !== 'rtx') : [];
    const rtxOk = line ? line.pts.filter((pt) => line.formats[pt].codec === 'rtx')
      .every((pt) => media.includes(line.formats[pt].apt)) : false;
    const offered = media.length === 1 ? `video/${line.formats[media[0]].codec}` : null;
    const onlyCodec = !!line && !!want && media.length === 1 && offered.toLowerCase() === want.toLowerCase() &&
      (want !== codec.mime || codec.fmtp(line.formats[media[0]].fmtp)) && rtxOk && line.direction === 'sendonly';
    report('subscriber_offer_has_codec_only', onlyCodec,
      { want, offers: offers.length, mid: line && line.mid, direction: line && line.direction, excerpt: line && line.excerpt });

    // ... and the subscriber's answer accepted that line.
    const subLocal = await pages.subscriber.page.evaluate(() => window.demo.pc.localDescription.sdp);
    const accepted = line && parseSdp(subLocal).find((s) => s.mid === line.mid);
    report('subscriber_answer_accepts_line', !!accepted && accepted.direction === 'recvonly' &&
      accepted.pts.includes(media[0]), { direction: accepted && accepted.direction, excerpt: accepted && accepted.excerpt });

    for (const role of ['publisher', 'subscriber']) {
      const { user, page } = pages[role];
      await page.screenshot({ path: path.join(config.outDir, `codec-${tag}-${user.name}.png`) });
    }
    exitCode = results.every((r) => r.ok) ? 0 : 1;
  }
} catch (error) {
  report('exception', false, { error: String(error && error.stack || error) });
} finally {
  await browser.close().catch(() => {});
}
const passed = results.filter((r) => r.ok).length;
console.log(JSON.stringify({ done: true, passed, failed: results.length - passed }));
process.exit(exitCode);
