// Registration to the room, in real Chromium: a person registers on the public page (a
// refused first try keeps what they typed), the organiser prints the invitation cards, the
// card's link opens the session on a phone; at the door a moderator finds someone by name
// (her phone learns it live) and adds a walk-in whose QR code's link opens the session on
// their own phone; the walk-in's page keeps its QR code and code through the language switch
// and a reload, at 360 and 320 px. axe-core checks the new pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE, SCREEN, axe, screenshotPath, overflows } from './lib/harness.js';
import { api, openOrganiser } from './lib/flows.js';

let srv;
let browser;
let org;
let proc;
let session;

before(async () => {
  ({ srv, browser } = await startAll());
  org = await openOrganiser(browser, srv, SCREEN);
  // The demo's sessions are in the past: a process with one session to come, one place.
  proc = (await api(org.page, 'POST', '/api/organise/processes', { title: 'Assises e2e', capacity: 1, perOrgCap: 2, invitationRequired: true })).process;
  const year = new Date().getFullYear() + 1;
  session = (
    await api(org.page, 'POST', `/api/organise/processes/${proc.id}/workshops`, { title: 'Atelier habitat', starts: `${year}-03-12T09:30`, ends: `${year}-03-12T13:00`, place: 'COOP', capacity: 0, agenda: [] })
  ).workshop;
});

after(() => stopAll(srv, browser));

test('register, get a card, open it on a phone; the door and a walk-in', async () => {
  const problems = [];
  const { page: visitor } = await newPage(browser, PHONE);
  await visitor.goto(`${srv.url}/p/${proc.slug}`);
  const form = visitor.locator('form.regform');
  await form.getByLabel('Votre organisation').fill('Maison de quartier');
  await form.getByRole('button', { name: /M'inscrire/ }).click();
  // Refused: the problems are listed, focused, and the organisation is kept.
  await visitor.locator('#reg-problem').waitFor();
  assert.equal(await visitor.evaluate(() => document.activeElement.id), 'reg-problem');
  assert.equal(await form.getByLabel('Votre organisation').inputValue(), 'Maison de quartier');
  problems.push(...(await axe(visitor)).map((v) => `refused form: ${v}`));
  await form.getByLabel('Votre nom ou un pseudonyme').fill('Samira');
  await form.getByLabel(/Atelier habitat/).check();
  await form.getByRole('button', { name: /M'inscrire/ }).click();
  await visitor.getByText('Place confirmée').waitFor();
  problems.push(...(await axe(visitor)).map((v) => `result: ${v}`));

  // A second person finds the session full: waiting list, said in plain words.
  const { page: second } = await newPage(browser, PHONE);
  await second.goto(`${srv.url}/p/${proc.slug}`);
  await second.getByLabel('Votre nom ou un pseudonyme').fill('Tom');
  await second.getByLabel(/Atelier habitat/).check();
  await second.getByRole('button', { name: /M'inscrire/ }).click();
  await second.getByText(/Toutes les places sont prises/).waitFor();

  // The organiser prints the cards: one, Samira's; its link opens her session on a phone.
  const o = org.page;
  await o.goto(`${srv.url}/organise/processes/${proc.id}/cards?workshop=${session.id}`);
  assert.equal(await o.locator('.invitecard').count(), 1);
  assert.equal((await o.locator('.ic-name').textContent()).trim(), 'Samira');
  problems.push(...(await axe(o)).map((v) => `cards: ${v}`));
  const cardLink = (await o.locator('.ic-link').textContent()).trim();
  const { page: phone } = await newPage(browser, PHONE);
  await phone.goto(cardLink);
  await phone.waitForSelector('#live[data-ready="true"]');
  assert.equal(new URL(phone.url()).pathname, `/w/${session.id}`);
  // Check-in means arrival: the card opened months before the session marks nobody present,
  // and her own "Je suis là" is refused in plain words, with when it will count.
  await phone.locator('#arrival-button').waitFor();
  await phone.locator('#arrival-button').click();
  await phone.getByText(/Trop tôt ou trop tard/).first().waitFor();
  assert.equal(await phone.locator('#arrival-done').isVisible(), false, 'the card opened at home says she arrived');
  problems.push(...(await axe(phone)).map((v) => `participant before the day: ${v}`));

  // At the door: find Samira by name — not arrived —, check her in; add a walk-in.
  await o.goto(`${srv.url}/w/${session.id}/door?q=sami`);
  problems.push(...(await axe(o)).map((v) => `door: ${v}`));
  assert.equal(await o.getByText(/Arrivé·e à/).count(), 0, 'the card opened at home checked nobody in');
  const csv = async () => o.evaluate(async (id) => (await fetch(`/organise/workshops/${id}/attendance.csv`)).text(), session.id);
  assert.doesNotMatch((await csv()).split('\n').find((l) => l.includes('Samira')), /\d\d:\d\d/, 'attendance before the door');
  await o.getByRole('button', { name: /Présent·e — Samira/ }).click();
  await o.getByText(/Samira est enregistré·e comme présent·e/).waitFor();
  await o.getByText(/Arrivé·e à/).waitFor();
  assert.match((await csv()).split('\n').find((l) => l.includes('Samira')), /\d\d:\d\d/, 'attendance after the door');
  // Her phone, open all along, learns it live, with the time: no reload.
  await phone.locator('#arrival-done').waitFor();
  assert.match((await phone.locator('#arrival-time').textContent()).trim(), /^\d\d:\d\d$/);
  await o.locator('#walkin-name').fill('Karim');
  await o.getByRole('button', { name: /Ajouter et montrer son code/ }).click();
  await o.locator('img.bigqr').waitFor();
  problems.push(...(await axe(o)).map((v) => `walk-in: ${v}`));
  const walkinLink = (await o.locator('.linktext').textContent()).trim();
  const { page: karim } = await newPage(browser, PHONE);
  await karim.goto(walkinLink);
  await karim.waitForSelector('#live[data-ready="true"]');

  // The walk-in's page is a page of its own (Post/Redirect/Get): the language switch and a
  // reload show the same QR code and code, on a phone's width, with no text cut.
  assert.match(new URL(o.url()).pathname, new RegExp(`^/w/${session.id}/door/walkin/\\d+$`));
  const walkinCode = (await o.locator('.way-code').textContent()).trim();
  assert.match(walkinCode, /^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}$/);
  const sameWayIn = async (what) => {
    assert.equal((await o.locator('.linktext').textContent()).trim(), walkinLink, `${what}: the same link`);
    assert.equal((await o.locator('.way-code').textContent()).trim(), walkinCode, `${what}: the same code`);
    assert.ok(await o.locator('img.bigqr').isVisible(), `${what}: the QR code`);
  };
  for (const width of [360, 320]) {
    await o.setViewportSize({ width, height: 740 });
    for (const [label, lang] of [['NL', 'nl'], ['EN', 'en'], ['FR', 'fr']]) {
      const resp = o.waitForResponse((r) => r.request().isNavigationRequest());
      await o.locator('nav.langs').getByRole('link', { name: label }).click();
      assert.equal((await resp).status(), 200, `walk-in page → ${label}`);
      await o.waitForLoadState();
      assert.equal(await o.getAttribute('html', 'lang'), lang);
      await sameWayIn(`${label} at ${width} px`);
      assert.deepEqual(await overflows(o), [], `walk-in page in ${label} at ${width} px`);
      await o.screenshot({ path: screenshotPath(`walkin-${lang}-${width}.png`), fullPage: true });
    }
  }
  await o.reload();
  await sameWayIn('reload');
  await o.setViewportSize(SCREEN.viewport);

  // The organiser's phone is still the organiser's.
  await o.goto(`${srv.url}/organise?process=${proc.id}`);
  await o.waitForSelector('#organise[data-ready="true"]');
  for (const p of [visitor, second, phone, karim, o]) assert.deepEqual(p.errors, []);
  assert.deepEqual(problems, []);
});
