// What the participant and moderator faces share: the room, the connection, drafts, own
// contributions, votes in flight, and the plumbing from server messages to a redraw.

import { store } from './util.js';
import { Live } from './live.js';
import { Room } from './room.js';
import { loadTranslator } from './i18n.js';
import { announcer, connectionBanner, refusalText, toaster } from './ui.js';

// normalise makes a text comparable with what the server stored (it cleans bodies the same way).
function normalise(s) {
  return String(s || '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '')
    .normalize('NFC')
    .trim();
}

export async function startFace(face, { render, onEvent }) {
  const root = document.getElementById('live');
  const d = root.dataset;
  const workshop = Number(d.workshop);
  const participant = Number(d.participant);
  const t = await loadTranslator(d.lang || document.documentElement.lang || 'fr');
  const room = new Room();
  const live = new Live({ workshop, participant });
  const say = announcer(document.getElementById('announcer'));
  const toast = toaster(document.getElementById('toast'));

  // Drafts: what a person typed, kept across reloads, reconnects and phase changes.
  const draftKey = `assises.draft.${workshop}.${participant}`;
  const draftMap = store.get(draftKey, {});
  const drafts = {
    get: (k) => draftMap[k] || '',
    set: (k, v) => {
      if (v) draftMap[k] = v;
      else delete draftMap[k];
      store.set(draftKey, draftMap);
    },
  };

  // Own contributions: remembered by id. The server marks them (mine) when it can; otherwise
  // a posted contribution that matches one of our posts in flight is ours.
  const mineKey = `assises.mine.${workshop}.${participant}`;
  const mine = new Set(store.get(mineKey, []));
  const claimMine = (id) => {
    if (!mine.has(id)) {
      mine.add(id);
      store.set(mineKey, [...mine]);
    }
  };
  const isMine = (id) => {
    const c = room.contributions.get(id);
    if (c && (c.mine === true || (c.authorId && c.authorId === participant))) return true;
    return mine.has(id);
  };

  // Callbacks to run when a command is acknowledged (e.g. empty a form).
  const onAck = new Map();
  const send = (name, args, cb) => {
    const id = live.send(name, args);
    if (cb) onAck.set(id, cb);
    schedule();
    return id;
  };

  // Votes in flight: the latest vote command per contribution, shown at once (with a mark
  // that it is not yet confirmed), offline included.
  const votesInFlight = () => {
    const m = new Map();
    for (const c of live.pendingCommands()) {
      if (c.name === 'vote.set') m.set(Number(c.args.contribution), c.args.value);
      else if (c.name === 'vote.clear') m.set(Number(c.args.contribution), undefined);
    }
    return m;
  };
  const myVote = (id) => {
    const f = votesInFlight();
    return f.has(id) ? f.get(id) : room.myVotes.get(id);
  };
  const votePending = (id) => votesInFlight().has(id);
  const dotsLeft = () => {
    const m = room.method();
    if (m.method !== 'dots') return null;
    const f = votesInFlight();
    let used = 0;
    const ids = new Set([...room.myVotes.keys(), ...f.keys()]);
    for (const id of ids) {
      const c = room.contributions.get(id);
      if (!c || c.phase !== room.workshop.phase || c.status === 'withdrawn' || c.status === 'merged') continue;
      used += (f.has(id) ? f.get(id) : room.myVotes.get(id)) || 0;
    }
    return Math.max(0, (m.budget || 0) - used);
  };

  const ctx = {
    face,
    room,
    live,
    t,
    say,
    toast,
    send,
    drafts,
    isMine,
    myVote,
    votePending,
    dotsLeft,
    participant,
    workshop,
    root,
    get role() {
      return live.welcome ? live.welcome.role : '';
    },
    get moderator() {
      return !!(live.welcome && live.welcome.moderator);
    },
    canVote: (c) => {
      const w = room.workshop;
      const role = live.welcome ? live.welcome.role : 'participant';
      const may = (live.welcome && live.welcome.moderator) || role === 'participant';
      return may && c.status === 'visible' && c.phase === w.phase && w.phase !== 'lobby' && w.phase !== 'closed';
    },
  };

  let frame = 0;
  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (room.workshop) render(ctx);
    });
  }
  ctx.schedule = schedule;

  // A post acknowledged before its event arrives is remembered for a moment, to claim it.
  const recentPosts = [];
  connectionBanner(document.getElementById('netbanner'), live, t);
  live.addEventListener('snapshot', (e) => {
    // The server lists the viewer's own contributions: the truth on any phone.
    const own = e.detail.state && e.detail.state.you && e.detail.state.you.mine;
    if (Array.isArray(own)) own.forEach(claimMine);
    room.load(e.detail.state);
    root.dataset.ready = 'true';
    schedule();
  });
  live.addEventListener('event', (e) => {
    const { name, data } = e.detail;
    if (name === 'contribution.posted' && data && !mine.has(data.id)) {
      const body = normalise(data.body);
      const match = live.pendingCommands().find((c) => c.name === 'contribution.post' && c.args.kind === data.kind && normalise(c.args.body) === body);
      if (match || data.mine === true) claimMine(data.id);
      else if (recentPosts.some((p) => p.kind === data.kind && p.body === body)) {
        claimMine(data.id);
        recentPosts.splice(recentPosts.findIndex((p) => p.kind === data.kind && p.body === body), 1);
      }
    }
    const change = room.apply(name, data);
    if (onEvent) onEvent(ctx, name, data, change);
    schedule();
  });
  live.addEventListener('ack', (e) => {
    const { id, command } = e.detail;
    if (command && command.name === 'contribution.post') {
      recentPosts.push({ kind: command.args.kind, body: normalise(command.args.body) });
      if (recentPosts.length > 20) recentPosts.shift();
    }
    if (command && command.name === 'vote.set') room.myVotes.set(Number(command.args.contribution), command.args.value);
    if (command && command.name === 'vote.clear') room.myVotes.delete(Number(command.args.contribution));
    const cb = onAck.get(id);
    onAck.delete(id);
    if (cb) cb(e.detail);
    schedule();
  });
  live.addEventListener('reject', (e) => {
    const { id, command } = e.detail;
    onAck.delete(id);
    // Saying "I am here" is done for the person, not by them: its refusal (someone not
    // registered for this session) is nothing they need to read.
    if (command && command.name === 'checkin.self') return;
    toast('⚠️ ' + refusalText(e.detail, t), 'error');
    say(refusalText(e.detail, t));
    if (onEvent) onEvent(ctx, 'reject', e.detail, null);
    if (command && command.name === 'contribution.post' && ctx.restoreDraft) ctx.restoreDraft(command.args);
    schedule();
  });
  live.addEventListener('pending', schedule);
  live.addEventListener('welcome', () => {
    root.dataset.role = live.welcome.role;
    root.dataset.moderator = String(!!live.welcome.moderator);
    schedule();
  });
  live.addEventListener('viewer', schedule);
  live.addEventListener('presence', (e) => {
    ctx.presence = e.detail;
    if (onEvent) onEvent(ctx, 'presence', e.detail, null);
  });
  live.addEventListener('servererror', (e) => {
    toast('⚠️ ' + refusalText(e.detail, t), 'error');
  });
  live.start();
  // The browser tests' window into the state: only on a page the server marked for them
  // (assises serve -test-hooks, which production never passes).
  if (d.testHooks !== undefined) window.assises = { room, live, ctx };
  return ctx;
}
