// The projector of a hall, measured in real Chromium at 1920×1080 and 1280×720: with twelve
// contributions, at least eight are fully on screen at once (inside the viewport, clear of
// the controls' row), or else every one of them shows within one cycle of pages; the breadth
// of support (organisations, groups) stands beside the counts; the join panel is large in a
// phase's first minutes, folds when a moderator folds it from the console, and shrinks by
// itself afterwards; the timer is compact until its last minute; the controls show only while
// the mouse moves. French and Dutch side by side fit too. axe-core checks the screen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, recordErrors, PHONE, SCREEN, axe, screenshotPath } from './lib/harness.js';
import { moderatedSession, invite, join, until, card, movePhase, askQuestion, openPanel, closePanel } from './lib/flows.js';

const SIZES = [
  ['1920', { width: 1920, height: 1080 }],
  ['1280', { width: 1280, height: 720 }],
];
const BODIES = [
  "Les formulaires du CPAS sont trop compliqués pour les personnes qui lisent difficilement",
  'On attend trois mois pour un premier rendez-vous',
  "Personne ne nous explique nos droits quand on perd son logement",
  'Les permanences sont fermées quand on travaille',
  "Les loyers ont doublé en dix ans dans le quartier",
  'Il faut tout faire en ligne, sans aide',
  'Les courriers arrivent en retard et les délais sont déjà passés',
  "Un guichet unique pour le logement et l'emploi",
  "Des écrivains publics dans chaque maison de quartier",
  'Former les agents à parler simplement',
  "Une allocation de loyer pour les familles sur liste d'attente",
  "Garder une permanence sans rendez-vous chaque semaine",
];

let srv;
let browser;
let mod;
let proj;
let phones;
let session;

before(async () => {
  ({ srv, browser } = await startAll());
  let org;
  ({ org, session, mod } = await moderatedSession(browser, srv));
  const who = [
    ['Amina', 'Mission Locale de Forest'],
    ['Bruno', 'CPAS de Saint-Gilles'],
    ['Chloé', 'Infor-Jeunes Bruxelles'],
  ];
  const links = [];
  for (const [name, organisation] of who) links.push(await invite(org.page, { name, organisation, session: session.id }));
  phones = [];
  for (const l of links) phones.push((await join(browser, l, PHONE)).page);
  // The moderator sets the room up from the console, as in a session.
  await askQuestion(mod.page, 'diagnostic', 'Quels obstacles rencontrez-vous pour faire valoir vos droits ?');
  await movePhase(mod.page, 'diagnostic');
  await mod.page.locator('#timer-presets').getByRole('button', { name: '10 min' }).click();
  await mod.page.locator('#timer').waitFor();
  for (const p of phones) await until(p, () => document.documentElement.dataset.phase === 'diagnostic', null, 'the diagnostic on a phone');
  // Twelve posts from the phones' forms.
  for (let i = 0; i < BODIES.length; i++) {
    const p = phones[i % 3];
    await p.locator(`input[name="kind"][value="${i < 7 ? 'finding' : 'solution'}"]`).check();
    await p.locator('#body').fill(BODIES[i]);
    await p.locator('#send').click();
    await card(p, BODIES[i]).waitFor();
  }
  // Support from one, two or three organisations, with the phones' buttons.
  for (let i = 0; i < BODIES.length; i++) {
    for (let v = 0; v < 3 - (i % 3); v++) {
      const support = card(phones[v], BODIES[i]).getByRole('button', { name: 'Je soutiens' });
      await support.click();
      await card(phones[v], BODIES[i]).getByRole('button', { name: 'Je soutiens', pressed: true }).waitFor();
    }
  }
  const last = card(mod.page, BODIES[BODIES.length - 1]);
  await last.getByRole('button', { name: "À l'écran", pressed: false }).click();
  await last.getByRole('button', { name: "À l'écran", pressed: true }).waitFor();
  proj = await recordErrors(await mod.context.newPage());
});

after(async () => {
  await stopAll(srv, browser);
});

// visibleCards returns the cards whose box lies wholly inside the viewport and above the
// controls' row, and the page count.
function visibleCards(page) {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const foot = document.querySelector('.hall-controls').getBoundingClientRect();
    const head = document.querySelector('.hall-head').getBoundingClientRect();
    const keys = [];
    for (const li of document.querySelectorAll('#top li')) {
      if (li.hidden) continue;
      const r = li.getBoundingClientRect();
      const inside = r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= vh && r.right <= vw;
      const clearOfControls = r.bottom <= foot.top || r.right <= foot.left;
      const clearOfHead = r.top >= head.bottom;
      if (inside && clearOfControls && clearOfHead) keys.push(li.dataset.key);
    }
    const list = document.getElementById('top');
    return { keys, pages: Number(list.dataset.pages || 1), total: list.children.length, page: Number(list.dataset.page || 1), overflowX: document.documentElement.scrollWidth > vw };
  });
}

// seenInOneCycle gathers the cards fully seen on every page the board turns to by itself.
async function seenInOneCycle(page) {
  const first = await visibleCards(page);
  const seen = new Set(first.keys);
  for (let i = 1; i < first.pages; i++) {
    const before = (await visibleCards(page)).page;
    await until(page, (p) => Number(document.getElementById('top').dataset.page) !== p, before, 'the next page', 20000);
    for (const k of (await visibleCards(page)).keys) seen.add(k);
  }
  return { first, seen };
}

for (const [name, size] of SIZES) {
  test(`the projector at ${size.width}×${size.height} shows the contributions of a hall, in French and in French + Dutch`, async () => {
    await proj.setViewportSize(size);
    await proj.goto(`${srv.url}/w/${session.id}/projector`);
    await proj.waitForSelector('#live[data-ready="true"]');
    await until(proj, (n) => document.querySelectorAll('#top li').length === n, BODIES.length, 'twelve cards');
    for (const bilingual of [false, true]) {
      const pressed = (await proj.locator('#bilingual').getAttribute('aria-pressed')) === 'true';
      if (pressed !== bilingual) await proj.locator('#bilingual').click();
      if (bilingual) await proj.locator('[data-part="phase"] [lang="nl"]').waitFor();
      await proj.mouse.move(5, 5);
      await proj.waitForTimeout(3500); // the controls fade out again
      await proj.screenshot({ path: screenshotPath(`projector${bilingual ? '-bilingual' : ''}-${name}.png`) });
      const { first, seen } = await seenInOneCycle(proj);
      const what = `${name}${bilingual ? ' FR+NL' : ''}`;
      assert.equal(first.overflowX, false, `${what}: no horizontal scrolling`);
      assert.ok(first.keys.length >= 8 || seen.size === BODIES.length, `${what}: ${first.keys.length} cards fully visible on the first page, ${seen.size} in a cycle of ${first.pages} pages`);
      // Pinned first.
      assert.equal(await proj.locator('#top li').first().evaluate((li) => li.classList.contains('pinned')), true, `${what}: the pinned card first`);
      // The page indicator shows when there is more than one page.
      assert.equal(await proj.locator('#pages').isVisible(), first.pages > 1, `${what}: page indicator`);
      // No text in the header is cut.
      const cut = await proj.evaluate(() =>
        [...document.querySelectorAll('.hall-head *, .hall-join *, .hall-board-title')].filter((el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1).map((el) => el.className || el.tagName),
      );
      assert.deepEqual(cut, [], `${what}: clipped header texts`);
    }
    await proj.locator('#bilingual').click();
    await proj.locator('[data-part="phase"] [lang="nl"]').waitFor({ state: 'detached' });
  });
}

test('breadth of support, the join panel, the timer and the controls on the projector', async () => {
  await proj.setViewportSize(SCREEN.viewport);
  await proj.goto(`${srv.url}/w/${session.id}/projector`);
  await proj.waitForSelector('#live[data-ready="true"]');
  // The three-organisation items say so beside their count.
  await until(proj, () => [...document.querySelectorAll('#top .hall-breadth')].some((p) => /3 organisations/.test(p.textContent)), null, 'the breadth of support');
  const breadth = await proj.evaluate(() =>
    [...document.querySelectorAll('#top li')].map((li) => [li.querySelector('.hall-num')?.textContent, li.querySelector('.hall-breadth')?.textContent]),
  );
  for (const [num, b] of breadth) {
    const n = Number((num || '').replace(/\D/g, ''));
    assert.match(b || '', new RegExp(`${n} organisation`), `support ${num} comes from ${n} organisations`);
  }

  // The join panel: large in the phase's first minutes; folded by the moderator from the
  // console, live; large again when unfolded.
  assert.equal(await proj.locator('#live').getAttribute('data-join'), 'big');
  const m = mod.page;
  await openPanel(m, 'room');
  await m.locator('#toggle-joinpanel').click();
  await until(proj, () => document.getElementById('live').dataset.join === 'folded', null, 'the join panel folded');
  assert.equal(await proj.locator('.hall-code').isVisible(), true, 'the code stays readable');
  assert.equal(await proj.locator('.hall-join .qr').isVisible(), false, 'the QR code folded');
  await m.locator('#toggle-joinpanel').click();
  await until(proj, () => document.getElementById('live').dataset.join === 'big', null, 'the join panel unfolded');
  await closePanel(m, 'room');

  // The timer: compact with ten minutes left, large in its last minute.
  const compact = await proj.locator('#timer').boundingBox();
  assert.ok(compact.height < 0.1 * SCREEN.viewport.height, `compact timer: ${compact.height}px high`);
  // A one-minute timer from the console's form is in its last minute at once.
  await m.locator('#timer-minutes').fill('1');
  await m.locator('#timer-form button[type="submit"]').click();
  await until(proj, () => document.getElementById('timer').dataset.state === 'low', null, 'the last minute');
  const large = await proj.locator('#timer').boundingBox();
  assert.ok(large.height > 1.8 * compact.height, `large timer in the last minute: ${large.height}px against ${compact.height}px`);
  const { keys } = await visibleCards(proj);
  assert.ok(keys.length >= 4, `with the large timer, ${keys.length} cards still fully visible`);

  // The controls: hidden until the mouse moves, in their own row.
  assert.equal(await proj.locator('.hall-controls').evaluate((el) => getComputedStyle(el).opacity), '0');
  await proj.mouse.move(300, 300);
  await until(proj, () => getComputedStyle(document.querySelector('.hall-controls')).opacity === '1', null, 'the controls shown');

  assert.deepEqual(await axe(proj), [], 'axe on the projector');
  assert.deepEqual(proj.errors, [], 'no script error on the projector');
});

test('the join panel shrinks by itself after the first minutes of a phase', async () => {
  const { context, page } = await newPage(browser, SCREEN);
  await context.addCookies(await mod.context.cookies());
  await page.clock.install();
  await page.goto(`${srv.url}/w/${session.id}/projector`);
  await page.waitForSelector('#live[data-ready="true"]');
  await movePhase(mod.page, 'recommendations');
  await until(page, () => document.documentElement.dataset.phase === 'recommendations' && document.getElementById('live').dataset.join === 'big', null, 'a new phase with a large join panel');
  await page.clock.fastForward('03:30');
  await until(page, () => document.getElementById('live').dataset.join === 'small', null, 'the join panel small after three minutes');

  await context.close();
});

test('folded by the moderator, the join panel gives the board its room', async () => {
  await proj.setViewportSize(SCREEN.viewport);
  await movePhase(mod.page, 'diagnostic');
  await openPanel(mod.page, 'room');
  await mod.page.locator('#toggle-joinpanel[aria-pressed="false"]').click();
  await mod.page.locator('#toggle-joinpanel[aria-pressed="true"]').waitFor();
  await closePanel(mod.page, 'room');
  await proj.goto(`${srv.url}/w/${session.id}/projector`);
  await proj.waitForSelector('#live[data-ready="true"]');
  await until(proj, () => document.getElementById('live').dataset.join === 'folded' && document.querySelectorAll('#top li').length === 12, null, 'the folded panel');
  await proj.waitForTimeout(300);
  await proj.screenshot({ path: screenshotPath('projector-folded-1920.png') });
  const { keys } = await visibleCards(proj);
  assert.ok(keys.length >= 8, `${keys.length} cards fully visible with the join panel folded`);
  await openPanel(mod.page, 'room');
  await mod.page.locator('#toggle-joinpanel[aria-pressed="true"]').click();
  await mod.page.locator('#toggle-joinpanel[aria-pressed="false"]').waitFor();
  await closePanel(mod.page, 'room');
});

test('the projector records a CSP violation, so that "no violation" means none', async () => {
  proj.errors.length = 0;
  // An inline script, which the policy (script-src 'self') refuses.
  await proj.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'document.title = "injected"';
    document.body.append(s);
  });
  for (let i = 0; i < 200 && !proj.errors.some((e) => /CSP violation: script-src/.test(e)); i++) await proj.waitForTimeout(50);
  assert.ok(proj.errors.some((e) => /CSP violation: script-src/.test(e)), `the violation was recorded: ${JSON.stringify(proj.errors)}`);
  assert.notEqual(await proj.title(), 'injected', 'the inline script did not run');
  proj.errors.length = 0;
});
