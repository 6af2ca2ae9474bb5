// An open session in real Chromium: the organiser makes a session open; a phone that never
// registered scans the projector's QR, types a pseudonym and is in the live session. Joining
// during the session's hours is arriving: the phone shows "arrived" without a tap, and the
// door shows them arrived. axe-core checks the pseudonym form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, PHONE, SCREEN, axe } from './lib/harness.js';
import { api, openOrganiser, openProjector } from './lib/flows.js';

let srv;
let browser;
let org;

// brusselsDay is a day in Brussels time, as the organiser's forms take it.
function brusselsDay(offsetDays) {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Brussels' }).format(new Date(Date.now() + offsetDays * 86400000));
}

before(async () => {
  ({ srv, browser } = await startAll());
  org = await openOrganiser(browser, srv, SCREEN);
});
after(() => stopAll(srv, browser));

test('a phone joins an open session from the projector QR with a pseudonym, no registration', async () => {
  const o = org.page;
  const proc = (await api(o, 'POST', '/api/organise/processes', { title: 'Plénière ouverte', capacity: 0, perOrgCap: 0, invitationRequired: true })).process;
  // Today's plenary, open to everyone: now is within its hours.
  const session = (
    await api(o, 'POST', `/api/organise/processes/${proc.id}/workshops`, {
      title: 'Plénière de clôture', starts: `${brusselsDay(0)}T00:00`, ends: `${brusselsDay(1)}T23:00`, place: 'Flagey', capacity: 50, access: 'open', agenda: [],
    })
  ).workshop;
  assert.equal(session.access, 'open');

  const proj = await openProjector(org, srv, session.id);
  const qrURL = (await proj.locator('.hall-url').textContent()).trim();
  assert.match(qrURL, new RegExp(`/j/${session.code}$`));

  // A phone that never registered, with no link: the QR's address asks only for a pseudonym.
  const { page: phone } = await newPage(browser, PHONE);
  await phone.goto(qrURL);
  await phone.getByRole('heading', { name: 'Plénière de clôture' }).waitFor();
  assert.deepEqual(await axe(phone), [], 'axe on the pseudonym form');
  await phone.getByLabel('Votre pseudonyme').fill('Renard bleu');
  await phone.getByRole('button', { name: /Entrer dans la séance/ }).click();
  await phone.waitForSelector('#live[data-ready="true"]');
  assert.equal(new URL(phone.url()).pathname, `/w/${session.id}`);
  await phone.waitForSelector('#live[data-role="participant"]');

  // Within the session's hours, scanning the room's QR is arriving: no button to find.
  await phone.locator('#arrival-done').waitFor();
  assert.equal(await phone.locator('#arrival-button').isVisible(), false, 'no "Je suis là" left to tap');
  await o.goto(`${srv.url}/w/${session.id}/door?q=renard`);
  await o.getByText('Renard bleu').first().waitFor();
  await o.getByText(/Arrivé·e à/).waitFor();
  for (const p of [phone, proj, o]) assert.deepEqual(p.errors, []);
});
