// The projector's board: what a hall reads from the back of the room. Every item is a card
// of one shape — an icon, the text, a bar, the figures, the breadth of support, a result in
// words — whether it is a contribution, a group's output brought back, or a plenary vote.
// When the cards do not all fit, the board shows them a page at a time and turns the pages by
// itself, with a page indicator; nothing is ever cut at the bottom of the screen.

import { h, setText, show } from './util.js';

// PAGE_MS is how long a page stays up: long enough to read three cards aloud.
export const PAGE_MS = 12000;

// A card: {key, icon, body, lang (the language it was written in), translations ([lang, text]
// pairs, shown beside it), meta, pinned, bars: [{cls, share}], num, numLabel, breadth,
// outcome, rule (the decision rule a vote was held under), data}. Bars are shares (0–1) of the track; no bars means no result is shown.
function cardElement(card) {
  const bar = card.bars
    ? h(
        'span',
        { class: 'hall-bar', 'aria-hidden': 'true' },
        ...card.bars.map((b) => {
          const s = h('span', { class: b.cls });
          s.style.width = `${Math.round(1000 * Math.max(0, Math.min(1, b.share))) / 10}%`;
          return s;
        }),
      )
    : null;
  return h(
    'li',
    { class: 'hall-card' + (card.pinned ? ' pinned' : ''), dataset: { key: card.key, ...(card.data || {}) } },
    h('span', { class: 'hall-icon', 'aria-hidden': 'true' }, card.icon || ''),
    h(
      'div',
      { class: 'hall-card-main' },
      h('p', { class: 'hall-body', lang: card.lang || null }, card.lang ? h('span', { class: 'hall-lang' }, card.lang.toUpperCase()) : null, card.lang ? ' ' : null, card.body),
      ...(card.translations || []).map(([l, text]) => h('p', { class: 'hall-translation', lang: l }, h('span', { class: 'hall-lang' }, l.toUpperCase()), ' ', text)),
      card.meta ? h('p', { class: 'hall-meta' }, card.meta) : null,
      bar || card.num
        ? h(
            'p',
            { class: 'hall-result' },
            bar,
            card.num ? h('span', { class: 'hall-num', 'aria-label': card.numLabel || null }, card.num) : null,
            card.breadth ? h('span', { class: 'hall-breadth' }, card.breadth) : null,
          )
        : null,
      card.outcome ? h('p', { class: 'hall-outcome' }, card.outcome) : null,
      card.rule ? h('p', { class: 'hall-rule' }, card.rule) : null,
    ),
  );
}

// Board draws cards into a list whose height the page gives it, in pages.
export class Board {
  constructor(list, indicator, t) {
    this.list = list;
    this.indicator = indicator;
    this.t = t;
    this.sig = '';
    this.pages = [[0, 0]];
    this.page = 0;
    this.frame = 0;
    setInterval(() => this.turn(), PAGE_MS);
    // The list's height changes with the header (the timer's last minute, the join panel):
    // the pages are counted again then, a frame later (never inside the observer's callback).
    new ResizeObserver(() => this.relayout()).observe(list);
  }

  // set replaces the cards (only when something a card shows changed).
  set(cards, lang) {
    const sig = lang + JSON.stringify(cards);
    if (sig === this.sig) return;
    if (!this.sig.startsWith(lang)) this.page = 0; // another language starts from the first page
    this.sig = sig;
    this.list.replaceChildren(...cards.map(cardElement));
    this.layout();
  }

  relayout() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  // layout measures which cards fit from each page's first card on: a page ends before the
  // first card whose bottom passes the list's bottom (a card taller than the list gets a page
  // of its own).
  layout() {
    const items = [...this.list.children];
    const height = this.list.clientHeight;
    const pages = [];
    let start = 0;
    while (start < items.length) {
      items.forEach((li, i) => (li.hidden = i < start));
      const top = this.list.getBoundingClientRect().top;
      let end = start + 1;
      while (end < items.length && items[end].getBoundingClientRect().bottom - top <= height + 1) end++;
      pages.push([start, end]);
      start = end;
    }
    this.pages = pages.length ? pages : [[0, 0]];
    if (this.page >= this.pages.length) this.page = 0;
    this.apply();
  }

  apply() {
    const [a, b] = this.pages[this.page];
    [...this.list.children].forEach((li, i) => (li.hidden = i < a || i >= b));
    const n = this.pages.length;
    this.list.dataset.page = String(this.page + 1);
    this.list.dataset.pages = String(n);
    show(this.indicator, n > 1);
    if (n > 1) {
      const dots = Array.from({ length: n }, (_, i) => (i === this.page ? '●' : '○')).join(' ');
      this.indicator.replaceChildren(h('span', { class: 'hall-dots', 'aria-hidden': 'true' }, dots), ' ', h('span', {}, this.t('hall.page', { n: this.page + 1, total: n })));
    } else setText(this.indicator, '');
  }

  turn() {
    if (this.pages.length < 2) return;
    this.page = (this.page + 1) % this.pages.length;
    this.apply();
  }
}
