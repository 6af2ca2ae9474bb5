// The console's attendance and groups panels: who has checked in (ticked by hand or by
// opening the session's page), and the board of the current split, where the moderator moves
// people between groups and names their rapporteurs.

import { h, setText, setAttr, show } from './util.js';
import { groupChip, groupName } from './groups.js';

const $ = (id) => document.getElementById(id);

// present is who has checked in, by participant id: from the page, then from the room.
export const present = new Map();

export function drawRoster(ctx) {
  const { t } = ctx;
  const pendingChecks = new Map();
  for (const c of ctx.live.pendingCommands()) if (c.name === 'checkin.set') pendingChecks.set(Number(c.args.participant), c.args.present);
  let n = 0;
  for (const li of document.querySelectorAll('#roster li[data-participant]')) {
    const id = Number(li.dataset.participant);
    const box = li.querySelector('input');
    const on = pendingChecks.has(id) ? pendingChecks.get(id) : !!present.get(id);
    if (on) n++;
    if (box.checked !== on && document.activeElement !== box) box.checked = on;
    li.dataset.present = String(on);
    setText(li.querySelector('.roster-state'), on ? '✅ ' + t('live.checkin.present') : '⏳ ' + t('live.checkin.notyet'));
  }
  const total = document.querySelectorAll('#roster li[data-participant]').length;
  setText($('checkin-count'), t('live.checkin.count', { n, total }));
}

let boardSig = '';
// drawBoard shows the groups with their colour and symbol, their members (a select moves a
// person, a button makes them rapporteur) and the people in no group. It is redrawn only when
// the groups change, never while the moderator is using one of its controls.
export function drawBoard(ctx) {
  const { room, t, send } = ctx;
  const gm = room.groupMembers || { groups: [], unassigned: [] };
  const sig = JSON.stringify([room.groups, gm.groups, gm.unassigned, t.lang]);
  setAttr($('toggle-groups'), 'aria-pressed', room.workshop.groupsOn ? 'true' : 'false');
  $('toggle-groups').disabled = room.groups.length === 0;
  const info = gm.split;
  setText($('split-info'), info ? t(info.orgCapMet ? 'live.split.info' : 'live.split.info.notmet', { max: info.maxPerOrg, cap: info.orgCap }) : '');
  show($('split-info'), !!info);
  if (sig === boardSig) return;
  const board = $('groups-board');
  if (board.contains(document.activeElement) && document.activeElement.tagName === 'SELECT') return; // in use
  boardSig = sig;
  const moveSelect = (m, current) => {
    const id = `move-${m.participant}`;
    const sel = h(
      'select',
      { id, class: 'move-select', dataset: { participant: String(m.participant) } },
      h('option', { value: '0', selected: current === 0 }, t('groups.unassigned')),
      ...room.groups.map((g) => h('option', { value: String(g.id), selected: g.id === current }, `${groupName(g, t)}`)),
    );
    sel.addEventListener('change', () => send('groups.move', { participant: m.participant, group: Number(sel.value) }));
    return h('span', { class: 'field inline' }, h('label', { for: id, class: 'visually-hidden' }, t('live.groups.move', { name: m.label })), sel);
  };
  const byId = new Map((gm.groups || []).map((x) => [x.id, x]));
  board.replaceChildren(
    ...room.groups.map((g) => {
      const members = (byId.get(g.id) || { members: [] }).members || [];
      const rap = (byId.get(g.id) || {}).rapporteur || 0;
      return h(
        'div',
        { class: 'group-box', dataset: { group: String(g.id) } },
        h('h3', { class: 'group-head' }, groupChip(g, t, { symbolName: true }), ' ', h('span', { class: 'muted small' }, t.n('live.groups.size', members.length))),
        h(
          'ul',
          { class: 'plain members' },
          ...members.map((m) =>
            h(
              'li',
              { class: 'member', dataset: { participant: String(m.participant) } },
              h('span', { class: 'member-name' }, m.participant === rap ? '🎤 ' : '', m.label),
              moveSelect(m, g.id),
              h(
                'button',
                {
                  type: 'button',
                  class: 'button small secondary rap-btn',
                  'aria-pressed': m.participant === rap ? 'true' : 'false',
                  'aria-label': t('live.groups.makerap', { name: m.label }),
                  onclick: () => send('groups.rapporteur', { participant: m.participant, rapporteur: m.participant !== rap }),
                },
                '🎤 ',
                t('live.groups.rap'),
              ),
            ),
          ),
        ),
      );
    }),
    room.groups.length || (gm.unassigned || []).length
      ? h(
          'div',
          { class: 'group-box unassigned' },
          h('h3', { class: 'group-head' }, t('groups.unassigned'), ' ', h('span', { class: 'muted small' }, t.n('live.groups.size', (gm.unassigned || []).length))),
          h('ul', { class: 'plain members' }, ...(gm.unassigned || []).map((m) => h('li', { class: 'member', dataset: { participant: String(m.participant) } }, h('span', { class: 'member-name' }, m.label), room.groups.length ? moveSelect(m, 0) : null))),
        )
      : null,
  );
}
