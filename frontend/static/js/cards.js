// A contribution as a card, drawn once and then updated in place: live updates change texts
// and counts, never the forms inside a card, so what a person is typing in a comment or an
// edit box is neither erased nor moved.

import { h, setText, setAttr, show } from './util.js';
import { KIND_ICON } from './room.js';
import { groupChip, provenanceText, myGroupId } from './groups.js';

// langBadge is the small "NL" a contribution wears, with what it means for screen readers.
// phrase is the catalog key that says it ('ui.lang.written', 'ui.lang.translation').
export function langBadge(lang, t, phrase) {
  return h('span', { class: 'c-lang' }, h('span', { 'aria-hidden': 'true' }, lang.toUpperCase()), h('span', { class: 'visually-hidden' }, t(phrase, { lang: t('ui.lang.name.' + lang) })));
}

// shownTranslations are the translations a face shows beside a contribution: every one to
// moderators and the projector; to a phone, the one in its language, when the author wrote in
// another.
export function shownTranslations(c, face, lang) {
  const all = Object.entries(c.translations || {}).sort(([a], [b]) => a.localeCompare(b));
  if (face === 'moderator' || face === 'projector') return all;
  return c.lang && c.lang !== lang ? all.filter(([l]) => l === lang) : [];
}

// tallyParts describes a tally for display: a short text and, for agree, the three shares.
export function tallyParts(t, method, room, id, ctx) {
  const tr = ctx.t;
  const m = method.method;
  const tl = t || { count: 0, sum: 0, agree: 0, neutral: 0, disagree: 0, dots: 0 };
  if (m === 'agree') {
    return {
      text: `👍 ${tl.agree || 0} · 😐 ${tl.neutral || 0} · 👎 ${tl.disagree || 0}`,
      label: tr('ui.tally.agree', { agree: tl.agree || 0, neutral: tl.neutral || 0, disagree: tl.disagree || 0 }),
      shares: [tl.agree || 0, tl.neutral || 0, tl.disagree || 0],
    };
  }
  if (m === 'dots') {
    return { text: `● ${tl.dots || 0}`, label: tr.n('ui.tally.dots', tl.dots || 0) };
  }
  return { text: `👍 ${tl.sum || 0}`, label: tr.n('ui.tally.support', tl.sum || 0) };
}

// roomCountText is the latest count taken in the room for a contribution, if any.
export function roomCountText(room, id, t) {
  const list = room.roomCounts.get(id);
  if (!list || !list.length) return '';
  const rc = list[list.length - 1];
  return t('ui.roomcount.show', { label: rc.label || t('ui.roomcount.room'), yes: rc.yes, neutral: rc.neutral, no: rc.no });
}

export class Card {
  // ctx: {room, t, face, send(name, args), isMine(id), myVote(id), canVote(c), moderator}
  constructor(c, ctx) {
    this.id = c.id;
    this.ctx = ctx;
    const t = ctx.t;
    this.kind = h('span', { class: 'c-kind' });
    this.author = h('span', { class: 'c-author' });
    this.badges = h('span', { class: 'c-badges' });
    this.body = h('p', { class: 'c-body', id: `c-${c.id}-body` });
    this.lang = h('span', { class: 'c-lang-wrap', hidden: true });
    this.trans = h('div', { class: 'c-translations', hidden: true });
    this.step = h('dl', { class: 'c-step', hidden: true });
    this.parent = h('p', { class: 'c-parent muted', hidden: true });
    this.tally = h('p', { class: 'c-tally' });
    this.bar = h('div', { class: 'c-bar', 'aria-hidden': 'true', hidden: true }, h('span', { class: 'yes' }), h('span', { class: 'neutral' }), h('span', { class: 'no' }));
    this.roomcount = h('p', { class: 'c-roomcount muted', hidden: true });
    this.vote = h('div', { class: 'c-vote', role: 'group', 'aria-label': t('ui.vote.group') });
    this.actions = h('div', { class: 'c-actions' });
    this.group = h('span', { class: 'c-group' });
    this.prov = h('p', { class: 'c-prov muted', hidden: true });
    this.markBtn = h(
      'button',
      {
        type: 'button',
        class: 'button small secondary c-mark',
        'aria-pressed': 'false',
        onclick: () => this.ctx.send('contribution.mark', { id: this.id, output: this.markBtn.getAttribute('aria-pressed') !== 'true' }),
      },
      h('span', { 'aria-hidden': 'true' }, '⭐ '),
      t('live.mark'),
    );
    this.markBox = h('div', { class: 'c-markbox', hidden: true }, this.markBtn);
    this.editor = null;
    this.el = h(
      'li',
      { class: 'contrib', id: `c-${c.id}`, dataset: { id: String(c.id) }, 'aria-labelledby': `c-${c.id}-body` },
      h('div', { class: 'c-head' }, this.kind, this.lang, this.group, this.badges, this.author),
      this.body,
      this.trans,
      this.prov,
      this.step,
      this.parent,
      h('div', { class: 'c-results' }, this.tally, this.bar, this.roomcount),
      this.vote,
      this.markBox,
      this.actions,
    );
    if (ctx.face !== 'projector') this.buildComments();
    if (ctx.face === 'moderator') this.buildModeration();
    else this.buildOwnActions();
    this.voteMethod = '';
  }

  // --- comments ------------------------------------------------------------------------------

  buildComments() {
    const t = this.ctx.t;
    this.commentCount = h('span', { class: 'count' });
    this.commentList = h('ul', { class: 'c-comment-list plain' });
    const input = h('textarea', { id: `cm-${this.id}`, rows: 2, maxlength: 1000, class: 'c-comment-input', required: true });
    this.commentInput = input;
    const draftKey = `comment.${this.id}`;
    input.value = this.ctx.drafts.get(draftKey);
    input.addEventListener('input', () => this.ctx.drafts.set(draftKey, input.value));
    const form = h(
      'form',
      {
        class: 'c-comment-form',
        onsubmit: (e) => {
          e.preventDefault();
          const body = input.value.trim();
          if (!body) return;
          this.ctx.send('comment.post', { contribution: this.id, body }, () => {
            if (input.value.trim() === body) {
              input.value = '';
              this.ctx.drafts.set(draftKey, '');
            }
          });
        },
      },
      h('label', { for: `cm-${this.id}` }, t('ui.comment.label')),
      input,
      h('button', { type: 'submit', class: 'button small' }, t('ui.comment.send')),
    );
    this.commentsBox = h(
      'details',
      { class: 'c-comments' },
      h('summary', null, h('span', { 'aria-hidden': 'true' }, '💬 '), t('ui.comment.title'), ' ', this.commentCount),
      this.commentList,
      form,
    );
    this.el.append(this.commentsBox);
  }

  renderComments() {
    if (!this.commentList) return;
    const list = this.ctx.room.comments.get(this.id) || [];
    setText(this.commentCount, `(${list.length})`);
    const have = new Set([...this.commentList.children].map((li) => li.dataset.id));
    for (const cm of list) {
      if (have.has(String(cm.id))) continue;
      this.commentList.append(
        h('li', { dataset: { id: String(cm.id) } }, h('span', { class: 'muted' }, (cm.author || this.ctx.t('ui.anonymous')) + ' : '), cm.body),
      );
    }
  }

  // --- the author's own actions --------------------------------------------------------------

  buildOwnActions() {
    const t = this.ctx.t;
    this.editBtn = h('button', { type: 'button', class: 'link-button', onclick: () => this.openEditor() }, '✏️ ', t('ui.edit'));
    this.withdrawBtn = h(
      'button',
      {
        type: 'button',
        class: 'link-button danger',
        onclick: () => {
          if (window.confirm(t('ui.withdraw.confirm'))) this.ctx.send('contribution.withdraw', { id: this.id });
        },
      },
      '🗑️ ',
      t('ui.withdraw'),
    );
    this.actions.append(this.editBtn, this.withdrawBtn);
  }

  openEditor(focus = true) {
    if (this.editor) return;
    const t = this.ctx.t;
    const c = this.ctx.room.contributions.get(this.id);
    const draftKey = `edit.${this.id}`;
    const area = h('textarea', { id: `ed-${this.id}`, rows: 3, maxlength: 1000, required: true });
    area.value = this.ctx.drafts.get(draftKey) || c.body;
    area.addEventListener('input', () => this.ctx.drafts.set(draftKey, area.value));
    const close = () => {
      this.ctx.drafts.set(draftKey, '');
      this.editor.remove();
      this.editor = null;
      show(this.body, true);
    };
    this.editor = h(
      'form',
      {
        class: 'c-editor',
        onsubmit: (e) => {
          e.preventDefault();
          const body = area.value.trim();
          if (!body) return;
          this.ctx.send('contribution.edit', { id: this.id, body }, close);
        },
      },
      h('label', { for: `ed-${this.id}` }, t('ui.edit.label')),
      area,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'button small' }, t('ui.save')), h('button', { type: 'button', class: 'button small secondary', onclick: close }, t('ui.cancel'))),
    );
    show(this.body, false);
    this.body.after(this.editor);
    if (focus) area.focus();
  }

  // --- moderation ----------------------------------------------------------------------------

  buildModeration() {
    const t = this.ctx.t;
    const send = this.ctx.send;
    this.select = h('input', { type: 'checkbox', id: `sel-${this.id}`, class: 'c-select' });
    this.select.addEventListener('change', () => this.ctx.onSelect && this.ctx.onSelect());
    this.approveBtn = h('button', { type: 'button', class: 'button small ok', onclick: () => send('contribution.approve', { id: this.id }) }, '✔️ ', t('ui.mod.approve'));
    this.hideBtn = h(
      'button',
      {
        type: 'button',
        class: 'button small secondary',
        onclick: () => {
          const reason = window.prompt(t('ui.mod.hide.reason'), '');
          if (reason === null) return;
          send('contribution.hide', { id: this.id, reason: reason.trim() });
        },
      },
      '🙈 ',
      t('ui.mod.hide'),
    );
    this.restoreBtn = h('button', { type: 'button', class: 'button small secondary', onclick: () => send('contribution.restore', { id: this.id }) }, '↩️ ', t('ui.mod.restore'));
    this.pinBtn = h('button', { type: 'button', class: 'button small secondary', 'aria-pressed': 'false', onclick: () => send('contribution.pin', { id: this.id, pinned: this.pinBtn.getAttribute('aria-pressed') !== 'true' }) }, '📌 ', t('ui.mod.pin'));
    this.countBtn = h('button', { type: 'button', class: 'button small secondary', onclick: () => this.openRoomCount() }, '✋ ', t('ui.mod.roomcount'));
    this.editBtn = h('button', { type: 'button', class: 'button small secondary', onclick: () => this.openEditor() }, '✏️ ', t('ui.edit'));
    // Translating sits by the language badge it concerns, as a globe, so that the buttons that
    // act and the author's label keep their line.
    this.translateBtn = h(
      'button',
      { type: 'button', class: 'link-button c-translate', title: t('ui.mod.translate'), onclick: () => this.openTranslator() },
      h('span', { 'aria-hidden': 'true' }, '🌐'),
      h('span', { class: 'visually-hidden' }, t('ui.mod.translate')),
    );
    this.lang.after(this.translateBtn);
    // Choosing (for a merge) sits at the head of the card, apart from the buttons that act.
    this.el.querySelector('.c-head').prepend(h('span', { class: 'c-select-wrap' }, this.select, h('label', { for: `sel-${this.id}` }, t('ui.mod.select'))));
    this.actions.append(
      this.approveBtn,
      this.hideBtn,
      this.restoreBtn,
      this.pinBtn,
      this.countBtn,
      this.editBtn,
    );
  }

  // openTranslator: the moderator's form to add, change or remove (empty text) a translation
  // into a language other than the author's.
  openTranslator() {
    if (this.transForm) {
      this.transForm.querySelector('textarea').focus();
      return;
    }
    const t = this.ctx.t;
    const c = this.ctx.room.contributions.get(this.id);
    const langs = ['fr', 'nl', 'en'].filter((l) => l !== c.lang);
    const pick = langs.includes(t.lang) ? t.lang : langs[0];
    const sel = h('select', { id: `tr-${this.id}-lang`, name: 'lang' }, ...langs.map((l) => h('option', { value: l, selected: l === pick }, `${l.toUpperCase()} · ${t('ui.lang.name.' + l)}`)));
    const area = h('textarea', { id: `tr-${this.id}-body`, name: 'body', rows: 3, maxlength: 1000 });
    const fill = () => {
      const cur = this.ctx.room.contributions.get(this.id);
      area.value = (cur && cur.translations && cur.translations[sel.value]) || '';
    };
    sel.addEventListener('change', fill);
    fill();
    const close = () => {
      form.remove();
      this.transForm = null;
    };
    const form = h(
      'form',
      {
        class: 'c-translate-form',
        onsubmit: (e) => {
          e.preventDefault();
          this.ctx.send('contribution.translate', { id: this.id, lang: sel.value, body: area.value.trim() }, close);
        },
      },
      h('span', { class: 'field small' }, h('label', { for: sel.id }, t('ui.mod.translate.into')), sel),
      h('span', { class: 'field' }, h('label', { for: area.id }, t('ui.mod.translate.text')), area),
      h('p', { class: 'muted small' }, t('ui.mod.translate.help')),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'button small' }, t('ui.save')), h('button', { type: 'button', class: 'button small secondary', onclick: close }, t('ui.cancel'))),
    );
    this.transForm = form;
    this.actions.after(form);
    area.focus();
  }

  openRoomCount() {
    if (this.countForm) {
      this.countForm.querySelector('input').focus();
      return;
    }
    const t = this.ctx.t;
    const num = (name, label) => {
      const id = `rc-${this.id}-${name}`;
      return h('span', { class: 'field small' }, h('label', { for: id }, label), h('input', { id, name, type: 'number', min: 0, max: 100000, value: 0, inputmode: 'numeric' }));
    };
    const form = h(
      'form',
      {
        class: 'c-roomcount-form',
        onsubmit: (e) => {
          e.preventDefault();
          const v = (n) => Math.max(0, parseInt(form.elements[n].value, 10) || 0);
          this.ctx.send('roomcount.record', { contribution: this.id, label: form.elements.label.value.trim(), yes: v('yes'), neutral: v('neutral'), no: v('no') }, () => {
            form.remove();
            this.countForm = null;
          });
        },
      },
      h('span', { class: 'field small' }, h('label', { for: `rc-${this.id}-label` }, t('ui.roomcount.label')), h('input', { id: `rc-${this.id}-label`, name: 'label', maxlength: 120, value: t('ui.roomcount.hands') })),
      num('yes', '👍 ' + t('ui.vote.agree')),
      num('neutral', '😐 ' + t('ui.vote.neutral')),
      num('no', '👎 ' + t('ui.vote.disagree')),
      h('button', { type: 'submit', class: 'button small' }, t('ui.save')),
      h(
        'button',
        {
          type: 'button',
          class: 'button small secondary',
          onclick: () => {
            form.remove();
            this.countForm = null;
          },
        },
        t('ui.cancel'),
      ),
    );
    this.countForm = form;
    this.actions.after(form);
    form.querySelector('#rc-' + this.id + '-yes').focus();
  }

  // --- votes ---------------------------------------------------------------------------------

  buildVote(method) {
    const t = this.ctx.t;
    this.vote.replaceChildren();
    this.voteMethod = method;
    this.vote.dataset.method = method;
    const send = this.ctx.send;
    if (method === 'support') {
      this.supportBtn = h(
        'button',
        {
          type: 'button',
          class: 'vote-btn',
          'aria-pressed': 'false',
          onclick: () => {
            if (this.supportBtn.getAttribute('aria-pressed') === 'true') send('vote.clear', { contribution: this.id });
            else send('vote.set', { contribution: this.id, value: 1 });
          },
        },
        h('span', { 'aria-hidden': 'true' }, '👍 '),
        t('ui.vote.support'),
      );
      this.vote.append(this.supportBtn);
    } else if (method === 'agree') {
      this.agreeBtns = [
        [1, '👍', t('ui.vote.agree')],
        [0, '😐', t('ui.vote.neutral')],
        [-1, '👎', t('ui.vote.disagree')],
      ].map(([value, icon, label]) => {
        const b = h(
          'button',
          {
            type: 'button',
            class: 'vote-btn',
            'aria-pressed': 'false',
            dataset: { value: String(value) },
            onclick: () => {
              if (b.getAttribute('aria-pressed') === 'true') send('vote.clear', { contribution: this.id });
              else send('vote.set', { contribution: this.id, value });
            },
          },
          h('span', { 'aria-hidden': 'true' }, icon + ' '),
          label,
        );
        return b;
      });
      this.vote.append(...this.agreeBtns);
    } else if (method === 'dots') {
      this.dotsValue = h('span', { class: 'dots-value', 'aria-live': 'polite' });
      this.dotsMinus = h('button', { type: 'button', class: 'vote-btn round', 'aria-label': t('ui.vote.dots.remove'), onclick: () => this.changeDots(-1) }, '−');
      this.dotsPlus = h('button', { type: 'button', class: 'vote-btn round', 'aria-label': t('ui.vote.dots.add'), onclick: () => this.changeDots(1) }, '+');
      this.vote.append(this.dotsMinus, this.dotsValue, this.dotsPlus);
    }
  }

  changeDots(delta) {
    const now = this.ctx.myVote(this.id) || 0;
    const next = now + delta;
    if (next < 0) return;
    if (next === 0) this.ctx.send('vote.clear', { contribution: this.id });
    else this.ctx.send('vote.set', { contribution: this.id, value: next });
  }

  renderVote(c) {
    const { room, t } = this.ctx;
    const m = room.method(c.phase);
    const can = this.ctx.canVote(c);
    show(this.vote, can);
    if (!can) return;
    if (this.voteMethod !== m.method) this.buildVote(m.method);
    const mine = this.ctx.myVote(this.id);
    const pending = this.ctx.votePending(this.id);
    this.vote.classList.toggle('pending', pending);
    if (m.method === 'support') {
      setAttr(this.supportBtn, 'aria-pressed', mine === 1 ? 'true' : 'false');
    } else if (m.method === 'agree') {
      for (const b of this.agreeBtns) setAttr(b, 'aria-pressed', mine !== undefined && String(mine) === b.dataset.value ? 'true' : 'false');
    } else if (m.method === 'dots') {
      const v = mine || 0;
      const left = this.ctx.dotsLeft();
      setText(this.dotsValue, t.n('ui.vote.dots.mine', v));
      this.dotsMinus.disabled = v <= 0;
      this.dotsPlus.disabled = left <= 0 || (m.maxPerItem && v >= m.maxPerItem);
    }
  }

  // --- update --------------------------------------------------------------------------------

  update(c) {
    const { room, t, face } = this.ctx;
    const mod = face === 'moderator';
    this.el.dataset.status = c.status;
    this.el.dataset.kind = c.kind;
    this.el.classList.toggle('pinned', !!c.pinned);
    this.el.classList.toggle('mine', this.ctx.isMine(c.id));
    setText(this.kind, `${KIND_ICON[c.kind] || ''} ${t('ui.kind.' + c.kind)}`);
    let author = c.author || t('ui.anonymous');
    if (this.ctx.isMine(c.id) && !mod) author = t('ui.you');
    setText(this.author, author);
    const badges = [];
    if (c.pinned) badges.push('📌 ' + t('ui.badge.pinned'));
    if (c.status === 'pending') badges.push('⏳ ' + t('ui.badge.pending'));
    if (c.status === 'hidden') badges.push('🙈 ' + t('ui.badge.hidden') + (c.hiddenReason ? ` (${c.hiddenReason})` : ''));
    if (c.status === 'merged') badges.push('🔗 ' + t('ui.badge.merged', { id: c.mergedInto }));
    if (c.status === 'withdrawn') badges.push('🗑️ ' + t('ui.badge.withdrawn'));
    const output = room.outputs && room.outputs.has(c.id);
    if (output) badges.push('⭐ ' + t('groups.output'));
    setText(this.badges, badges.join(' · '));
    this.el.classList.toggle('output', !!output);
    // The group it was said in (moderators see every group's work), and where it came from.
    const g = c.group && room.group ? room.group(c.group) : null;
    const gsig = g && mod ? `${g.id}|${g.colour}|${t.lang}` : '';
    if (this.group.dataset.sig !== gsig) {
      this.group.dataset.sig = gsig;
      this.group.replaceChildren(...(g && mod ? [groupChip(g, t)] : []));
    }
    const prov = provenanceText(room.provenance && room.provenance.get(c.id), t);
    setText(this.prov, prov ? '🧭 ' + prov : '');
    show(this.prov, !!prov);
    // Marking the group's outputs: its rapporteur, on the group's contributions; moderators.
    const mayMark = c.status === 'visible' && (mod ? !!c.group : !!(c.group && room.rapporteur && c.group === myGroupId(this.ctx)));
    show(this.markBox, mayMark && face !== 'projector');
    let wantOutput = !!output;
    for (const cmd of this.ctx.live ? this.ctx.live.pendingCommands() : []) if (cmd.name === 'contribution.mark' && cmd.args.id === c.id) wantOutput = cmd.args.output;
    setAttr(this.markBtn, 'aria-pressed', wantOutput ? 'true' : 'false');
    if (mod) setText(this.kind, `#${c.id} ${KIND_ICON[c.kind] || ''} ${t('ui.kind.' + c.kind)}`);
    setText(this.body, c.body);
    setAttr(this.body, 'lang', c.lang || null);
    // The language it was written in, and the translations beside it.
    const lsig = `${c.lang || ''}|${t.lang}`;
    if (this.lang.dataset.sig !== lsig) {
      this.lang.dataset.sig = lsig;
      this.lang.replaceChildren(...(c.lang ? [langBadge(c.lang, t, 'ui.lang.written')] : []));
      show(this.lang, !!c.lang);
    }
    const shown = shownTranslations(c, face, t.lang);
    const tsig = JSON.stringify(shown) + t.lang;
    if (this.trans.dataset.sig !== tsig) {
      this.trans.dataset.sig = tsig;
      this.trans.replaceChildren(...shown.map(([l, text]) => h('p', { class: 'c-translation', lang: l, dataset: { lang: l } }, langBadge(l, t, 'ui.lang.translation'), ' ', text)));
      show(this.trans, shown.length > 0);
    }
    // Implementation steps: who, how, when.
    const parts = [
      ['who', c.who],
      ['how', c.how],
      ['when', c.when],
    ].filter(([, v]) => v);
    show(this.step, parts.length > 0);
    if (parts.length) {
      const sig = JSON.stringify(parts);
      if (this.step.dataset.sig !== sig) {
        this.step.dataset.sig = sig;
        this.step.replaceChildren(...parts.flatMap(([k, v]) => [h('dt', null, t('ui.step.' + k)), h('dd', null, v)]));
      }
    }
    const parentId = c.parent || (c.links && c.links[0]);
    const parent = parentId ? room.contributions.get(parentId) : null;
    show(this.parent, !!parent);
    if (parent) setText(this.parent, `↳ ${t('ui.answers')} « ${shorten(parent.body, 80)} »`);
    // Results.
    const hidden = room.workshop.resultsHidden && !mod;
    const m = room.method(c.phase);
    if (hidden) {
      setText(this.tally, t('ui.results.hidden'));
      show(this.bar, false);
    } else {
      const tp = tallyParts(room.tallies.get(c.id), m, room, c.id, this.ctx);
      setText(this.tally, tp.text);
      setAttr(this.tally, 'aria-label', tp.label);
      show(this.bar, !!tp.shares && tp.shares.some((x) => x > 0));
      if (tp.shares) {
        const total = tp.shares.reduce((a, b) => a + b, 0) || 1;
        // CSSOM, not a style attribute: the Content-Security-Policy allows the former only.
        [...this.bar.children].forEach((s, i) => {
          s.style.width = `${(100 * tp.shares[i]) / total}%`;
        });
      }
    }
    const rc = hidden ? '' : roomCountText(room, c.id, t);
    setText(this.roomcount, rc ? '✋ ' + rc : '');
    show(this.roomcount, !!rc);
    this.renderVote(c);
    // Actions.
    if (mod) {
      show(this.approveBtn, c.status === 'pending');
      show(this.hideBtn, c.status === 'visible' || c.status === 'pending');
      show(this.restoreBtn, c.status === 'hidden');
      show(this.pinBtn, c.status === 'visible');
      setAttr(this.pinBtn, 'aria-pressed', c.pinned ? 'true' : 'false');
      show(this.countBtn, c.status === 'visible');
      show(this.translateBtn, c.status !== 'merged' && c.status !== 'withdrawn');
      this.select.disabled = !(c.status === 'visible' || c.status === 'pending');
      if (this.select.disabled) this.select.checked = false;
    } else {
      const mine = this.ctx.isMine(c.id) && (c.status === 'visible' || c.status === 'pending') && c.phase === room.workshop.phase;
      show(this.actions, mine);
    }
    this.renderComments();
  }
}

export function shorten(s, n) {
  s = String(s || '');
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// CardList keeps a list element in step with a list of contributions, keyed by id. With
// keepOrder, existing cards never move: new ones are appended at the end (oldest first), so
// nothing shifts under a person's fingers while they type.
export class CardList {
  constructor(listEl, ctx, { keepOrder = true } = {}) {
    this.el = listEl;
    this.ctx = ctx;
    this.cards = new Map();
    this.keepOrder = keepOrder;
  }

  render(items) {
    const want = new Set(items.map((c) => c.id));
    for (const [id, card] of this.cards) {
      if (!want.has(id)) {
        // Keep a card whose editor or comment box holds unsent text; it goes when emptied.
        card.el.remove();
        this.cards.delete(id);
      }
    }
    let prev = null;
    for (const c of items) {
      let card = this.cards.get(c.id);
      if (!card) {
        card = new Card(c, this.ctx);
        this.cards.set(c.id, card);
        if (this.keepOrder) this.el.append(card.el);
      }
      card.update(c);
      if (!this.keepOrder) {
        // Reorder only when needed (the projector and the tallies panel have no inputs).
        const expected = prev ? prev.el.nextSibling : this.el.firstChild;
        if (expected !== card.el) this.el.insertBefore(card.el, expected);
      }
      prev = card;
    }
  }

  get(id) {
    return this.cards.get(id);
  }
}
