// Posts keep their language: a Dutch-speaking phone posts in Dutch (its interface language,
// chosen by default), the card wears "NL" on the phones, the console and the projector; the
// moderator adds a French translation from the console, and the projector and a French phone
// show it beside the Dutch text (the Dutch phone, whose language it is, shows the text alone).
// A French phone switches the language of its text before sending; it is offered the process's
// languages, and its own when the process lacks it. The composer and the cards
// keep every word whole at 320 px in French, Dutch and English.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, PHONE, axe, screenshotPath, unfit } from './lib/harness.js';
import { moderatedSession, invite, join, until, card, movePhase, openProjector } from './lib/flows.js';

let srv;
let browser;
let org;
let mod;
let session;
let marc; // Dutch-speaking
let lea; // French-speaking

const DUTCH = 'De wachttijden bij het OCMW zijn veel te lang voor wie dringend hulp nodig heeft';
const FRENCH = "Les délais d'attente au CPAS sont bien trop longs pour qui a besoin d'aide tout de suite";
const LEA_FR = 'Un guichet unique pour le logement et le travail';
const LEA_NL = 'Eén loket voor huisvesting en werk, met iemand die helpt';

before(async () => {
  ({ srv, browser } = await startAll());
  ({ org, session, mod } = await moderatedSession(browser, srv));
  const marcLink = await invite(org.page, { name: 'Marc', organisation: 'Huurdersbond Brussel', session: session.id });
  const leaLink = await invite(org.page, { name: 'Léa', organisation: "Maison de l'Emploi de Forest", session: session.id });
  marc = await join(browser, marcLink, { ...PHONE, locale: 'nl-BE' });
  lea = await join(browser, leaLink, PHONE);
});

after(async () => {
  await stopAll(srv, browser);
});

// openPhone opens the session on a phone in a language, as the language switcher does.
async function openPhone(page, lang) {
  await page.goto(`${srv.url}/w/${session.id}?lang=${lang}`);
  await page.waitForSelector('#live[data-ready="true"]');
}

// post writes a text in the phone's composer and sends it with its button.
async function post(page, text) {
  await page.locator('#body').fill(text);
  await page.locator('#send').click();
  await card(page, text).waitFor();
}

// badge reads the letters a language badge shows ("NL"), without what it says to screen readers.
async function badge(locator) {
  return (await locator.locator('[aria-hidden="true"]').innerText()).trim();
}

// clipped lists the buttons, labels and language badges of the composer and the cards whose
// words do not fit their box, and anything of them reaching outside the viewport (as
// phone.test.js measures every state).
function clipped(page) {
  return unfit(page, { elements: '#composer *, #contributions *', words: 'button, label, legend, .c-lang' });
}

test('a Dutch post wears NL everywhere, and its French translation shows beside it', async () => {
  await movePhase(mod.page, 'diagnostic');
  const proj = await openProjector(org, srv, session.id);
  await openPhone(marc.page, 'nl');
  await openPhone(lea.page, 'fr');

  // The Dutch phone offers Dutch by default; Marc writes and sends as anyone would.
  assert.equal(await marc.page.locator('input[name="lang"]:checked').getAttribute('value'), 'nl', "the composer starts in the phone's language");
  await marc.page.setViewportSize({ width: 320, height: PHONE.viewport.height });
  await marc.page.locator('#compose-lang').scrollIntoViewIfNeeded();
  await marc.page.screenshot({ path: screenshotPath('phone-compose-lang-nl-320.png') });
  await marc.page.setViewportSize(PHONE.viewport);
  await post(marc.page, DUTCH);
  const onMarc = card(marc.page, DUTCH);
  assert.equal(await badge(onMarc.locator('.c-head .c-lang')), 'NL');
  assert.equal((await onMarc.locator('.c-head .c-lang .visually-hidden').textContent()).trim(), 'geschreven in het Nederlands', 'what a screen reader says of the badge');

  // The console and the projector show the badge too.
  const onConsole = card(mod.page, DUTCH);
  await onConsole.waitFor();
  assert.equal(await badge(onConsole.locator('.c-head .c-lang')), 'NL');
  const onProjector = proj.locator('.hall-card').filter({ hasText: DUTCH });
  await onProjector.waitFor();
  assert.equal((await onProjector.locator('.hall-body .hall-lang').innerText()).trim(), 'NL');

  // The moderator translates it from the console: French is offered first (the console's
  // language), Dutch not at all (the text's own).
  await onConsole.getByRole('button', { name: /Traduire/ }).click();
  const form = onConsole.locator('.c-translate-form');
  await form.waitFor();
  assert.deepEqual(await form.locator('select option').evaluateAll((os) => os.map((o) => o.value)), ['fr', 'en']);
  assert.equal(await form.locator('select').inputValue(), 'fr');
  await form.getByLabel('Traduction').fill(FRENCH);
  await form.getByRole('button', { name: 'Enregistrer' }).click();
  await form.waitFor({ state: 'detached' });
  await onConsole.locator('.c-translation[lang="fr"]', { hasText: FRENCH }).waitFor();

  // The projector and the French phone show both texts; the Dutch phone its own text alone.
  await onProjector.locator('.hall-translation[lang="fr"]', { hasText: FRENCH }).waitFor();
  assert.equal((await onProjector.locator('.hall-translation .hall-lang').innerText()).trim(), 'FR');
  const onLea = card(lea.page, DUTCH);
  await onLea.locator('.c-translation[lang="fr"]', { hasText: FRENCH }).waitFor();
  assert.equal(await onLea.locator('.c-body').getAttribute('lang'), 'nl', 'the Dutch text is marked as Dutch for screen readers');
  assert.equal(await badge(onLea.locator('.c-head .c-lang')), 'NL');
  await until(marc.page, (t) => [...document.querySelectorAll('#contributions .c-body')].some((b) => b.textContent === t), DUTCH, 'the Dutch card on the Dutch phone');
  assert.equal(await onMarc.locator('.c-translation').count(), 0, 'the Dutch phone shows no translation of a Dutch text');

  // A phone that opens the session afterwards gets both from the snapshot.
  await lea.page.reload();
  await lea.page.waitForSelector('#live[data-ready="true"]');
  await card(lea.page, DUTCH).locator('.c-translation[lang="fr"]', { hasText: FRENCH }).waitFor();
  await proj.reload();
  await proj.waitForSelector('#live[data-ready="true"]');
  await proj.locator('.hall-card').filter({ hasText: DUTCH }).locator('.hall-translation[lang="fr"]').waitFor();
  await proj.screenshot({ path: screenshotPath('projector-translation-1920.png') });

  // Léa writes in French, then switches the language of her text to Dutch before sending. The
  // composer offers the process's languages only (French and Dutch): English, which neither
  // the process nor her phone speaks, is not offered.
  assert.deepEqual(await lea.page.locator('input[name="lang"]').evaluateAll((is) => is.map((i) => i.value)), ['fr', 'nl']);
  await post(lea.page, LEA_FR);
  assert.equal(await badge(card(lea.page, LEA_FR).locator('.c-head .c-lang')), 'FR');
  await lea.page.locator('.lang-choice', { hasText: 'NL' }).click();
  await post(lea.page, LEA_NL);
  assert.equal(await badge(card(lea.page, LEA_NL).locator('.c-head .c-lang')), 'NL');
  await card(mod.page, LEA_NL).locator('.c-head .c-lang', { hasText: 'NL' }).waitFor();
  // Her choice stays for her next post, across a reload.
  await lea.page.reload();
  await lea.page.waitForSelector('#live[data-ready="true"]');
  assert.equal(await lea.page.locator('input[name="lang"]:checked').getAttribute('value'), 'nl');
  await lea.page.locator('.lang-choice', { hasText: 'FR' }).click();

  await mod.page.screenshot({ path: screenshotPath('moderator-translation-1920.png') });
  assert.deepEqual(proj.errors, [], 'no script error on the projector');
  assert.deepEqual(mod.page.errors, [], 'no script error on the console');
});

test('the composer and the cards keep every word whole at 320 px in French, Dutch and English', async () => {
  const problems = [];
  const page = lea.page;
  for (const lang of ['fr', 'nl', 'en']) {
    await page.setViewportSize({ width: 360, height: PHONE.viewport.height });
    await openPhone(page, lang);
    await card(page, DUTCH).waitFor();
    // The process speaks French and Dutch; an English phone is offered its own language too, last.
    const offered = await page.locator('input[name="lang"]').evaluateAll((is) => is.map((i) => i.value));
    assert.deepEqual(offered, lang === 'en' ? ['fr', 'nl', 'en'] : ['fr', 'nl'], `the languages offered to a ${lang} phone`);
    for (const width of [320, 360]) {
      await page.setViewportSize({ width, height: PHONE.viewport.height });
      await page.waitForTimeout(100);
      for (const p of await clipped(page)) problems.push(`${lang} ${width}px: ${p}`);
    }
    await page.setViewportSize({ width: 320, height: PHONE.viewport.height });
    await page.locator('#compose-lang').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(`phone-compose-remembered-${lang}-320.png`) });
    await card(page, DUTCH).scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(`phone-translation-${lang}-320.png`) });
  }
  await page.setViewportSize({ width: 360, height: PHONE.viewport.height });
  await openPhone(page, 'fr');
  for (const v of await axe(page)) problems.push(`axe: ${v}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(page.errors.filter((e) => !/WebSocket/.test(e)), [], 'no script error on the phone');
  assert.deepEqual(marc.page.errors.filter((e) => !/WebSocket/.test(e)), [], 'no script error on the Dutch phone');
});
