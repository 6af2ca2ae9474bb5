// The organiser's desk, registrations and personal data: per session, who has a place or
// waits, checking people in, cancelling on someone's behalf (the next person waiting is
// promoted), the door page, printable invitation cards and the attendance export; per person,
// sending the invitation again and erasure; per process, erasing everyone's personal data.
// organise.js calls these with ctx = { api, status, reload, t, data }.

import { h } from './util.js';

// act runs an API call, says how it went and reloads; fn may return the message to show.
async function act(ctx, fn, done) {
  try {
    const said = await fn();
    ctx.status('✔️ ' + (said || done || ctx.t('ui.organise.saved')));
    await ctx.reload();
  } catch (err) {
    ctx.status('⚠️ ' + err.message, 'error');
  }
}

// sessionTools are the links of one session: its door, its cards, its attendance list.
export function sessionTools(w, ctx) {
  const { t, data } = ctx;
  return h(
    'p',
    { class: 'row wrap' },
    h('a', { class: 'button small secondary', href: `/w/${w.id}/door` }, '🚪 ', t('reg.door.title')),
    h('a', { class: 'button small secondary', href: `/organise/processes/${data.process.id}/cards?workshop=${w.id}` }, '🖨️ ', t('reg.cards.title')),
    h('a', { class: 'button small secondary', href: `/organise/workshops/${w.id}/attendance.csv`, download: '' }, '⬇️ ', t('reg.org.csv')),
  );
}

// regTable lists a session's registrations with what an organiser may do with each.
export function regTable(w, regs, ctx) {
  const { t, api } = ctx;
  const live = regs.filter((r) => r.status !== 'cancelled');
  if (!live.length) return h('p', { class: 'muted' }, t('ui.organise.registrations.none'));
  const base = `/api/organise/workshops/${w.id}/registrations`;
  const row = (r) => {
    const name = r.displayName || '—';
    const checkin =
      r.status === 'confirmed'
        ? h(
            'button',
            {
              type: 'button',
              class: 'button small ' + (r.checkedIn ? 'ok' : 'secondary'),
              'aria-pressed': r.checkedIn ? 'true' : 'false',
              'aria-label': `${t('reg.door.checkin')} — ${name}`,
              onclick: () => act(ctx, () => api('POST', `${base}/${r.participantId}/checkin`, { checkedIn: !r.checkedIn })),
            },
            r.checkedIn ? '✅ ' + t('reg.me.checkedin') : '⬜ ' + t('reg.door.checkin'),
          )
        : null;
    const cancel = h(
      'button',
      {
        type: 'button',
        class: 'link-button danger',
        onclick: () => {
          if (!window.confirm(t('reg.org.cancel.confirm', { name }))) return;
          act(
            ctx,
            async () => {
              const res = await api('POST', `${base}/${r.participantId}/cancel`, {});
              return res && res.promoted ? `${t('reg.org.cancelled', { name })} ${t('reg.org.promoted')}` : null;
            },
            t('reg.org.cancelled', { name }),
          );
        },
      },
      t('reg.org.cancel'),
      h('span', { class: 'visually-hidden' }, ` — ${name}`),
    );
    return h(
      'tr',
      null,
      h('td', null, name),
      h('td', null, r.organisation),
      h('td', null, t('ui.organise.status.' + r.status)),
      h('td', null, checkin),
      h('td', null, cancel),
    );
  };
  return h(
    'div',
    { class: 'tablewrap' },
    h(
      'table',
      { class: 'regs' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, t('ui.organise.f.name')),
          h('th', { scope: 'col' }, t('ui.organise.f.organisation')),
          h('th', { scope: 'col' }, t('ui.organise.f.status')),
          h('th', { scope: 'col' }, t('reg.org.presence')),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('reg.org.cancel'))),
        ),
      ),
      h('tbody', null, ...live.map(row)),
    ),
  );
}

// personActions: send the invitation again (with SMTP and an email), erase the person.
export function personActions(p, ctx) {
  const { t, api, data } = ctx;
  if (p.erased) return h('span', { class: 'muted small' }, t('reg.org.erased'));
  const name = p.displayName || '—';
  const send =
    data.mail && p.email
      ? h(
          'button',
          {
            type: 'button',
            class: 'button small secondary',
            onclick: () => act(ctx, () => api('POST', `/api/organise/people/${p.id}/send`, {}), t('reg.org.sent', { name })),
          },
          '✉️ ',
          t('reg.org.send'),
          h('span', { class: 'visually-hidden' }, ` — ${name}`),
        )
      : null;
  const erase =
    p.role === 'organiser'
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'link-button danger',
            onclick: () => {
              if (!window.confirm(t('reg.org.erase.confirm', { name }))) return;
              act(ctx, () => api('POST', `/api/organise/people/${p.id}/erase`, {}), t('reg.org.erased.one', { name }));
            },
          },
          '🗑️ ',
          t('reg.org.erase'),
          h('span', { class: 'visually-hidden' }, ` — ${name}`),
        );
  return h('div', { class: 'row wrap' }, send, erase);
}

// processDanger is the process-wide section: all cards, and erasing every person's data,
// confirmed by typing the process's address name in a dialog.
export function processDanger(ctx) {
  const { t, api, data } = ctx;
  const p = data.process;
  const input = h('input', { id: 'erase-confirm', name: 'confirm', autocomplete: 'off', spellcheck: 'false' });
  const dialog = h(
    'dialog',
    { id: 'erase-dialog', 'aria-labelledby': 'erase-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'erase-title' }, '⚠️ ', t('reg.org.eraseall')),
      h('p', null, t('reg.org.eraseall.help')),
      h('div', { class: 'field' }, h('label', { for: 'erase-confirm' }, t('reg.org.eraseall.type', { slug: p.slug })), input),
      h(
        'p',
        { class: 'row wrap' },
        h('button', { type: 'submit', value: 'erase', class: 'button danger-button' }, '🗑️ ', t('reg.org.eraseall')),
        h('button', { type: 'submit', value: 'cancel', class: 'button secondary' }, t('ui.cancel')),
      ),
    ),
  );
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'erase') return;
    const confirm = input.value.trim();
    act(
      ctx,
      async () => {
        const res = await api('POST', `/api/organise/processes/${p.id}/erase`, { confirm });
        return t('reg.org.eraseall.done', { n: res.erased });
      },
      null,
    );
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'privacy-title' },
    h('h2', { id: 'privacy-title' }, '🔒 ', t('reg.org.privacy')),
    h('p', null, h('a', { class: 'button small secondary', href: `/organise/processes/${p.id}/cards` }, '🖨️ ', t('reg.org.allcards'))),
    h('p', { class: 'muted' }, t('reg.org.eraseall.help')),
    h(
      'button',
      {
        type: 'button',
        class: 'button small secondary danger',
        onclick: () => {
          input.value = '';
          dialog.showModal();
          input.focus();
        },
      },
      '🗑️ ',
      t('reg.org.eraseall'),
    ),
    dialog,
  );
}

// mailHealth says, when email could not be sent yet, how many messages wait or were given up
// and the last error: the outbox sends in the background, so a failure shows here, not on the
// page that asked for the email.
export function mailHealth(ctx) {
  const { t, data } = ctx;
  const o = data.outbox;
  if (!o || (!o.retrying && !o.failed)) return null;
  return h(
    'section',
    { class: 'card notice', id: 'mail-health', role: 'status', 'aria-labelledby': 'mail-health-title' },
    h('h2', { id: 'mail-health-title' }, '⚠️ ', t('reg.org.outbox.title')),
    h('p', null, t('reg.org.outbox.counts', { waiting: o.waiting, failed: o.failed })),
    o.lastError ? h('p', { class: 'small' }, t('reg.org.outbox.last'), ' ', h('code', null, o.lastError)) : null,
    h('p', { class: 'muted small' }, t('reg.org.outbox.help')),
  );
}
