// A process in French and Dutch: a Dutch-speaking phone reads the organiser's texts and the
// moderator's question in Dutch; a text not translated yet falls back to French, marked; the
// projector's "FR + NL" shows the question, the theme and the phase in both languages side by
// side, passes axe-core and clips nothing at 1920×1080 and 1366×768; phones at 360 and 320 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, SCREEN, PHONE, axe, screenshotPath, recordErrors } from './lib/harness.js';
import { api, openOrganiser, firstSession, invite, openConsole, join, until, movePhase, openPanel, closePanel } from './lib/flows.js';

let srv, browser, org, session, mod, joost, proj;

// The demo's first session asks this in its diagnostic phase (deliberation/demo).
const QUESTION_FR = "Qu'est-ce qui empêche aujourd'hui d'accompagner les personnes dans leur logement ?";
const QUESTION_NL = 'Wat verhindert vandaag dat we mensen in hun woning begeleiden?';

before(async () => {
  ({ srv, browser } = await startAll());
  org = await openOrganiser(browser, srv, SCREEN);
  session = await firstSession(org.page);
  const modLink = await invite(org.page, { name: 'Nadia', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id });
  const joostLink = await invite(org.page, { name: 'Joost', organisation: 'OCMW Anderlecht', session: session.id });
  mod = await openConsole(browser, srv, modLink, session.id, SCREEN);
  joost = await join(browser, joostLink, { ...PHONE, locale: 'nl-BE' });
  await joost.page.goto(`${srv.url}/w/${session.id}?lang=nl`);
  await joost.page.waitForSelector('#live[data-ready="true"]');
  await movePhase(mod.page, 'diagnostic');
});

after(() => stopAll(srv, browser));

// clipped lists the elements under root whose text does not fit their box.
function clipped(page, selector) {
  return page.evaluate((selector) => {
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
      if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
      if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
        out.push(`${el.className || el.tagName}: ${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}`);
      }
    }
    return out;
  }, selector);
}

test('a Dutch-speaking phone reads the session, its theme and its question in Dutch', async () => {
  const p = joost.page;
  assert.equal(await p.getAttribute('html', 'lang'), 'nl');
  await until(p, (q) => document.querySelector('[data-part="question"]')?.textContent === q, QUESTION_NL, 'the Dutch question');
  assert.equal((await p.locator('#room-title').textContent()).trim(), 'Workshop 1.1');
  await p.locator('.roomhead', { hasText: 'De gebruiker en zijn woning centraal' }).waitFor();
  assert.equal(await p.locator('.roomhead .lang-badge').count(), 0, 'nothing marked as untranslated');
  for (const width of [360, 320]) {
    await p.setViewportSize({ width, height: 740 });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width} px: the page is ${overflow} px wider than the phone`);
    assert.deepEqual(await clipped(p, '.roomhead h1, .roomhead p, [data-part="question"]'), [], `${width} px: clipped texts`);
    await p.screenshot({ path: screenshotPath(`bilingual-phone-nl-${width}.png`) });
  }
  await p.setViewportSize(PHONE.viewport);
});

test('a question the moderator did not translate falls back to French, marked', async () => {
  const q = await openPanel(mod.page, 'questions');
  await q.locator('#q-diagnostic-nl').fill('');
  await q.locator('#q-diagnostic').fill('Quels constats faites-vous ?');
  await q.locator('#q-diagnostic').locator('xpath=..').getByRole('button').click();
  await closePanel(mod.page, 'questions');
  const p = joost.page;
  const badge = p.locator('[data-part="question"] .lang-badge[data-fallback="fr"]');
  await badge.waitFor();
  assert.equal(await p.locator('[data-part="question"] span[lang="fr"]').textContent(), 'Quels constats faites-vous ?');
  assert.match(await badge.textContent(), /FR.*nog niet vertaald/);
  await p.screenshot({ path: screenshotPath('bilingual-phone-fallback-360.png') });

  // Translated again: the phone reads Dutch, unmarked.
  const q2 = await openPanel(mod.page, 'questions');
  await q2.locator('#q-diagnostic').fill(QUESTION_FR);
  await q2.locator('#q-diagnostic-nl').fill(QUESTION_NL);
  await q2.locator('#q-diagnostic').locator('xpath=..').getByRole('button').click();
  await closePanel(mod.page, 'questions');
  await until(p, (q) => document.querySelector('[data-part="question"]')?.textContent === q, QUESTION_NL, 'the Dutch question again');
});

test('the public page in Dutch, a theme left untranslated falls back to French, and the organiser sees what is missing', async () => {
  const { processes } = await api(org.page, 'GET', '/api/organise/processes');
  const demo = processes.find((p) => p.slug === 'assises-logement-travail-social');
  const { process: proc, themes } = await api(org.page, 'GET', `/api/organise/processes/${demo.id}`);
  assert.deepEqual(proc.languages, ['fr', 'nl']);
  const theme = themes[0];
  const saved = await api(org.page, 'PUT', `/api/organise/themes/${theme.id}`, {
    position: theme.position, title: theme.title, why: theme.why, translations: { nl: { title: theme.translations.nl.title } },
  });
  assert.equal(saved.theme.translations.nl.why, undefined);
  const missing = await api(org.page, 'GET', `/api/organise/processes/${proc.id}/missing`);
  assert.deepEqual(missing.missing.map((m) => `${m.kind} ${m.id} ${m.field} ${m.lang}`), [`theme ${theme.id} why nl`]);

  const page = await recordErrors(await joost.context.newPage());
  await page.goto(`${srv.url}/p/${proc.slug}?lang=nl`);
  await page.locator('h1', { hasText: 'Staten-Generaal van Huisvesting en Maatschappelijk Werk' }).waitFor();
  const section = page.locator(`section[aria-labelledby="theme-${theme.id}"]`);
  assert.match(await section.locator('h3').textContent(), /De gebruiker en zijn woning centraal/);
  assert.equal(await section.locator('p span[lang="fr"]').textContent(), theme.why);
  assert.equal(await section.locator('.lang-badge[data-fallback="fr"]').count(), 1);
  // The registration form offers the sessions in Dutch.
  await page.locator('#register label', { hasText: 'Workshop 1.1' }).first().waitFor();
  await page.setViewportSize({ width: 320, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `320 px: the public page is ${overflow} px wider than the phone`);
  await section.screenshot({ path: screenshotPath('bilingual-process-nl-320.png') });
  assert.deepEqual(page.errors, []);
  await page.close();

  await api(org.page, 'PUT', `/api/organise/themes/${theme.id}`, { position: theme.position, title: theme.title, why: theme.why, translations: theme.translations });
  const none = await api(org.page, 'GET', `/api/organise/processes/${proc.id}/missing`);
  assert.deepEqual(none.missing, []);
});

test('the organiser writes each text side by side in French and Dutch and sees what is missing', async () => {
  const p = org.page;
  await p.goto(`${srv.url}/organise`);
  await p.waitForSelector('#organise[data-ready="true"]');
  await p.locator('.missing-texts[data-count="0"]').waitFor();
  const theme = p.locator('.themelist > li').first();
  await theme.locator('summary').click();
  const nl = theme.locator('textarea[name="why.nl"]');
  assert.match(await nl.inputValue(), /^Benaderingen en praktijken ontschotten/);
  assert.equal(await theme.locator('textarea[name="why"]').getAttribute('lang'), 'fr');
  const frBox = await theme.locator('textarea[name="why"]').boundingBox();
  const nlBox = await nl.boundingBox();
  assert.ok(Math.abs(frBox.y - nlBox.y) < 2 && nlBox.x > frBox.x + frBox.width, `side by side: fr ${JSON.stringify(frBox)}, nl ${JSON.stringify(nlBox)}`);
  const kept = await nl.inputValue();
  await nl.fill('');
  await theme.getByRole('button', { name: 'Enregistrer' }).click();
  const missing = p.locator('.missing-texts[data-count="1"]');
  await missing.waitFor();
  assert.match(await missing.locator('li[data-kind="theme"][data-lang="nl"]').textContent(), /NL.*Thématique.*pourquoi/);
  const again = p.locator('.themelist > li').first();
  await again.locator('summary').click();
  await again.locator('.field.untranslated textarea[name="why.nl"]').waitFor();
  await p.screenshot({ path: screenshotPath('bilingual-organiser-1920.png') });
  await again.locator('textarea[name="why.nl"]').fill(kept);
  await again.getByRole('button', { name: 'Enregistrer' }).click();
  await p.locator('.missing-texts[data-count="0"]').waitFor();

  // A session's title and timetable, each item in French and Dutch; saved, nothing is lost.
  const editSession = async () => {
    const edit = p.locator(`.session[data-workshop="${session.id}"] details`, { has: p.locator('summary', { hasText: '✏️' }) });
    await edit.locator('summary').click();
    return edit;
  };
  let edit = await editSession();
  assert.equal(await edit.locator('input[name="title.nl"]').inputValue(), 'Workshop 1.1');
  assert.equal(await edit.locator('input[name="a-title-nl"]').first().inputValue(), 'Onthaal');
  await edit.locator('input[name="a-title-nl"]').nth(2).fill('');
  await edit.locator('button[type="submit"]').last().click();
  await p.locator('.missing-texts[data-count="1"] li[data-kind="agenda"][data-lang="nl"]').waitFor();
  edit = await editSession();
  await edit.locator('input[name="a-title-nl"]').nth(2).fill('Pauze');
  await edit.locator('button[type="submit"]').last().click();
  await p.locator('.missing-texts[data-count="0"]').waitFor();
  assert.deepEqual(p.errors, [], 'script errors or CSP violations on the organiser page');
});

test('the projector in FR + NL shows the question, the phase and the agenda item in both languages, clips nothing, passes axe', async () => {
  // The timetable's first item, from the console: the Dutch phone reads it in Dutch.
  const agenda = await openPanel(mod.page, 'agenda');
  await agenda.locator('#agenda-next').click();
  await closePanel(mod.page, 'agenda');
  await until(joost.page, () => document.getElementById('agenda-now-text')?.textContent === 'Onthaal', null, 'the Dutch agenda item');
  proj = await recordErrors(await org.context.newPage());
  await proj.setViewportSize(SCREEN.viewport);
  await proj.goto(`${srv.url}/w/${session.id}/projector?lang=fr`);
  await proj.waitForSelector('#live[data-ready="true"]');
  await proj.locator('#bilingual').click();
  await proj.locator('[data-part="question"] .second[lang="nl"]').waitFor();
  assert.equal(await proj.locator('[data-part="question"] .first[lang="fr"]').textContent(), QUESTION_FR);
  assert.equal(await proj.locator('[data-part="question"] .second[lang="nl"]').textContent(), QUESTION_NL);
  assert.match(await proj.locator('[data-part="phase"] [lang="nl"]').textContent(), /Diagnose/);
  assert.match(await proj.locator('[data-part="theme"] .second[lang="nl"]').textContent(), /De gebruiker en zijn woning centraal/);
  assert.equal(await proj.locator('#proj-agenda .first[lang="fr"]').textContent(), 'Accueil');
  assert.equal(await proj.locator('#proj-agenda .second[lang="nl"]').textContent(), 'Onthaal');
  await proj.waitForFunction(() => !document.documentElement.classList.contains('hall-pointer'));
  assert.deepEqual(await axe(proj), []);
  for (const [width, height] of [[1920, 1080], [1366, 768]]) {
    await proj.setViewportSize({ width, height });
    await proj.waitForTimeout(100); // one frame for the layout; the assertions below measure it
    const sel = '[data-part="question"] .first, [data-part="question"] .second, [data-part="phase"], [data-part="theme"], #proj-agenda';
    await proj.screenshot({ path: screenshotPath(`bilingual-projector-${width}.png`) });
    // The timetable's item started a timer beside the head: the question's columns are at their narrowest.
    assert.equal(await proj.locator('#timer').isVisible(), true);
    assert.deepEqual(await clipped(proj, sel), [], `${width}×${height}: clipped texts`);
    const boxes = await proj.evaluate(() => {
      const q = document.querySelector('[data-part="question"]').getBoundingClientRect();
      return { bottom: q.bottom, height: window.innerHeight, right: q.right, width: window.innerWidth };
    });
    assert.ok(boxes.bottom < boxes.height && boxes.right <= boxes.width, `${width}×${height}: question off screen ${JSON.stringify(boxes)}`);
  }
  for (const page of [proj, joost.page, mod.page]) assert.deepEqual(page.errors, [], `errors on ${page.url()}`);
});
