// What the three live faces share about break-out groups, the agenda, timed rounds and the
// plenary vote (docs/protocol-commands.md, "Groups, agenda, timed rounds, synthesis and plenary
// vote"): a group's name, colour and symbol (never the colour alone: colour-blind people read
// the symbol and the name), the round being run, a plenary result in words.

import { h, clock } from './util.js';

// The symbols of the palette, drawn as text (no image, no inline style).
export const SYMBOL = {
  circle: '●',
  square: '■',
  triangle: '▲',
  diamond: '◆',
  star: '★',
  cross: '✚',
  hexagon: '⬢',
  heart: '♥',
};

// groupName is "Orange", "Bleu ciel 2"… from the catalogs (groups.colour.<key>).
export function groupName(g, t) {
  if (!g) return '';
  const key = g.key || String(g.name || '').replace(/-\d+$/, '');
  const base = t('groups.colour.' + key);
  const name = base === 'groups.colour.' + key ? g.name || key : base;
  return g.number > 1 ? `${name} ${g.number}` : name;
}

// groupChip draws a group as a coloured badge with its symbol and name. The colours come from
// the server (textColour reads on colour with a contrast of at least 4.5:1) and are set through
// the CSSOM: the Content-Security-Policy forbids style attributes.
export function groupChip(g, t, { big = false, symbolName = false } = {}) {
  const name = groupName(g, t);
  const symbol = g.symbol ? t('groups.symbol.' + g.symbol) : '';
  const el = h(
    'span',
    { class: big ? 'gchip big' : 'gchip', dataset: { group: String(g.id ?? g.group ?? ''), key: g.key || '' } },
    h('span', { class: 'gchip-symbol', 'aria-hidden': 'true' }, SYMBOL[g.symbol] || '■'),
    h('span', { class: 'gchip-name' }, name),
    symbolName && symbol ? h('span', { class: 'gchip-shape' }, `(${symbol})`) : null,
  );
  if (g.colour) {
    el.style.backgroundColor = g.colour;
    el.style.color = g.textColour || '#000000';
    // Black on a dark colour, or the colour on a dark page: a frame keeps the badge's edge seen.
    el.style.borderColor = g.textColour || '#000000';
  }
  return el;
}

// roundStep is the name of a step of a timed round: translated when it is a known key.
export function roundStep(key, t) {
  if (!key) return '';
  const k = 'groups.round.' + key;
  const s = t(k);
  return s === k ? key : s;
}

// roundTitle: "Cas 2 sur 3 — Questions".
export function roundTitle(r, t) {
  if (!r || !r.active) return '';
  const cases = r.repeat || 1;
  return `${t('groups.round.case', { case: r.case || 1, cases })} — ${roundStep(r.key, t)}`;
}

// roundNext names the step that follows, if any.
export function roundNext(r, t) {
  if (!r || !r.active || !r.steps || !r.steps.length) return '';
  if (r.index + 1 >= r.total) return t('live.round.last');
  const next = r.steps[(r.step + 1) % r.steps.length];
  const nextCase = r.step + 1 >= r.steps.length ? r.case + 1 : r.case;
  return t('live.round.next', { step: roundStep(next.key, t), case: nextCase });
}

// roundLeft is the time left in the round, from the server's deadline and clock.
export function roundLeft(r, live) {
  if (!r || !r.active || !r.endsAt) return null;
  return clock(r.endsAt - live.serverNow());
}

// plenaryCounts is "3 pour · 1 contre · 0 abstention" and the turnout.
export function plenaryCounts(p, t) {
  if (!p || p.hidden) return t('live.plenary.hidden');
  return t('live.plenary.counts', { adopt: p.adopt || 0, reject: p.reject || 0, abstain: p.abstain || 0 });
}

// plenaryTurnout: "5 votant·e·s sur 8 pouvant voter" (participants present; not moderators).
export function plenaryTurnout(p, t) {
  if (!p || p.hidden) return '';
  return t('live.plenary.eligible', { voters: p.voters || 0, eligible: p.eligible || 0 });
}

// plenaryOutcome: "✅ Adoptée", "❌ Rejetée (égalité)", "➖ Non décidée (personne n'a voté)":
// an item nobody decided is never shown as rejected.
export function plenaryOutcome(p, t) {
  if (!p || p.open || !p.outcome) return '';
  const rule = p.rule || {};
  const why = p.reason ? ` (${t('live.plenary.reason.' + p.reason, { quorum: rule.quorum || 0, threshold: rule.threshold || '1/2' })})` : '';
  if (p.outcome === 'adopted') return `✅ ${t('groups.plenary.adopted')}${why}`;
  if (p.outcome === 'not_decided') return `➖ ${t('live.plenary.not_decided')}${why}`;
  return `❌ ${t('groups.plenary.rejected')}${why}`;
}

// plenaryRule says the rule the vote was opened under, before anyone votes: "Règle : majorité
// des voix exprimées (…) · au moins 10 votant·e·s. Une égalité n'adopte pas."
export function plenaryRule(p, t) {
  const rule = (p && p.rule) || {};
  const threshold = rule.threshold || '1/2';
  let s = threshold === '1/2' ? t('live.plenary.rule.majority') : t('live.plenary.rule.threshold', { threshold });
  if (rule.quorum > 0) s += ' · ' + t('live.plenary.rule.quorum', { quorum: rule.quorum });
  return `${t('live.plenary.rule', { rule: s })}. ${t('live.plenary.tie')}`;
}

// plenaryBars draws the three shares of a plenary vote as bars (decorative: the numbers are
// written next to them).
export function plenaryBars(p) {
  const total = Math.max(1, (p.adopt || 0) + (p.reject || 0) + (p.abstain || 0));
  const bar = h('span', { class: 'pl-bars', 'aria-hidden': 'true' }, h('span', { class: 'adopt' }), h('span', { class: 'reject' }), h('span', { class: 'abstain' }));
  setBars(bar, p, total);
  return bar;
}

export function setBars(bar, p) {
  const total = Math.max(1, (p.adopt || 0) + (p.reject || 0) + (p.abstain || 0));
  const parts = [p.adopt || 0, p.reject || 0, p.abstain || 0];
  [...bar.children].forEach((s, i) => {
    s.style.width = `${(100 * parts[i]) / total}%`;
  });
}

// provenanceText: "Dit par : Bleu, Orange".
export function provenanceText(refs, t) {
  if (!refs || !refs.length) return '';
  return t('groups.provenance', { groups: refs.map((r) => groupName(r, t)).join(', ') });
}

// myGroupId is the viewer's group now: the hub's viewer message wins over the snapshot.
export function myGroupId(ctx) {
  const w = ctx.live.welcome;
  if (w && typeof w.group === 'number') return w.group;
  return (ctx.room.you && ctx.room.you.group) || 0;
}

// Keyed keeps a list element's items, one per key, built once and updated in place (no list
// is ever rebuilt under someone's finger).
export class Keyed {
  constructor(el, make, update) {
    this.el = el;
    this.make = make;
    this.update = update;
    this.items = new Map();
  }

  render(list, keyOf) {
    const want = new Set(list.map(keyOf));
    for (const [k, item] of this.items) {
      if (!want.has(k)) {
        item.el.remove();
        this.items.delete(k);
      }
    }
    for (const x of list) {
      const k = keyOf(x);
      let item = this.items.get(k);
      if (!item) {
        item = this.make(x);
        this.items.set(k, item);
        this.el.append(item.el);
      }
      this.update(item, x);
    }
  }
}
