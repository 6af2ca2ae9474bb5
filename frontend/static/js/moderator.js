// The moderator's console: phases and their questions, the timer, vote methods, room
// settings, who is here, the moderation queue (hide, restore, approve, pin, merge with a
// preview, counts from the room), live tallies, and posting on behalf of a table.

import { h, setText, setAttr, show } from './util.js';
import { PHASES, WORKING_PHASES, KINDS, KIND_ICON, PHASE_ICON } from './room.js';
import { startFace } from './face.js';
import { phaseHeader, timerView } from './ui.js';
import { CardList, shorten, tallyParts } from './cards.js';

const $ = (id) => document.getElementById(id);

let cards = null;
let filter = 'phase';
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
  // Questions, one per working phase.
  $('questions').replaceChildren(
    ...WORKING_PHASES.map((p) => {
      const input = h('textarea', { id: `q-${p}`, rows: 2, maxlength: 300 });
      markDirty(input);
      return h(
        'form',
        {
          class: 'question-form',
          onsubmit: (e) => {
            e.preventDefault();
            send('question.set', { phase: p, text: input.value.trim() }, () => {
              input.dataset.dirty = 'false';
            });
          },
        },
        h('label', { for: `q-${p}` }, `${PHASE_ICON[p]} ${t('phase.' + p)}`),
        input,
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
    ...[3, 5, 10, 15, 20].map((m) => h('button', { type: 'button', class: 'button small secondary', onclick: () => send('timer.start', { seconds: m * 60 }) }, `⏱️ ${m} min`)),
  );
  $('timer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const m = Math.max(1, Math.min(240, parseInt($('timer-minutes').value, 10) || 10));
    send('timer.start', { seconds: m * 60 });
  });
  $('timer-pause').addEventListener('click', () => send('timer.pause', {}));
  $('timer-resume').addEventListener('click', () => send('timer.resume', {}));
  $('timer-plus1').addEventListener('click', () => send('timer.extend', { seconds: 60 }));
  $('timer-plus5').addEventListener('click', () => send('timer.extend', { seconds: 300 }));
  $('timer-reset').addEventListener('click', () => send('timer.reset', {}));
  // Settings.
  const toggle = (id, name, key, arg) =>
    $(id).addEventListener('click', () => send(name, { [arg]: $(id).getAttribute('aria-pressed') !== 'true' }));
  toggle('toggle-posting', 'posting.set', 'postingLocked', 'locked');
  toggle('toggle-premod', 'premoderation.set', 'premoderation', 'on');
  toggle('toggle-results', 'results.set', 'resultsHidden', 'hidden');
  for (const r of document.querySelectorAll('input[name="identity"]')) {
    r.addEventListener('change', () => {
      if (r.checked) send('identity.set', { mode: r.value });
    });
  }
  // Filters.
  for (const b of document.querySelectorAll('[data-filter]')) {
    b.addEventListener('click', () => {
      filter = b.dataset.filter;
      for (const o of document.querySelectorAll('[data-filter]')) setAttr(o, 'aria-pressed', o === b ? 'true' : 'false');
      ctx.schedule();
    });
  }
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

function selectedIds() {
  return [...document.querySelectorAll('.c-select:checked')].map((c) => Number(c.closest('.contrib').dataset.id));
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
    drawn = true;
  }
  phaseHeader(root, room, t);
  for (const b of document.querySelectorAll('#stepper .step')) {
    const cur = b.dataset.phase === w.phase;
    setAttr(b, 'aria-current', cur ? 'step' : false);
    b.classList.toggle('current', cur);
  }
  for (const p of WORKING_PHASES) {
    fill($(`q-${p}`), (w.question || {})[p] || '');
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
  const identity = wanted('identity.set', 'mode', w.identity || 'anonymous');
  for (const r of document.querySelectorAll('input[name="identity"]')) r.checked = r.value === identity;
  const tm = w.timer || {};
  $('timer-pause').disabled = !tm.running;
  $('timer-resume').disabled = tm.running || !tm.remainingMs;
  // Kinds the moderator may post now.
  const kinds = KINDS[w.phase] || [];
  const ks = $('mod-kind');
  if (ks.dataset.phase !== w.phase) {
    ks.dataset.phase = w.phase;
    ks.replaceChildren(...kinds.map((k) => h('option', { value: k }, `${KIND_ICON[k]} ${t('ui.kind.' + k)}`)));
    drawParent(ctx, true);
  } else drawParent(ctx, false);
  show($('composer'), kinds.length > 0);
  // The queue.
  const pending = room.list((c) => c.status === 'pending');
  setText($('pending-count'), pending.length ? `(${pending.length})` : '');
  let items;
  if (filter === 'pending') items = pending;
  else if (filter === 'hidden') items = room.list((c) => c.status === 'hidden');
  else if (filter === 'all') items = room.list((c) => c.status !== 'withdrawn');
  else items = room.list((c) => c.phase === w.phase && (c.status === 'visible' || c.status === 'pending'));
  if (!cards) {
    // The console moderates; moderators vote from the participant page like everyone else.
    const cardCtx = Object.assign(Object.create(ctx), { onSelect: () => ctx.schedule(), canVote: () => false });
    cards = new CardList($('contributions'), cardCtx, { keepOrder: true });
  }
  cards.render(items);
  show($('empty'), items.length === 0);
  const sel = selectedIds();
  show($('mergebar'), sel.length >= 2);
  setText($('merge-count'), t('ui.mod.merge.count', { n: sel.length }));
  drawTallies(ctx);
}

function drawTallies(ctx) {
  const { room, t } = ctx;
  const w = room.workshop;
  const items = room
    .list((c) => c.phase === w.phase && c.status === 'visible')
    .sort((a, b) => room.score(b.id) - room.score(a.id) || a.id - b.id);
  const m = room.method();
  const top = Math.max(1, ...items.map((c) => Math.abs(room.score(c.id))));
  const list = $('tallies');
  list.replaceChildren(
    ...items.map((c) => {
      const tp = tallyParts(room.tallies.get(c.id), m, room, c.id, ctx);
      const bar = h('span', { class: 'tally-bar', 'aria-hidden': 'true' });
      bar.style.width = `${(100 * Math.max(0, room.score(c.id))) / top}%`;
      return h('li', null, h('span', { class: 'tally-text' }, `#${c.id} ${shorten(c.body, 60)}`), h('span', { class: 'tally-num', 'aria-label': tp.label }, tp.text), bar);
    }),
  );
  const to = ctx.turnout;
  setText($('turnout'), to ? t('ui.mod.turnout', { voters: to.voters, participants: to.participants }) : '');
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
    setText($('presence'), `👥 ${t.n('ui.mod.online', data.online || 0)}${roles ? ' — ' + roles : ''}${groups ? ' — ' + groups : ''}`);
    return;
  }
  if (name === 'tally.updated' && data && data.turnout) ctx.turnout = data.turnout;
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
