// The projector: a room's big screen. How to join (QR code, address, short code), the phase
// and its question in large type, a big countdown, and the most supported contributions with
// their tallies, live. Optionally French and Dutch side by side for the interface texts.

import { h, setText, show, store } from './util.js';
import { KIND_ICON, PHASE_ICON, WORKING_PHASES } from './room.js';
import { startFace } from './face.js';
import { timerView } from './ui.js';
import { loadTranslator } from './i18n.js';
import { tallyParts, roomCountText } from './cards.js';
import { groupChip, roundTitle, roundNext, plenaryCounts, plenaryTurnout, plenaryOutcome, plenaryRule, plenaryBars, setBars, provenanceText, Keyed } from './groups.js';

const $ = (id) => document.getElementById(id);
const TOP = 6;

let bilingual = store.get('assises.projector.bilingual', false);
let tFr = null;
let tNl = null;

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

function render(ctx) {
  const { room, t } = ctx;
  const w = room.workshop;
  document.documentElement.dataset.phase = w.phase;
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
  setText(qEl, q);
  show(qEl, !!q);

  const open = w.phase !== 'lobby';
  const phases = w.phase === 'closed' ? WORKING_PHASES : [w.phase];
  // Pinned first, then by result (or by arrival while results are hidden).
  const hidden = w.resultsHidden;
  const items = room
    .list((c) => phases.includes(c.phase) && c.status === 'visible' && c.group == null)
    .sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || (hidden ? a.id - b.id : room.score(b.id) - room.score(a.id) || a.id - b.id))
    .slice(0, TOP);
  put($('results-title'), ctx, w.phase === 'lobby' ? 'ui.proj.welcome' : w.phase === 'closed' ? 'ui.proj.final' : 'ui.proj.top');
  const note = $('results-note');
  if (hidden && open) put(note, ctx, 'ui.results.hidden');
  else if (open && items.length === 0) put(note, ctx, 'ui.proj.empty');
  show(note, open && (hidden || items.length === 0));
  const top = Math.max(1, ...items.map((c) => Math.abs(room.score(c.id))));
  $('top').replaceChildren(
    ...items.map((c) => {
      const m = room.method(c.phase);
      const tp = tallyParts(room.tallies.get(c.id), m, room, c.id, ctx);
      const bar = h('span', { class: 'proj-bar', 'aria-hidden': 'true' });
      bar.style.width = `${(100 * Math.max(0, room.score(c.id))) / top}%`;
      // Names only when the room shows them (the projector's viewer is a moderator, who sees more).
      const author = c.onBehalfOf || w.identity === 'full' ? c.author : '';
      const rc = hidden ? '' : roomCountText(room, c.id, t);
      return h(
        'li',
        { class: c.pinned ? 'pinned' : '', dataset: { id: String(c.id) } },
        h('span', { class: 'proj-kind', 'aria-hidden': 'true' }, c.pinned ? '📌' : KIND_ICON[c.kind] || ''),
        h(
          'div',
          { class: 'proj-item' },
          h('p', { class: 'proj-body' }, c.body),
          author ? h('p', { class: 'proj-author' }, author) : null,
          hidden ? null : h('div', { class: 'proj-tally' }, h('span', { class: 'proj-num', 'aria-label': tp.label }, tp.text), bar),
          rc ? h('p', { class: 'proj-roomcount' }, '✋ ' + rc) : null,
        ),
      );
    }),
  );
  drawProjGroups(ctx);
  const online = ctx.presence ? ctx.presence.online : null;
  const onlineEl = $('online');
  if (online !== null) put(onlineEl, ctx, online === 1 ? 'ui.mod.online.one' : 'ui.mod.online.other', { n: online });
}

let progSig = '';
let plenaryList = null;
// drawProjGroups: the agenda item, the round being run, each group's counts (never content),
// and the plenary votes with their tallies and results.
function drawProjGroups(ctx) {
  const { room, t } = ctx;
  const a = room.agenda;
  const item = a && a.current ? (a.items || []).find((i) => i.id === a.current) : null;
  setText($('proj-agenda'), item ? item.title : '');
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
  if (sig !== progSig) {
    progSig = sig;
    $('proj-groups-list').replaceChildren(
      ...groups.map((g) => {
        const p = room.progress.get(g.id) || { members: g.size || 0, contributions: 0, outputs: 0 };
        return h(
          'li',
          { class: 'proj-group', dataset: { group: String(g.id) } },
          groupChip(g, t, { big: true }),
          h('span', { class: 'proj-group-counts' }, t('live.proj.counts', { members: p.members || 0, contributions: p.contributions || 0, outputs: p.outputs || 0 })),
        );
      }),
    );
  }
  const items = [...room.plenary.values()].filter((p) => room.contributions.has(Number(p.contribution))).sort((x, y) => x.contribution - y.contribution);
  show($('proj-plenary'), items.length > 0);
  if (!plenaryList) {
    plenaryList = new Keyed(
      $('proj-plenary-list'),
      (p) => {
        const item = { id: Number(p.contribution) };
        item.body = h('p', { class: 'proj-body' });
        item.prov = h('p', { class: 'proj-author' });
        item.result = h('p', { class: 'proj-pl-result' });
        item.rule = h('p', { class: 'proj-pl-rule' });
        item.bars = plenaryBars(p);
        item.el = h('li', { class: 'proj-pl-item', dataset: { contribution: String(item.id) } }, item.body, item.prov, item.bars, item.result, item.rule);
        return item;
      },
      (item, p) => {
        const c = room.contributions.get(item.id);
        setText(item.body, c ? c.body : '');
        setText(item.prov, provenanceText(room.provenance.get(item.id), t));
        const head = p.open ? '🗳️ ' + t('live.synth.isopen') : plenaryOutcome(p, t);
        setText(item.result, `${head} — ${plenaryCounts(p, t)} · ${plenaryTurnout(p, t)}`);
        setText(item.rule, plenaryRule(p, t));
        item.el.dataset.open = String(!!p.open);
        item.el.dataset.outcome = p.outcome || '';
        show(item.bars, !p.hidden);
        setBars(item.bars, p);
      },
    );
  }
  plenaryList.render(items, (p) => Number(p.contribution));
}

startFace('projector', { render, onEvent: (ctx, name) => name === 'presence' && ctx.schedule() }).then(async (ctx) => {
  timerView($('timer'), ctx.room, ctx.live, ctx.t, () => {});
  [tFr, tNl] = await Promise.all([loadTranslator('fr'), loadTranslator('nl')]);
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
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  ctx.schedule();
});
