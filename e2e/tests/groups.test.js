// A Partner Day in real Chromium: a moderator and four participants from four
// organisations (separate browser contexts, as separate phones). People check in by opening the
// session; the moderator splits them into two mixed groups (each phone shows its colour, symbol
// and name), steers the agenda; a contribution made in one group stays out of the other; the
// group's rapporteur marks it as an output; the moderator brings it to the plenary (its group
// shown as provenance) and puts it to a plenary vote whose tallies and result reach the
// projector; a three-step timed round advances by itself. axe-core checks the new states.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, PHONE, SCREEN, axe, screenshotPath } from './lib/harness.js';
import { openOrganiser, firstSession, invite, join, until, card, openPanel, closePanel, openProjector, barrier } from './lib/flows.js';

let srv;
let browser;

before(async () => ({ srv, browser } = await startAll()));
after(() => stopAll(srv, browser));

async function noViolations(page, what) {
  const v = await axe(page);
  assert.deepEqual(v, [], `axe on ${what}`);
}

test('mixed groups, group work, synthesis, a plenary vote and timed rounds', async () => {
  const started = Date.now();
  const org = await openOrganiser(browser, srv, SCREEN);
  const session = await firstSession(org.page);
  const who = [
    ['Amina', 'Mission Locale de Forest'],
    ['Bruno', 'CPAS de Saint-Gilles'],
    ['Chloé', 'Infor-Jeunes Bruxelles'],
    ['Dirk', 'Huurdersbond Brussel'],
  ];
  const modLink = await invite(org.page, { name: 'Sofia', organisation: 'Fédération des Services Sociaux', role: 'moderator', session: session.id });
  const links = [];
  for (const [name, organisation] of who) links.push(await invite(org.page, { name, organisation, session: session.id }));

  const mod = await join(browser, modLink, SCREEN);
  const m = mod.page;
  await m.goto(`${srv.url}/w/${session.id}/moderate`);
  await m.waitForSelector('#live[data-ready="true"]');
  // Opening the session's page checks a participant in (checkin.self).
  const phones = await Promise.all(links.map((l) => join(browser, l, PHONE)));
  const people = phones.map((p) => p.page);
  const proj = await openProjector(org, srv, session.id);

  // --- check-in: the four are present on the console; one is checked out and in again by hand ---
  const rosterRow = (name) => m.locator('#roster li[data-participant]').filter({ hasText: name });
  await openPanel(m, 'attendance');
  for (const [name] of who) await rosterRow(name).and(m.locator('[data-present="true"]')).waitFor();
  await rosterRow('Dirk').getByRole('checkbox').uncheck();
  await rosterRow('Dirk').and(m.locator('[data-present="false"]')).waitFor();
  await rosterRow('Dirk').getByRole('checkbox').check();
  await rosterRow('Dirk').and(m.locator('[data-present="true"]')).waitFor();
  await closePanel(m, 'attendance');

  // --- agenda: the first item, then straight to the recommendations ----------------------------
  await openPanel(m, 'agenda');
  await m.locator('#agenda-next').click();
  await until(people[0], () => /Accueil/.test(document.getElementById('agenda-now-text')?.textContent || ''), null, 'the agenda item on a phone');
  await m.locator('#agenda-goto').selectOption({ label: 'Recommandations vers les mandataires' });
  await m.getByRole('button', { name: 'Commencer ce point' }).click();
  for (const p of people) await until(p, () => document.documentElement.dataset.phase === 'recommendations', null, 'the recommendations phase');
  await until(m, () => /Fin prévue|Dépassement/.test(document.getElementById('agenda-timing').textContent), null, 'the item timing on the console');
  await closePanel(m, 'agenda');
  await until(m, () => /Recommandations vers les mandataires/.test(document.getElementById('agenda-line').textContent), null, 'the agenda item in the console header');


  // --- split into two groups, one person per organisation, with rapporteurs ---------------------
  await openPanel(m, 'groups');
  await m.locator('#split-n').fill('2');
  await m.locator('#split-orgcap').selectOption('1');
  await m.getByRole('button', { name: /Répartir les personnes présentes/ }).click();
  await until(m, () => document.querySelectorAll('#groups-board .group-box[data-group]').length === 2, null, 'two groups on the console');
  const groupOf = [];
  for (const p of people) {
    await p.locator('#mygroup .gchip.big').waitFor();
    groupOf.push(Number(await p.locator('#mygroup').getAttribute('data-group')));
    // Colour, symbol and name, never the colour alone.
    const chip = await p.locator('#mygroup .gchip').evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, symbol: el.querySelector('.gchip-symbol').textContent, name: el.querySelector('.gchip-name').textContent }));
    assert.notEqual(chip.bg, 'rgba(0, 0, 0, 0)');
    assert.ok(chip.symbol && chip.name, 'a symbol and a name');
  }
  assert.equal(new Set(groupOf).size, 2, 'two groups among the phones');
  assert.deepEqual([...new Set(groupOf)].map((g) => groupOf.filter((x) => x === g).length), [2, 2], 'sizes within one');
  await until(proj, () => document.querySelectorAll('#proj-groups-list .proj-group').length === 2, null, 'the groups on the projector');
  await m.locator('#groups-board').scrollIntoViewIfNeeded();
  await noViolations(m, 'the console with groups');
  // The split's summary speaks to the moderator, without an internal number.
  assert.doesNotMatch(await m.locator('#split-info').textContent(), /n°|\d{6,}/);
  await closePanel(m, 'groups');
  // Each group got a rapporteur, and only their phones say so: after a barrier, every
  // group.rapporteur (and every fresh snapshot of a group) has reached the phones.
  await barrier(m, people);
  const isRap = [];
  for (const p of people) isRap.push(await p.locator('#rapporteur-note').isVisible());
  assert.equal(isRap.filter(Boolean).length, 2, 'one rapporteur per group');

  // --- group work: a recommendation in group A stays out of group B ------------------------------
  const A = groupOf[0];
  const inA = people.filter((_, i) => groupOf[i] === A);
  const inB = people.filter((_, i) => groupOf[i] !== A);
  const rapA = people.find((_, i) => groupOf[i] === A && isRap[i]);
  const authorA = inA.find((p) => p !== rapA);
  const R1 = 'Un référent logement unique dans chaque CPAS';
  await authorA.locator('#body').fill(R1);
  await authorA.locator('#send').click();
  await card(rapA, R1).waitFor();
  await card(m, R1).locator('.c-group .gchip').waitFor();
  await until(proj, (g) => document.querySelector(`#proj-groups-list .proj-group[data-group="${g}"]`)?.textContent.includes('1 contributions'), A, 'the group count on the projector');
  // Everything sent before a later question has reached group B's phones: then look.
  await barrier(m, inB);
  for (const p of inB) assert.equal(await card(p, R1).count(), 0, 'not visible in group B');
  assert.ok(await inB[0].evaluate((t) => !document.body.textContent.includes(t), R1), 'nowhere on a group B phone');
  // The rapporteur marks it as the group's output.
  await card(rapA, R1).getByRole('button', { name: /Résultat du groupe/ }).click();
  await card(m, R1).locator('.c-badges').getByText('⭐ Résultat du groupe').waitFor();
  await noViolations(rapA, 'a rapporteur phone in a group');
  await rapA.evaluate(() => window.scrollTo(0, 0));
  await rapA.screenshot({ path: screenshotPath('participant-group-360.png') });

  // --- synthesis: the outputs come to the plenary with their provenance --------------------------
  await openPanel(m, 'plenary');
  // Only what the groups brought back, of this phase, is offered for a vote: not yet anything.
  assert.equal(await m.locator('#plenary-candidates li').count(), 0, 'no candidate before the outputs come back');
  await m.getByRole('button', { name: /Ramener les résultats des groupes/ }).click();
  for (const p of inB) await card(p, R1).locator('.c-prov').getByText(/Dit par/).waitFor();
  const candidate = m.locator('#plenary-candidates li').filter({ hasText: R1 });
  await candidate.getByText(/Dit par/).waitFor();
  await candidate.getByRole('checkbox').check();
  assert.equal(await m.locator('#plenary-candidates li').count(), 1, 'the group output alone is offered');
  // The moderator states the rule before opening: two thirds of the votes cast, 3 voters at least.
  await m.getByLabel(/Adoptée si les « pour » atteignent/).selectOption('2/3');
  await m.getByLabel(/Quorum/).fill('3');
  await m.locator('#plenary-form').screenshot({ path: screenshotPath('moderator-plenary-rule.png') });
  await m.getByRole('button', { name: /Ouvrir le vote sur la sélection/ }).click();

  // --- the plenary vote: three adopt, one rejects ------------------------------------------------
  for (const [i, p] of people.entries()) {
    const item = p.locator('#plenary-list li').filter({ hasText: R1 });
    await item.getByRole('button', { name: i === 3 ? /Rejeter/ : /Adopter/ }).click();
    await item.locator('.pl-mine').getByText(i === 3 ? 'Votre choix : Rejeter' : 'Votre choix : Adopter').waitFor();
  }
  await noViolations(people[0], 'a phone with an open plenary vote');
  await until(proj, () => /3 pour · 1 contre/.test(document.getElementById('top').textContent) && /4 votant·e·s sur 4 pouvant voter/.test(document.getElementById('top').textContent), null, 'live tallies and turnout on the projector');
  // The rule was stated when the vote opened: on the projector and on every phone.
  await until(proj, () => /Règle : au moins 2\/3 des voix exprimées \(pour et contre\) · au moins 3 votant·e·s/.test(document.getElementById('top').textContent), null, 'the rule on the projector');
  await people[0].locator('#plenary-list li .pl-rule').getByText(/Une égalité n'adopte pas/).waitFor();
  await m.locator('#plenary-results li').filter({ hasText: '3 pour · 1 contre' }).waitFor();
  await m.getByRole('button', { name: /Clore tous les votes/ }).click();
  await until(proj, () => document.querySelector('#top li[data-contribution]')?.dataset.outcome === 'adopted' && /Adoptée/.test(document.getElementById('top').textContent), null, 'the result on the projector');
  for (const p of people) await p.locator('#plenary-list li[data-outcome="adopted"]').getByText(/Adoptée/).waitFor();
  await until(people[1], () => /Le vote est clos/.test(document.getElementById('announcer').textContent), null, 'the result announced');
  await closePanel(m, 'plenary');
  await noViolations(proj, 'the projector with groups and a plenary result');
  await proj.screenshot({ path: screenshotPath('projector-groups-1920.png') });

  // --- timed rounds: three steps of 10 minutes, moved on by the moderator -----------------------
  // Nothing here waits for a deadline: the rounds are long, and the moderator's "next round"
  // moves them on (that a round ends by itself at its deadline, on the server's clock, is
  // server.TestRoundsFollowServerClock's job).
  await openPanel(m, 'rounds');
  await m.locator('#round-unit').selectOption('60');
  for (const k of ['presentation', 'questions', 'advice']) await m.locator(`#round-${k}`).fill('10');
  await m.locator('#round-repeat').fill('1');
  await m.getByRole('button', { name: /Lancer les tours/ }).click();
  await until(m, () => /Présentation du cas|Questions|Conseils/.test(document.getElementById('rounds-line').textContent), null, 'the round in the console header');
  const p0 = people[0];
  await until(p0, () => /Présentation du cas/.test(document.getElementById('round-now').textContent) && !document.getElementById('round').hidden, null, 'the first round on a phone');
  await until(proj, () => /Cas 1 sur 1/.test(document.getElementById('proj-round-now').textContent), null, 'the round on the projector');
  await until(p0, () => /^(10:00|9:[0-5]\d)$/.test(document.getElementById('round-left').textContent), null, 'a ten-minute countdown');
  await noViolations(p0, 'a phone during a timed round');
  await m.locator('#rounds-next-btn').click();
  await until(p0, () => /Questions/.test(document.getElementById('round-now').textContent), null, 'the second round');
  await m.locator('#rounds-next-btn').click();
  await until(p0, () => /Conseils/.test(document.getElementById('round-now').textContent), null, 'the third round');
  await m.locator('#rounds-next-btn').click();
  await until(p0, () => document.getElementById('round').hidden, null, 'the rounds finished');
  await until(p0, () => /Les tours sont terminés/.test(document.getElementById('announcer').textContent + document.getElementById('toast').textContent), null, 'the end announced');
  await closePanel(m, 'rounds');
  await openPanel(m, 'rounds');
  await m.locator('#rounds-done').getByText('Les tours sont terminés.').waitFor();
  await closePanel(m, 'rounds');

  for (const p of [m, proj, ...people]) assert.deepEqual(p.errors, [], 'no script error nor CSP violation');
  console.log(`groups test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
