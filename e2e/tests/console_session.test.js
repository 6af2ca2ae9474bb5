// A three-phase session steered from the console at 1366×768 the way a moderator who never
// saw it would: by the words on the screen, with the mouse, and never scrolling. Every control
// is used only where it stands — inside the window, not covered by anything, the page itself
// at rest — so a control that needed a scroll to reach (Playwright would scroll silently)
// fails the test. Three phones post and vote; each step is checked on a phone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, PHONE, SCREEN, screenshotPath } from './lib/harness.js';
import { openOrganiser, firstSession, invite, join, until, card } from './lib/flows.js';

const LAPTOP = { viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 };

let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

// atHand checks that a control can be used as the window stands, then uses it.
async function atHand(page, locator, what) {
  await locator.waitFor();
  const where = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    return {
      inWindow: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
      uncovered: !!top && (top === el || el.contains(top) || (el.labels && [...el.labels].some((l) => l.contains(top)))),
      pageAtRest: document.scrollingElement.scrollTop === 0 && document.scrollingElement.scrollHeight <= innerHeight + 1,
    };
  });
  assert.deepEqual(where, { inWindow: true, uncovered: true, pageAtRest: true }, `${what}: not at hand`);
  return locator;
}

async function click(page, locator, what) {
  await (await atHand(page, locator, what)).click({ noWaitAfter: true });
}

// post sends what a phone's form sends: the same command on the phone's own socket.
async function post(p, kind, body, extra = {}) {
  await p.evaluate(([k, b, x]) => window.assises.ctx.send('contribution.post', { kind: k, body: b, ...x }), [kind, body, extra]);
}

test('a three-phase session from the console at 1366×768, without scrolling', async () => {
  const org = await openOrganiser(browser, srv, SCREEN);
  const session = await firstSession(org.page);
  const modLink = await invite(org.page, { name: 'Nadia', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id });
  const links = [];
  for (const [name, organisation] of [
    ['Ana', 'Mission Locale de Saint-Gilles'],
    ['Jean', 'Après ASBL'],
    ['Fatima', "CPAS d'Anderlecht"],
  ])
    links.push(await invite(org.page, { name, organisation, session: session.id }));
  await org.context.close();
  const mod = await join(browser, modLink, LAPTOP);
  const m = mod.page;
  await m.goto(`${srv.url}/w/${session.id}/moderate`);
  await m.waitForSelector('#live[data-ready="true"]');
  const people = (await Promise.all(links.map((l) => join(browser, l, PHONE)))).map((x) => x.page);
  const [ana, jean, fatima] = people;
  const phaseOn = async (phase) => {
    for (const p of people) await until(p, (x) => document.documentElement.dataset.phase === x, phase, `${phase} on a phone`);
  };

  // --- the lobby: the question of the diagnostic, then the diagnostic with a timer ------------
  await click(m, m.getByRole('button', { name: /Changer/ }), 'the question’s "Changer"');
  const questions = m.locator('#panel-questions');
  await (await atHand(m, questions.locator('#q-diagnostic'), 'the diagnostic question')).fill('Qu’est-ce qui vous empêche de vous loger ?');
  await click(m, questions.locator('#q-diagnostic').locator('xpath=..').getByRole('button', { name: 'Afficher cette question' }), '"Afficher cette question"');
  await (await atHand(m, questions.locator('#q-recommendations'), 'the recommendations question')).fill('Que demandez-vous aux élu·es ?');
  await click(m, questions.locator('#q-recommendations').locator('xpath=..').getByRole('button', { name: 'Afficher cette question' }), '"Afficher cette question"');
  await until(m, () => window.assises.room.workshop.question.recommendations === 'Que demandez-vous aux élu·es ?', null, 'the questions saved');
  await click(m, questions.getByRole('button', { name: 'Fermer' }), '"Fermer"');
  await click(m, m.locator('#stepper').getByRole('button', { name: /Diagnostic/ }), 'the "Diagnostic" step');
  await phaseOn('diagnostic');
  await ana.getByText('Qu’est-ce qui vous empêche de vous loger ?').waitFor();
  await click(m, m.getByRole('button', { name: '⏱️ 10 min' }), 'the 10-minute timer');
  await until(ana, () => window.assises.room.workshop.timer.running, null, 'the timer on a phone');

  // --- the diagnostic: posts arrive, the moderator merges, hides and pins --------------------
  const F1 = 'Les loyers sont trop chers pour un revenu d’intégration';
  const F2 = 'Loyers trop chers quand on est au CPAS';
  const OFF = 'Quelqu’un a vu mes clés ?';
  const F3 = 'Les propriétaires demandent des fiches de paie';
  await post(ana, 'finding', F1);
  await post(jean, 'finding', F2);
  await post(fatima, 'finding', OFF);
  await post(jean, 'finding', F3);
  await post(fatima, 'solution', 'Une garantie locative publique');
  for (const t of [F1, F2, OFF, F3]) await card(m, t).waitFor();
  await until(ana, (n) => window.assises.room.contributions.size === n, 5, 'five posts on a phone');
  for (const p of people) await p.evaluate((t) => window.assises.ctx.send('vote.set', { contribution: [...window.assises.room.contributions.values()].find((c) => c.body === t).id, value: 1 }), F1);
  await shot(m, 'console-diagnostic-1366.png');
  await click(m, card(m, F1).getByLabel('Choisir'), 'F1’s "Choisir"');
  await click(m, card(m, F2).getByLabel('Choisir'), 'F2’s "Choisir"');
  await click(m, m.getByRole('button', { name: /Regrouper \(2\)/ }), '"Regrouper (2)"');
  await click(m, m.locator('#merge-dialog').getByText(F1), 'the text to keep');
  await click(m, m.locator('#merge-dialog').getByRole('button', { name: 'Regrouper', exact: true }), 'the merge dialog’s "Regrouper"');
  await card(ana, F2).waitFor({ state: 'detached' });
  m.once('dialog', (d) => d.accept('hors sujet'));
  await click(m, card(m, OFF).getByRole('button', { name: /Masquer/ }), 'the off-topic post’s "Masquer"');
  await card(ana, OFF).waitFor({ state: 'detached' });
  await click(m, card(m, F3).getByRole('button', { name: /À l'écran/ }), 'F3’s "À l’écran"');
  await until(ana, (t) => [...window.assises.room.contributions.values()].some((c) => c.body === t && c.pinned), F3, 'the pin on a phone');
  await click(m, m.getByRole('button', { name: /Pause/ }), 'the timer’s "Pause"');
  await until(ana, () => !window.assises.room.workshop.timer.running, null, 'the timer paused on a phone');
  await click(m, m.getByRole('button', { name: /Reprendre/ }), 'the timer’s "Reprendre"');
  await until(ana, () => window.assises.room.workshop.timer.running, null, 'the timer running again');

  // --- the recommendations: agree / neutral / disagree by default, a show of hands ------------
  await click(m, m.locator('#stepper').getByRole('button', { name: /Recommandations/ }), 'the "Recommandations" step');
  await phaseOn('recommendations');
  await ana.getByText('Que demandez-vous aux élu·es ?').waitFor();
  const R1 = 'Un plafond des loyers pour les logements loués au CPAS';
  const R2 = 'Des agents d’accueil formés au droit au logement';
  await post(ana, 'recommendation', R1);
  await post(jean, 'recommendation', R2);
  await card(m, R2).waitFor();
  await until(fatima, (n) => window.assises.room.contributions.size === n, 7, 'the recommendations on a phone');
  // Each phone votes with the buttons the phase shows: agree on R1 from all, disagree on R2.
  for (const p of people) await card(p, R1).getByRole('button', { name: "D'accord", exact: true }).click();
  await card(fatima, R2).getByRole('button', { name: "Pas d'accord" }).click();
  await until(m, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.textContent.includes(t) && c.querySelector('.c-tally').textContent === '👍 3 · 😐 0 · 👎 0'), R1, 'R1 agreed by three on the console');
  await click(m, m.getByRole('button', { name: /Par résultat/ }), '"Par résultat"');
  await until(m, (t) => document.querySelector('#contributions .contrib .c-body').textContent === t, R1, 'R1 first by result');
  await click(m, card(m, R1).getByRole('button', { name: /Mains levées/ }), 'R1’s "Mains levées"');
  await (await atHand(m, card(m, R1).locator('input[name="yes"]'), 'the count of hands for')).fill('21');
  await (await atHand(m, card(m, R1).locator('input[name="no"]'), 'the count of hands against')).fill('2');
  await click(m, card(m, R1).locator('.c-roomcount-form').getByRole('button', { name: 'Enregistrer' }), 'the count’s "Enregistrer"');
  await card(jean, R1).getByText('21 oui').waitFor();
  await shot(m, 'console-recommendations-1366.png');

  // --- the implementation: a step written for a table without a phone --------------------------
  await click(m, m.locator('#stepper').getByRole('button', { name: /Mise en œuvre/ }), 'the "Mise en œuvre" step');
  await phaseOn('implementation');
  await click(m, m.locator('.cockpit-rail').getByRole('button', { name: /Écrire/ }), 'the "Écrire" panel');
  const write = m.locator('#panel-write');
  await (await atHand(m, write.getByLabel('Pour quelle recommandation ?'), 'the recommendation of the step')).selectOption({ label: R1 });
  await (await atHand(m, write.getByLabel('Écrivez ici'), 'the text of the step')).fill('Un arrêté régional avant l’été');
  await (await atHand(m, write.getByLabel(/Au nom de/), '"Au nom de"')).fill('Table 3');
  await click(m, write.getByRole('button', { name: /Envoyer/ }), '"Envoyer"');
  await card(ana, 'Un arrêté régional avant l’été').waitFor();
  await click(m, write.getByRole('button', { name: 'Fermer' }), '"Fermer"');
  await card(m, 'Un arrêté régional avant l’été').waitFor();

  // --- the end -----------------------------------------------------------------------------
  await click(m, m.locator('#stepper').getByRole('button', { name: /Terminé/ }), 'the "Terminé" step');
  await phaseOn('closed');
  for (const p of [m, ...people]) assert.deepEqual(p.errors, [], `no script error on ${p.url()}`);
});

async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: screenshotPath(name) });
}
