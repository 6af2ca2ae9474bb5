// The way back, in real Chromium: a person registers on a phone without an email and leaves
// with a link and a code; a fresh browser opens the link and sees where they stand; on the day
// the page is the way in; cancelling promotes the next on the waiting list, who comes back with
// the code alone. The language switch works on the result page and on every page a person
// meets on the way (answers to a POST included). The cards print 8 (or 4 large) per A4 page:
// printed to PDF by Chromium and counted with pdfinfo and pdftotext.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAll, stopAll, newPage, PHONE, SCREEN, axe, screenshotPath, overflows } from './lib/harness.js';
import { api, openOrganiser } from './lib/flows.js';

let srv;
let browser;
let org;
let proc;
let today;

// brussels writes an instant as the organiser's API reads it: local time in Brussels.
function brussels(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

async function registerOnPhone(name, options = PHONE) {
  const { context, page } = await newPage(browser, options);
  await page.goto(`${srv.url}/p/${proc.slug}`);
  await page.getByLabel('Votre nom ou un pseudonyme').fill(name);
  await page.getByLabel(/Atelier du jour/).check();
  await page.getByRole('button', { name: /M'inscrire/ }).click();
  await page.locator('.way-code').waitFor();
  return { context, page, code: (await page.locator('.way-code').textContent()).trim(), link: (await page.locator('.way-link').textContent()).trim() };
}

before(async () => {
  ({ srv, browser } = await startAll());
  org = await openOrganiser(browser, srv, SCREEN);
  proc = (await api(org.page, 'POST', '/api/organise/processes', { title: 'Assises retour', capacity: 1, perOrgCap: 2, invitationRequired: true })).process;
  const start = new Date();
  today = (
    await api(org.page, 'POST', `/api/organise/processes/${proc.id}/workshops`, {
      title: 'Atelier du jour', starts: brussels(start), ends: brussels(new Date(start.getTime() + 3 * 3600 * 1000)), place: 'Rue Haute 1, Bruxelles', capacity: 0, agenda: [],
    })
  ).workshop;
  assert.ok(today && today.id, 'the session of today was created');
});

after(() => stopAll(srv, browser));

test('register on a phone without email, come back with the link, cancel, the next comes back with the code', async () => {
  const problems = [];
  const samira = await registerOnPhone('Samira');
  const p = samira.page;
  assert.match(samira.code, /^[34679ACEFHJKMNPRTWXY]{3}-[34679ACEFHJKMNPRTWXY]{3}-[34679ACEFHJKMNPRTWXY]{4}$/);
  assert.match(samira.link, /\/i\/[A-Za-z0-9_-]{43}$/);
  await p.getByText('Place confirmée').waitFor();
  await p.getByText(/Gardez ce code/).waitFor();
  assert.equal(new URL(p.url()).pathname, `/p/${proc.slug}/registered`);
  assert.ok(!p.url().includes(samira.link.split('/i/')[1]), 'the result page address does not carry the link');
  problems.push(...(await axe(p)).map((v) => `result: ${v}`));
  for (const [width, height] of [[1920, 1080], [1366, 768], [360, 740], [320, 740]]) {
    await p.setViewportSize({ width, height });
    assert.deepEqual(await overflows(p), [], `result page at ${width} px`);
    await p.screenshot({ path: screenshotPath(`wayback-result-${width}.png`), fullPage: true });
  }

  // The language switch on the result page: the same code, in Dutch, then back.
  await p.getByRole('link', { name: 'NL', exact: true }).click();
  await p.getByText('Plaats bevestigd').waitFor();
  assert.equal(await p.getAttribute('html', 'lang'), 'nl');
  assert.equal((await p.locator('.way-code').textContent()).trim(), samira.code);
  // Exact: in Dutch, the process's title (not translated) links with its "FR" mark.
  await p.getByRole('link', { name: 'FR', exact: true }).click();
  await p.getByText('Place confirmée').waitFor();

  // Tom finds the session full: waiting list, first in line.
  const tom = await registerOnPhone('Tom');
  await tom.page.getByText(/Sur la liste d'attente\. — n° 1/).waitFor();

  // A fresh browser opens Samira's link: her page shows her place and, today, the way in.
  const { page: again } = await newPage(browser, PHONE);
  await again.goto(samira.link);
  assert.equal(new URL(again.url()).pathname, '/me');
  await again.getByText('Place confirmée').waitFor();
  const enter = again.getByRole('link', { name: /Entrer dans la séance/ });
  assert.equal(await enter.getAttribute('href'), `/w/${today.id}`);
  await again.getByRole('link', { name: /Comment s'y rendre/ }).waitFor();
  problems.push(...(await axe(again)).map((v) => `my sessions: ${v}`));
  for (const [width, height] of [[1920, 1080], [1366, 768], [360, 740], [320, 740]]) {
    await again.setViewportSize({ width, height });
    assert.deepEqual(await overflows(again), [], `my sessions at ${width} px`);
    await again.screenshot({ path: screenshotPath(`wayback-me-${width}.png`), fullPage: true });
  }
  // She gives her place back.
  again.once('dialog', (d) => d.accept());
  await again.getByRole('button', { name: /Libérer ma place/ }).click();
  await again.getByText(/Votre place est libérée pour/).waitFor();

  // Tom comes back with nothing but his code, typed on another phone in small letters.
  const { page: code } = await newPage(browser, PHONE);
  await code.goto(`${srv.url}/code`);
  for (const width of [360, 320]) {
    await code.setViewportSize({ width, height: 740 });
    assert.deepEqual(await overflows(code), [], `code page at ${width} px`);
  }
  await code.screenshot({ path: screenshotPath('wayback-code-320.png'), fullPage: true });
  problems.push(...(await axe(code)).map((v) => `code: ${v}`));
  await code.getByLabel('Votre code').fill(tom.code.toLowerCase().replaceAll('-', ' '));
  await code.getByRole('button', { name: 'Entrer' }).click();
  await code.waitForURL(/\/me$/);
  await code.getByText('Place confirmée').waitFor();
  await code.getByRole('link', { name: /Entrer dans la séance/ }).waitFor();

  for (const page of [p, tom.page, again, code]) assert.deepEqual(page.errors, []);
  assert.deepEqual(problems, []);
});

test('the language switch works on every page a person meets, answers to a POST included', async () => {
  const { page } = await newPage(browser, PHONE);
  const visits = [];
  // Pages reached by a GET.
  for (const path of ['/', `/p/${proc.slug}`, '/code', '/join', '/me']) visits.push({ path, how: async () => page.goto(`${srv.url}${path}`) });
  // Answers to a POST: a refused registration, a refused code.
  visits.push({
    path: 'refused registration',
    how: async () => {
      await page.goto(`${srv.url}/p/${proc.slug}`);
      await page.getByRole('button', { name: /M'inscrire|Inschrijven|Register/ }).click();
      await page.locator('#reg-problem').waitFor();
    },
  });
  visits.push({
    path: 'refused code',
    how: async () => {
      await page.goto(`${srv.url}/code`);
      await page.locator('#code-input').fill('AAA-AAA-AAAA');
      await page.locator('form.codeform button').click();
      await page.locator('#code-problem').waitFor();
    },
  });
  for (const v of visits) {
    for (const [label, lang] of [['NL', 'nl'], ['EN', 'en'], ['FR', 'fr']]) {
      await v.how();
      const resp = page.waitForResponse((r) => r.request().isNavigationRequest());
      await page.locator('nav.langs').getByRole('link', { name: label }).click();
      const status = (await resp).status();
      assert.ok(status !== 404 && status !== 405, `${v.path} → ${label}: got ${status}`);
      await page.waitForLoadState();
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${v.path} → ${label}`);
      assert.doesNotMatch(await page.locator('main').innerText(), /Pagina niet gevonden|Page not found|Page introuvable/, `${v.path} → ${label}`);
    }
  }
  assert.deepEqual(page.errors, []);
});

test('cards print 8 per A4 page, or 4 large ones', async () => {
  const o = org.page;
  await o.goto(`${srv.url}/organise?process=${proc.id}`);
  await o.waitForSelector('#organise[data-ready="true"]');
  // Nine more people with a place (the organiser places by hand, outside capacity).
  for (let i = 1; i <= 9; i++) {
    const r = await api(o, 'POST', `/api/organise/processes/${proc.id}/people`, { displayName: `Carte${i}`, organisation: `Org ${i}`, serviceUser: false, workshops: [today.id] });
    assert.ok(r.person, `person ${i}: ${JSON.stringify(r)}`);
  }
  // One person has a place in six sessions and a long name: a printed card lists the first
  // sessions and counts the rest, and nothing at its foot is cut off.
  const later = [];
  for (let d = 1; d <= 5; d++) {
    const start = new Date(Date.now() + d * 24 * 3600 * 1000);
    later.push((await api(o, 'POST', `/api/organise/processes/${proc.id}/workshops`, {
      title: `Atelier de suivi numéro ${d} avec un titre assez long`, starts: brussels(start), ends: brussels(new Date(start.getTime() + 3 * 3600 * 1000)),
      place: 'Maison de quartier, rue de la Victoire 112, Saint-Gilles', capacity: 0, agenda: [],
    })).workshop.id);
  }
  const many = await api(o, 'POST', `/api/organise/processes/${proc.id}/people`, { displayName: 'Marie-Christine Vandenbroucke-Lemaire', organisation: 'CPAS de Saint-Gilles', serviceUser: false, workshops: [today.id, ...later] });
  assert.ok(many.person, `the person of six sessions: ${JSON.stringify(many)}`);
  const dir = mkdtempSync(join(tmpdir(), 'assises-cards-'));
  for (const [size, perPage, shown] of [['', 8, 1], ['large', 4, 1]]) {
    await o.goto(`${srv.url}/organise/processes/${proc.id}/cards?workshop=${today.id}${size ? '&size=' + size : ''}`);
    const cards = await o.locator('.invitecard').count();
    for (const [width, height] of [[1920, 1080], [1366, 768], [360, 740], [320, 740]]) {
      await o.setViewportSize({ width, height });
      assert.deepEqual(await overflows(o), [], `cards on screen at ${width} px`);
      if (!size) await o.screenshot({ path: screenshotPath(`cards-screen-${width}.png`) });
    }
    await o.setViewportSize(SCREEN.viewport);
    assert.ok(cards >= 10, `${cards} cards`); // the nine, the person of six sessions, and Tom when the first test ran
    assert.equal(await o.locator('.invitecard .ic-code strong').count(), cards);
    const hers = o.locator('.invitecard', { hasText: 'Vandenbroucke' });
    assert.equal(await hers.locator('.ic-sessions li').count(), shown, `${size || 'small'}: sessions listed on the card of six`);
    assert.equal((await hers.locator('.ic-more').textContent()).trim(), `+ ${6 - shown} autres séances : voir « Mes séances » avec votre code.`);
    await o.emulateMedia({ media: 'print' });
    const cut = await o.evaluate(() => [...document.querySelectorAll('.invitecard')].flatMap((c) => {
      const box = c.getBoundingClientRect();
      return [...c.querySelectorAll('.ic-name, .ic-code, .ic-sessions li, .ic-more, .ic-how, .ic-link, .ic-keep')]
        .filter((e) => e.getBoundingClientRect().bottom > box.bottom + 0.5 || e.getBoundingClientRect().right > box.right + 0.5)
        .map((e) => `${c.querySelector('.ic-name').textContent}: ${e.className || e.tagName}`);
    }));
    assert.deepEqual(cut, [], `${size || 'small'}: printed cards cut off`);
    await o.screenshot({ path: screenshotPath(`cards-print-${size || 'small'}.png`), fullPage: true });
    const file = join(process.env.ASSISES_CARDS_PDF || dir, `cards-${size || 'small'}.pdf`);
    writeFileSync(file, await o.pdf({ preferCSSPageSize: true, printBackground: true }));
    await o.emulateMedia({ media: null });
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)[1]);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const perPageNames = text.split('\f').filter((t) => t.trim()).map((t) => (t.match(/Carte\d|\bTom\b|Marie-Christine/g) || []).length);
    assert.equal(pages, Math.ceil(cards / perPage), `${size || 'small'}: pages (cards per page: ${perPageNames})`);
    assert.match(info, /Page size:.*\(A4\)/, 'A4');
    const expected = [];
    for (let left = cards; left > 0; left -= perPage) expected.push(Math.min(perPage, left));
    assert.deepEqual(perPageNames, expected, `${size || 'small'}: cards per page`);
  }
  assert.deepEqual(o.errors, []);
});
