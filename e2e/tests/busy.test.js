// A phone refused "busy" resends by itself: when the server's queue of commands stays full
// (it first makes commands wait, then refuses the rest "busy"), the phone sends the same
// command again, with the same id, a moment later, and the person sees their vote kept and no
// error. The server and the browser are real; between them, the test's WebSocket route
// forwards every frame, except that it answers the first vote itself with the refusal a
// saturated server gives — saturating a real server on purpose would make the test depend on
// the machine's speed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE } from './lib/harness.js';
import { moderatorAndLea, invite, until, card, command, askQuestion, movePhase } from './lib/flows.js';

let srv;
let browser;

before(async () => {
  ({ srv, browser } = await startAll());
});

after(async () => {
  await stopAll(srv, browser);
});

const FINDING = "Les permanences sociales ferment trop tôt pour les personnes qui travaillent";

test('a vote refused busy is sent again with the same id and kept, without an error shown', async () => {
  const { org, session, mod, lea } = await moderatorAndLea(browser, srv, { name: 'Nadia', organisation: 'Syndicat des Locataires' });
  await askQuestion(mod.page, 'diagnostic', "Qu'est-ce qui vous empêche d'obtenir vos droits sociaux aujourd'hui ?");
  await movePhase(mod.page, 'diagnostic');
  // Léa posts the finding (its form is tested in scenario.test.js); Samir votes on it.
  await command(lea.page, 'contribution.post', { kind: 'finding', body: FINDING });

  const samirLink = await invite(org.page, { name: 'Samir', organisation: 'Maison de quartier', session: session.id });
  const { page } = await newPage(browser, PHONE);
  const sent = []; // the phone's vote.set frames, in order
  const received = [];
  let refused = null;
  await page.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((raw) => {
      const msg = JSON.parse(raw);
      if (msg.type === 'command' && msg.name === 'vote.set') {
        sent.push(msg);
        if (!refused) {
          refused = msg.id;
          ws.send(JSON.stringify({ type: 'reject', id: msg.id, code: 'busy', message: 'busy', serverTime: Date.now() }));
          return;
        }
      }
      server.send(raw);
    });
    server.onMessage((raw) => {
      received.push(JSON.parse(raw));
      ws.send(raw);
    });
  });
  await page.goto(samirLink);
  await page.waitForSelector('#live[data-ready="true"]');
  await card(page, FINDING).getByRole('button', { name: /Je soutiens/ }).click();

  await until(page, () => document.getElementById('live').dataset.pending === '0', null, 'the vote acknowledged', 20000);
  assert.equal(sent.length, 2, `vote.set frames: got ${sent.length}, want the refused one and its resend`);
  assert.equal(sent[1].id, refused, 'the resend carries the refused id');
  assert.deepEqual(sent[1].args, sent[0].args);
  assert.ok(received.some((m) => m.type === 'ack' && m.id === refused), 'the server acknowledged the resent id');
  await until(page, (text) => {
    const c = [...document.querySelectorAll('#contributions .contrib')].find((el) => el.querySelector('.c-body').textContent.includes(text));
    return c && c.querySelector('[aria-pressed="true"]');
  }, FINDING, 'the support shown as given');
  // Nothing asked of the person: no refusal toast or announcement.
  const shown = await page.evaluate(() => document.body.innerText);
  assert.ok(!/occupé/i.test(shown), 'no "busy" message is shown to the person');
  await mod.context.close();
  await lea.context.close();
  await org.context.close();
});
