// The participant's face, phone first: the phase and its question, the countdown, a box to
// post in, the contributions of the phase with votes and comments.

import { h, setText, show } from './util.js';
import { KINDS, KIND_ICON } from './room.js';
import { startFace } from './face.js';
import { phaseHeader, timerView } from './ui.js';
import { mainLanguage, pickText, putText } from './texts.js';
import { CardList, shorten } from './cards.js';
import { groupChip, groupName, roundTitle, roundNext, roundLeft, plenaryCounts, plenaryTurnout, plenaryOutcome, plenaryRule, plenaryBars, setBars, provenanceText, myGroupId, Keyed } from './groups.js';
import { clock } from './util.js';

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
  // Who sees the person's name, in plain words, under the room's identity mode.
  const who = `${t('hall.identity.' + (w.identity || 'anonymous'))} ${t('hall.identity.votes')}`;
  for (const el of document.querySelectorAll('.whosees-text')) setText(el, who);
  drawGroup(ctx);
  drawAgenda(ctx);
  drawRound(ctx);
  drawPlenary(ctx);
  // The list: this phase's contributions, oldest first (new ones come at the end); while in a
  // group, the group's and the plenary's only (a left-over of another group never shows).
  if (!cards) cards = new CardList($('contributions'), ctx, { keepOrder: true });
  const mine = myGroupId(ctx);
  const inView = (c) => ctx.moderator || c.group == null || c.group === mine;
  const items = open
    ? room.list((c) => c.phase === w.phase && inView(c) && (c.status === 'visible' || (c.status === 'pending' && ctx.isMine(c.id))))
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

// --- groups, agenda, rounds, plenary ------------------------------------------------------

let groupSig = '';
let lastGroup = null;

// drawGroup shows the person's group in large: its colour, its symbol and its name.
function drawGroup(ctx) {
  const { room, t, say } = ctx;
  const id = myGroupId(ctx);
  const g = id ? room.group(id) : null;
  const sig = g ? `${g.id}|${g.colour}|${g.symbol}|${g.number}` : String(id);
  show($('mygroup'), !!g);
  show($('nogroup'), !g && room.groups.length > 0 && ctx.role === 'participant' && room.workshop.groupsOn);
  if (sig !== groupSig) {
    groupSig = sig;
    $('mygroup-chip').replaceChildren(...(g ? [groupChip(g, t, { big: true, symbolName: true })] : []));
    if (g) $('mygroup').dataset.group = String(g.id);
    if (g && lastGroup !== null && lastGroup !== g.id) {
      const text = t('groups.yours', { name: groupName(g, t) });
      say(text);
      ctx.toast(text);
    }
    lastGroup = g ? g.id : 0;
  }
  show($('rapporteur-note'), !!g && room.rapporteur);
}

function drawAgenda(ctx) {
  const { room, t } = ctx;
  const a = room.agenda;
  const item = a && a.current ? (a.items || []).find((i) => i.id === a.current) : null;
  show($('agenda-now'), !!item);
  if (!item) return;
  putText($('agenda-now-text'), pickText(item.title, item.titleTexts, t.lang, mainLanguage($('live'))), t);
  setText($('agenda-now-more'), item.plannedMinutes ? t('live.agenda.minutes', { n: item.plannedMinutes }) : '');
}

let roundSig = '';
function drawRound(ctx) {
  const { room, t } = ctx;
  const r = room.rounds;
  show($('round'), !!(r && r.active));
  if (!r || !r.active) return;
  const sig = `${r.index}|${r.key}|${t.lang}`;
  if (sig !== roundSig) {
    roundSig = sig;
    setText($('round-now'), roundTitle(r, t));
    setText($('round-next'), roundNext(r, t));
  }
  tickRound(ctx);
}

function tickRound(ctx) {
  const r = ctx.room.rounds;
  if (!r || !r.active) return;
  const tm = ctx.room.workshop.timer || {};
  const left = roundLeft(r, ctx.live) ?? clock(tm.remainingMs || 0);
  setText($('round-left'), left);
}

let plenaryList = null;
// drawPlenary lists the plenary votes: the open ones with three big buttons, the person's own
// choice, then the result once the vote is closed. Items are updated in place.
function drawPlenary(ctx) {
  const { room, t, send } = ctx;
  const voter = ctx.role === 'participant';
  const items = [...room.plenary.values()].filter((p) => room.contributions.has(Number(p.contribution))).sort((a, b) => a.contribution - b.contribution);
  show($('plenary'), items.length > 0);
  if (!plenaryList) {
    plenaryList = new Keyed(
      $('plenary-list'),
      (p) => {
        const id = Number(p.contribution);
        const item = { id };
        item.body = h('p', { class: 'pl-body', id: `pl-${id}-body` });
        item.prov = h('p', { class: 'muted small' });
        item.buttons = ['adopt', 'reject', 'abstain'].map((choice) =>
          h(
            'button',
            { type: 'button', class: `button big pl-choice ${choice}`, dataset: { choice }, 'aria-pressed': 'false', onclick: () => send('plenary.vote', { contribution: id, choice }) },
            h('span', { 'aria-hidden': 'true' }, { adopt: '✅ ', reject: '❌ ', abstain: '⚪ ' }[choice]),
            t('groups.plenary.' + choice),
          ),
        );
        item.choices = h('div', { class: 'pl-choices', role: 'group', 'aria-labelledby': `pl-${id}-body` }, ...item.buttons);
        item.mine = h('p', { class: 'pl-mine' });
        item.result = h('p', { class: 'pl-result' });
        item.rule = h('p', { class: 'pl-rule muted' });
        item.bars = plenaryBars(p);
        item.el = h('li', { class: 'pl-item card-inner', dataset: { contribution: String(id) } }, item.body, item.prov, item.rule, item.choices, item.mine, item.result, item.bars);
        return item;
      },
      (item, p) => {
        const c = room.contributions.get(item.id);
        setText(item.body, c ? c.body : '');
        setText(item.prov, provenanceText(room.provenance.get(item.id), t));
        item.el.dataset.open = String(!!p.open);
        let choice = room.myPlenary.get(item.id) || '';
        let pending = false;
        for (const cmd of ctx.live.pendingCommands()) {
          if (cmd.name === 'plenary.vote' && cmd.args.contribution === item.id) {
            choice = cmd.args.choice;
            pending = true;
          }
        }
        show(item.choices, voter && !!p.open);
        for (const b of item.buttons) b.setAttribute('aria-pressed', String(b.dataset.choice === choice));
        setText(item.mine, p.open && voter ? (choice ? t('live.plenary.mine', { choice: t('groups.plenary.' + choice) }) + (pending ? ' ⏳' : '') : t('live.plenary.choose')) : '');
        const res = p.open ? (p.hidden ? '' : `${plenaryCounts(p, t)} · ${plenaryTurnout(p, t)}`) : `${plenaryOutcome(p, t)} — ${plenaryCounts(p, t)} · ${plenaryTurnout(p, t)}`;
        setText(item.result, res);
        setText(item.rule, plenaryRule(p, t));
        item.el.dataset.outcome = p.outcome || '';
        show(item.bars, !p.hidden);
        if (!p.hidden) setBars(item.bars, p);
      },
    );
  }
  plenaryList.render(items, (p) => Number(p.contribution));
}

function onEvent(ctx, name, data, change) {
  const { t, say, toast, isMine } = ctx;
  if (name === 'rounds.changed') {
    const r = ctx.room.rounds;
    const text = r.active ? roundTitle(r, t) : r.finished ? t('live.round.finished') : t('live.round.stopped');
    say(text);
    toast('⏱️ ' + text);
    const box = $('round');
    box.classList.remove('flash');
    void box.offsetWidth; // restart the animation
    box.classList.add('flash');
    try {
      if (navigator.vibrate) navigator.vibrate(200);
    } catch {
      /* not allowed without a tap: the text and the announcement remain */
    }
    return;
  }
  if (name === 'plenary.opened') {
    say(t('live.plenary.opened'));
    toast('🗳️ ' + t('live.plenary.opened'));
    return;
  }
  if (name === 'plenary.closed') {
    const texts = (data.items || []).map((p) => {
      const c = ctx.room.contributions.get(Number(p.contribution));
      return `${shorten(c ? c.body : '', 60)} : ${plenaryOutcome(p, t)}`;
    });
    say(t('live.plenary.closed') + ' ' + texts.join(' · '));
    return;
  }
  if (name === 'group.rapporteur' && data.rapporteur) {
    say(t('groups.rapporteur'));
    toast('🎤 ' + t('groups.rapporteur'));
    return;
  }
  if (name === 'contribution.posted' && change && change.type === 'posted' && !isMine(data.id) && data.status === 'visible') {
    say(`${t('ui.announce.new.' + data.kind)} : ${shorten(data.body, 140)}`);
  } else if (name === 'phase.changed') {
    const text = `${t('ui.announce.phase')} ${t('phase.' + data.phase)}`;
    say(text);
    toast(text);
  } else if (name === 'identity.changed' && data.mode) {
    const text = t('hall.identity.' + data.mode);
    say(text);
    toast('👁️ ' + text);
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

// brusselsTime is an instant (Unix ms) as the hour and minute in Brussels, where sessions happen.
function brusselsTime(ms) {
  return new Intl.DateTimeFormat('fr-BE', { timeZone: 'Europe/Brussels', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
}

// setupArrival wires the "Je suis là" button. Check-in means arrival: opening the page never
// says the person is here (a card opened at home, days before); only their own tap does, and the
// server accepts it only on the day, within the session's hours (its refusal says so).
function setupArrival(ctx) {
  const button = $('arrival-button');
  if (!button) return;
  const arrived = (at) => {
    $('arrival-ask').hidden = true;
    $('arrival-done').hidden = false;
    if (at) setText($('arrival-time'), at);
  };
  button.addEventListener('click', () => {
    ctx.send('checkin.self', {}, () => {
      const now = new Date();
      arrived(String(now.getHours()).padStart(2, '0') + ':' + String(now.getMinutes()).padStart(2, '0'));
      ctx.say(ctx.t('live.arrival.done'));
    });
  });
  ctx.live.addEventListener('event', (e) => {
    const d = e.detail || {};
    if (d.name === 'checkin.changed' && d.data && Number(d.data.participant) === Number(ctx.room.you && ctx.room.you.participant)) {
      // The commit's time, in Brussels as the server's page writes it (the door may be the
      // one who checked the person in: the phone's own clock knows nothing of it).
      if (d.data.present) arrived(d.at ? brusselsTime(d.at) : null);
      else {
        $('arrival-ask').hidden = false;
        $('arrival-done').hidden = true;
      }
    }
  });
}

startFace('participant', { render, onEvent }).then((ctx) => {
  setupComposer(ctx);
  timerView($('timer'), ctx.room, ctx.live, ctx.t, ctx.say);
  setInterval(() => tickRound(ctx), 250);
  setupArrival(ctx);
  // A new group: what this phone may see changed, so it asks for a fresh snapshot (after a
  // random moment, so that a whole room does not ask in the same instant).
  let group = ctx.live.welcome ? ctx.live.welcome.group : null;
  ctx.live.addEventListener('viewer', (e) => {
    if (group !== null && e.detail.group !== group) ctx.live.resync(Math.random() * 1500);
    group = e.detail.group;
  });
  ctx.live.addEventListener('welcome', () => {
    if (group === null) group = ctx.live.welcome.group;
  });
});
