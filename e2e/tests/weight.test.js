// Light on a cheap phone: what each face weighs on a first visit, and how long a participant
// on a slow phone waits from opening the personal link to their first vote acknowledged.
//
// Bytes are counted by the browser itself (DevTools protocol: encodedDataLength of every
// response, headers included, WebSocket frames excluded) on an empty cache, and asserted
// strictly: they do not depend on how busy the machine is. The participant's first visit
// (HTML, scripts, styles, catalog, images) stays under 60 KB; the projector and the console
// under 150 KB; the phone fetches one catalog only, its own language's.
//
// The time is measured with DevTools throttling (400 kbit/s each way, 400 ms round trip, CPU
// slowed 4×) and printed, not asserted: this machine is shared, and the CPU part of that time
// grows with the load of the other processes (a calibration run without throttling did not
// follow the load closely enough: the difference failed once at a load average of 25). What
// the link's share depends on is asserted instead — the bytes of the first visit and the one
// catalog — and the journey must end with the vote acknowledged. The raw times, with the
// unthrottled calibration beside them, go to docs/performance.md.
//
// Coming back, the phone fetches the page alone: every script (imports included), style sheet
// and catalog has a hashed address it keeps for a year.
//
// A phone losing its connection while the page loads (a script and the catalog cut off) gets
// there by itself; with Accept-Encoding stripped (an old proxy) every answer comes
// uncompressed and the vote still goes through.
//
// ASSISES_E2E_BIN=<binary> runs the same journeys against another build and only prints the
// figures (the previous build, for docs/performance.md).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE, SCREEN } from './lib/harness.js';
import { moderatedSession, invite, join, until, card, command as send } from './lib/flows.js';

const BUDGET = { participant: 60_000, moderator: 150_000, projector: 150_000 };
const SLOW = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const CPU_SLOWDOWN = 4;
const MEASURE_ONLY = !!process.env.ASSISES_E2E_BIN;
const REC = 'Créer un guichet unique logement-CPAS dans chaque commune';

let srv;
let browser;
let org;
let session;
let mod;
const figures = [];

before(async () => {
  ({ srv, browser } = await startAll());
  ({ org, session, mod } = await moderatedSession(browser, srv));
  await send(mod.page, 'phase.set', { phase: 'recommendations' });
  const lea = await join(browser, await invite(org.page, { name: 'Léa', organisation: 'Maison de quartier', session: session.id }), PHONE);
  await send(lea.page, 'contribution.post', { kind: 'recommendation', body: REC });
  await card(mod.page, REC).waitFor();
  await lea.context.close();
});

after(async () => {
  if (figures.length) console.log(`\nweight and first vote (${MEASURE_ONLY ? process.env.ASSISES_E2E_BIN : 'this build'}):\n${figures.join('\n')}\n`);
  await stopAll(srv, browser);
});

const header = (h, name) => Object.entries(h || {}).find(([k]) => k.toLowerCase() === name)?.[1] || '';

// meter counts, through the DevTools protocol, every byte the page receives over HTTP.
async function meter(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const m = { cdp, requests: new Map(), inflight: new Set() };
  cdp.on('Network.requestWillBeSent', (e) => {
    m.inflight.add(e.requestId);
    const r = m.requests.get(e.requestId) || { url: e.request.url, bytes: 0 };
    if (e.redirectResponse) r.bytes += e.redirectResponse.encodedDataLength || 0;
    r.url = e.request.url;
    m.requests.set(e.requestId, r);
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = m.requests.get(e.requestId);
    if (r) r.encoding = header(e.response.headers, 'content-encoding') || 'identity';
  });
  cdp.on('Network.loadingFinished', (e) => {
    m.inflight.delete(e.requestId);
    const r = m.requests.get(e.requestId);
    if (r) r.bytes += e.encodedDataLength;
  });
  cdp.on('Network.loadingFailed', (e) => m.inflight.delete(e.requestId));
  m.total = () => [...m.requests.values()].reduce((n, r) => n + r.bytes, 0);
  m.list = () => [...m.requests.values()].map((r) => `    ${String(r.bytes).padStart(6)}  ${r.encoding || '-'}  ${new URL(r.url).pathname}`).join('\n');
  // quiet waits until no HTTP request is in flight (the page has everything it asked for).
  m.quiet = async () => {
    for (let still = 0; still < 3; ) {
      await new Promise((r) => setTimeout(r, 200));
      still = m.inflight.size === 0 ? still + 1 : 0;
    }
  };
  return m;
}

// acknowledged waits until the page shows the vote as the server's: the button pressed and
// no longer marked as waiting (a vote in flight is drawn at once, marked pending, until its
// ack), and no command waiting. Read from the page, as a person sees it.
function acknowledged(page, timeout) {
  return until(
    page,
    (rec) => {
      const c = [...document.querySelectorAll('#contributions .contrib')].find((el) => el.querySelector('.c-body')?.textContent.includes(rec));
      const b = c && c.querySelector('.c-vote button[data-value="1"]'); // "D'accord"
      return !!b && b.getAttribute('aria-pressed') === 'true' && !c.querySelector('.c-vote.pending') && document.getElementById('live').dataset.pending === '0';
    },
    REC,
    'the vote acknowledged',
    timeout,
  );
}

// firstVote opens a personal link on a phone with an empty cache and votes "agree" on the
// recommendation: it returns the milliseconds from the link to the acknowledgement, the
// bytes of the visit and the HTML the server sent.
async function firstVote(link, { throttle = false, options = {} } = {}) {
  const { context, page } = await newPage(browser, { ...PHONE, ...options });
  const m = await meter(context, page);
  if (throttle) {
    await m.cdp.send('Network.emulateNetworkConditions', SLOW);
    await m.cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  }
  const html = page.waitForResponse((r) => new URL(r.url()).pathname === `/w/${session.id}`, { timeout: 120000 });
  const t0 = Date.now();
  await page.goto(link, { waitUntil: 'commit', timeout: 120000 });
  await page.locator('#room-title').waitFor({ timeout: 120000 });
  const shown = Date.now() - t0;
  const vote = card(page, REC).getByRole('button', { name: "D'accord", exact: true });
  await vote.waitFor({ timeout: 120000 });
  await vote.click({ timeout: 120000 });
  await acknowledged(page, 120000);
  const ms = Date.now() - t0;
  const body = await (await html).text();
  await m.quiet();
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime || 0);
  const out = { ms, shown, fcp: Math.round(fcp), bytes: m.total(), list: m.list(), requests: [...m.requests.values()], body, page, context };
  // The phone comes back (the browser threw the tab away, the afternoon session): the page
  // again, and nothing else the server has to send.
  m.requests.clear();
  const t1 = Date.now();
  await page.reload({ waitUntil: 'commit', timeout: 120000 });
  await page.waitForSelector('#live[data-ready="true"]', { timeout: 120000 });
  out.again = { ms: Date.now() - t1 };
  await m.quiet();
  Object.assign(out.again, { bytes: m.total(), list: m.list(), requests: [...m.requests.values()] });
  return out;
}

// faceBytes signs a moderator in with their link, then opens a face of the session with the
// cache off and counts what it takes.
async function faceBytes(link, path, options) {
  const { context, page } = await newPage(browser, options);
  await page.goto(link);
  await page.waitForSelector('#live[data-ready="true"]');
  const m = await meter(context, page);
  await m.cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await page.goto(srv.url + path);
  await page.waitForSelector('#live[data-ready="true"]');
  await m.quiet();
  await context.close();
  return { bytes: m.total(), list: m.list() };
}

test('a participant on a slow phone: under 60 KB, one catalog, the first vote acknowledged', async () => {
  const calibration = await firstVote(await invite(org.page, { name: 'Amina', organisation: 'CPAS', session: session.id }));
  await calibration.context.close();
  const slow = await firstVote(await invite(org.page, { name: 'Bruno', organisation: 'Locataires', session: session.id }), { throttle: true });
  await slow.context.close();
  figures.push(
    `  participant: ${slow.bytes} bytes on a first visit (budget ${BUDGET.participant})\n${slow.list}`,
    `  first vote, throttled (400 kbit/s, 400 ms RTT, CPU ×${CPU_SLOWDOWN}): ${slow.ms} ms from the link to the ack; ` +
      `session and phase shown at ${slow.shown} ms (first contentful paint ${slow.fcp} ms)`,
    `  first vote, unthrottled (calibration): ${calibration.ms} ms; throttled − ${CPU_SLOWDOWN} × calibration = ${slow.ms - CPU_SLOWDOWN * calibration.ms} ms`,
    `  participant coming back (throttled): ${slow.again.bytes} bytes, live after ${slow.again.ms} ms\n${slow.again.list}`,
  );
  if (MEASURE_ONLY) return;

  // The server-rendered page already names the session and its phase.
  assert.match(slow.body, new RegExp(`<h1 id="room-title">${session.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(slow.body, /data-part="phase">Recommandations</);
  // One catalog, the person's language's.
  const catalogs = slow.requests.filter((r) => new URL(r.url).pathname.startsWith('/i18n/')).map((r) => new URL(r.url).pathname);
  assert.deepEqual(catalogs, ['/i18n/live.fr.json'], `catalogs fetched: ${catalogs}`);
  // Everything that can be is compressed.
  for (const r of slow.requests) {
    if (r.bytes > 1500) assert.notEqual(r.encoding, 'identity', `${r.url} came uncompressed (${r.bytes} bytes)`);
  }
  // Coming back, every script, style sheet and the catalog come from the phone's cache.
  for (const r of slow.again.requests) {
    if (/^\/(static|i18n)\//.test(new URL(r.url).pathname)) assert.equal(r.bytes, 0, `coming back, ${r.url} was fetched again (${r.bytes} bytes)`);
  }
  assert.ok(slow.bytes < BUDGET.participant, `participant first visit: ${slow.bytes} bytes, budget ${BUDGET.participant}\n${slow.list}`);
});

test('the console and the projector: under 150 KB each on a first visit', async () => {
  for (const [face, path] of [
    ['moderator', `/w/${session.id}/moderate`],
    ['projector', `/w/${session.id}/projector`],
  ]) {
    const link = await invite(org.page, { name: `Modérateur ${face}`, organisation: 'Assises', role: 'moderator', session: session.id });
    const { bytes, list } = await faceBytes(link, path, SCREEN);
    figures.push(`  ${face}: ${bytes} bytes on a first visit (budget ${BUDGET[face]})\n${list}`);
    if (!MEASURE_ONLY) assert.ok(bytes < BUDGET[face], `${face} first visit: ${bytes} bytes, budget ${BUDGET[face]}\n${list}`);
  }
});

test('a connection lost while the page loads: the phone gets there by itself', { skip: MEASURE_ONLY && 'the previous build has no recovery' }, async () => {
  const link = await invite(org.page, { name: 'Chantal', organisation: 'Maison médicale', session: session.id });
  const { context, page } = await newPage(browser, PHONE);
  // The first request for a script and the first for the catalog are cut, as a phone losing
  // its signal for a moment would see them.
  const cut = { script: 0, texts: 0 };
  await page.route(/\/static\/js\/cards\.js/, (route) => (cut.script++ === 0 ? route.abort('internetdisconnected') : route.continue()));
  await page.route(/\/i18n\//, (route) => (cut.texts++ === 0 ? route.abort('internetdisconnected') : route.continue()));
  await page.goto(link);
  const vote = card(page, REC).getByRole('button', { name: "D'accord", exact: true });
  await vote.waitFor({ timeout: 60000 });
  await vote.click();
  await acknowledged(page, 60000);
  assert.ok(cut.script >= 2 && cut.texts >= 2, `the cut requests were asked again: ${JSON.stringify(cut)}`);
  // The texts arrived: the phase is worded, not a key.
  assert.match(await page.locator('[data-part="phase"]').textContent(), /Recommandations/);
  await context.close();
});

test('an old proxy strips Accept-Encoding: every answer uncompressed, the vote still goes through', async () => {
  const link = await invite(org.page, { name: 'Didier', organisation: 'Syndicat', session: session.id });
  const plain = await firstVote(link, { options: { extraHTTPHeaders: { 'Accept-Encoding': 'identity' } } });
  await plain.context.close();
  figures.push(`  participant without compression (Accept-Encoding: identity): ${plain.bytes} bytes`);
  for (const r of plain.requests) assert.equal(r.encoding, 'identity', `${r.url} came as ${r.encoding}`);
});
