// The participant's face, phone first: the phase and its question, the countdown, a box to
// post in, the contributions of the phase with votes and comments.

import { h, setText, show } from './util.js';
import { KINDS, KIND_ICON } from './room.js';
import { startFace } from './face.js';
import { phaseHeader, timerView } from './ui.js';
import { CardList, shorten } from './cards.js';

const $ = (id) => document.getElementById(id);

let cards = null;
let kindsFor = ''; // the phase the kind buttons were drawn for
let parentSig = '';

function composerKind(ctx) {
  const checked = document.querySelector('input[name="kind"]:checked');
  return checked ? checked.value : (KINDS[ctx.room.workshop.phase] || [])[0];
}

// drawKinds offers the kinds the phase allows, as big radio buttons with an icon.
function drawKinds(ctx) {
  const { room, t, drafts } = ctx;
  const phase = room.workshop.phase;
  if (kindsFor === phase) return;
  kindsFor = phase;
  const kinds = KINDS[phase] || [];
  const box = $('kinds');
  const remembered = drafts.get(`kind.${phase}`) || kinds[0];
  box.replaceChildren(
    h('legend', null, t('ui.compose.kind')),
    ...kinds.map((k) =>
      h(
        'label',
        { class: 'kind-choice' },
        h('input', {
          type: 'radio',
          name: 'kind',
          value: k,
          checked: k === remembered,
          onchange: () => {
            drafts.set(`kind.${phase}`, k);
            drawExtras(ctx, true);
          },
        }),
        h('span', { 'aria-hidden': 'true' }, KIND_ICON[k] + ' '),
        h('span', null, t('ui.kind.' + k)),
        h('span', { class: 'kind-hint muted' }, t('ui.kind.' + k + '.hint')),
      ),
    ),
  );
  show(box, kinds.length > 1);
  setText($('composer-title'), kinds.length === 1 ? `${KIND_ICON[kinds[0]]} ${t('ui.compose.new.' + kinds[0])}` : `✍️ ${t('ui.compose.title')}`);
  drawExtras(ctx, true);
}

// drawExtras shows what the chosen kind needs besides its text: the finding a solution path
// answers, the findings a recommendation answers, the recommendation a step belongs to and its
// who/how/when. Options are redrawn when the contributions change; the choice is kept.
function drawExtras(ctx, force) {
  const { room, t } = ctx;
  const kind = composerKind(ctx);
  const wantParent = kind === 'solution' ? 'finding' : kind === 'step' ? 'recommendation' : '';
  const options = wantParent ? room.list((c) => c.kind === wantParent && c.status === 'visible') : [];
  const links = kind === 'recommendation' ? room.list((c) => c.kind === 'finding' && c.status === 'visible') : [];
  const sig = `${kind}|${options.map((c) => c.id + ':' + c.version).join(',')}|${links.map((c) => c.id + ':' + c.version).join(',')}`;
  if (!force && sig === parentSig) return;
  parentSig = sig;
  const sel = $('parent');
  const keep = sel.value;
  show($('compose-parent'), !!wantParent);
  if (wantParent) {
    setText($('parent-label'), t(kind === 'step' ? 'ui.compose.parent.step' : 'ui.compose.parent.solution'));
    sel.required = kind === 'step';
    sel.replaceChildren(
      h('option', { value: '' }, kind === 'step' ? t('ui.compose.parent.choose') : t('ui.compose.parent.none')),
      ...options.map((c) => h('option', { value: String(c.id), selected: String(c.id) === keep }, shorten(c.body, 70))),
    );
  }
  show($('compose-step'), kind === 'step');
  const linkBox = $('compose-links');
  show(linkBox, links.length > 0);
  if (links.length) {
    const checked = new Set([...linkBox.querySelectorAll('input:checked')].map((i) => i.value));
    $('links-list').replaceChildren(
      ...links.map((c) =>
        h('li', null, h('label', { class: 'check' }, h('input', { type: 'checkbox', value: String(c.id), checked: checked.has(String(c.id)) }), ' ', shorten(c.body, 90))),
      ),
    );
  }
}

function render(ctx) {
  const { room, t, root } = ctx;
  const w = room.workshop;
  phaseHeader(root, room, t);
  const open = w.phase !== 'lobby' && w.phase !== 'closed';
  show($('lobby'), w.phase === 'lobby');
  show($('closed'), w.phase === 'closed');
  const mayPost = ctx.role === 'participant' || ctx.moderator || !ctx.live.welcome;
  show($('composer'), open && mayPost);
  show($('list-section'), open);
  if (open) {
    drawKinds(ctx);
    drawExtras(ctx, false);
    const locked = w.postingLocked && !ctx.moderator;
    show($('locked'), locked);
    $('send').disabled = locked;
  }
  // The list: this phase's contributions, oldest first (new ones come at the end).
  if (!cards) cards = new CardList($('contributions'), ctx, { keepOrder: true });
  const items = open
    ? room.list((c) => c.phase === w.phase && (c.status === 'visible' || (c.status === 'pending' && ctx.isMine(c.id))))
    : [];
  cards.render(items);
  show($('empty'), open && items.length === 0);
  setText($('list-title'), open ? t('ui.list.title.' + w.phase) : '');
  // How to vote now.
  const m = room.method();
  let help = '';
  if (open && items.length) {
    if (w.resultsHidden) help = t('ui.vote.help.' + m.method) + ' ' + t('ui.results.hiddenNote');
    else help = t('ui.vote.help.' + m.method);
    if (m.method === 'dots') help += ' ' + t('ui.vote.dots.left', { left: ctx.dotsLeft(), budget: m.budget, max: m.maxPerItem || m.budget });
  }
  setText($('votehelp'), help);
  show($('votehelp'), !!help);
  // Posts waiting to be sent (offline): shown so that nobody posts twice.
  const waiting = ctx.live.pendingCommands().filter((c) => c.name === 'contribution.post');
  const outbox = $('outbox');
  show(outbox, waiting.length > 0);
  $('outbox-list').replaceChildren(...waiting.map((c) => h('li', null, '⏳ ', shorten(c.args.body, 120))));
}

function onEvent(ctx, name, data, change) {
  const { t, say, toast, isMine } = ctx;
  if (name === 'contribution.posted' && change && change.type === 'posted' && !isMine(data.id) && data.status === 'visible') {
    say(`${t('ui.announce.new.' + data.kind)} : ${shorten(data.body, 140)}`);
  } else if (name === 'phase.changed') {
    const text = `${t('ui.announce.phase')} ${t('phase.' + data.phase)}`;
    say(text);
    toast(text);
  } else if (name === 'question.changed' && data.phase === ctx.room.workshop.phase && data.text) {
    say(`${t('ui.announce.question')} ${data.text}`);
  } else if (name === 'posting.changed') {
    toast(data.locked ? '🔒 ' + t('ui.compose.locked') : '🔓 ' + t('ui.compose.unlocked'));
  } else if (name === 'vote.method.changed' && data.phase === ctx.room.workshop.phase) {
    const text = t('ui.announce.method') + ' ' + t('ui.vote.method.' + data.method);
    say(text);
    toast(text);
  } else if (name === 'contribution.merged' && change) {
    say(t('ui.announce.merged'));
  }
}

function setupComposer(ctx) {
  const { drafts, send, t, toast } = ctx;
  const body = $('body');
  body.value = drafts.get('body');
  body.addEventListener('input', () => drafts.set('body', body.value));
  for (const f of ['who', 'how', 'when']) {
    const input = $(f);
    input.value = drafts.get(f);
    input.addEventListener('input', () => drafts.set(f, input.value));
  }
  ctx.restoreDraft = (args) => {
    // A refused post comes back into the box, unless the person already typed something new.
    if (!body.value.trim()) {
      body.value = args.body || '';
      drafts.set('body', body.value);
    }
  };
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const kind = composerKind(ctx);
    const text = body.value.trim();
    if (!text) {
      toast('⚠️ ' + t('err.empty'), 'error');
      body.focus();
      return;
    }
    const args = { kind, body: text };
    if (kind === 'solution' || kind === 'step') {
      const p = Number($('parent').value);
      if (p) args.parent = p;
      if (kind === 'step' && !p) {
        toast('⚠️ ' + t('ui.compose.parent.needed'), 'error');
        $('parent').focus();
        return;
      }
    }
    if (kind === 'step') {
      for (const f of ['who', 'how', 'when']) {
        const v = $(f).value.trim();
        if (v) args[f] = v;
      }
    }
    if (kind === 'recommendation') {
      const links = [...document.querySelectorAll('#links-list input:checked')].map((i) => Number(i.value));
      if (links.length) args.links = links;
    }
    send('contribution.post', args);
    // The text now travels with the command (kept until the server confirms it): the box is
    // free for the next idea.
    body.value = '';
    drafts.set('body', '');
    for (const f of ['who', 'how', 'when']) {
      $(f).value = '';
      drafts.set(f, '');
    }
    for (const i of document.querySelectorAll('#links-list input:checked')) i.checked = false;
    toast(ctx.live.status === 'online' ? '📤 ' + t('ui.compose.sent') : '⏳ ' + t('ui.compose.queued'));
    body.focus();
  });
}

startFace('participant', { render, onEvent }).then((ctx) => {
  setupComposer(ctx);
  timerView($('timer'), ctx.room, ctx.live, ctx.t, ctx.say);
});
