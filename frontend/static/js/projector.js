// The projector: a room's big screen, read from the back of a hall. The phase and its question
// at the top with a compact timer (large only in its last minute); how to join (QR code,
// address, short code), large during a phase's first minutes and then folded small, or
// folded by a moderator; the contributions, groups' outputs and plenary votes as cards with
// bars and the breadth of their support, paged by the board when they do not fit (board.js).
// The controls show only while the mouse moves. Optionally French and Dutch side by side.

import { h, setText, show, store } from './util.js';
import { KIND_ICON, PHASE_ICON, WORKING_PHASES } from './room.js';
import { startFace } from './face.js';
import { timerView } from './ui.js';
import { loadTranslator } from './i18n.js';
import { tallyParts, roomCountText } from './cards.js';
import { groupChip, roundTitle, roundNext, plenaryCounts, plenaryTurnout, plenaryOutcome, plenaryRule, provenanceText } from './groups.js';
import { Board } from './board.js';
import { mainLanguage, pickText, textNodes } from './texts.js';

const $ = (id) => document.getElementById(id);
// JOIN_BIG_MS: how long after a phase begins the join panel stays large (latecomers arrive
// in the first minutes; afterwards the room needs the space for what it says).
const JOIN_BIG_MS = 3 * 60 * 1000;
// CONTROLS_MS: how long the controls stay after the mouse last moved.
const CONTROLS_MS = 3000;

let bilingual = store.get('assises.projector.bilingual', false);
let tFr = null;
let tNl = null;
let board = null;

// bothTexts writes what the organiser or moderator wrote (text in the main language, texts
// its translations) in the page's language, or in French and Dutch side by side, each
// marked when it falls back to the main language.
function bothTexts(ctx, text, texts) {
  const main = mainLanguage($('live'));
  if (!bilingual || !tFr || !tNl) return textNodes(pickText(text, texts, ctx.t.lang, main), ctx.t);
  return [
    h('span', { lang: 'fr', class: 'first' }, ...textNodes(pickText(text, texts, 'fr', main), tFr)),
    h('span', { class: 'second', lang: 'nl' }, ...textNodes(pickText(text, texts, 'nl', main), tNl)),
  ];
}

function putTexts(el, ctx, text, texts) {
  const sig = `${bilingual}|${ctx.t.lang}|${text}|${JSON.stringify(texts || {})}`;
  if (el.dataset.sig === sig) return;
  el.dataset.sig = sig;
  el.replaceChildren(...bothTexts(ctx, text, texts));
}

// both writes a text in the page's language, or in French and Dutch side by side.
function both(ctx, key, vars) {
  if (!bilingual || !tFr || !tNl) return [ctx.t(key, vars)];
  return [h('span', { lang: 'fr' }, tFr(key, vars)), h('span', { class: 'second', lang: 'nl' }, tNl(key, vars))];
}

function put(el, ctx, key, vars) {
  const sig = `${bilingual}|${key}|${JSON.stringify(vars || {})}`;
  if (el.dataset.sig === sig) return;
  el.dataset.sig = sig;
  el.replaceChildren(...both(ctx, key, vars));
}

// joinSize: big in the lobby and in a phase's first minutes, folded when a moderator folded
// it, small otherwise.
function joinSize(ctx) {
  const w = ctx.room.workshop;
  if (w.joinHidden) return 'folded';
  if (w.phase === 'lobby') return 'big';
  if (w.phase !== 'closed' && w.phaseSince && ctx.live.serverNow() - w.phaseSince < JOIN_BIG_MS) return 'big';
  return 'small';
}

// breadthText: "5 organisations · 2 groupes" behind an item, from its tally.
function breadthText(tl, t) {
  if (!tl) return '';
  const parts = [];
  if (tl.organisations > 0) parts.push('🏢 ' + t.n('hall.orgs', tl.organisations));
  if (tl.groups > 0) parts.push('👥 ' + t.n('hall.groups', tl.groups));
  return parts.join(' · ');
}

// contributionCard: a contribution with its result under its phase's method.
function contributionCard(c, ctx, top) {
  const { room, t } = ctx;
  const w = room.workshop;
  const hidden = w.resultsHidden;
  const m = room.method(c.phase);
  const tl = room.tallies.get(c.id);
  const tp = tallyParts(tl, m, room, c.id, ctx);
  let bars = null;
  if (!hidden) {
    if (m.method === 'agree') {
      const total = Math.max(1, (tl && tl.count) || 0);
      bars = [
        { cls: 'yes', share: ((tl && tl.agree) || 0) / total },
        { cls: 'neutral', share: ((tl && tl.neutral) || 0) / total },
        { cls: 'no', share: ((tl && tl.disagree) || 0) / total },
      ];
    } else bars = [{ cls: 'yes', share: Math.max(0, room.score(c.id)) / top }];
  }
  // Names only when the room shows them to everyone (the projector's viewer may see more).
  const author = c.onBehalfOf || w.identity === 'full' ? c.author : '';
  const meta = [author, provenanceText(room.provenance.get(c.id), t), hidden ? '' : roomCountText(room, c.id, t)].filter(Boolean).join(' · ');
  return {
    key: 'c' + c.id,
    icon: c.pinned ? '📌' : KIND_ICON[c.kind] || '',
    pinned: !!c.pinned,
    body: c.body,
    meta,
    bars,
    num: hidden ? '' : tp.text,
    numLabel: hidden ? '' : tp.label,
    breadth: hidden ? '' : breadthText(tl, t),
    data: { id: String(c.id) },
  };
}

// plenaryCard: a plenary vote, open or decided, with its three shares and its result.
function plenaryCard(p, c, ctx) {
  const { room, t } = ctx;
  const total = Math.max(1, (p.adopt || 0) + (p.reject || 0) + (p.abstain || 0));
  const head = p.open ? '🗳️ ' + t('live.synth.isopen') : plenaryOutcome(p, t);
  return {
    key: 'p' + p.contribution,
    icon: '🗳️',
    pinned: !!p.open,
    body: c.body,
    meta: provenanceText(room.provenance.get(c.id), t),
    bars: p.hidden
      ? null
      : [
          { cls: 'adopt', share: (p.adopt || 0) / total },
          { cls: 'reject', share: (p.reject || 0) / total },
          { cls: 'abstain', share: (p.abstain || 0) / total },
        ],
    num: plenaryCounts(p, t),
    outcome: [head, plenaryTurnout(p, t)].filter(Boolean).join(' — '),
    rule: plenaryRule(p, t),
    data: { contribution: String(c.id), open: String(!!p.open), outcome: p.outcome || '' },
  };
}

// boardCards: the plenary votes first (open ones first), then the contributions of the
// phase (all phases once closed): pinned first, then by result, or by arrival while results
// are hidden.
function boardCards(ctx) {
  const { room } = ctx;
  const w = room.workshop;
  const plenary = [...room.plenary.values()]
    .filter((p) => room.contributions.has(Number(p.contribution)))
    .sort((x, y) => (y.open ? 1 : 0) - (x.open ? 1 : 0) || x.contribution - y.contribution);
  const inPlenary = new Set(plenary.map((p) => Number(p.contribution)));
  const phases = w.phase === 'closed' ? WORKING_PHASES : [w.phase];
  const hidden = w.resultsHidden;
  const items = room
    .list((c) => phases.includes(c.phase) && c.status === 'visible' && c.group == null && !inPlenary.has(c.id))
    .sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || (hidden ? a.id - b.id : room.score(b.id) - room.score(a.id) || a.id - b.id));
  const top = Math.max(1, ...items.map((c) => Math.abs(room.score(c.id))));
  return {
    plenary: plenary.length > 0,
    cards: [...plenary.map((p) => plenaryCard(p, room.contributions.get(Number(p.contribution)), ctx)), ...items.map((c) => contributionCard(c, ctx, top))],
  };
}

function render(ctx) {
  const { room } = ctx;
  const w = room.workshop;
  document.documentElement.dataset.phase = w.phase;
  ctx.root.dataset.join = joinSize(ctx);
  for (const el of document.querySelectorAll('[data-i18n]')) put(el, ctx, el.dataset.i18n);
  const phaseEl = document.querySelector('[data-part="phase"]');
  const sig = `${bilingual}|${w.phase}`;
  if (phaseEl.dataset.sig !== sig) {
    phaseEl.dataset.sig = sig;
    phaseEl.replaceChildren(h('span', { 'aria-hidden': 'true' }, (PHASE_ICON[w.phase] || '') + ' '), ...both(ctx, 'phase.' + w.phase));
  }
  const step = WORKING_PHASES.indexOf(w.phase);
  const stepEl = document.querySelector('[data-part="step"]');
  if (step >= 0) put(stepEl, ctx, 'ui.phase.step', { n: step + 1, total: WORKING_PHASES.length });
  else stepEl.replaceChildren();
  const q = (w.question || {})[w.phase] || '';
  const qEl = document.querySelector('[data-part="question"]');
  putTexts(qEl, ctx, q, (w.questionTexts || {})[w.phase]);
  show(qEl, !!q);
  const themeEl = document.querySelector('[data-part="theme"]');
  if (themeEl) putTexts(themeEl, ctx, themeEl.dataset.text, JSON.parse(themeEl.dataset.texts || '{}'));

  const open = w.phase !== 'lobby';
  const { plenary, cards } = boardCards(ctx);
  put($('results-title'), ctx, plenary ? 'live.plenary.title' : w.phase === 'lobby' ? 'ui.proj.welcome' : w.phase === 'closed' ? 'ui.proj.final' : 'ui.proj.top');
  const note = $('results-note');
  if (w.resultsHidden && open) put(note, ctx, 'ui.results.hidden');
  else if (open && cards.length === 0) put(note, ctx, 'ui.proj.empty');
  show(note, open && (w.resultsHidden || cards.length === 0));
  board.set(cards, `${ctx.t.lang}|${bilingual}`);
  drawHeadLines(ctx);
  const online = ctx.presence ? ctx.presence.online : null;
  if (online !== null) put($('online'), ctx, online === 1 ? 'ui.mod.online.one' : 'ui.mod.online.other', { n: online });
  const jp = $('joinpanel');
  show(jp, ctx.moderator);
  jp.setAttribute('aria-pressed', String(!!w.joinHidden));
  setText(jp, (w.joinHidden ? '🔳 ' : '🔲 ') + ctx.t(w.joinHidden ? 'hall.join.unfold' : 'hall.join.fold'));
}

let progSig = '';
// drawHeadLines: the agenda item, the round being run, and each group's counts (never content).
function drawHeadLines(ctx) {
  const { room, t } = ctx;
  const a = room.agenda;
  const item = a && a.current ? (a.items || []).find((i) => i.id === a.current) : null;
  if (item) putTexts($('proj-agenda'), ctx, item.title, item.titleTexts);
  show($('proj-agenda'), !!item);
  const r = room.rounds;
  show($('proj-round'), !!(r && r.active));
  if (r && r.active) {
    setText($('proj-round-now'), roundTitle(r, t));
    setText($('proj-round-next'), roundNext(r, t));
  }
  const groups = room.groups || [];
  show($('proj-groups'), groups.length > 0 && room.workshop.groupsOn);
  const sig = JSON.stringify([groups, [...room.progress.values()], t.lang]);
  if (sig === progSig) return;
  progSig = sig;
  $('proj-groups-list').replaceChildren(
    ...groups.map((g) => {
      const p = room.progress.get(g.id) || { members: g.size || 0, contributions: 0, outputs: 0 };
      return h(
        'li',
        { class: 'hall-group proj-group', dataset: { group: String(g.id) } },
        groupChip(g, t),
        h('span', { class: 'hall-group-counts' }, t('live.proj.counts', { members: p.members || 0, contributions: p.contributions || 0, outputs: p.outputs || 0 })),
      );
    }),
  );
}

// Controls: shown while the mouse moves or a control has the keyboard's focus, never over
// the board (they sit in the footer's row).
function wakeControls() {
  let timer = 0;
  const wake = () => {
    document.documentElement.classList.add('hall-pointer');
    clearTimeout(timer);
    timer = setTimeout(() => document.documentElement.classList.remove('hall-pointer'), CONTROLS_MS);
  };
  for (const ev of ['mousemove', 'pointerdown', 'touchstart']) document.addEventListener(ev, wake, { passive: true });
}

startFace('projector', {
  render: (ctx) => board && render(ctx),
  onEvent: (ctx, name) => name === 'presence' && ctx.schedule(),
}).then(async (ctx) => {
  board = new Board($('top'), $('pages'), ctx.t);
  timerView($('timer'), ctx.room, ctx.live, ctx.t, () => {});
  [tFr, tNl] = await Promise.all([loadTranslator('fr'), loadTranslator('nl')]);
  wakeControls();
  const bi = $('bilingual');
  bi.setAttribute('aria-pressed', String(bilingual));
  bi.addEventListener('click', () => {
    bilingual = !bilingual;
    store.set('assises.projector.bilingual', bilingual);
    bi.setAttribute('aria-pressed', String(bilingual));
    document.documentElement.classList.toggle('bilingual', bilingual);
    ctx.schedule();
  });
  document.documentElement.classList.toggle('bilingual', bilingual);
  $('joinpanel').addEventListener('click', () => ctx.send('joinpanel.set', { hidden: !ctx.room.workshop.joinHidden }));
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  // The join panel shrinks by itself when a phase's first minutes are over.
  setInterval(ctx.schedule, 5000);
  ctx.schedule();
});
