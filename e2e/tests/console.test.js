// The moderator's console as a cockpit, in real Chromium: at 1366×768 (a common laptop),
// 1920×1080 and a 1024×768 tablet the phase steps, the timer, who is here and at least four
// whole contributions are in the window without the page scrolling (measured with bounding
// boxes, not by eye); a keyboard-only run changes the phase, starts and pauses the timer, pins
// and hides a contribution, and a participant's phone sees each effect; the shortcuts keep
// quiet while the moderator types; axe-core finds no serious or critical violation with
// content in place, with a settings panel open and with the help open. Last, a whole
// three-phase session steered the way a moderator who never saw the console would: by the
// words on the screen, with the mouse, using each control only where it stands — in the
// window, not covered, the page at rest — so a control that needs a scroll fails the test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE, SCREEN, axe, screenshotPath } from './lib/harness.js';
import { moderatorAndLea, askQuestion, invite, join, until, card, openPanel, closePanel, openConsole } from './lib/flows.js';

const LAPTOP = { viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 };
const TABLET = { viewport: { width: 1024, height: 768 }, deviceScaleFactor: 1, hasTouch: true };

// What a room says in its first minutes: short and long findings, solution paths.
const POSTS = [
  ['finding', 'Les formulaires du CPAS sont trop compliqués : on ne sait pas quelle case remplir et personne ne répond au téléphone.'],
  ['finding', 'On m\'a coupé mes allocations sans prévenir ; j\'avais peur de demander pourquoi.'],
  ['solution', 'Un guichet où quelqu\'un aide à remplir les papiers, sans rendez-vous.'],
  ['finding', 'Les loyers ont augmenté plus vite que les revenus.'],
  ['finding', 'Les logements sociaux : huit ans d\'attente en moyenne.'],
  ['solution', 'Des permanences dans les maisons de quartier, le soir, pour ceux qui travaillent.'],
  ['finding', 'Les courriers de l\'administration sont écrits pour des juristes, pas pour nous.'],
  ['finding', 'Sans ordinateur à la maison, chaque démarche en ligne est un mur.'],
  ['solution', 'Des courriers en langage clair, testés avec des usagers avant l\'envoi.'],
  ['finding', 'Les travailleurs sociaux ont trop de dossiers pour suivre chacun.'],
  ['finding', 'Les propriétaires refusent les locataires qui touchent le revenu d\'intégration.'],
  ['solution', 'Une garantie locative publique, pour ne plus avancer trois mois de loyer.'],
];

let srv, browser, org, mod, lea, session;

// wholeCards counts the contributions whose box lies entirely in the window and in the list's
// pane (which clips what it scrolls), and checks the page itself does not scroll.
async function aboveTheFold(page) {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const inside = (r, box = { top: 0, left: 0, bottom: vh, right: vw }) => r.width > 0 && r.height > 0 && r.top >= box.top - 0.5 && r.left >= box.left - 0.5 && r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5;
    const pane = document.querySelector('.cockpit-scroll').getBoundingClientRect();
    const rect = (sel) => document.querySelector(sel).getBoundingClientRect();
    const steps = [...document.querySelectorAll('#stepper .step')].map((b) => inside(b.getBoundingClientRect()));
    return {
      pageScrolls: document.scrollingElement.scrollHeight > vh + 1 || document.scrollingElement.scrollWidth > vw + 1,
      steps: steps.length,
      stepsVisible: steps.filter(Boolean).length,
      timer: inside(rect('#timer')),
      timerStart: inside(rect('#timer-form button')),
      presence: inside(rect('#presence')),
      railCut: [...document.querySelectorAll('.cockpit-rail .rail-btn')].filter((b) => !inside(b.getBoundingClientRect())).map((b) => b.textContent.trim()),
      cards: [...document.querySelectorAll('#contributions .contrib')].filter((c) => inside(c.getBoundingClientRect()) && inside(c.getBoundingClientRect(), pane)).length,
    };
  });
}

async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: screenshotPath(name) });
}

before(async () => {
  ({ srv, browser } = await startAll());
  ({ org, session, mod, lea } = await moderatorAndLea(browser, srv, { name: 'Nadia', organisation: 'Syndicat des Locataires' }, LAPTOP));
  const m = mod.page;
  // The question, through its panel; then the diagnostic and a running timer.
  await askQuestion(m, 'diagnostic', 'Qu\'est-ce qui vous empêche de vous loger dignement ?');
  await m.locator('#stepper button[data-phase="diagnostic"]').click();
  await until(lea.page, () => document.documentElement.dataset.phase === 'diagnostic', null, 'the diagnostic on the phone');
  await until(m, () => document.querySelector('[data-part="question"]').textContent.includes('loger'), null, 'the question in the header');
  await m.getByRole('button', { name: '⏱️ 10 min' }).click();
  // Twelve posts from the phone, through its form.
  for (const [kind, body] of POSTS) await post(lea.page, kind, body);
  await until(m, (n) => document.querySelectorAll('#contributions .contrib').length === n, POSTS.length, 'twelve cards on the console');
  // Some support, so that the sort by result has something to sort.
  for (const i of [3, 7]) await card(lea.page, POSTS[i][1]).getByRole('button', { name: 'Je soutiens' }).click();
  await until(m, () => document.getElementById('timer').hidden === false, null, 'the timer on the console');
  await until(m, () => [...document.querySelectorAll('#contributions .c-tally')].filter((el) => el.textContent === '👍 1').length === 2, null, 'two supported posts on the console');
});

after(() => stopAll(srv, browser));

for (const [label, size] of [
  ['1366×768', LAPTOP],
  // The same laptop's screen less a browser's tabs and address bar.
  ['1366×657', { viewport: { width: 1366, height: 657 } }],
  ['1920×1080', SCREEN],
  ['1024×768', TABLET],
]) {
  test(`at ${label}, the steps, the timer, who is here and ≥ 4 whole contributions fit without scrolling`, async () => {
    const m = mod.page;
    await m.setViewportSize(size.viewport);
    await m.waitForTimeout(200);
    if (size.viewport.height !== 657) await shot(m, `console-${size.viewport.width}.png`);
    const got = await aboveTheFold(m);
    console.log(`console at ${label}: ${got.cards} whole contributions of ${POSTS.length} in the window`);
    assert.equal(got.pageScrolls, false, 'the page itself scrolls');
    assert.equal(got.stepsVisible, got.steps, `phase steps visible: got ${got.stepsVisible} of ${got.steps}`);
    assert.ok(got.steps >= 5, `got ${got.steps} phase steps, want 5`);
    assert.ok(got.timer && got.timerStart, 'the timer and its start button are in the window');
    assert.ok(got.presence, 'who is here is in the window');
    assert.deepEqual(got.railCut, [], 'settings buttons cut by the window\'s edge');
    assert.ok(got.cards >= 4, `got ${got.cards} whole contributions in the window, want at least 4`);
  });
}

test('the tablet: a touch screen of 1024×768 gets the same cockpit', async () => {
  // A context of its own (touch, its own window), signed in as the same moderator.
  const { context, page } = await newPage(browser, { ...TABLET, storageState: await mod.context.storageState() });
  await page.goto(`${srv.url}/w/${session.id}/moderate`);
  await page.waitForSelector('#live[data-ready="true"]');
  await until(page, (n) => document.querySelectorAll('#contributions .contrib').length === n, POSTS.length, 'the cards on the tablet');
  const got = await aboveTheFold(page);
  assert.equal(got.pageScrolls, false, 'the page itself scrolls');
  assert.equal(got.stepsVisible, got.steps);
  assert.ok(got.cards >= 4, `got ${got.cards} whole contributions, want at least 4`);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('on a phone, the console flows in one column, nothing wider than the screen', async () => {
  const { context, page } = await newPage(browser, { ...PHONE, storageState: await mod.context.storageState() });
  await page.goto(`${srv.url}/w/${session.id}/moderate`);
  await page.waitForSelector('#live[data-ready="true"]');
  await until(page, () => document.querySelectorAll('#contributions .contrib').length > 0, null, 'the cards on the phone');
  const widths = await page.evaluate(() => [window.innerWidth, document.documentElement.scrollWidth]);
  assert.deepEqual(widths, [PHONE.viewport.width, PHONE.viewport.width], 'the layout viewport and the page width');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('in Dutch, the console fits the laptop too', async () => {
  const m = mod.page;
  await m.setViewportSize(LAPTOP.viewport);
  await m.goto(`${srv.url}/w/${session.id}/moderate?lang=nl`);
  await m.waitForSelector('#live[data-ready="true"]');
  await until(m, (n) => document.querySelectorAll('#contributions .contrib').length === n, POSTS.length, 'the cards in Dutch');
  assert.match(await m.locator('.cockpit-rail').textContent(), /Stemmen/);
  const got = await aboveTheFold(m);
  assert.equal(got.pageScrolls, false, 'the page itself scrolls');
  assert.equal(got.stepsVisible, got.steps);
  assert.ok(got.cards >= 4, `got ${got.cards} whole contributions, want at least 4`);
  await shot(m, 'console-1366-nl.png');
  await m.goto(`${srv.url}/w/${session.id}/moderate?lang=fr`);
  await m.waitForSelector('#live[data-ready="true"]');
});

test('filters, the sort by result and a merge by selecting two', async () => {
  const m = mod.page;
  await m.setViewportSize(LAPTOP.viewport);
  await until(m, (n) => document.querySelectorAll('#contributions .contrib').length === n, POSTS.length, 'the cards');
  await m.locator('[data-sort="support"]').click();
  await until(m, () => [...document.querySelectorAll('#contributions .contrib')].slice(0, 2).every((c) => c.querySelector('.c-tally').textContent === '👍 1'), null, 'the two supported first');
  await m.locator('[data-sort="time"]').click();
  await m.locator('[data-filter="hidden"]').click();
  await m.locator('#empty').getByText('Vous n\'avez rien masqué.').waitFor();
  await m.locator('[data-filter="pending"]').click();
  await m.locator('#empty').getByText('Rien à valider').waitFor();
  await m.locator('[data-filter="phase"]').click();
  assert.equal(await m.locator('#merge-open').isDisabled(), true, 'merge is off until two are chosen');
  // Two findings of the same kind (a finding and a solution path do not merge).
  await card(m, POSTS[0][1]).locator('.c-select').check();
  await card(m, POSTS[1][1]).locator('.c-select').check();
  await m.locator('#merge-open').click();
  await m.locator('#merge-dialog').getByRole('button', { name: 'Regrouper', exact: true }).click();
  await until(m, (n) => document.querySelectorAll('#contributions .contrib').length === n - 1, POSTS.length, 'one card fewer after the merge');
  // On the phone, one of the two merged cards is gone.
  await until(lea.page, (bodies) => bodies.filter((b) => [...document.querySelectorAll('#contributions .contrib .c-body')].some((e) => e.textContent.includes(b))).length === 1, [POSTS[0][1], POSTS[1][1]], 'the merge on the phone');
});

test('keyboard only: pin, hide, the timer, the help and the next phase, seen from a phone', async () => {
  const m = mod.page;
  const p = lea.page;
  await m.setViewportSize(LAPTOP.viewport);
  await m.evaluate(() => document.activeElement && document.activeElement.blur());
  // The first contribution, then the second: pinned.
  await m.keyboard.press('j');
  await m.keyboard.press('j');
  const second = Number(await m.evaluate(() => document.activeElement.dataset.id));
  assert.ok(second > 0, 'j puts the focus on a contribution');
  await m.keyboard.press('p');
  await p.locator(`#contributions .contrib.pinned[data-id="${second}"] .c-badges`).getByText("📌 à l'écran").waitFor();
  // Hidden, with a reason, from the next one.
  await m.keyboard.press('j');
  const third = Number(await m.evaluate(() => document.activeElement.dataset.id));
  m.once('dialog', (d) => d.accept('doublon'));
  await m.keyboard.press('h');
  await p.locator(`#contributions .contrib[data-id="${third}"]`).waitFor({ state: 'detached' });
  // The timer runs (started in before()): T pauses it, T resumes it.
  await m.keyboard.press('t');
  await timerShows(p, 'En pause');
  await until(m, () => document.getElementById('timer').dataset.state === 'paused', null, 'the timer paused on the console');
  await m.keyboard.press('t');
  await timerShows(p, 'Temps restant');
  // While typing, letters are letters: nothing moves.
  await m.locator('#timer-minutes').focus();
  await m.keyboard.press('n');
  await m.keyboard.press('t');
  await m.waitForTimeout(300);
  assert.equal(await m.locator('#phase-dialog').evaluate((d) => d.open), false, 'n in a field asked for the next phase');
  assert.equal(await p.locator('#timer .timer-label').textContent(), 'Temps restant', 't in a field paused the timer');
  // The help on "?", closed with Escape.
  await m.evaluate(() => document.activeElement.blur());
  await m.keyboard.press('?');
  await m.locator('#help-dialog').waitFor();
  await shot(m, 'console-help-1366.png');
  await m.keyboard.press('Escape');
  await m.locator('#help-dialog').waitFor({ state: 'hidden' });
  // N asks, Enter confirms: the phone moves to the recommendations.
  await m.keyboard.press('n');
  await m.locator('#phase-dialog').waitFor();
  assert.match(await m.locator('#phase-dialog-go').textContent(), /Recommandations/);
  await m.keyboard.press('Enter');
  await until(p, () => document.documentElement.dataset.phase === 'recommendations', null, 'the recommendations on the phone');
  // Escape cancels: the room stays where it is.
  await m.keyboard.press('n');
  await m.locator('#phase-dialog').waitFor();
  await m.keyboard.press('Escape');
  await m.waitForTimeout(300);
  assert.equal(await p.evaluate(() => document.documentElement.dataset.phase), 'recommendations');
  // A panel by keyboard: Tab to its button, Enter opens it, Escape closes it and the focus
  // comes back to the button.
  const rail = m.locator('.cockpit-rail [data-panel="votes"]');
  await rail.focus();
  await m.keyboard.press('Enter');
  await m.locator('#panel-votes').waitFor();
  assert.equal(await m.evaluate(() => document.activeElement.closest('#panel-votes') !== null), true, 'the focus is in the panel');
  await m.keyboard.press('Escape');
  await m.locator('#panel-votes').waitFor({ state: 'hidden' });
  assert.equal(await m.evaluate(() => document.activeElement.dataset.panel), 'votes');
  assert.deepEqual(m.errors, []);
});

test('no serious or critical accessibility violation: content, a settings panel, the help', async () => {
  const m = mod.page;
  await m.setViewportSize(LAPTOP.viewport);
  const problems = [];
  for (const v of await axe(m)) problems.push(`console: ${v}`);
  for (const name of ['votes', 'room', 'groups']) {
    await openPanel(m, name);
    if (name === 'votes') await shot(m, 'console-panel-1366.png');
    for (const v of await axe(m)) problems.push(`console with the ${name} panel: ${v}`);
    await closePanel(m, name);
  }
  await m.evaluate(() => document.activeElement.blur());
  await m.keyboard.press('?');
  await m.locator('#help-dialog').waitFor();
  for (const v of await axe(m)) problems.push(`console with the help: ${v}`);
  await m.keyboard.press('Escape');
  assert.deepEqual(problems, []);
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

// post posts from a phone's form (kind null when the phase has one kind only) and waits for
// the card on that phone.
async function post(p, kind, body) {
  if (kind) await p.locator(`input[name="kind"][value="${kind}"]`).check();
  await p.locator('#body').fill(body);
  await p.locator('#send').click();
  await card(p, body).waitFor();
}

// timerShows waits until a phone's timer says label ("En pause", "Temps restant") with time
// left on its clock.
async function timerShows(p, label) {
  await until(p, (l) => {
    const t = document.getElementById('timer');
    return !t.hidden && t.querySelector('.timer-label').textContent === l && /[1-9]/.test(t.querySelector('.timer-digits').textContent);
  }, label, `the timer "${label}" on ${p.url()}`);
}

test('a three-phase session from the console at 1366×768, by the words on the screen, without scrolling', async () => {
  // A session of its own: the demo's second one.
  const session = { id: Number(await org.page.locator('.session[data-workshop]').nth(1).getAttribute('data-workshop')) };
  const modLink = await invite(org.page, { name: 'Nadia', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id });
  const links = [];
  for (const [name, organisation] of [
    ['Ana', 'Mission Locale de Saint-Gilles'],
    ['Jean', 'Après ASBL'],
    ['Fatima', "CPAS d'Anderlecht"],
  ])
    links.push(await invite(org.page, { name, organisation, session: session.id }));
  const m = (await openConsole(browser, srv, modLink, session.id, LAPTOP)).page;
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
  // Acknowledged, the field no longer counts as unsaved.
  await questions.locator('#q-recommendations[data-dirty="false"]').waitFor();
  await click(m, questions.getByRole('button', { name: 'Fermer' }), '"Fermer"');
  await click(m, m.locator('#stepper').getByRole('button', { name: /Diagnostic/ }), 'the "Diagnostic" step');
  await phaseOn('diagnostic');
  await ana.getByText('Qu’est-ce qui vous empêche de vous loger ?').waitFor();
  await click(m, m.getByRole('button', { name: '⏱️ 10 min' }), 'the 10-minute timer');
  await timerShows(ana, 'Temps restant');

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
  await until(ana, (n) => document.querySelectorAll('#contributions .contrib').length === n, 5, 'five posts on a phone');
  for (const p of people) await card(p, F1).getByRole('button', { name: 'Je soutiens' }).click();
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
  await card(ana, F3).locator('.c-badges').getByText("📌 à l'écran").waitFor();
  await click(m, m.getByRole('button', { name: /Pause/ }), 'the timer’s "Pause"');
  await timerShows(ana, 'En pause');
  await click(m, m.getByRole('button', { name: /Reprendre/ }), 'the timer’s "Reprendre"');
  await timerShows(ana, 'Temps restant');

  // --- the recommendations: agree / neutral / disagree by default, a show of hands ------------
  await click(m, m.locator('#stepper').getByRole('button', { name: /Recommandations/ }), 'the "Recommandations" step');
  await phaseOn('recommendations');
  await ana.getByText('Que demandez-vous aux élu·es ?').waitFor();
  const R1 = 'Un plafond des loyers pour les logements loués au CPAS';
  const R2 = 'Des agents d’accueil formés au droit au logement';
  await post(ana, null, R1);
  await post(jean, null, R2);
  await card(m, R2).waitFor();
  for (const t of [R1, R2]) await card(fatima, t).waitFor();
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
