// Pieces every live face shares: the connection banner, the countdown, the screen-reader
// announcer, the phase header.

import { h, setText, setAttr, show, clock } from './util.js';
import { PHASE_ICON, WORKING_PHASES } from './room.js';
import { mainLanguage, pickText, putText } from './texts.js';

// announcer returns say(text): polite announcements through an aria-live region. Several
// announcements within a moment are joined, so a burst of posts is read once, not cut off.
export function announcer(region) {
  let queue = [];
  let timer = 0;
  return (text) => {
    if (!region || !text) return;
    queue.push(text);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const msg = queue.slice(-3).join(' · ');
      queue = [];
      // Clearing first makes screen readers read a repeated text again.
      region.textContent = '';
      requestAnimationFrame(() => {
        region.textContent = msg;
      });
    }, 400);
  };
}

// connectionBanner keeps the banner in step with the connection: hidden when all is well,
// a plain sentence when the network is gone, with how many actions wait to be sent.
export function connectionBanner(el, live, t) {
  const root = el.closest('[data-face]') || document.body;
  const update = () => {
    const s = live.status;
    const n = live.pendingCount;
    root.dataset.connection = s;
    root.dataset.pending = String(n);
    let text = '';
    if (s === 'offline') text = t('ui.net.offline');
    else if (s === 'reconnecting') text = t('ui.net.reconnecting');
    else if (s === 'connecting') text = t('ui.net.connecting');
    else if (s === 'closed') text = t('ui.net.closed');
    if (text && n > 0) text += ' ' + t.n('ui.net.pending', n);
    else if (!text && n > 0) text = t.n('ui.net.sending', n);
    setText(el, text);
    show(el, !!text && !(s === 'online' && n > 0 && !live._slow));
    el.classList.toggle('bad', s === 'offline' || s === 'closed');
  };
  live.addEventListener('status', update);
  live.addEventListener('pending', update);
  // Only after a moment does "sending…" show: most acknowledgements arrive in milliseconds.
  let slowTimer = 0;
  live.addEventListener('pending', () => {
    clearTimeout(slowTimer);
    live._slow = false;
    if (live.pendingCount > 0) {
      slowTimer = setTimeout(() => {
        live._slow = true;
        update();
      }, 1500);
    }
  });
  update();
  return update;
}

// timerView draws the countdown from the server's deadline, corrected by the clock offset,
// and announces the last minute and the end to screen readers.
export function timerView(el, room, live, t, say) {
  let lastState = '';
  const tick = () => {
    const tm = room.workshop && room.workshop.timer;
    if (!tm || (!tm.running && !tm.remainingMs && !tm.expired)) {
      show(el, false);
      lastState = '';
      return;
    }
    show(el, true);
    const left = tm.running ? tm.endsAt - live.serverNow() : tm.remainingMs || 0;
    const label = el.querySelector('.timer-label') || el;
    const digits = el.querySelector('.timer-digits') || el;
    setText(digits, clock(left));
    let state = tm.running ? 'running' : 'paused';
    if (left <= 0) state = 'over';
    else if (left <= 60000 && tm.running) state = 'low';
    if (label !== el) setText(label, state === 'over' ? t('ui.timer.over') : state === 'paused' ? t('ui.timer.paused') : t('ui.timer.left'));
    el.dataset.state = state;
    setAttr(el, 'aria-label', `${state === 'over' ? t('ui.timer.over') : t('ui.timer.left')} ${clock(left)}`);
    if (state !== lastState) {
      if (state === 'low' && lastState === 'running') say(t('ui.timer.lastminute'));
      if (state === 'over' && (lastState === 'running' || lastState === 'low')) say(t('ui.timer.over'));
      lastState = state;
    }
  };
  tick();
  setInterval(tick, 250);
  return tick;
}

// phaseHeader writes the phase, its step number and the question for it.
export function phaseHeader(root, room, t) {
  const w = room.workshop;
  if (!w) return;
  const name = root.querySelector('[data-part="phase"]');
  const step = root.querySelector('[data-part="step"]');
  const question = root.querySelector('[data-part="question"]');
  if (name) setText(name, `${PHASE_ICON[w.phase] || ''} ${t('phase.' + w.phase)}`.trim());
  if (step) {
    const i = WORKING_PHASES.indexOf(w.phase);
    setText(step, i >= 0 ? t('ui.phase.step', { n: i + 1, total: WORKING_PHASES.length }) : '');
  }
  if (question) {
    const q = (w.question || {})[w.phase] || '';
    putText(question, pickText(q, (w.questionTexts || {})[w.phase], t.lang, mainLanguage(document.getElementById('live'))), t);
    show(question, !!q);
  }
  document.documentElement.dataset.phase = w.phase;
}

// refusalText is what to show for a refused command: the code in the language the person
// chose for the interface, else the server's message (worded in the person's stored language).
export function refusalText(msg, t) {
  const key = 'err.' + msg.code;
  const own = t(key);
  return own !== key ? own : msg.message || msg.code;
}

// toast shows a short message in the page's status line (role=status) for a few seconds.
export function toaster(el) {
  let timer = 0;
  return (text, kind = 'info') => {
    if (!el) return;
    clearTimeout(timer);
    el.className = `toast ${kind}`;
    el.textContent = text;
    el.hidden = false;
    timer = setTimeout(() => {
      el.hidden = true;
    }, kind === 'error' ? 8000 : 4000);
  };
}

export function icon(ch) {
  return h('span', { class: 'icon', 'aria-hidden': 'true' }, ch);
}
