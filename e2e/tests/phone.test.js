// Phones without clipped text: in every state a participant meets — the waiting room, each
// phase, each vote method, held posts and locked posting, hidden results, a group with its
// rapporteur, a timed round, an open and a decided plenary vote, the end — in French, Dutch
// and English, at 320 and 360 px, every button, label and text fits its box (scrollWidth ≤
// clientWidth), stays inside the viewport, and the page is no wider than the screen. Measured,
// not looked at; the screenshots are for the documentation. axe-core checks the phone with
// content in place.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, PHONE, axe, screenshotPath, unfit } from './lib/harness.js';
import { moderatedSession, invite, join, until, command as send, contributionId, askQuestion, movePhase, openPanel, closePanel } from './lib/flows.js';

const LANGS = ['fr', 'nl', 'en'];
const WIDTHS = [320, 360];

let srv;
let browser;
let mod;
let lea;
let marc;
let session;

// overflow lists what does not fit a phone: any visible text or control reaching outside the
// viewport or wider than its box, the words of a button or a label that do not fit whole (the
// skip link waits off-screen for the keyboard, the links list quotes addresses).
function overflow(page) {
  return unfit(page, {
    elements: 'button, label, legend, a, summary, h1, h2, h3, p, li, dt, dd, strong, .gchip, .timer, .vote-btn, select, input, textarea',
    words: 'button, .button, label, legend, summary',
    wordsExcept: '#links-list',
    content: true,
    skip: '.visually-hidden, [hidden], noscript, .toast, .skip',
  });
}

before(async () => {
  ({ srv, browser } = await startAll());
  let org;
  ({ org, session, mod } = await moderatedSession(browser, srv));
  // A long name and organisation, as people type them.
  const leaLink = await invite(org.page, { name: 'Léa-Marie Vandenbroucke-Dupont', organisation: "Maison de l'Emploi et de la Formation de Forest", session: session.id });
  const marcLink = await invite(org.page, { name: 'Marc', organisation: 'Huurdersbond Brussel', session: session.id });
  lea = await join(browser, leaLink, PHONE);
  marc = await join(browser, marcLink, PHONE);
});

after(async () => {
  await stopAll(srv, browser);
});

// The contributions of the session, by their text; their ids come from the moderator's console.
const FINDING = "Les formulaires du CPAS sont incompréhensibles : https://www.example.be/formulaires-administratifs-interminables";
const SOLUTION = 'Een enkel loket voor huisvesting en werk, met begeleiding';
const REC_LEA = 'Que chaque CPAS désigne un référent logement joignable sans rendez-vous';
const REC_MARC = 'Vereenvoudig de formulieren en test ze met de gebruikers';
const STEP = 'Former les agents à parler simplement';
const id = (body) => contributionId(mod.page, body);
// What a phone shows in place of the results while they are hidden, in each language.
const RESULTS_HIDDEN = ['Les résultats seront montrés plus tard.', 'De resultaten worden later getoond.', 'The results will be shown later.'];

// The moderator's moves, from the console's panels and buttons. A setting shows its new value
// at once; the console's live element counts the commands not yet acknowledged, so waiting
// for none keeps a phone's next command behind the moderator's.
async function settled() {
  await mod.page.locator('#live[data-pending="0"]').waitFor({ state: 'attached' });
}
async function voteMethod(phase, method, budget, max) {
  const m = mod.page;
  await openPanel(m, 'votes');
  await m.locator(`#m-${phase}`).selectOption(method);
  if (budget) {
    await m.locator(`#b-${phase}`).fill(String(budget));
    await m.locator(`#x-${phase}`).fill(String(max));
  }
  await m.locator(`#m-${phase}`).locator('xpath=ancestor::form').getByRole('button', { name: 'Appliquer' }).click();
  await m.locator(`#m-${phase}[data-dirty="false"]`).waitFor();
  await closePanel(m, 'votes');
}
async function toggle(id, on) {
  const m = mod.page;
  await openPanel(m, 'room');
  await m.locator(`#${id}[aria-pressed="${!on}"]`).click();
  await m.locator(`#${id}[aria-pressed="${on}"]`).waitFor();
  await settled();
  await closePanel(m, 'room');
}

// The states, in the order a session goes through them: each moves the room on (the moderator
// from the console; the phones' posts, votes and comments, groups, rounds and the plenary with
// command(): this file checks how each state fits on a phone, the forms and panels that make
// them are driven in scenario, console and groups.test.js) and says how the phone shows it is there
// (a function run in the page, with an optional argument).
const STATES = [
  ['lobby', async () => {}, () => !document.getElementById('lobby').hidden],
  [
    'diagnostic-support',
    async () => {
      await askQuestion(mod.page, 'diagnostic', "Qu'est-ce qui vous empêche d'obtenir vos droits sociaux aujourd'hui ?");
      await movePhase(mod.page, 'diagnostic');
      await mod.page.locator('#timer-minutes').fill('15');
      await mod.page.locator('#timer-form button[type="submit"]').click();
      await mod.page.locator('#timer').waitFor();
      await send(lea.page, 'contribution.post', { kind: 'finding', body: FINDING });
      await send(marc.page, 'contribution.post', { kind: 'solution', body: SOLUTION });
      const a = await id(FINDING);
      await send(marc.page, 'comment.post', { contribution: a, body: 'Tout à fait, surtout pour les personnes qui lisent difficilement.' });
      await send(lea.page, 'vote.set', { contribution: a, value: 1 });
    },
    () => document.querySelectorAll('#contributions .contrib').length >= 2,
  ],
  [
    'diagnostic-agree',
    async () => {
      await voteMethod('diagnostic', 'agree');
      const [a, b] = [await id(FINDING), await id(SOLUTION)];
      await send(lea.page, 'vote.set', { contribution: a, value: 1 });
      await send(lea.page, 'vote.set', { contribution: b, value: -1 });
    },
    () => document.querySelectorAll('.c-vote[data-method="agree"]').length >= 2,
  ],
  [
    'diagnostic-dots',
    async () => {
      await voteMethod('diagnostic', 'dots', 5, 3);
      await send(lea.page, 'vote.set', { contribution: await id(FINDING), value: 2 });
    },
    () => document.querySelectorAll('.c-vote[data-method="dots"]').length >= 2,
  ],
  [
    'recommendations',
    async () => {
      await movePhase(mod.page, 'recommendations');
      await voteMethod('recommendations', 'agree');
      await send(lea.page, 'contribution.post', { kind: 'recommendation', body: REC_LEA });
      await send(marc.page, 'contribution.post', { kind: 'recommendation', body: REC_MARC });
    },
    () => document.querySelectorAll('.c-vote[data-method="agree"]').length >= 2,
  ],
  [
    'held-and-locked',
    async () => {
      await toggle('toggle-premod', true);
      await send(lea.page, 'contribution.post', { kind: 'recommendation', body: 'Une recommandation qui attend la validation des animateurs' });
      await toggle('toggle-posting', true);
    },
    () => !document.getElementById('locked').hidden,
  ],
  [
    'implementation',
    async () => {
      await toggle('toggle-posting', false);
      await toggle('toggle-premod', false);
      await movePhase(mod.page, 'implementation');
      await send(lea.page, 'contribution.post', { kind: 'step', parent: await id(REC_LEA), body: STEP, who: "Le CPAS et l'École d'administration publique", how: 'Des ateliers avec des usagers', when: "D'ici la rentrée 2027" });
    },
    () => document.querySelectorAll('#contributions .c-step:not([hidden])').length >= 1,
  ],
  [
    'results-hidden',
    async () => {
      await toggle('toggle-results', true);
    },
    (texts) => [...document.querySelectorAll('#contributions .c-tally')].some((p) => texts.includes(p.textContent)),
    RESULTS_HIDDEN,
  ],
  [
    'group',
    async () => {
      await toggle('toggle-results', false);
      // Groups, rounds and the plenary vote have panels of their own, driven in groups.test.js
      // and console.test.js; here they only bring the phone to a state, so they go through the
      // console's own live connection (which needs the server's -test-hooks).
      await send(mod.page, 'groups.split', { count: 1, rapporteurs: true });
      await send(mod.page, 'groups.set', { on: true });
    },
    () => !document.getElementById('mygroup').hidden,
  ],
  [
    'round',
    async () => {
      await send(mod.page, 'rounds.start', { steps: [{ key: 'presentation', seconds: 600 }, { key: 'questions', seconds: 600 }], repeat: 2 });
    },
    () => !document.getElementById('round').hidden,
  ],
  [
    'plenary-open',
    async () => {
      await send(mod.page, 'rounds.stop', {});
      await send(mod.page, 'groups.set', { on: false });
      await send(mod.page, 'plenary.open', { contributions: [await id(REC_MARC), await id(STEP)] });
    },
    () => !document.getElementById('plenary').hidden && document.querySelectorAll('.pl-choice').length >= 3,
  ],
  [
    'plenary-decided',
    async () => {
      const [rec, step] = [await id(REC_MARC), await id(STEP)];
      await send(lea.page, 'plenary.vote', { contribution: step, choice: 'adopt' });
      await send(marc.page, 'plenary.vote', { contribution: step, choice: 'adopt' });
      await send(mod.page, 'plenary.close', { contributions: [rec, step] });
    },
    () => [...document.querySelectorAll('#plenary-list li')].some((li) => li.dataset.outcome),
  ],
  ['closed', async () => send(mod.page, 'phase.set', { phase: 'closed' }), () => !document.getElementById('closed').hidden],
];

test('no clipped text on a phone: every state × FR/NL/EN × 320/360 px', async () => {
  const problems = [];
  const page = lea.page;
  for (const [state, move, shown, arg = null] of STATES) {
    await move();
    for (const lang of LANGS) {
      await page.setViewportSize({ width: 360, height: PHONE.viewport.height });
      await page.goto(`${srv.url}/w/${session.id}?lang=${lang}`);
      await page.waitForSelector('#live[data-ready="true"]');
      await until(page, shown, arg, `${state} on the phone (${lang})`);
      await page.waitForTimeout(150);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: PHONE.viewport.height });
        await page.waitForTimeout(100);
        for (const p of await overflow(page)) problems.push(`${state} ${lang} ${width}px: ${p}`);
        if (state === 'recommendations' || (lang === 'fr' && width === 360)) {
          // The list in view: the buttons people press most.
          if (state !== 'lobby' && state !== 'closed') await page.locator('#plenary:visible, #mygroup:visible, #list-section:visible').first().scrollIntoViewIfNeeded();
          await page.screenshot({ path: screenshotPath(state === 'recommendations' ? `phone-recommendations-${lang}-${width}.png` : `phone-${state}-360.png`) });
        }
      }
    }
    if (state === 'recommendations' || state === 'group' || state === 'plenary-open') {
      await page.setViewportSize({ width: 360, height: PHONE.viewport.height });
      for (const v of await axe(page)) problems.push(`axe, ${state}: ${v}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(page.errors.filter((e) => !/WebSocket/.test(e)), [], 'no script error on the phone');
});

test('the phone says who sees the name, in each identity mode', async () => {
  const page = marc.page;
  await page.goto(`${srv.url}/w/${session.id}?lang=fr`);
  await page.waitForSelector('#live[data-ready="true"]');
  await send(mod.page, 'phase.set', { phase: 'diagnostic' });
  await until(page, () => !document.getElementById('composer').hidden, null, 'the composer');
  const says = {
    anonymous: /Les animateurs voient votre nom ; les autres voient « Un·e participant·e »/,
    organisation: /Les animateurs voient votre nom ; les autres voient seulement votre organisation/,
    full: /Tout le monde dans la séance voit votre nom et votre organisation/,
    sealed: /Personne ne voit votre nom, pas même les animateurs/,
  };
  for (const [mode, text] of Object.entries(says)) {
    await send(mod.page, 'identity.set', { mode });
    await until(page, (src) => new RegExp(src).test(document.querySelector('#composer .whosees').textContent), text.source, `the ${mode} text`);
  }
  // Sealed for good: the console cannot go back.
  await assert.rejects(send(mod.page, 'identity.set', { mode: 'full' }), /bad_state/);
  await mod.page.reload();
  await mod.page.waitForSelector('#live[data-ready="true"]');
  assert.equal(await mod.page.locator('input[name="identity"][value="full"]').isDisabled(), true, 'the other modes are disabled on the console');
});
