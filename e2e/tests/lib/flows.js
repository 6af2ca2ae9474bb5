// Flows the tests share: the organiser inviting people through the organiser page, people
// opening their links, the moderator steering the room.

import assert from 'node:assert/strict';
import { newPage, recordErrors, PHONE, SCREEN } from './harness.js';

// openOrganiser signs the organiser in with the printed link and opens the organiser page.
// api calls the organiser API from the organiser's page, with its CSRF token.
export function api(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const csrf = document.getElementById('organise').dataset.csrf;
      const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) });
      return r.json();
    },
    [method, path, body],
  );
}

export async function openOrganiser(browser, srv, options) {
  const { context, page } = await newPage(browser, options);
  // The link signs the organiser in and lands on the organiser's desk.
  await page.goto(srv.organiserLink);
  await page.waitForURL('**/organise');
  await page.waitForSelector('#organise[data-ready="true"]');
  await page.waitForSelector('.session[data-workshop]');
  return { context, page };
}

// firstSession returns the id and title of the first session shown on the organiser page.
export async function firstSession(page) {
  const li = page.locator('.session[data-workshop]').first();
  return { id: Number(await li.getAttribute('data-workshop')), title: (await li.locator('h3').textContent()).split('—')[0].trim() };
}

// invite fills the organiser's invitation form and returns the personal link it shows.
export async function invite(page, { name, organisation, role = 'participant', session }) {
  const form = page.locator('#invite-form');
  await form.getByLabel('Nom ou pseudonyme').fill(name);
  await form.getByLabel('Organisation', { exact: true }).fill(organisation);
  await form.getByLabel('Rôle').selectOption(role);
  await form.locator(`input[name="workshops"][value="${session}"]`).check();
  await form.getByRole('button', { name: /Inviter/ }).click();
  const box = page.locator('#invite-result .linkbox');
  await box.getByText(name).waitFor();
  const link = await box.locator('input').inputValue();
  assert.match(link, /\/i\/[A-Za-z0-9_-]{40,}$/);
  return link;
}

// join opens a personal link in a fresh context and waits for the live room.
export async function join(browser, link, options) {
  const { context, page } = await newPage(browser, options);
  await page.goto(link);
  await page.waitForSelector('#live[data-ready="true"]');
  return { context, page };
}

// waitFor polls fn in the page until it returns something truthy.
export async function until(page, fn, arg, what = 'condition', timeout = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  }
}

// card returns the locator of a contribution card by (part of) its text.
export function card(page, text) {
  return page.locator('#contributions .contrib').filter({ has: page.locator('.c-body', { hasText: text }) });
}

// contributionId returns the id of a visible contribution as the moderator's console shows it:
// the moderator shows every contribution (the "all" filter), and the card whose text holds
// body carries the id the console's own buttons act on. It waits until that card is there.
export async function contributionId(mod, body) {
  const all = mod.locator('.filters [data-filter="all"]');
  if ((await all.getAttribute('aria-pressed')) !== 'true') await all.click();
  await mod.locator('.filters [data-filter="all"][aria-pressed="true"]').waitFor();
  const c = mod.locator('#contributions .contrib[data-status="visible"]').filter({ has: mod.locator('.c-body', { hasText: body }) });
  await c.waitFor();
  return Number(await c.getAttribute('data-id'));
}

// movePhase moves the session to a phase from the console's stepper, as the moderator does,
// and waits until the stepper marks it as the current step (the server's answer).
export async function movePhase(page, phase) {
  await page.locator(`#stepper button[data-phase="${phase}"]`).click();
  await page.locator(`#stepper button[data-phase="${phase}"][aria-current="step"]`).waitFor();
}

// openPanel opens one of the console's settings panels (questions, votes, room, agenda,
// rounds, groups, attendance, plenary, write) from its button and returns the panel.
export async function openPanel(page, name) {
  await page.locator(`.cockpit-rail [data-panel="${name}"]`).click();
  const panel = page.locator(`#panel-${name}`);
  await panel.waitFor();
  return panel;
}

// closePanel closes the open console panel with Escape, as a keyboard user would.
export async function closePanel(page, name) {
  await page.keyboard.press('Escape');
  await page.locator(`#panel-${name}`).waitFor({ state: 'hidden' });
}

// openConsole opens a moderator's personal link in a fresh context, then the session's
// console, and waits until it is live.
export async function openConsole(browser, srv, link, sessionId, options) {
  const mod = await join(browser, link, options);
  await mod.page.goto(`${srv.url}/w/${sessionId}/moderate`);
  await mod.page.waitForSelector('#live[data-ready="true"]');
  return mod;
}

// moderatorAndLea has the organiser invite a moderator and Léa to the first session, then
// opens the moderator's console (sized consoleSize) and Léa's phone.
export async function moderatorAndLea(browser, srv, moderator, consoleSize) {
  const org = await openOrganiser(browser, srv, SCREEN);
  const session = await firstSession(org.page);
  const modLink = await invite(org.page, { ...moderator, role: 'moderator', session: session.id });
  const leaLink = await invite(org.page, { name: 'Léa', organisation: "Maison de l'Emploi de Forest", session: session.id });
  const mod = await openConsole(browser, srv, modLink, session.id, consoleSize);
  const lea = await join(browser, leaLink, PHONE);
  return { org, session, mod, lea };
}

// askQuestion shows the question of a phase through the console's questions panel.
export async function askQuestion(page, phase, text) {
  const q = await openPanel(page, 'questions');
  await q.locator(`#q-${phase}`).fill(text);
  await q.locator(`#q-${phase}`).locator('xpath=..').getByRole('button').click();
  await closePanel(page, 'questions');
}

// openProjector opens the session's projector in a tab of the organiser's browser, keeping
// the page's errors in proj.errors, and waits until it is live.
export async function openProjector(org, srv, sessionId) {
  const proj = await recordErrors(await org.context.newPage());
  await proj.setViewportSize(SCREEN.viewport);
  await proj.goto(`${srv.url}/w/${sessionId}/projector`);
  await proj.waitForSelector('#live[data-ready="true"]');
  return proj;
}

// command runs a command through a page's own live connection (its real WebSocket) and waits
// for its acknowledgement; a refusal rejects with its code. It reaches into window.assises,
// which a page sets only when the server runs with -test-hooks: tests drive the pages'
// buttons instead, and keep this only to bring a page to a state whose own UI is tested
// elsewhere (say why where you call it).
export async function command(page, name, args) {
  await page.evaluate(
    ([name, args]) =>
      new Promise((resolve, reject) => {
        const ctx = window.assises.ctx;
        const id = ctx.send(name, args, resolve);
        ctx.live.addEventListener('reject', (e) => e.detail.id === id && reject(new Error(`${name}: ${e.detail.code} ${e.detail.message || ''}`)));
      }),
    [name, args],
  );
}

// moderatedSession: the organiser signs in and invites a moderator to the first session, who
// opens its console. The organiser's page stays open to invite more people.
export async function moderatedSession(browser, srv) {
  const org = await openOrganiser(browser, srv, SCREEN);
  const session = await firstSession(org.page);
  const modLink = await invite(org.page, { name: 'Nadia', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id });
  const mod = await openConsole(browser, srv, modLink, session.id, SCREEN);
  return { org, session, mod };
}

// barrier asks a question (of the current phase) from the console and waits until every
// page shows it, then puts the phase's question back. A socket delivers in order, so whatever
// the server sent a page before the barrier has arrived by then: an absence checked after it
// is an absence, not a message still on its way.
let barriers = 0;
export async function barrier(mod, pages) {
  const text = `Point d'étape ${++barriers}`;
  const phase = await mod.evaluate(() => document.documentElement.dataset.phase);
  const previous = await mod.locator(`#q-${phase}`).inputValue();
  await askQuestion(mod, phase, text);
  const shown = (t) => document.querySelector('[data-part="question"]')?.textContent.includes(t);
  for (const p of pages) await until(p, shown, text, `the barrier question on ${p.url()}`);
  await askQuestion(mod, phase, previous);
  if (previous) for (const p of pages) await until(p, shown, previous, `the question back on ${p.url()}`);
}
