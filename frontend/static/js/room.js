// The state of a live workshop as one viewer sees it: built from a snapshot, then moved on by
// events in sequence order (docs/protocol-commands.md names them and their data). The faces
// read it and draw; they never change it themselves.

export const PHASES = ['lobby', 'diagnostic', 'recommendations', 'implementation', 'closed'];
export const WORKING_PHASES = ['diagnostic', 'recommendations', 'implementation'];

// KINDS lists what may be posted in each phase.
export const KINDS = {
  diagnostic: ['finding', 'solution'],
  recommendations: ['recommendation'],
  implementation: ['step'],
};

export const KIND_ICON = { finding: '🔍', solution: '💡', recommendation: '📣', step: '🛠️' };
export const PHASE_ICON = { lobby: '👋', diagnostic: '🔍', recommendations: '📣', implementation: '🛠️', closed: '✅' };

function asList(x) {
  if (!x) return [];
  if (Array.isArray(x)) return x;
  if (typeof x === 'object') return Object.values(x);
  return [];
}

export class Room {
  constructor() {
    this.workshop = null;
    this.you = null;
    this.contributions = new Map();
    this.comments = new Map(); // contribution id → [comment]
    this.tallies = new Map(); // contribution id → tally
    this.myVotes = new Map(); // contribution id → value
    this.myDotsLeft = null; // phase → dots left, or a number for the current phase
    this.roomCounts = new Map(); // contribution id → [count]
    this.loadGroups({});
    this.version = 0;
  }

  // loadGroups reads the snapshot's part about groups, agenda, rounds and the plenary.
  loadGroups(state) {
    this.groups = asList(state.groups);
    this.progress = new Map(asList(state.progress).map((p) => [p.group, p]));
    this.groupMembers = state.groupMembers || null;
    this.agenda = state.agenda || null;
    this.timing = (state.agenda && state.agenda.timing) || null;
    this.rounds = state.rounds || { active: false, steps: [] };
    this.outputs = new Set(asList(state.outputs).map(Number));
    this.provenance = new Map(Object.entries(state.provenance || {}).map(([k, v]) => [Number(k), asList(v)]));
    this.plenary = new Map(asList(state.plenary).map((p) => [Number(p.contribution), p]));
    this.myPlenary = new Map(Object.entries(state.myPlenary || {}).map(([k, v]) => [Number(k), v]));
    this.rapporteur = !!(state.you && state.you.rapporteur);
    this.present = null; // for a participant: true once checked in (checkin.changed)
  }

  // group returns a group of the current split by id.
  group(id) {
    return this.groups.find((g) => g.id === Number(id)) || null;
  }

  setPlenary(items) {
    for (const p of asList(items)) {
      const id = Number(p.contribution);
      const prev = this.plenary.get(id) || {};
      const next = { ...prev, ...p };
      if (p.open) {
        delete next.outcome;
        delete next.reason;
        delete next.closedAt;
      }
      if (!p.hidden) delete next.hidden;
      this.plenary.set(id, next);
      if (!p.open) this.myPlenary.delete(id);
    }
  }

  // load replaces everything with a snapshot's state.
  load(state) {
    this.workshop = { ...state.workshop };
    this.workshop.question = this.workshop.question || {};
    this.workshop.voteMethods = this.workshop.voteMethods || {};
    this.you = state.you ?? null;
    this.contributions = new Map();
    for (const c of asList(state.contributions)) this.contributions.set(c.id, { ...c });
    this.comments = new Map();
    for (const c of asList(state.comments)) this.addComment(c);
    this.tallies = new Map();
    for (const t of asList(state.tallies)) this.setTally(t);
    this.myVotes = new Map();
    const mv = state.myVotes;
    if (Array.isArray(mv)) for (const v of mv) this.myVotes.set(Number(v.contribution), v.value);
    else if (mv && typeof mv === 'object') for (const [k, v] of Object.entries(mv)) this.myVotes.set(Number(k), typeof v === 'object' ? v.value : v);
    this.myDotsLeft = state.myDotsLeft ?? null;
    this.roomCounts = new Map();
    for (const rc of asList(state.roomCounts)) this.addRoomCount(rc);
    for (const id of asList(state.pinned)) {
      const c = this.contributions.get(Number(id));
      if (c) c.pinned = true;
    }
    this.loadGroups(state);
    this.version++;
  }

  addComment(c) {
    const list = this.comments.get(c.contribution) || [];
    if (!list.some((x) => x.id === c.id)) list.push(c);
    this.comments.set(c.contribution, list);
  }

  addRoomCount(rc) {
    const list = this.roomCounts.get(rc.contribution) || [];
    const i = list.findIndex((x) => x.id === rc.id);
    if (i >= 0) list[i] = rc;
    else list.push(rc);
    this.roomCounts.set(rc.contribution, list);
  }

  setTally(t) {
    const id = Number(t.contribution ?? t.id);
    if (!id) return;
    this.tallies.set(id, { ...t, contribution: id });
  }

  // apply moves the state on by one event and says what changed, for the face to announce.
  apply(name, data) {
    this.version++;
    const w = this.workshop;
    if (!w) return null;
    data = data || {};
    switch (name) {
      case 'phase.changed':
        w.phase = data.phase;
        if (data.since) w.phaseSince = data.since;
        return { type: 'phase' };
      case 'joinpanel.changed':
        w.joinHidden = !!data.hidden;
        return { type: 'settings' };
      case 'question.changed':
        w.question = { ...w.question, [data.phase]: data.text };
        w.questionTexts = { ...w.questionTexts, [data.phase]: data.texts || {} };
        return { type: 'question' };
      case 'timer.changed':
        w.timer = data;
        return { type: 'timer' };
      case 'posting.changed':
        w.postingLocked = !!data.locked;
        return { type: 'settings' };
      case 'premoderation.changed':
        w.premoderation = !!data.on;
        return { type: 'settings' };
      case 'groups.changed':
        w.groupsOn = !!data.on;
        if (data.groups) this.groups = asList(data.groups);
        return { type: 'groups', reason: data.reason };
      case 'groups.members':
        this.groupMembers = { ...(this.groupMembers || {}), ...data };
        return { type: 'groups' };
      case 'group.rapporteur':
        this.rapporteur = !!data.rapporteur;
        return { type: 'rapporteur' };
      case 'groups.progress':
        this.progress = new Map(asList(data.groups).map((p) => [p.group, p]));
        return { type: 'progress' };
      case 'checkin.changed':
        if (this.you && Number(data.participant) === Number(this.you.participant)) this.present = !!data.present;
        return { type: 'checkin', participant: Number(data.participant), present: !!data.present };
      case 'agenda.changed':
        this.agenda = { ...(this.agenda || { items: [] }), current: data.item ? data.item.id : 0, startedAt: data.startedAt, plannedEndsAt: data.plannedEndsAt };
        if (data.item && this.agenda.items && !this.agenda.items.some((i) => i.id === data.item.id)) this.agenda.items.push(data.item);
        return { type: 'agenda' };
      case 'agenda.timing':
        this.timing = data;
        return { type: 'agenda' };
      case 'rounds.changed':
        this.rounds = data;
        return { type: 'rounds' };
      case 'contribution.marked':
        if (data.output) this.outputs.add(Number(data.id));
        else this.outputs.delete(Number(data.id));
        return { type: 'updated', id: Number(data.id) };
      case 'contribution.promoted':
      case 'contribution.provenance': {
        const id = Number(data.id);
        if (data.groups) this.provenance.set(id, asList(data.groups));
        const c = this.contributions.get(id);
        if (c && name === 'contribution.promoted') c.group = null;
        return { type: 'updated', id };
      }
      case 'plenary.opened':
        this.setPlenary(asList(data.items).map((i) => ({ ...i, open: true })));
        for (const i of asList(data.items)) this.myPlenary.delete(Number(i.contribution));
        return { type: 'plenary', opened: asList(data.items).map((i) => Number(i.contribution)) };
      case 'plenary.tally':
        this.setPlenary(data.items);
        return { type: 'plenary' };
      case 'plenary.closed':
        this.setPlenary(data.items);
        return { type: 'plenary', closed: asList(data.items) };
      case 'plenary.ballot':
        this.myPlenary.set(Number(data.contribution), data.choice);
        return { type: 'plenary' };
      case 'results.changed':
        w.resultsHidden = !!data.hidden;
        if (data.roomCounts) for (const rc of asList(data.roomCounts)) this.addRoomCount(rc);
        if (data.tallies) for (const t of asList(data.tallies)) this.setTally(t);
        return { type: 'settings' };
      case 'identity.changed': {
        if (data.mode) w.identity = data.mode;
        // Sealed: nobody keeps a name or an author id, moderators included.
        if (data.mode === 'sealed') this.forgetAuthors();
        // Moderators keep their full labels; everyone else gets the new ones, by id.
        if (this.you && this.you.moderator) return { type: 'settings' };
        for (const [id, label] of Object.entries(data.authors || {})) {
          const c = this.contributions.get(Number(id));
          if (c) c.author = label;
        }
        const labels = data.commentAuthors || {};
        for (const list of this.comments.values()) {
          for (const cm of list) if (String(cm.id) in labels) cm.author = labels[cm.id];
        }
        return { type: 'settings' };
      }
      case 'vote.method.changed':
        w.voteMethods = { ...w.voteMethods, [data.phase]: { method: data.method, budget: data.budget, maxPerItem: data.maxPerItem } };
        if (data.reset) {
          // The votes of that phase were cleared: everyone votes again under the new rules.
          for (const id of [...this.myVotes.keys()]) {
            const c = this.contributions.get(id);
            if (c && c.phase === data.phase) this.myVotes.delete(id);
          }
          for (const [id, t] of this.tallies) {
            const c = this.contributions.get(id);
            if (c && c.phase === data.phase) this.tallies.set(id, { contribution: id, method: data.method, count: 0, sum: 0 });
          }
        }
        this.myDotsLeft = null;
        return { type: 'settings' };
      case 'contribution.posted':
      case 'contribution.restored': {
        const prev = this.contributions.get(data.id);
        this.contributions.set(data.id, { ...prev, ...data });
        return { type: name === 'contribution.posted' && !prev ? 'posted' : 'updated', id: data.id, contribution: this.contributions.get(data.id) };
      }
      case 'contribution.updated':
      case 'contribution.attributed': {
        const c = this.contributions.get(data.id);
        if (c) Object.assign(c, data);
        return { type: 'updated', id: data.id };
      }
      case 'contribution.withdrawn':
        return this.setStatus(data.id, 'withdrawn');
      case 'contribution.hidden':
        return this.setStatus(data.id, 'hidden');
      case 'contribution.hidden.reason': {
        const c = this.contributions.get(data.id);
        if (c) c.hiddenReason = data.reason;
        return { type: 'updated', id: data.id };
      }
      case 'contribution.pinned': {
        const c = this.contributions.get(data.id);
        if (c) c.pinned = !!data.pinned;
        return { type: 'updated', id: data.id };
      }
      case 'contribution.merged': {
        const into = Number(data.into);
        const from = asList(data.from).map(Number);
        // The server carries votes over without counting anyone twice (the target's vote
        // stands; else a source's; dots keep the largest, within the per-item maximum). Our
        // own votes follow the same rule, so the buttons stay right without a reload.
        const target = this.contributions.get(into);
        const m = this.method(target ? target.phase : undefined);
        let mine = this.myVotes.get(into);
        for (const id of from) {
          const v = this.myVotes.get(id);
          if (v !== undefined) {
            if (mine === undefined) mine = v;
            else if (m.method === 'dots') mine = Math.max(mine, v);
          }
          this.myVotes.delete(id);
          const c = this.contributions.get(id);
          if (c) {
            c.status = 'merged';
            c.mergedInto = into;
            c.pinned = false;
          }
          this.tallies.delete(id);
          const moved = this.comments.get(id);
          if (moved) {
            for (const cm of moved) this.addComment({ ...cm, contribution: into });
            this.comments.delete(id);
          }
        }
        if (mine !== undefined) this.myVotes.set(into, m.method === 'dots' && m.maxPerItem ? Math.min(mine, m.maxPerItem) : mine);
        if (typeof this.myDotsLeft === 'number') this.myDotsLeft = null; // recount from the votes
        return { type: 'merged', id: into, from };
      }
      case 'comment.posted':
        this.addComment(data);
        return { type: 'comment', id: data.contribution };
      case 'comment.attributed':
        for (const list of this.comments.values()) {
          const cm = list.find((x) => x.id === data.id);
          if (cm) Object.assign(cm, data);
        }
        return { type: 'comment' };
      case 'vote.recorded': {
        const id = Number(data.contribution);
        // A cleared vote has no value; under support, 0 means no support.
        if (data.value === null || data.value === undefined || (data.method !== 'agree' && data.value === 0)) this.myVotes.delete(id);
        else this.myVotes.set(id, data.value);
        if (typeof data.dotsLeft === 'number') this.myDotsLeft = data.dotsLeft;
        return { type: 'vote', id };
      }
      case 'tally.updated':
        for (const t of asList(data.items || data.tallies || data)) this.setTally(t);
        return { type: 'tally' };
      case 'roomcount.recorded':
        this.addRoomCount(data);
        return { type: 'tally', id: data.contribution };
      default:
        return null;
    }
  }

  // forgetAuthors drops every person's label and author id (a table's label stays).
  forgetAuthors() {
    for (const c of this.contributions.values()) {
      if (!c.onBehalfOf) c.author = '';
      delete c.authorId;
    }
    for (const list of this.comments.values()) {
      for (const cm of list) {
        cm.author = '';
        delete cm.authorId;
      }
    }
  }

  setStatus(id, status) {
    const c = this.contributions.get(id);
    if (c) c.status = status;
    return { type: 'status', id };
  }

  // The viewer's vote settings for a phase (support when the moderator chose nothing).
  method(phase = this.workshop?.phase) {
    return (this.workshop?.voteMethods || {})[phase] || { method: 'support' };
  }

  // dotsLeft is what the viewer may still spend in a phase, when it votes by dots: the budget
  // less the dots on the phase's contributions (withdrawn and merged ones gave theirs back).
  dotsLeft(phase = this.workshop?.phase) {
    const m = this.method(phase);
    if (m.method !== 'dots') return null;
    let used = 0;
    for (const [id, value] of this.myVotes) {
      const c = this.contributions.get(id);
      if (c && c.phase === phase && c.status !== 'withdrawn' && c.status !== 'merged') used += value;
    }
    return Math.max(0, (m.budget || 0) - used);
  }

  // list returns contributions by filter, oldest first.
  list(filter = () => true) {
    return [...this.contributions.values()].filter(filter).sort((a, b) => a.id - b.id);
  }

  // score orders contributions by their result under the phase's method.
  score(id) {
    const t = this.tallies.get(id);
    if (!t) return 0;
    return t.sum || 0;
  }
}
