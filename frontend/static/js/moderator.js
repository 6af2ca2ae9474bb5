// The moderator's console, drawn as a cockpit: a header with the phases, the timer and who is
// here; the contributions as the main area (filters, sort by time or support, hide, restore,
// approve, pin, merge with a preview, counts from the room); the settings — questions, vote
// methods, identity, agenda, rounds, groups, attendance, the plenary, posting on behalf of a
// table — in panels opened on demand (cockpit.js, with the keyboard shortcuts).

import { h, setText, setAttr, show } from './util.js';
import { PHASES, WORKING_PHASES, KINDS, KIND_ICON, PHASE_ICON } from './room.js';
import { startFace } from './face.js';
import { phaseHeader, timerView } from './ui.js';
import { CardList, shorten } from './cards.js';
import { clock } from './util.js';
import { roundTitle, roundNext, roundLeft, plenaryCounts, plenaryTurnout, plenaryOutcome, plenaryBars, setBars, provenanceText, Keyed } from './groups.js';
import { wirePanels, wireShortcuts } from './cockpit.js';
import { drawRoster, drawBoard, present } from './groupsboard.js';

const $ = (id) => document.getElementById(id);

// processLanguages are the process's languages, main first, written on the page by the server.
function processLanguages() {
  try {
    const ls = JSON.parse($('live').dataset.langs || '[]');
    return ls.length ? ls : ['fr'];
  } catch {
    return ['fr'];
  }
}

let cards = null;
let filter = 'phase';
let sort = 'time';
let drawn = false;

// fill sets a form control from the state unless the moderator is editing it.
function fill(input, value) {
  if (document.activeElement === input || input.dataset.dirty === 'true') return;
  if (input.type === 'checkbox' || input.type === 'radio') input.checked = !!value;
  else if (input.value !== String(value ?? '')) input.value = value ?? '';
}

function markDirty(input) {
  input.addEventListener('input', () => {
    input.dataset.dirty = 'true';
  });
}

function drawStatic(ctx) {
  const { t, send } = ctx;
  // Phase stepper.
  $('stepper').replaceChildren(
    ...PHASES.map((p) =>
      h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'step',
            dataset: { phase: p },
            onclick: () => {
              if (ctx.room.workshop.phase !== p) send('phase.set', { phase: p });
            },
          },
          h('span', { 'aria-hidden': 'true' }, PHASE_ICON[p] + ' '),
          t('phase.' + p),
        ),
      ),
    ),
  );
  // Questions, one per working phase, in each language of the process (the main one first).
  const langs = processLanguages();
  $('questions').replaceChildren(
    ...WORKING_PHASES.map((p) => {
      const inputs = langs.map((l, i) => {
        const input = h('textarea', { id: i === 0 ? `q-${p}` : `q-${p}-${l}`, rows: 2, maxlength: 300, lang: l });
        markDirty(input);
        return input;
      });
      return h(
        'form',
        {
          class: 'question-form',
          onsubmit: (e) => {
            e.preventDefault();
            const texts = {};
            langs.slice(1).forEach((l, i) => {
              const v = inputs[i + 1].value.trim();
              if (v) texts[l] = v;
            });
            send('question.set', { phase: p, text: inputs[0].value.trim(), texts }, () => {
              for (const input of inputs) input.dataset.dirty = 'false';
            });
          },
        },
        ...langs.flatMap((l, i) => [
          h('label', { for: inputs[i].id }, `${PHASE_ICON[p]} ${t('phase.' + p)}`, langs.length > 1 ? h('span', { class: 'lang-badge' }, l.toUpperCase()) : ''),
          inputs[i],
        ]),
        h('button', { type: 'submit', class: 'button small' }, t('ui.mod.question.set')),
      );
    }),
  );
  // Vote methods, one per working phase.
  $('methods').replaceChildren(
    ...WORKING_PHASES.map((p) => {
      const sel = h(
        'select',
        { id: `m-${p}` },
        ['support', 'agree', 'dots'].map((m) => h('option', { value: m }, t('ui.vote.method.' + m))),
      );
      const budget = h('input', { id: `b-${p}`, type: 'number', min: 1, max: 20, value: 5, inputmode: 'numeric' });
      const max = h('input', { id: `x-${p}`, type: 'number', min: 1, max: 20, value: 3, inputmode: 'numeric' });
      const dots = h(
        'span',
        { class: 'dots-fields row' },
        h('span', { class: 'field inline' }, h('label', { for: `b-${p}` }, t('ui.mod.dots.budget')), budget),
        h('span', { class: 'field inline' }, h('label', { for: `x-${p}` }, t('ui.mod.dots.max')), max),
      );
      for (const i of [sel, budget, max]) markDirty(i);
      sel.addEventListener('change', () => show(dots, sel.value === 'dots'));
      return h(
        'form',
        {
          class: 'method-form',
          dataset: { phase: p },
          onsubmit: (e) => {
            e.preventDefault();
            const args = { phase: p, method: sel.value };
            if (sel.value === 'dots') {
              args.budget = Math.max(1, parseInt(budget.value, 10) || 1);
              args.maxPerItem = Math.min(args.budget, Math.max(1, parseInt(max.value, 10) || 1));
            }
            send('vote.method.set', args, () => {
              for (const i of [sel, budget, max]) i.dataset.dirty = 'false';
            });
          },
        },
        h('span', { class: 'field inline' }, h('label', { for: `m-${p}` }, `${PHASE_ICON[p]} ${t('phase.' + p)}`), sel),
        dots,
        h('button', { type: 'submit', class: 'button small' }, t('ui.apply')),
      );
    }),
  );
  // Timer.
  $('timer-presets').replaceChildren(
    ...[5, 10].map((m) => h('button', { type: 'button', class: 'button small secondary', onclick: () => send('timer.start', { seconds: m * 60 }) }, `⏱️ ${m} min`)),
  );
  $('timer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const m = Math.max(1, Math.min(240, parseInt($('timer-minutes').value, 10) || 10));
    send('timer.start', { seconds: m * 60 });
  });
  $('timer-pause').addEventListener('click', () => send('timer.pause', {}));
  $('timer-resume').addEventListener('click', () => send('timer.resume', {}));
  $('timer-plus1').addEventListener('click', () => send('timer.extend', { seconds: 60 }));
  $('timer-reset').addEventListener('click', () => send('timer.reset', {}));
  // Settings.
  const toggle = (id, name, key, arg) =>
    $(id).addEventListener('click', () => send(name, { [arg]: $(id).getAttribute('aria-pressed') !== 'true' }));
  toggle('toggle-posting', 'posting.set', 'postingLocked', 'locked');
  toggle('toggle-premod', 'premoderation.set', 'premoderation', 'on');
  toggle('toggle-results', 'results.set', 'resultsHidden', 'hidden');
  toggle('toggle-joinpanel', 'joinpanel.set', 'joinHidden', 'hidden');
  for (const r of document.querySelectorAll('input[name="identity"]')) {
    r.addEventListener('change', () => {
      // Sealing names cannot be undone: the moderator confirms it.
      if (r.checked && r.value === 'sealed' && !window.confirm(t('hall.mod.identity.sealed.confirm'))) return ctx.schedule();
      if (r.checked) send('identity.set', { mode: r.value });
    });
  }
  // Filters and sort order.
  for (const b of document.querySelectorAll('[data-filter]')) {
    b.addEventListener('click', () => {
      filter = b.dataset.filter;
      for (const o of document.querySelectorAll('[data-filter]')) setAttr(o, 'aria-pressed', o === b ? 'true' : 'false');
      ctx.schedule();
    });
  }
  for (const b of document.querySelectorAll('[data-sort]')) {
    b.addEventListener('click', () => {
      sort = b.dataset.sort;
      for (const o of document.querySelectorAll('[data-sort]')) setAttr(o, 'aria-pressed', o === b ? 'true' : 'false');
      ctx.schedule();
    });
  }
  $('plenary-others').addEventListener('change', () => ctx.schedule());
  wirePanels();
  wireShortcuts(ctx);
  // Merge.
  $('merge-clear').addEventListener('click', () => {
    for (const c of document.querySelectorAll('.c-select:checked')) c.checked = false;
    ctx.schedule();
  });
  $('merge-open').addEventListener('click', () => openMerge(ctx));
  $('merge-dialog').addEventListener('close', () => {
    if ($('merge-dialog').returnValue !== 'merge') return;
    const chosen = document.querySelector('input[name="merge-into"]:checked');
    if (!chosen) return;
    const into = Number(chosen.value);
    const from = selectedIds().filter((id) => id !== into);
    if (!from.length) return;
    send('contribution.merge', { from, into }, () => {
      for (const c of document.querySelectorAll('.c-select:checked')) c.checked = false;
      ctx.toast('🔗 ' + t('ui.mod.merge.done'));
      ctx.schedule();
    });
  });
  // Posting on behalf of a table.
  const body = $('body');
  body.value = ctx.drafts.get('mod.body');
  body.addEventListener('input', () => ctx.drafts.set('mod.body', body.value));
  $('mod-kind').addEventListener('change', () => drawParent(ctx, true));
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = body.value.trim();
    if (!text) return;
    const args = { kind: $('mod-kind').value, body: text };
    const who = $('onbehalf').value.trim();
    if (who) args.onBehalfOf = who;
    if (args.kind === 'step' || args.kind === 'solution') {
      const p = Number($('mod-parent').value);
      if (p) args.parent = p;
    }
    send('contribution.post', args, () => {
      if (body.value.trim() === text) {
        body.value = '';
        ctx.drafts.set('mod.body', '');
      }
    });
  });
}

// --- check-in, groups, agenda, rounds, synthesis ------------------------------------------

function drawGroupsStatic(ctx) {
  const { send } = ctx;
  for (const box of document.querySelectorAll('.roster-present')) {
    present.set(Number(box.value), box.checked);
    box.addEventListener('change', () => send('checkin.set', { participant: Number(box.value), present: box.checked }));
  }
  $('split-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const by = document.querySelector('input[name="split-by"]:checked').value;
    const n = parseInt($('split-n').value, 10) || 0;
    const args = by === 'size' ? { size: Math.max(2, Math.min(100, n || 2)) } : { count: Math.max(1, Math.min(64, n || 1)) };
    args.orgCap = Number($('split-orgcap').value) === 2 ? 2 : 1;
    if ($('split-rapporteurs').checked) args.rapporteurs = true;
    if (!$('split-on').checked) args.on = false;
    send('groups.split', args, () => ctx.toast('🎨 ' + ctx.t('live.split.done')));
  });
  $('toggle-groups').addEventListener('click', () => send('groups.set', { on: $('toggle-groups').getAttribute('aria-pressed') !== 'true' }));
  const next = $('agenda-next');
  if (next) next.addEventListener('click', () => send('agenda.next', {}));
  const go = $('agenda-goto-form');
  if (go) {
    go.addEventListener('submit', (e) => {
      e.preventDefault();
      send('agenda.goto', { item: Number($('agenda-goto').value) });
    });
  }
  $('round-preset').addEventListener('click', () => {
    for (const k of ['presentation', 'questions', 'advice']) $('round-' + k).value = 10;
    $('round-unit').value = '60';
  });
  $('rounds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const unit = Number($('round-unit').value) || 60;
    const steps = ['presentation', 'questions', 'advice'].map((key) => ({ key, seconds: Math.max(1, Math.min(14400, Math.round((parseFloat($('round-' + key).value) || 1) * unit))) }));
    const repeat = Math.max(1, Math.min(20, parseInt($('round-repeat').value, 10) || 1));
    send('rounds.start', { steps, repeat });
  });
  $('rounds-next-btn').addEventListener('click', () => send('rounds.next', {}));
  $('rounds-stop').addEventListener('click', () => send('rounds.stop', {}));
  $('promote-outputs').addEventListener('click', () => send('plenary.promote', { outputs: true }, () => ctx.toast('⬆️ ' + ctx.t('live.synth.promoted'))));
  $('plenary-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ids = [...document.querySelectorAll('#plenary-candidates input:checked')].map((i) => Number(i.value));
    if (!ids.length) {
      ctx.toast('⚠️ ' + ctx.t('live.synth.pick'), 'error');
      return;
    }
    // The rule is stated now, before anyone votes; the server refuses to change it while open.
    const quorum = Math.max(0, Math.floor(Number($('plenary-quorum').value) || 0));
    send('plenary.open', { contributions: ids, threshold: $('plenary-threshold').value, quorum }, () => {
      for (const i of document.querySelectorAll('#plenary-candidates input:checked')) i.checked = false;
    });
  });
  $('plenary-close-all').addEventListener('click', () => send('plenary.close', {}));
  setInterval(() => tickConsole(ctx), 500);
}

function drawAgendaPanel(ctx) {
  const { room, t } = ctx;
  const a = room.agenda;
  const item = a && a.current ? (a.items || []).find((i) => i.id === a.current) : null;
  setText($('agenda-current'), item ? t('live.agenda.current', { title: item.title }) : t('live.agenda.none'));
  for (const li of document.querySelectorAll('#agenda-list li')) {
    const cur = item && Number(li.dataset.item) === item.id;
    setAttr(li, 'aria-current', cur ? 'step' : false);
    li.classList.toggle('current', !!cur);
  }
  const next = $('agenda-next');
  if (next && a && a.items) {
    const i = item ? a.items.findIndex((x) => x.id === item.id) : -1;
    next.disabled = i >= a.items.length - 1;
  }
  const prev = room.timing && room.timing.previous;
  show($('agenda-previous'), !!prev);
  if (prev) setText($('agenda-previous'), t(prev.overrunMs > 0 ? 'live.agenda.prev.over' : 'live.agenda.prev.ok', { planned: Math.round(prev.plannedMs / 60000), actual: Math.round(prev.actualMs / 60000), over: Math.round(prev.overrunMs / 60000) }));
  tickConsole(ctx);
}

let roundsSig = '';
function drawRoundsPanel(ctx) {
  const { room, t } = ctx;
  const r = room.rounds || {};
  show($('rounds-now'), !!r.active);
  show($('rounds-line'), !!r.active);
  show($('rounds-done'), !r.active && !!r.finished);
  setText($('rounds-done'), r.finished ? '✅ ' + t('live.round.finished') : '');
  const sig = `${r.active}|${r.index}|${r.key}|${t.lang}`;
  if (sig !== roundsSig) {
    roundsSig = sig;
    setText($('rounds-current'), roundTitle(r, t) + (r.active ? ` (${t('live.round.of', { n: r.index + 1, total: r.total })})` : ''));
    setText($('rounds-next'), roundNext(r, t));
  }
}

// tickConsole updates what moves with the clock: the round's countdown and the overrun.
function tickConsole(ctx) {
  const { room, t, live } = ctx;
  const r = room.rounds;
  if (r && r.active) {
    const left = roundLeft(r, live) ?? clock((room.workshop.timer || {}).remainingMs || 0);
    setText($('rounds-left'), left);
    setText($('rounds-line'), `⏱️ ${roundTitle(r, t)} (${t('live.round.of', { n: r.index + 1, total: r.total })}) · ${left}`);
  }
  const tm = room.timing;
  const a = room.agenda;
  let text = '';
  let late = false;
  if (a && a.current && a.plannedEndsAt) {
    const over = live.serverNow() - a.plannedEndsAt;
    if (over > 0) {
      text = '⚠️ ' + t('groups.agenda.overrun', { minutes: Math.max(1, Math.round(over / 60000)) });
      late = true;
    } else text = t('live.agenda.ends', { left: clock(-over) });
  }
  if (tm && tm.lateMs > 60000) text += (text ? ' · ' : '') + t('groups.agenda.late', { minutes: Math.round(tm.lateMs / 60000) });
  const el = $('agenda-timing');
  setText(el, text);
  show(el, !!text);
  el.classList.toggle('late', late);
  // The header's line: the agenda item now and how its time goes.
  const item = a && a.current ? (a.items || []).find((i) => i.id === a.current) : null;
  const line = $('agenda-line');
  setText(line, item ? `📋 ${item.title}${text ? ' · ' + text : ''}` : '');
  show(line, !!item);
  line.classList.toggle('late', late);
}

let candSig = '';
let resultsList = null;
function drawSynthesis(ctx) {
  const { room, t, send } = ctx;
  // Candidates: what the groups brought back to the plenary in this phase, without an open
  // vote; the phase's other plenary contributions only when the moderator asks for them (a
  // session without groups).
  const others = $('plenary-others').checked;
  const phase = room.workshop.phase;
  const cands = room.list(
    (c) => c.status === 'visible' && c.group == null && c.phase === phase && (others || (room.provenance.get(c.id) || []).length > 0) && !(room.plenary.get(c.id) || {}).open,
  );
  const sig = cands.map((c) => `${c.id}:${c.version}:${(room.provenance.get(c.id) || []).length}`).join(',') + t.lang + others;
  if (sig !== candSig && !$('plenary-candidates').contains(document.activeElement)) {
    candSig = sig;
    const keep = new Set([...document.querySelectorAll('#plenary-candidates input:checked')].map((i) => i.value));
    $('plenary-candidates').replaceChildren(
      ...cands.map((c) => {
        const prov = provenanceText(room.provenance.get(c.id), t);
        return h(
          'li',
          { dataset: { id: String(c.id) } },
          h('label', { class: 'check' }, h('input', { type: 'checkbox', value: String(c.id), checked: keep.has(String(c.id)) }), ' ', h('span', null, `#${c.id} ${KIND_ICON[c.kind] || ''} ${shorten(c.body, 90)}`), prov ? h('span', { class: 'muted small prov' }, ` — ${prov}`) : null),
        );
      }),
    );
  }
  show($('plenary-nocandidate'), cands.length === 0);
  $('plenary-close-all').disabled = ![...room.plenary.values()].some((p) => p.open);
  if (!resultsList) {
    resultsList = new Keyed(
      $('plenary-results'),
      (p) => {
        const id = Number(p.contribution);
        const item = { id };
        item.body = h('p', { class: 'pl-body' });
        item.prov = h('p', { class: 'muted small' });
        item.counts = h('p', { class: 'pl-result' });
        item.bars = plenaryBars(p);
        item.close = h('button', { type: 'button', class: 'button small secondary', onclick: () => send('plenary.close', { contributions: [id] }) }, '🔒 ', t('live.synth.close'));
        // Voting again keeps the rule the vote was first opened under.
        const again = () => {
          const rule = (room.plenary.get(id) || {}).rule || {};
          send('plenary.open', { contributions: [id], threshold: rule.threshold || '1/2', quorum: rule.quorum || 0 });
        };
        item.reopen = h('button', { type: 'button', class: 'button small secondary', onclick: again }, '🔁 ', t('live.synth.reopen'));
        item.el = h('li', { class: 'pl-item', dataset: { contribution: String(id) } }, item.body, item.prov, item.counts, item.bars, h('div', { class: 'row' }, item.close, item.reopen));
        return item;
      },
      (item, p) => {
        const c = room.contributions.get(item.id);
        setText(item.body, `#${item.id} ${c ? c.body : ''}`);
        setText(item.prov, provenanceText(room.provenance.get(item.id), t));
        const head = p.open ? '🗳️ ' + t('live.synth.isopen') : plenaryOutcome(p, t);
        setText(item.counts, `${head} — ${plenaryCounts(p, t)} · ${plenaryTurnout(p, t)}`);
        item.el.dataset.open = String(!!p.open);
        item.el.dataset.outcome = p.outcome || '';
        setBars(item.bars, p);
        show(item.close, !!p.open);
        show(item.reopen, !p.open);
      },
    );
  }
  resultsList.render([...room.plenary.values()].sort((a, b) => a.contribution - b.contribution), (p) => Number(p.contribution));
}

function selectedIds() {
  // Oldest first, whatever the list's order: the merge preview reads in the order things were said.
  return [...document.querySelectorAll('.c-select:checked')].map((c) => Number(c.closest('.contrib').dataset.id)).sort((a, b) => a - b);
}

function openMerge(ctx) {
  const { room, t } = ctx;
  const ids = selectedIds();
  if (ids.length < 2) return;
  // The preview: every selected text, and which one stays (by default the most supported).
  const best = ids.slice().sort((a, b) => room.score(b) - room.score(a) || a - b)[0];
  $('merge-choices').replaceChildren(
    ...ids.map((id) => {
      const c = room.contributions.get(id);
      return h(
        'li',
        null,
        h(
          'label',
          { class: 'check merge-choice' },
          h('input', { type: 'radio', name: 'merge-into', value: String(id), checked: id === best }),
          h('span', null, h('strong', null, `#${id} `), c ? c.body : ''),
        ),
      );
    }),
  );
  $('merge-dialog').showModal();
}

function drawParent(ctx, force) {
  const { room, t } = ctx;
  const kind = $('mod-kind').value;
  const want = kind === 'step' ? 'recommendation' : kind === 'solution' ? 'finding' : '';
  show($('mod-parent-field'), !!want);
  if (!want) return;
  const sel = $('mod-parent');
  const keep = sel.value;
  const opts = room.list((c) => c.kind === want && c.status === 'visible');
  const sig = kind + opts.map((c) => c.id).join(',');
  if (!force && sel.dataset.sig === sig) return;
  sel.dataset.sig = sig;
  sel.replaceChildren(h('option', { value: '' }, t('ui.compose.parent.none')), ...opts.map((c) => h('option', { value: String(c.id), selected: String(c.id) === keep }, shorten(c.body, 70))));
}

function render(ctx) {
  const { room, t, root } = ctx;
  const w = room.workshop;
  if (!drawn) {
    drawStatic(ctx);
    drawGroupsStatic(ctx);
    drawn = true;
  }
  drawRoster(ctx);
  drawBoard(ctx);
  drawAgendaPanel(ctx);
  drawRoundsPanel(ctx);
  drawSynthesis(ctx);
  phaseHeader(root, room, t);
  for (const b of document.querySelectorAll('#stepper .step')) {
    const cur = b.dataset.phase === w.phase;
    setAttr(b, 'aria-current', cur ? 'step' : false);
    b.classList.toggle('current', cur);
  }
  for (const p of WORKING_PHASES) {
    fill($(`q-${p}`), (w.question || {})[p] || '');
    for (const l of processLanguages().slice(1)) fill($(`q-${p}-${l}`), ((w.questionTexts || {})[p] || {})[l] || '');
    const m = room.method(p);
    fill($(`m-${p}`), m.method);
    if (m.method === 'dots') {
      fill($(`b-${p}`), m.budget);
      fill($(`x-${p}`), m.maxPerItem);
    }
    const dots = $(`m-${p}`).closest('form').querySelector('.dots-fields');
    show(dots, $(`m-${p}`).value === 'dots');
  }
  // A setting the moderator just changed shows its new value at once, before the server's
  // confirmation (and a redraw in between does not flip it back).
  const wanted = (name, key, current) => {
    let v = current;
    for (const c of ctx.live.pendingCommands()) if (c.name === name) v = c.args[key];
    return v;
  };
  setAttr($('toggle-posting'), 'aria-pressed', wanted('posting.set', 'locked', w.postingLocked) ? 'true' : 'false');
  setAttr($('toggle-premod'), 'aria-pressed', wanted('premoderation.set', 'on', w.premoderation) ? 'true' : 'false');
  setAttr($('toggle-results'), 'aria-pressed', wanted('results.set', 'hidden', w.resultsHidden) ? 'true' : 'false');
  setAttr($('toggle-joinpanel'), 'aria-pressed', wanted('joinpanel.set', 'hidden', w.joinHidden) ? 'true' : 'false');
  const identity = wanted('identity.set', 'mode', w.identity || 'anonymous');
  for (const r of document.querySelectorAll('input[name="identity"]')) {
    r.checked = r.value === identity;
    r.disabled = w.identity === 'sealed' && r.value !== 'sealed';
  }
  const tm = w.timer || {};
  show($('timer-pause'), !!tm.running);
  show($('timer-resume'), !tm.running && !!tm.remainingMs && !tm.expired);
  $('timer-plus1').disabled = !tm.running && !tm.remainingMs;
  $('timer-reset').disabled = !tm.running && !tm.remainingMs && !tm.expired;
  show($('timer-idle'), !(tm.running || tm.remainingMs || tm.expired));
  show($('question-missing'), !(w.question || {})[w.phase] && WORKING_PHASES.includes(w.phase));
  // Kinds the moderator may post now.
  const kinds = KINDS[w.phase] || [];
  const ks = $('mod-kind');
  if (ks.dataset.phase !== w.phase) {
    ks.dataset.phase = w.phase;
    ks.replaceChildren(...kinds.map((k) => h('option', { value: k }, `${KIND_ICON[k]} ${t('ui.kind.' + k)}`)));
    drawParent(ctx, true);
  } else drawParent(ctx, false);
  show($('composer'), kinds.length > 0);
  show($('composer-closed'), kinds.length === 0);
  // The queue.
  const pending = room.list((c) => c.status === 'pending');
  setText($('pending-count'), pending.length ? `(${pending.length})` : '');
  let items;
  if (filter === 'pending') items = pending;
  else if (filter === 'hidden') items = room.list((c) => c.status === 'hidden');
  else if (filter === 'all') items = room.list((c) => c.status !== 'withdrawn');
  else items = room.list((c) => c.phase === w.phase && (c.status === 'visible' || c.status === 'pending'));
  // By time, the newest first: what just arrived is where the moderator looks. By result,
  // the phase's ranking. Pinned ones lead either way, as on the projector.
  if (sort === 'support') items.sort((a, b) => room.score(b.id) - room.score(a.id) || a.id - b.id);
  else items.sort((a, b) => b.id - a.id);
  items.sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0));
  if (!cards) {
    // The console moderates; moderators vote from the participant page like everyone else.
    const cardCtx = Object.assign(Object.create(ctx), { onSelect: () => ctx.schedule(), canVote: () => false });
    cards = new CardList($('contributions'), cardCtx, { keepOrder: false });
  }
  // Moving a card takes the focus away from it: give it back, so the keyboard keeps its place.
  const focused = document.activeElement;
  // While the moderator types in a card (a comment, an edit, a count), nothing moves.
  const typing = focused && $('contributions').contains(focused) && (focused.tagName === 'TEXTAREA' || (focused.tagName === 'INPUT' && focused.type !== 'checkbox'));
  if (typing) {
    const at = new Map([...$('contributions').children].map((li, i) => [Number(li.dataset.id), i]));
    items.sort((a, b) => (at.has(a.id) ? at.get(a.id) : Infinity) - (at.has(b.id) ? at.get(b.id) : Infinity));
  }
  cards.render(items);
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  for (const li of $('contributions').children) if (!li.hasAttribute('tabindex')) li.tabIndex = 0;
  setText($('list-count'), `(${items.length})`);
  setText($('empty'), t('console.empty.' + filter));
  show($('empty'), items.length === 0);
  const sel = selectedIds();
  $('merge-open').disabled = sel.length < 2;
  show($('merge-clear'), sel.length > 0);
  setText($('merge-count'), sel.length ? `(${sel.length})` : '');
  const to = ctx.turnout;
  setText($('turnout'), to ? '🗳️ ' + t.n('console.turnout', to.voters, { participants: to.participants }) : '');
  setAttr($('turnout'), 'title', $('turnout').textContent || false);
}

function onEvent(ctx, name, data) {
  const { t, say, toast } = ctx;
  if (name === 'presence') {
    const by = data.byRole || {};
    const roles = Object.entries(by)
      .map(([r, n]) => `${t('ui.role.' + r)} ${n}`)
      .join(' · ');
    const groups = Object.entries(data.byGroup || {})
      .filter(([g]) => g !== '0')
      .map(([g, n]) => `${t('ui.group')} ${g} : ${n}`)
      .join(' · ');
    setText($('presence'), `👥 ${t.n('console.online', data.online || 0)}`);
    setAttr($('presence'), 'title', t.n('ui.mod.online', data.online || 0));
    setText($('presence-detail'), `${t.n('ui.mod.online', data.online || 0)}${roles ? ' — ' + roles : ''}${groups ? ' — ' + groups : ''}`);
    return;
  }
  if (name === 'tally.updated' && data && data.turnout) ctx.turnout = data.turnout;
  if (name === 'checkin.changed' && data) present.set(Number(data.participant), !!data.present);
  if (name === 'rounds.changed') {
    const r = ctx.room.rounds;
    say(r.active ? roundTitle(r, t) : r.finished ? t('live.round.finished') : t('live.round.stopped'));
  }
  if (name === 'agenda.timing' && data && data.overdue) {
    say(t('live.agenda.overdue'));
    toast('⚠️ ' + t('live.agenda.overdue'));
  }
  if (name === 'plenary.closed') say(t('live.plenary.closed'));
  if (name === 'contribution.posted' && data && data.status === 'pending') {
    say(t('ui.announce.pending'));
    toast('⏳ ' + t('ui.announce.pending'));
  } else if (name === 'contribution.posted' && data && data.status === 'visible') {
    say(`${t('ui.announce.new.' + data.kind)} : ${shorten(data.body, 100)}`);
  }
}

startFace('moderator', { render, onEvent }).then((ctx) => {
  timerView($('timer'), ctx.room, ctx.live, ctx.t, ctx.say);
});
