// Resume by the log's epoch: the phone, the console and the projector keep the epoch their
// welcome gave and hand it back with their last sequence number when they reconnect; after an
// erasure rewrote the session's log (a new epoch), the server closes their sockets (1012) and
// they come back from a fresh snapshot, not a replay. Checked on the frames their real
// WebSockets sent and received.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE, SCREEN } from './lib/harness.js';
import { moderatedSession, invite, until, command } from './lib/flows.js';

let srv;
let browser;

before(async () => {
  ({ srv, browser } = await startAll());
});

after(async () => {
  await stopAll(srv, browser);
});

// watch records the JSON frames a page's WebSockets send and receive, in order.
function watch(page) {
  const frames = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.push({ sent: true, msg: JSON.parse(f.payload) }));
    ws.on('framereceived', (f) => frames.push({ sent: false, msg: JSON.parse(f.payload) }));
  });
  return frames;
}

const hellos = (frames) => frames.filter((f) => f.sent && f.msg.type === 'hello').map((f) => f.msg);
const welcomes = (frames) => frames.filter((f) => !f.sent && f.msg.type === 'welcome').map((f) => f.msg);

// reconnects makes a face lose its network and get it back, and waits for it to be live again.
async function reconnects(face) {
  const n = hellos(face.frames).length;
  await face.context.setOffline(true);
  await until(face.page, () => document.getElementById('live').dataset.connection === 'offline', null, `${face.name}: offline`);
  await face.context.setOffline(false);
  await until(face.page, () => document.getElementById('live').dataset.connection === 'online', null, `${face.name}: online again`, 20000);
  assert.ok(hellos(face.frames).length > n, `${face.name}: no new hello after the network came back`);
}

test('phone, console and projector resume with their epoch, and from a snapshot after an erasure', async () => {
  const { org, session, mod: first } = await moderatedSession(browser, srv);
  await first.context.close();
  const modLink = await invite(org.page, { name: 'Nadia Deux', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id });
  const leaLink = await invite(org.page, { name: 'Léa', organisation: "Maison de l'Emploi de Forest", session: session.id });

  const open = async (name, link, path, options) => {
    const { context, page } = await newPage(browser, options);
    const frames = watch(page);
    await page.goto(link);
    if (path) await page.goto(`${srv.url}${path}`);
    await page.waitForSelector('#live[data-ready="true"]');
    return { name, context, page, frames };
  };
  const consoleFace = await open('console', modLink, `/w/${session.id}/moderate`, SCREEN);
  const phone = await open('phone', leaLink, null, PHONE);
  // The projector opens in the organiser's browser, as a tab.
  const projPage = await org.context.newPage();
  projPage.errors = [];
  projPage.on('pageerror', (e) => projPage.errors.push(String(e)));
  const projector = { name: 'projector', context: org.context, page: projPage, frames: watch(projPage) };
  await projPage.setViewportSize(SCREEN.viewport);
  await projPage.goto(`${srv.url}/w/${session.id}/projector`);
  await projPage.waitForSelector('#live[data-ready="true"]');
  const faces = [consoleFace, phone, projector];

  // Something happens in the room, so that every face has a last seq.
  await command(consoleFace.page, 'phase.set', { phase: 'diagnostic' });
  for (const f of faces) await until(f.page, () => window.assises.live.lastSeq > 0, null, `${f.name}: an event`);

  for (const f of faces) {
    const [hello] = hellos(f.frames);
    assert.equal(hello.since, 0, `${f.name}: first hello`);
    assert.equal(hello.epoch, undefined, `${f.name}: first hello names no epoch`);
    const epoch = welcomes(f.frames)[0].epoch;
    assert.ok(Number.isSafeInteger(epoch) && epoch > 0, `${f.name}: welcome epoch ${epoch}`);
    const seq = await f.page.evaluate(() => window.assises.live.lastSeq);
    // The organiser's page shares the projector's context: it goes offline too, harmlessly.
    await reconnects(f);
    const again = hellos(f.frames).at(-1);
    assert.deepEqual([again.since, again.epoch], [seq, epoch], `${f.name}: resume hello`);
    const after = f.frames.slice(f.frames.findLastIndex((x) => x.sent && x.msg.type === 'hello'));
    assert.ok(!after.some((x) => !x.sent && x.msg.type === 'snapshot'), `${f.name}: a resume within the same epoch got a snapshot`);
  }

  const pre = new Map();
  for (const f of faces) {
    pre.set(f, { welcomes: welcomes(f.frames).length, epoch: welcomes(f.frames).at(-1).epoch, seq: await f.page.evaluate(() => window.assises.live.lastSeq) });
  }

  // The organiser erases someone of the process (Zoé, who never came): the session's log is
  // rewritten and gets a new epoch.
  const zoe = await org.page.evaluate(async (sessionId) => {
    const csrf = document.getElementById('organise').dataset.csrf;
    const { processes } = await (await fetch('/api/organise/processes')).json();
    for (const p of processes) {
      const proc = await (await fetch(`/api/organise/processes/${p.id}`)).json();
      if (!proc.workshops.some((w) => w.id === sessionId)) continue;
      const res = await fetch(`/api/organise/processes/${p.id}/people`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ displayName: 'Zoé Effacée', organisation: 'Indépendante', workshops: [sessionId] }),
      });
      const { person } = await res.json();
      const erased = await fetch(`/api/organise/people/${person.id}/erase`, { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
      return erased.status;
    }
    return 0;
  }, session.id);
  assert.equal(zoe, 204, 'erasing Zoé');

  for (const f of faces) {
    const { welcomes: before, epoch: oldEpoch, seq } = pre.get(f);
    await until(f.page, (n) => window.assises.live.welcome && document.getElementById('live').dataset.connection === 'online' && window.assises.live.wantSnapshot === false && window.assises.live.epoch !== n, oldEpoch, `${f.name}: back under a new epoch`, 20000);
    assert.ok(welcomes(f.frames).length > before, `${f.name}: no new welcome`);
    const i = f.frames.findLastIndex((x) => x.sent && x.msg.type === 'hello');
    const hello = f.frames[i].msg;
    assert.deepEqual([hello.since, hello.epoch], [seq, oldEpoch], `${f.name}: the hello after the reset resumes under the old epoch`);
    const answer = f.frames.slice(i + 1).filter((x) => !x.sent && x.msg.type !== 'presence' && x.msg.type !== 'pong').map((x) => x.msg);
    assert.equal(answer[0].type, 'welcome');
    assert.notEqual(answer[0].epoch, oldEpoch, `${f.name}: welcome epoch after the erasure`);
    assert.equal(answer[1].type, 'snapshot', `${f.name}: a snapshot follows (got ${answer[1].type})`);
    assert.deepEqual(f.page.errors, [], `${f.name}: page errors`);
  }
});
