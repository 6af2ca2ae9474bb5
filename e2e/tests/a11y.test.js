// Accessibility: axe-core finds no serious or critical WCAG 2.1 A/AA violation on any page, in
// French, Dutch and English, with live content on the screens (a contribution, a comment, a
// vote, a running timer).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, SCREEN, axe } from './lib/harness.js';
import { moderatorAndLea, askQuestion, until, card } from './lib/flows.js';

let srv, browser, org, mod, lea, session;

before(async () => {
  ({ srv, browser } = await startAll());
  ({ org, session, mod, lea } = await moderatorAndLea(browser, srv, { name: 'Eric', organisation: 'Stics asbl' }, SCREEN));
  const m = mod.page;
  await askQuestion(m, 'diagnostic', 'Quels constats ?');
  await m.locator('#stepper button[data-phase="diagnostic"]').click();
  await m.getByRole('button', { name: '⏱️ 10 min' }).click();
  await until(lea.page, () => document.documentElement.dataset.phase === 'diagnostic', null, 'the diagnostic');
  await lea.page.locator('#body').fill('Les formulaires sont trop compliqués');
  await lea.page.locator('#send').click();
  await card(lea.page, 'Les formulaires').getByRole('button', { name: /Je soutiens/ }).click();
  await card(m, 'Les formulaires').waitFor();
});

after(() => stopAll(srv, browser));

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
        // The page as the hall sees it: the click woke the controls, which hide again at rest.
        await page.waitForFunction(() => !document.documentElement.classList.contains('hall-pointer'));
        for (const v of await axe(page)) problems.push(`projector bilingual: ${v}`);
        await page.locator('#bilingual').click();
      }
    }
    assert.deepEqual(problems, []);
  });
}
