// Two people in one voice channel, using the demo page in Debian's headless
// Chromium the way a person would: open the link, click Join, turn the
// camera on. Then it measures, inside each page, what that person would
// notice: the other one's voice (decoded audio energy), their video (frames
// decoded), both names in the participant list, the speaking light.
//
// Run by tests/e2e/test_browser_demo.py inside the e2e network namespace:
//   node demo_call.mjs <config.json>
// config: {chromium, wav, outDir, timeoutMs, janusIp, refusedUrl, users: [{name, id, url}, ...]}
// Prints one JSON line per check, then a summary line {"done":true,...};
// exits 0 when every check passed.
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

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    '--no-sandbox', // root in CI
    '--disable-gpu',
    '--use-fake-ui-for-media-stream', // grant mic/camera without a prompt
    '--use-fake-device-for-media-stream', // a test-pattern camera
    `--use-file-for-fake-audio-capture=${config.wav}`, // a tone in bursts as the mic
    '--autoplay-policy=no-user-gesture-required', // remote audio plays at once
    // Real host addresses in candidates (the veth of the namespace), not
    // mDNS names Janus cannot resolve.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--mute-audio', // play out, but not to a sound card
  ],
});

// In-page measurement: what the remote media of `otherId` does right now.
async function measure(page, otherId) {
  return page.evaluate(async (other) => {
    const demo = window.demo;
    const out = { audioLevel: 0, audioEnergy: 0, framesDecoded: 0, participants: [], speaking: [] };
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
        } else if (s.kind === 'video') {
          out.framesDecoded += s.framesDecoded || 0;
        }
      });
    }
    out.latencyMs = demo.lastRttMs;
    out.status = document.getElementById('status').textContent;
    out.error = document.getElementById('error').textContent;
    return out;
  }, otherId);
}

// Probes until ok or the overall deadline (at least once).
async function waitFor(what, probe) {
  for (;;) {
    const last = await probe();
    if (last.ok || Date.now() >= deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// The fake microphone plays a sine tone (in bursts). To Chromium's noise
// suppressor (and AGC) a tone is stationary noise, faded out within seconds
// (measured with a steady tone: the far end's audioLevel fell from 0.27 to
// 0.05). A voice is not stationary; to keep the tone "a voice", the page's
// microphone gets no processing.
// The page itself is unchanged: this only wraps getUserMedia.
function microphoneWithoutProcessing() {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints = {}) => {
    if (constraints.audio) {
      const audio = typeof constraints.audio === 'object' ? constraints.audio : {};
      constraints = { ...constraints, audio: { ...audio, noiseSuppression: false,
        autoGainControl: false, echoCancellation: false } };
    }
    return original(constraints);
  };
}

let exitCode = 1;
try {
  // A refused join is shown as such (here: a token signed with another key).
  {
    const context = await browser.newContext({ viewport: { width: 1100, height: 400 } });
    const page = await context.newPage();
    await page.goto(config.refusedUrl);
    await page.getByRole('button', { name: 'Join' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: 15000 }).catch(() => {});
    const text = (await alert.textContent().catch(() => '')) || '';
    report('refused_join_shown', text.includes('Join refused: unauthorized'), { text });
    await page.screenshot({ path: path.join(config.outDir, 'demo-refused.png') });
    await context.close();
  }

  const pages = [];
  for (const user of config.users) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 640 } });
    await context.addInitScript(microphoneWithoutProcessing);
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        console.log(JSON.stringify({ console: user.name, type: msg.type(), text: msg.text() }));
      }
    });
    page.on('pageerror', (error) => console.log(JSON.stringify({ pageerror: user.name, text: String(error) })));
    await page.goto(user.url);
    pages.push({ user, page });
  }

  // Like a person: the form is prefilled from the link; click Join, wait
  // for the call, click Camera on.
  for (const { user, page } of pages) {
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('button', { name: 'Camera on' }).waitFor({ state: 'visible' });
    await page.waitForFunction(() => window.demo.joined, null, { timeout: 15000 });
    report('joined', true, { user: user.name });
  }
  for (const { page } of pages) {
    await page.waitForFunction(() => !document.getElementById('camera').disabled);
    await page.getByRole('button', { name: 'Camera on' }).click();
    await page.getByRole('button', { name: 'Camera off' }).waitFor();
  }

  // Each page: the other's audio and video decoded, both listed, the other
  // one speaking (the fake microphone plays a tone in bursts).
  for (const { user, page } of pages) {
    const other = config.users.find((u) => u !== user);
    const last = await waitFor('media', async () => {
      const m = await measure(page, other.id);
      m.ok = m.audioLevel > 0.01 && m.framesDecoded > 0 && m.participants.includes(other.id) &&
        m.participants.includes(user.id) && m.speaking.includes(other.id) && m.latencyMs != null;
      return m;
    });
    report('hears_other', last.audioLevel > 0.01, { user: user.name, audioLevel: last.audioLevel, audioEnergy: last.audioEnergy });
    report('sees_other', last.framesDecoded > 0, { user: user.name, framesDecoded: last.framesDecoded });
    report('lists_both', last.participants.includes(other.id) && last.participants.includes(user.id),
      { user: user.name, participants: last.participants });
    report('other_speaking', last.speaking.includes(other.id), { user: user.name, speaking: last.speaking });
    report('latency_shown', last.latencyMs != null, { user: user.name, latencyMs: last.latencyMs });
    if (last.error) report('no_error_shown', false, { user: user.name, error: last.error });
  }

  // The media path: the selected ICE pair ends at Janus's veth address
  // (Janus never gathers on loopback; ice_enforce_list keeps it on the veth).
  for (const { user, page } of pages) {
    const pair = await page.evaluate(async () => {
      const stats = await window.demo.pc.getStats();
      let selected = null;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) selected = stats.get(s.selectedCandidatePairId);
      });
      if (!selected) return null;
      const local = stats.get(selected.localCandidateId);
      const remote = stats.get(selected.remoteCandidateId);
      return { local: local && local.address, remote: remote && remote.address };
    });
    report('media_over_veth', !!pair && pair.remote === config.janusIp, { user: user.name, pair });
  }

  // Our own light comes from the page's own level meter.
  for (const { user, page } of pages) {
    const last = await waitFor('self speaking', async () => {
      const m = await measure(page, user.id);
      m.ok = m.speaking.includes(user.id);
      return m;
    });
    report('self_speaking', last.ok, { user: user.name, speaking: last.speaking });
  }

  // Pictures of what each person sees, kept with the test output (after a
  // second of video, so the tiles show moving pictures, not a first frame).
  for (const { user, page } of pages) {
    const other = config.users.find((u) => u !== user);
    await waitFor('more frames', async () => ({ ok: (await measure(page, other.id)).framesDecoded > 30 }));
  }
  for (const { user, page } of pages) {
    const file = path.join(config.outDir, `demo-${user.name}.png`);
    await page.screenshot({ path: file });
    report('screenshot', true, { user: user.name, file });
  }

  // Camera off: a negotiate, our video line answered inactive; the other
  // page's tile loses the video (its track leaves the stream).
  await pages[0].page.getByRole('button', { name: 'Camera off' }).click();
  const dark = await waitFor('camera off', async () => {
    const hidden = await pages[1].page.evaluate((id) => {
      const video = document.querySelector(`#user-${id} video`);
      return !!video && video.hidden && !video.srcObject;
    }, pages[0].user.id);
    return { ok: hidden };
  });
  report('camera_off_hides_video', dark.ok, { user: pages[1].user.name });

  // Leave like a person; the other page drops the tile.
  await pages[1].page.getByRole('button', { name: 'Leave' }).click();
  const gone = await waitFor('leave', async () => {
    const m = await measure(pages[0].page, pages[1].user.id);
    m.ok = !m.tile && !m.participants.includes(pages[1].user.id);
    return m;
  });
  report('leave_removes_tile', gone.ok, { participants: gone.participants });

  exitCode = results.every((r) => r.ok) ? 0 : 1;
} catch (error) {
  report('exception', false, { error: String(error && error.stack || error) });
} finally {
  await browser.close().catch(() => {});
}
const passed = results.filter((r) => r.ok).length;
console.log(JSON.stringify({ done: true, passed, failed: results.length - passed }));
process.exit(exitCode);
