// The live connection to a workshop (protocol v1, docs/protocol.md): one WebSocket, opened
// with the session cookie (never a token in the URL); hello with the last sequence number seen;
// the log's epoch from the welcome, handed back with that sequence number (a different epoch
// means the log was rewritten, by an erasure or a restore: the server then sends a snapshot);
// commands with client-made ids kept until the server acknowledges or refuses them, also in
// localStorage, and sent again with the SAME id after a reconnect or a reload (the server
// applies an id once: nothing lost, nothing counted twice); automatic reconnection with backoff;
// an estimate of the server's clock so that countdowns are right on a phone whose clock is wrong.

import { uuid, store } from './util.js';

const PROTOCOL = 1;
const PING_EVERY = 15000; // ms between pings (keeps NAT mappings open, refreshes the clock)
const DEAD_AFTER = 40000; // no message for this long: the connection is dead, reconnect
const BACKOFF_FIRST = 500;
const BACKOFF_MAX = 15000;
const PENDING_MAX_AGE = 2 * 60 * 60 * 1000; // a queued command older than this is not resent
const FATAL = new Set(['forbidden', 'version']); // errors a reconnect cannot fix
// The server closed this socket because the person opened it in too many tabs (hub.CloseTooManyTabs):
// reconnecting would close the next oldest tab, and so on; this tab stops until it is reloaded.
const CLOSE_TOO_MANY_TABS = 4001;
// Refusals that are not recorded by the server: the same command id may go again, a little later.
const TRANSIENT = new Set(['unavailable', 'busy', 'rate_limited', 'shutting_down', 'not_joined']);
const RETRY_MAX = 6;

export class Live extends EventTarget {
  constructor({ workshop, participant }) {
    super();
    this.workshop = Number(workshop);
    this.participant = Number(participant);
    this.key = `assises.pending.${this.workshop}.${this.participant}`;
    this.lastSeq = 0;
    this.epoch = 0; // the log epoch lastSeq counts in (0: none yet)
    this.offset = 0; // server clock minus ours, ms
    this.bestRtt = Infinity;
    this.ws = null;
    this.generation = 0;
    this.joined = false;
    this.attempt = 0;
    this.timer = 0;
    this.pingTimer = 0;
    this.lastHeard = 0;
    this.pingSentAt = 0;
    this.stopped = false;
    this.status = 'connecting';
    this.welcome = null;
    // Commands not yet acknowledged, in the order they were made.
    this.pending = new Map();
    const now = Date.now();
    for (const c of store.get(this.key, [])) {
      if (c && c.id && c.name && now - (c.at || 0) < PENDING_MAX_AGE) this.pending.set(c.id, { ...c, gen: -1 });
    }
    this.persist();
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => {
      // The browser knows the network is gone: stop waiting for a socket that cannot answer.
      if (this.ws) this.ws.close();
      this.setStatus('offline');
    };
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && !this.joined) this.reconnectNow();
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.ws) this.ws.close(1000);
  }

  // resync asks for a fresh snapshot: after the connection's group changed, what it may see
  // changed too (another group's work). The socket is closed and opened again with since=0;
  // commands not yet acknowledged go again with the same ids, as after any reconnection.
  resync(delay = 0) {
    clearTimeout(this.resyncTimer);
    this.resyncing = true; // until the snapshot: no "connection lost" banner for this
    this.resyncTimer = setTimeout(() => {
      if (this.stopped || this.fatal) return;
      this.wantSnapshot = true;
      if (this.ws) this.ws.close();
      else this.reconnectNow();
    }, delay);
  }

  // serverNow is the server's clock, as well as we can tell.
  serverNow() {
    return Date.now() + this.offset;
  }

  // send queues a command and returns its id. It goes out now if the room is joined, else as
  // soon as it is. The outcome arrives as an 'ack' or 'reject' event with this id.
  send(name, args = {}) {
    const cmd = { id: uuid(), name, args, at: Date.now(), gen: -1 };
    this.pending.set(cmd.id, cmd);
    this.persist();
    this.transmit(cmd);
    this.emit('pending', { count: this.pending.size });
    return cmd.id;
  }

  get pendingCount() {
    return this.pending.size;
  }

  pendingCommands() {
    return [...this.pending.values()];
  }

  // --- connection --------------------------------------------------------------------------

  connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.joined = false;
    if (navigator.onLine === false) {
      // No network at all: wait for the browser's 'online' event (and look again now and then).
      this.setStatus('offline');
      this.timer = setTimeout(() => this.connect(), BACKOFF_MAX);
      return;
    }
    const gen = ++this.generation;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    let ws;
    try {
      ws = new WebSocket(`${proto}://${location.host}/ws`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    if (!this.resyncing) this.setStatus(this.attempt === 0 && this.status === 'connecting' ? 'connecting' : navigator.onLine === false ? 'offline' : 'reconnecting');
    ws.onopen = () => {
      if (gen !== this.generation) return;
      this.lastHeard = Date.now();
      const resume = !this.wantSnapshot && this.lastSeq > 0 && this.epoch > 0;
      this.raw(resume
        ? { type: 'hello', v: PROTOCOL, workshop: this.workshop, since: this.lastSeq, epoch: this.epoch }
        : { type: 'hello', v: PROTOCOL, workshop: this.workshop, since: 0 });
    };
    ws.onmessage = (e) => {
      if (gen !== this.generation) return;
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.handle(msg);
    };
    ws.onclose = (e) => {
      if (gen !== this.generation) return;
      this.ws = null;
      this.joined = false;
      clearInterval(this.pingTimer);
      if (this.stopped || this.fatal) return;
      if (e.code === CLOSE_TOO_MANY_TABS) {
        this.fatal = true;
        this.setStatus('closed');
        this.emit('servererror', { type: 'error', code: 'too_many_tabs' });
        return;
      }
      if (this.resyncing && this.wantSnapshot && this.attempt === 0) {
        // Closed on purpose to fetch a fresh snapshot: open again at once, quietly.
        this.attempt++;
        this.connect();
        return;
      }
      this.resyncing = false;
      this.setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  scheduleReconnect() {
    clearTimeout(this.timer);
    const base = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.fatal) return;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)) return;
    this.attempt = 0;
    this.connect();
  }

  raw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  transmit(cmd) {
    if (!this.joined) return;
    if (this.raw({ type: 'command', id: cmd.id, name: cmd.name, args: cmd.args })) cmd.gen = this.generation;
  }

  persist() {
    const list = [...this.pending.values()].map(({ id, name, args, at }) => ({ id, name, args, at }));
    if (list.length) store.set(this.key, list);
    else store.remove(this.key);
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.emit('status', { status: s });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  sample(serverTime) {
    if (typeof serverTime !== 'number') return;
    // Until a ping has measured the round trip, take the arrival time as the server's send time.
    if (this.bestRtt === Infinity) this.offset = serverTime - Date.now();
  }

  ping() {
    if (Date.now() - this.lastHeard > DEAD_AFTER) {
      // A silent socket (a phone that slept, a dead Wi-Fi): drop it and start again.
      if (this.ws) this.ws.close();
      return;
    }
    this.pingSentAt = Date.now();
    this.raw({ type: 'ping' });
  }

  // --- messages ----------------------------------------------------------------------------

  handle(msg) {
    switch (msg.type) {
      case 'welcome':
        this.sample(msg.serverTime);
        this.joined = true;
        this.attempt = 0;
        this.welcome = msg;
        if (msg.epoch !== this.epoch) {
          // Another history of the log (or the first welcome): a snapshot comes next, and
          // until it does, our last seq means nothing in this epoch.
          this.epoch = msg.epoch;
          this.wantSnapshot = true;
        }
        this.setStatus('online');
        this.emit('welcome', msg);
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.ping(), PING_EVERY);
        this.ping();
        // Everything not acknowledged goes again, in order, with the same ids.
        for (const cmd of this.pending.values()) this.transmit(cmd);
        break;
      case 'viewer':
        this.welcome = { ...this.welcome, ...msg };
        this.emit('viewer', msg);
        break;
      case 'snapshot':
        this.sample(msg.serverTime);
        this.lastSeq = msg.seq;
        this.wantSnapshot = false;
        this.resyncing = false;
        this.emit('snapshot', msg);
        break;
      case 'event':
        this.sample(msg.serverTime);
        if (typeof msg.seq !== 'number' || msg.seq <= this.lastSeq) return; // seen already
        if (this.wantSnapshot) return; // a snapshot is on its way
        this.lastSeq = msg.seq;
        this.emit('event', msg);
        break;
      case 'ack':
      case 'reject': {
        this.sample(msg.serverTime);
        const cmd = this.pending.get(msg.id);
        if (msg.type === 'reject' && cmd && TRANSIENT.has(msg.code) && (cmd.tries || 0) < RETRY_MAX) {
          cmd.tries = (cmd.tries || 0) + 1;
          const gen = this.generation;
          setTimeout(() => {
            if (gen === this.generation && this.pending.has(cmd.id)) this.transmit(cmd);
          }, 400 * 2 ** cmd.tries + Math.random() * 400);
          this.emit('retry', { ...msg, command: cmd });
          break;
        }
        this.pending.delete(msg.id);
        this.persist();
        this.emit(msg.type, { ...msg, command: cmd });
        this.emit('pending', { count: this.pending.size });
        break;
      }
      case 'presence':
        this.sample(msg.serverTime);
        this.emit('presence', msg);
        break;
      case 'pong': {
        const rtt = Date.now() - this.pingSentAt;
        if (this.pingSentAt && rtt >= 0 && rtt <= this.bestRtt * 1.5 + 50) {
          this.bestRtt = Math.min(this.bestRtt, rtt);
          this.offset = msg.serverTime + rtt / 2 - Date.now();
        }
        break;
      }
      case 'error':
        this.emit('servererror', msg);
        if (FATAL.has(msg.code)) {
          this.fatal = true;
          this.setStatus('closed');
        }
        break;
      default:
        break;
    }
  }
}
