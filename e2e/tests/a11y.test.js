// Accessibility: axe-core finds no serious or critical WCAG 2.1 A/AA violation on any page, in
// French, Dutch and English, with live content on the screens (a contribution, a comment, a
// vote, a running timer).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, PHONE, SCREEN, axe } from './lib/harness.js';
import { openOrganiser, firstSession, invite, join, until, card, openPanel, closePanel, openConsole } from './lib/flows.js';

let srv;
let browser;
let org;
let mod;
let lea;
let session;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  org = await openOrganiser(browser, srv, SCREEN);
  session = await firstSession(org.page);
  const modLink = await invite(org.page, { name: 'Eric', organisation: 'Stics asbl', role: 'moderator', session: session.id });
  const leaLink = await invite(org.page, { name: 'Léa', organisation: "Maison de l'Emploi de Forest", session: session.id });
  mod = await openConsole(browser, srv, modLink, session.id, SCREEN);
  lea = await join(browser, leaLink, PHONE);
  const m = mod.page;
  await openPanel(m, 'questions');
  await m.locator('#q-diagnostic').fill('Quels constats ?');
  await m.locator('#q-diagnostic').locator('xpath=..').getByRole('button').click();
  await closePanel(m, 'questions');
  await m.locator('#stepper button[data-phase="diagnostic"]').click();
  await m.getByRole('button', { name: '⏱️ 10 min' }).click();
  await until(lea.page, () => document.documentElement.dataset.phase === 'diagnostic', null, 'the diagnostic');
  await lea.page.locator('#body').fill('Les formulaires sont trop compliqués');
  await lea.page.locator('#send').click();
  await card(lea.page, 'Les formulaires').getByRole('button', { name: /Je soutiens/ }).click();
  await card(m, 'Les formulaires').waitFor();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const LANGS = { fr: 'Envoyer', nl: 'Versturen', en: 'Send' };

for (const [lang, send] of Object.entries(LANGS)) {
  test(`no serious or critical accessibility violation, in ${lang}`, async () => {
    const pages = [
      ['home', org.page, '/'],
      ['process', org.page, '/p/assises-logement-travail-social'],
      ['join', org.page, '/join?code=NOPE1234'],
      ['sign-in refused', org.page, '/i/not-a-token'],
      ['not found', org.page, '/nothing/here'],
      ['organiser', org.page, '/organise'],
      ['participant', lea.page, `/w/${session.id}`],
      ['moderator', mod.page, `/w/${session.id}/moderate`],
      ['projector', mod.page, `/w/${session.id}/projector`],
    ];
    const problems = [];
    for (const [name, page, path] of pages) {
      await page.goto(`${srv.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${name}: <html lang>`);
      if (name === 'organiser') await page.waitForSelector('#organise[data-ready="true"]');
      if (['participant', 'moderator', 'projector'].includes(name)) {
        await page.waitForSelector('#live[data-ready="true"]');
        await page.waitForTimeout(300);
      }
      if (name === 'participant') {
        // The script's texts are in the chosen language too.
        assert.match(await page.locator('#send').textContent(), new RegExp(send));
        await card(page, 'Les formulaires').locator('summary').click();
      }
      for (const v of await axe(page)) problems.push(`${name} (${lang}): ${v}`);
      if (name === 'projector' && lang === 'fr') {
        // French and Dutch side by side.
        await page.locator('#bilingual').click();
        await page.locator('[data-part="phase"] [lang="nl"]').waitFor();
        for (const v of await axe(page)) problems.push(`projector bilingual: ${v}`);
        await page.locator('#bilingual').click();
      }
    }
    assert.deepEqual(problems, []);
  });
}
