// The console's cockpit: the settings panels opened on demand (one modal dialog each, so the
// keyboard stays inside while it is open and Escape closes it), and the keyboard shortcuts for
// what a moderator does all session long — the next phase, the timer, pinning and hiding the
// contribution in focus — with their help on "?". A shortcut never fires while the moderator
// types in a field, holds a modifier key or has a dialog open.

import { setText } from './util.js';
import { PHASES, PHASE_ICON } from './room.js';

const $ = (id) => document.getElementById(id);

// openPanel shows a settings panel and gives the focus back to its opener when it closes.
export function openPanel(name, opener) {
  const d = $('panel-' + name);
  if (!d || d.open) return;
  d.returnFocus = opener || document.activeElement;
  d.showModal();
  const first = d.querySelector('input:not([type="hidden"]), select, textarea, button:not([data-close])');
  if (first) first.focus();
}

// wirePanels connects every [data-panel] button to its dialog and every [data-close] button
// to the dialog around it.
export function wirePanels() {
  for (const b of document.querySelectorAll('[data-panel]')) {
    b.setAttribute('aria-controls', 'panel-' + b.dataset.panel);
    b.addEventListener('click', () => openPanel(b.dataset.panel, b));
  }
  for (const d of document.querySelectorAll('.console dialog')) {
    for (const c of d.querySelectorAll('[data-close]')) c.addEventListener('click', () => d.close());
    // A click on the backdrop (outside the panel's box) closes it too.
    d.addEventListener('click', (e) => {
      if (e.target !== d) return;
      const r = d.getBoundingClientRect();
      if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) d.close();
    });
    d.addEventListener('close', () => {
      const back = d.returnFocus;
      d.returnFocus = null;
      if (back && back.isConnected) back.focus({ preventScroll: true });
    });
  }
}

// nextPhase is the phase after the current one, or '' at the end.
export function nextPhase(phase) {
  const i = PHASES.indexOf(phase);
  return i >= 0 && i < PHASES.length - 1 ? PHASES[i + 1] : '';
}

// askNextPhase asks before moving the whole room on: a stray key must not change the phase of
// forty phones. The confirm button has the focus, so Enter confirms and Escape cancels.
export function askNextPhase(ctx) {
  const { room, t, send } = ctx;
  const from = room.workshop.phase;
  const to = nextPhase(from);
  if (!to) {
    ctx.toast(t('console.next.none'));
    return;
  }
  const label = (p) => `${PHASE_ICON[p] || ''} ${t('phase.' + p)}`.trim();
  setText($('phase-dialog-text'), t('console.next.body', { from: label(from), to: label(to) }));
  setText($('phase-dialog-go'), t('console.next.confirm', { to: label(to) }));
  const d = $('phase-dialog');
  d.returnValue = '';
  d.returnFocus = document.activeElement;
  d.onclose = () => {
    if (d.returnValue === 'go' && room.workshop.phase === from) send('phase.set', { phase: to });
  };
  d.showModal();
  $('phase-dialog-go').focus();
}

// toggleTimer starts the timer with the minutes in the header's field, pauses it when it
// runs, resumes it when it is paused.
export function toggleTimer(ctx) {
  const tm = ctx.room.workshop.timer || {};
  // A command still on its way counts: pressing T twice quickly pauses, then resumes.
  let running = !!tm.running;
  let left = tm.remainingMs > 0 && !tm.expired;
  for (const c of ctx.live.pendingCommands()) {
    if (c.name === 'timer.pause') running = false;
    else if (c.name === 'timer.resume' || c.name === 'timer.start') running = left = true;
  }
  if (running) ctx.send('timer.pause', {});
  else if (left) ctx.send('timer.resume', {});
  else {
    const m = Math.max(1, Math.min(240, parseInt($('timer-minutes').value, 10) || 10));
    ctx.send('timer.start', { seconds: m * 60 });
  }
}

function typing(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  // A checkbox or a radio button takes no text: letters typed there are shortcuts.
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type);
}

// focusedCard is the contribution the focus is in (on the card or one of its controls).
function focusedCard() {
  const el = document.activeElement;
  return el && el.closest ? el.closest('#contributions .contrib') : null;
}

// moveFocus goes to the next (or previous) contribution of the list.
function moveFocus(step) {
  const cards = [...document.querySelectorAll('#contributions .contrib')];
  if (!cards.length) return;
  const i = cards.indexOf(focusedCard());
  const next = cards[i < 0 ? (step > 0 ? 0 : cards.length - 1) : Math.max(0, Math.min(cards.length - 1, i + step))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

// wireShortcuts listens to the keyboard for the whole console.
export function wireShortcuts(ctx) {
  const { t, send, room } = ctx;
  const help = $('help-dialog');
  $('help-open').addEventListener('click', (e) => {
    help.returnFocus = e.currentTarget;
    help.showModal();
  });
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.querySelector('.console dialog[open]')) return;
    if (typing(e.target)) return;
    const card = focusedCard();
    const id = card ? Number(card.dataset.id) : 0;
    const c = id ? room.contributions.get(id) : null;
    const needCard = () => {
      ctx.toast(t('console.nofocus'));
      return false;
    };
    let done = true;
    switch (e.key) {
      case '?':
        help.returnFocus = document.activeElement;
        help.showModal();
        break;
      case 'n':
      case 'N':
        askNextPhase(ctx);
        break;
      case 't':
      case 'T':
        toggleTimer(ctx);
        break;
      case 'p':
      case 'P':
        if (!c) done = needCard();
        else if (c.status !== 'visible') ctx.toast(t('console.pin.notvisible'));
        else {
          send('contribution.pin', { id, pinned: !c.pinned });
          ctx.say(t(c.pinned ? 'console.unpinned' : 'console.pinned', { id }));
        }
        break;
      case 'h':
      case 'H': {
        if (!c) {
          done = needCard();
          break;
        }
        if (c.status !== 'visible' && c.status !== 'pending') break;
        const reason = window.prompt(t('ui.mod.hide.reason'), '');
        if (reason !== null) send('contribution.hide', { id, reason: reason.trim() });
        break;
      }
      case 'ArrowDown':
      case 'j':
      case 'J':
        if (e.key === 'ArrowDown' && !card) done = false;
        else moveFocus(1);
        break;
      case 'ArrowUp':
      case 'k':
      case 'K':
        if (e.key === 'ArrowUp' && !card) done = false;
        else moveFocus(-1);
        break;
      default:
        done = false;
    }
    if (done) e.preventDefault();
  });
}
