// A whole session in real Chromium: one moderator and three participants in separate browser
// contexts (separate cookies, as separate phones), the organiser's page and the room's
// projector. Three phases, posts, comments, every vote method, a merge, the timer, a count from
// the room, a participant voting while offline whose votes arrive exactly once, and the
// projector showing the results. Screenshots of every face go to docs/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, PHONE, SCREEN, screenshotPath } from './lib/harness.js';
import { openOrganiser, firstSession, invite, join, until, card, openPanel, closePanel, openProjector, askQuestion, barrier } from './lib/flows.js';

let srv;
let browser;

before(async () => ({ srv, browser } = await startAll()));
after(() => stopAll(srv, browser));

const phaseIs = (phase) => (p) => document.documentElement.dataset.phase === p;

// shot saves a screenshot for docs/interface.md: from the top of the page unless told where.
async function shot(page, name, size, where) {
  if (size) await page.setViewportSize(size);
  if (where) await where.scrollIntoViewIfNeeded();
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  // Personal links are masked: a token has no place in a picture, even a throwaway one.
  await page.screenshot({ path: screenshotPath(name), mask: [page.locator('.link-output')] });
}

test('a full session: three phases, every vote method, a merge, the timer, offline votes', async () => {
  // --- the organiser invites a moderator and three participants -------------------------------
  const org = await openOrganiser(browser, srv, SCREEN);
  const session = await firstSession(org.page);
  await shot(org.page, 'organiser-1920.png');
  const links = {
    moderator: await invite(org.page, { name: 'Nadia', organisation: 'Syndicat des Locataires', role: 'moderator', session: session.id }),
    ana: await invite(org.page, { name: 'Ana', organisation: 'Mission Locale de Saint-Gilles', session: session.id }),
    jean: await invite(org.page, { name: 'Jean', organisation: 'Après ASBL', session: session.id }),
    fatima: await invite(org.page, { name: 'Fatima', organisation: "CPAS d'Anderlecht", session: session.id }),
  };
  await shot(org.page, 'organiser-invite-1920.png', null, org.page.locator('#invite-result'));

  // --- everyone joins ---------------------------------------------------------------------------
  const mod = await join(browser, links.moderator, SCREEN);
  await mod.page.goto(`${srv.url}/w/${session.id}/moderate`);
  await mod.page.waitForSelector('#live[data-ready="true"]');
  const [ana, jean, fatima] = await Promise.all([join(browser, links.ana, PHONE), join(browser, links.jean, PHONE), join(browser, links.fatima, PHONE)]);
  const people = [ana.page, jean.page, fatima.page];
  const proj = await openProjector(org, srv, session.id);
  for (const p of people) await p.locator('#lobby').waitFor();
  await shot(ana.page, 'participant-lobby-360.png');
  await shot(proj, 'projector-lobby-1920.png');

  // --- diagnostic, voting by support --------------------------------------------------------
  const m = mod.page;
  await askQuestion(m, 'diagnostic', 'Quels obstacles rencontrez-vous pour vous loger ?');
  await m.locator('#stepper button[data-phase="diagnostic"]').click();
  for (const p of people) {
    await until(p, phaseIs, 'diagnostic', 'the diagnostic phase on a phone');
    await p.getByText('Quels obstacles rencontrez-vous pour vous loger ?').waitFor();
  }
  // The timer: started, paused, resumed, extended; phones show it from the server's deadline.
  await m.getByRole('button', { name: '⏱️ 5 min' }).click();
  await until(ana.page, () => /^[45]:\d\d$/.test(document.querySelector('#timer .timer-digits')?.textContent || ''), null, 'a 5-minute countdown');
  await m.locator('#timer-pause').click();
  await until(ana.page, () => document.getElementById('timer').dataset.state === 'paused', null, 'the paused timer');
  await m.locator('#timer-resume').click();
  await m.locator('#timer-plus1').click();
  await until(jean.page, () => /^[56]:\d\d$/.test(document.querySelector('#timer .timer-digits')?.textContent || '') && document.getElementById('timer').dataset.state === 'running', null, 'the extended countdown');

  const post = async (page, kind, text, extra) => {
    if (kind) await page.locator(`input[name="kind"][value="${kind}"]`).check();
    if (extra) await extra(page);
    await page.locator('#body').fill(text);
    await page.locator('#send').click();
    await card(page, text).waitFor();
  };
  const F1 = "Les délais d'attente au CPAS sont trop longs";
  const F2 = "L'attente au CPAS dure des mois";
  const S1 = 'Un guichet unique pour le logement et le CPAS';
  await post(ana.page, 'finding', F1);
  await post(jean.page, 'finding', F2);
  for (const p of people) await card(p, F2).waitFor();
  await post(fatima.page, 'solution', S1, async (p) => {
    await p.locator('#parent').selectOption({ label: F1 });
  });
  await card(ana.page, S1).getByText('répond à').waitFor();
  // New contributions are announced to screen readers.
  await until(ana.page, () => /Nouvelle piste de solution/.test(document.getElementById('announcer').textContent), null, 'the aria-live announcement');
  // A comment, kept while the list moves on.
  const comments = card(jean.page, F1).locator('details.c-comments');
  await comments.locator('summary').click();
  await comments.locator('textarea').fill('Chez nous aussi, six mois.');
  await comments.getByRole('button', { name: 'Commenter' }).click();
  await card(ana.page, F1).locator('.c-comment-list').getByText('Chez nous aussi').waitFor({ state: 'attached' });

  // Support: everyone supports F1; Jean also supports his duplicate F2.
  for (const p of people) await card(p, F1).getByRole('button', { name: /Je soutiens/ }).click();
  await card(jean.page, F2).getByRole('button', { name: /Je soutiens/ }).click();
  await until(m, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.c-tally').textContent === '👍 3'), F1, 'three supporters on the moderator console');
  await shot(ana.page, 'participant-diagnostic-360.png');
  await shot(m, 'moderator-1920.png');

  // The merge: F2 is a duplicate of F1. Votes are carried over without counting Jean twice.
  await card(m, F1).locator('.c-select').check();
  await card(m, F2).locator('.c-select').check();
  await m.locator('#merge-open').click();
  await m.locator('#merge-dialog').waitFor();
  await m.locator('#merge-choices').getByText(F1).waitFor();
  await shot(m, 'moderator-merge-1920.png');
  await m.locator(`#merge-choices input[name="merge-into"]`).first().check();
  await m.locator('#merge-dialog').getByRole('button', { name: 'Regrouper', exact: true }).click();
  for (const p of people) await card(p, F2).waitFor({ state: 'detached' });
  await until(ana.page, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.c-tally').textContent === '👍 3'), F1, 'F1 at 3 supporters after the merge');

  // Who is here, and how authors are shown: anonymous by default, names when the room agrees.
  await until(m, () => /Participant·e 3/.test(document.getElementById('presence-detail').textContent), null, 'three participants online on the console');
  assert.equal(await card(jean.page, F1).locator('.c-author').textContent(), 'Un·e participant·e');
  await openPanel(m, 'room');
  await m.locator('input[name="identity"][value="full"]').check();
  await card(jean.page, F1).locator('.c-author', { hasText: 'Ana (Mission Locale de Saint-Gilles)' }).waitFor();
  await m.locator('input[name="identity"][value="anonymous"]').check();
  await card(jean.page, F1).locator('.c-author', { hasText: 'Un·e participant·e' }).waitFor();
  await closePanel(m, 'room');

  // Authors edit and withdraw their own contributions.
  await card(fatima.page, S1).getByRole('button', { name: /Modifier/ }).click();
  await card(fatima.page, S1).locator('.c-editor textarea').fill(`${S1}, ouvert le samedi`);
  await card(fatima.page, S1).locator('.c-editor').getByRole('button', { name: 'Enregistrer' }).click();
  await card(ana.page, `${S1}, ouvert le samedi`).waitFor();
  const OOPS = 'Message envoyé trop vite';
  await post(fatima.page, 'finding', OOPS);
  await card(jean.page, OOPS).waitFor();
  fatima.page.once('dialog', (d) => d.accept());
  await card(fatima.page, OOPS).getByRole('button', { name: /Retirer/ }).click();
  for (const p of people) await card(p, OOPS).waitFor({ state: 'detached' });

  // Moderation: pre-moderation holds a post in the queue until approved; a hidden post goes
  // from every screen and comes back when restored; a pinned one leads on the projector.
  await openPanel(m, 'room');
  await m.locator('#toggle-premod').click();
  await until(m, () => document.getElementById('toggle-premod').getAttribute('aria-pressed') === 'true', null, 'pre-moderation on');
  await closePanel(m, 'room');
  const HELD = 'Les propriétaires refusent les personnes au CPAS';
  await jean.page.locator('input[name="kind"][value="finding"]').check();
  await jean.page.locator('#body').fill(HELD);
  await jean.page.locator('#send').click();
  await card(jean.page, HELD).getByText('en attente de validation').waitFor();
  await m.locator('[data-filter="pending"]').click();
  await card(m, HELD).getByRole('button', { name: /Valider/ }).click();
  for (const p of people) await card(p, HELD).waitFor();
  await openPanel(m, 'room');
  await m.locator('#toggle-premod').click();
  await closePanel(m, 'room');
  await m.locator('[data-filter="phase"]').click();
  m.once('dialog', (d) => d.accept('hors sujet'));
  await card(m, HELD).getByRole('button', { name: /Masquer/ }).click();
  for (const p of people) await card(p, HELD).waitFor({ state: 'detached' });
  await m.locator('[data-filter="hidden"]').click();
  await card(m, HELD).getByText('hors sujet').waitFor();
  await card(m, HELD).getByRole('button', { name: /Remettre/ }).click();
  for (const p of people) await card(p, HELD).waitFor();
  await m.locator('[data-filter="phase"]').click();
  await card(m, HELD).getByRole('button', { name: /À l'écran/ }).click();
  await until(proj, (t) => document.querySelector('#top li.pinned')?.textContent.includes(t), HELD, 'the pinned contribution first on the projector');

  // --- recommendations, voting agree / neutral / disagree ------------------------------------
  // Agree / neutral / disagree is the phase's default: the panel shows it chosen already.
  await openPanel(m, 'votes');
  assert.equal(await m.locator('#m-recommendations').inputValue(), 'agree');
  await closePanel(m, 'votes');
  await askQuestion(m, 'recommendations', 'Que demandez-vous aux élu·es ?');
  await m.locator('#stepper button[data-phase="recommendations"]').click();
  for (const p of people) await until(p, phaseIs, 'recommendations', 'the recommendations phase');
  const R1 = 'Créer un guichet unique logement-CPAS dans chaque commune';
  const R2 = 'Réduire le délai de décision du CPAS à 30 jours';
  // Ana is typing when Jean's recommendation arrives: her text is neither erased nor moved.
  await ana.page.locator('#body').fill('Créer un guichet unique');
  const before = await ana.page.locator('#body').evaluate((el) => el.getBoundingClientRect().top + window.scrollY);
  await post(jean.page, null, R2);
  for (const p of people) await card(p, R2).waitFor();
  assert.equal(await ana.page.locator('#body').inputValue(), 'Créer un guichet unique');
  assert.equal(await ana.page.locator('#body').evaluate((el) => el.getBoundingClientRect().top + window.scrollY), before);
  await post(ana.page, null, R1, async (p) => {
    await p.locator('#compose-links summary').click();
    await p.locator('#links-list label', { hasText: F1 }).locator('input').check();
  });
  await card(ana.page, R1).getByRole('button', { name: "D'accord", exact: true }).click();
  await card(jean.page, R1).getByRole('button', { name: /Neutre/ }).click();
  await card(fatima.page, R1).getByRole('button', { name: /Pas d'accord/ }).click();
  // Fatima changes her mind: agree replaces disagree.
  await card(fatima.page, R1).getByRole('button', { name: "D'accord", exact: true }).click();
  await until(ana.page, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.c-tally').textContent === '👍 2 · 😐 1 · 👎 0'), R1, 'the agree tally of R1');
  // Results hidden until the moderator reveals them.
  await openPanel(m, 'room');
  await m.locator('#toggle-results').click();
  await card(ana.page, R1).locator('.c-tally', { hasText: 'Les résultats seront montrés plus tard.' }).waitFor();
  await m.locator('#toggle-results').click();
  await closePanel(m, 'room');
  await until(ana.page, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.c-tally').textContent === '👍 2 · 😐 1 · 👎 0'), R1, 'the tally revealed again');
  // A show of hands in the room, beside the online tally.
  await card(m, R1).getByRole('button', { name: /Mains levées/ }).click();
  await card(m, R1).locator('input[name="yes"]').fill('14');
  await card(m, R1).locator('input[name="neutral"]').fill('2');
  await card(m, R1).locator('input[name="no"]').fill('1');
  await card(m, R1).locator('.c-roomcount-form').getByRole('button', { name: 'Enregistrer' }).click();
  await card(jean.page, R1).getByText('14 oui').waitFor();
  await shot(jean.page, 'participant-recommendations-360.png', null, card(jean.page, R1));

  // --- implementation, voting with dots ------------------------------------------------------
  await openPanel(m, 'votes');
  await m.locator('#m-implementation').selectOption('dots');
  await m.locator('#b-implementation').fill('5');
  await m.locator('#x-implementation').fill('3');
  await m.locator('#m-implementation').locator('xpath=ancestor::form').getByRole('button', { name: 'Appliquer' }).click();
  // Acknowledged, the form no longer counts its fields as unsaved.
  await m.locator('#m-implementation[data-dirty="false"]').waitFor();
  await closePanel(m, 'votes');
  await m.locator('#stepper button[data-phase="implementation"]').click();
  for (const p of people) await until(p, phaseIs, 'implementation', 'the implementation phase');
  const ST1 = 'Ouvrir un guichet pilote à Anderlecht';
  const ST2 = 'Former les agents d’accueil au droit au logement';
  const step = (who, how, when) => async (p) => {
    await p.locator('#parent').selectOption({ label: R1 });
    await p.locator('#who').fill(who);
    await p.locator('#how').fill(how);
    await p.locator('#when').fill(when);
  };
  await post(ana.page, null, ST1, step('La commune et le CPAS', 'Un local partagé', 'Début 2025'));
  await post(jean.page, null, ST2, step('La Région', 'Des formations', '2025'));
  for (const p of people) await card(p, ST2).waitFor();
  await card(fatima.page, ST1).getByText('La commune et le CPAS').waitFor();
  // Ana spends two dots on ST1.
  await card(ana.page, ST1).getByRole('button', { name: 'Ajouter une gommette' }).click();
  await card(ana.page, ST1).getByRole('button', { name: 'Ajouter une gommette' }).click();

  // Fatima's network drops in the middle of voting: she votes anyway, sees it kept, comes back.
  const f = fatima.page;
  await fatima.context.setOffline(true);
  await until(f, () => document.getElementById('live').dataset.connection === 'offline', null, 'the offline state');
  await f.locator('#netbanner').getByText('Pas de réseau').waitFor();
  for (let i = 0; i < 3; i++) await card(f, ST1).getByRole('button', { name: 'Ajouter une gommette' }).click();
  for (let i = 0; i < 2; i++) await card(f, ST2).getByRole('button', { name: 'Ajouter une gommette' }).click();
  // Her budget is spent: the + buttons are off, the votes wait to be sent.
  await until(f, () => [...document.querySelectorAll('.c-vote button[aria-label="Ajouter une gommette"]')].every((b) => b.disabled), null, 'every + off once the budget is spent');
  await until(f, () => Number(document.getElementById('live').dataset.pending) === 5, null, 'five votes waiting');
  await f.locator('#netbanner').getByText('5 actions partiront').waitFor();
  await shot(f, 'participant-offline-360.png', null, card(f, ST2));
  await fatima.context.setOffline(false);
  await until(f, () => document.getElementById('live').dataset.connection === 'online' && document.getElementById('live').dataset.pending === '0', null, 'the votes sent after reconnecting', 20000);
  // Exactly once: ST1 has Ana's 2 + Fatima's 3, ST2 Fatima's 2 — on every screen.
  const dots = (t, n) => (p) => until(p, ([t, n]) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.c-tally').textContent === `● ${n}`), [t, n], `${t} at ${n} dots`);
  for (const p of people) {
    await dots(ST1, 5)(p);
    await dots(ST2, 2)(p);
  }
  // A reload (a phone that killed the tab) shows the same, from a fresh snapshot.
  await f.reload();
  await f.waitForSelector('#live[data-ready="true"]');
  await dots(ST1, 5)(f);
  await dots(ST2, 2)(f);
  await until(f, (t) => [...document.querySelectorAll('#contributions .contrib')].some((c) => c.querySelector('.c-body').textContent.includes(t) && c.querySelector('.dots-value').textContent.includes('3')), ST1, "Fatima's own 3 dots after a reload");
  await shot(ana.page, 'participant-implementation-360.png', null, card(ana.page, ST1));

  // A command that already went through, sent again with the same id (as after a reload with
  // the command still in the phone's storage), applies nothing twice: one comment, not two.
  const NOTE = 'Bonne idée, à tester vite.';
  // Ana comments while her network is down: the comment waits in her phone's storage, as
  // every command does until the server acknowledges it. What the storage holds then is kept,
  // and put back once the comment went through — the state of a phone that died between the
  // acknowledgement and clearing its storage.
  await ana.context.setOffline(true);
  await until(ana.page, () => document.getElementById('live').dataset.connection === 'offline', null, "Ana's offline state");
  const anaComments = card(ana.page, ST1).locator('details.c-comments');
  await anaComments.locator('summary').click();
  await anaComments.locator('textarea').fill(NOTE);
  await anaComments.getByRole('button', { name: 'Commenter' }).click();
  await ana.page.locator('#netbanner').getByText('1 action partira').waitFor();
  const kept = await ana.page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]).filter(([, v]) => v.includes('comment.post'))));
  assert.equal(Object.keys(kept).length, 1, 'the waiting comment is in the phone storage');
  assert.ok(Object.values(kept)[0].includes(NOTE));
  await ana.context.setOffline(false);
  await until(ana.page, () => document.getElementById('live').dataset.connection === 'online' && document.getElementById('live').dataset.pending === '0', null, "Ana's comment sent after reconnecting", 20000);
  await card(ana.page, ST1).locator('.c-comment-list').getByText(NOTE).waitFor({ state: 'attached' });
  await ana.page.evaluate((kept) => {
    for (const [k, v] of Object.entries(kept)) localStorage.setItem(k, v);
  }, kept);
  await ana.page.reload();
  await ana.page.waitForSelector('#live[data-ready="true"]');
  await until(ana.page, () => document.getElementById('live').dataset.pending === '0', null, 'the replayed command acknowledged');
  await barrier(m, [ana.page]); // a refusal would have arrived before it
  assert.equal(await ana.page.locator('#toast.error').count(), 0, 'the replay is acknowledged, not refused');
  await jean.page.reload();
  await jean.page.waitForSelector('#live[data-ready="true"]');
  await card(jean.page, ST1).locator('.c-comment-list li').first().waitFor({ state: 'attached' });
  assert.equal(await card(jean.page, ST1).locator('.c-comment-list li', { hasText: NOTE }).count(), 1, 'the replayed comment exists once');

  // --- the projector shows the results ------------------------------------------------------
  await until(proj, (t) => document.querySelector('#top li')?.textContent.includes(t), ST1, 'the most dotted step first on the projector');
  await until(proj, () => document.querySelector('#top li .hall-num')?.textContent === '● 5', null, 'its tally on the projector');
  assert.match(await proj.locator('.hall-code .code').textContent(), /^[A-Z0-9]{8}$/);
  const qr = await proj.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0);
  assert.equal(qr, true, 'the QR code is drawn');
  await shot(proj, 'projector-results-1920.png');
  await proj.locator('#bilingual').click();
  await proj.locator('[data-part="phase"] [lang="nl"]').getByText('Uitvoering').waitFor();
  await shot(proj, 'projector-results-bilingual-1920.png');

  // --- the end ------------------------------------------------------------------------------
  await m.locator('#stepper button[data-phase="closed"]').click();
  for (const p of people) await p.locator('#closed').waitFor();
  await until(proj, () => /Les résultats de la séance|De resultaten/.test(document.getElementById('results-title').textContent), null, 'the final results on the projector');

  // The other sizes of every face, for the documentation.
  await shot(ana.page, 'participant-closed-360.png');
  await m.locator('#stepper button[data-phase="implementation"]').click();
  await until(jean.page, phaseIs, 'implementation', 'back to implementation');
  await shot(jean.page, 'participant-1920.png', SCREEN.viewport);
  await shot(m, 'moderator-360.png', PHONE.viewport);
  await shot(proj, 'projector-360.png', PHONE.viewport);
  await shot(org.page, 'organiser-360.png', PHONE.viewport);

  for (const p of [org.page, m, proj, ...people]) assert.deepEqual(p.errors, [], `no script error on ${p.url()}`);
});
