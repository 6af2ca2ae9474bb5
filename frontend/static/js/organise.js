// The organiser's desk: processes, their themes and sessions (with the agenda), people and
// their personal links, moderators per session, registrations. It talks to /api/organise/…
// and sends the session's CSRF token with every change.

import { h, setText, show } from './util.js';
import { loadTranslator } from './i18n.js';
import { PHASE_ICON } from './room.js';
import { regTable, sessionTools, personActions, processDanger, mailHealth } from './organise_regs.js';
import { langFields, translationsFrom, missingList } from './organise_texts.js';

const root = document.getElementById('organise');
const csrf = root.dataset.csrf;
const platform = root.dataset.platform === 'true';
const $ = (id) => document.getElementById(id);
let t = (k) => k;
let data = null; // the current process, as the API returns it
let processes = [];
let currentId = 0;
let uid = 0;
const nextId = (p) => `${p}-${++uid}`;
// What organise_regs.js needs from this page.
const regsCtx = () => ({ api, status, reload, t, data });

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.field = body && body.error && body.error.field;
  }
}

async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    opts.headers['X-CSRF-Token'] = csrf;
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  if (r.status === 204) return null;
  let json = null;
  try {
    json = await r.json();
  } catch {
    /* not JSON */
  }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

let statusTimer = 0;
function status(text, kind = 'info') {
  const el = $('org-status');
  el.className = `toast ${kind}`;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    el.hidden = true;
  }, kind === 'error' ? 10000 : 4000);
}

// field builds a labelled input: field('Title', 'input', {name: 'title', value: …}).
function field(label, tag, attrs, ...children) {
  const id = attrs.id || nextId(attrs.name || 'f');
  const control = h(tag, { ...attrs, id }, ...children);
  if (attrs.type === 'checkbox') return h('div', { class: 'field check' }, control, h('label', { for: id }, label));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

// submit wires a form to an action, shows errors next to the form, and reloads.
function onSubmit(form, action) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type="submit"]');
    if (btn) btn.disabled = true;
    try {
      const after = await action(new FormData(form));
      if (after !== false) status('✔️ ' + t('ui.organise.saved'));
    } catch (err) {
      status('⚠️ ' + err.message, 'error');
      if (err.field && form.elements[err.field]) form.elements[err.field].focus();
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  return form;
}

// --- processes ---------------------------------------------------------------------------------

async function loadProcesses() {
  const res = await api('GET', '/api/organise/processes');
  processes = res.processes;
  const list = $('process-list');
  list.replaceChildren(
    ...processes.map((p) =>
      h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'link-button proc',
            'aria-current': p.id === currentId ? 'true' : false,
            onclick: () => openProcess(p.id),
          },
          p.title,
        ),
      ),
    ),
  );
  if (!processes.length) list.append(h('li', { class: 'muted' }, t('ui.organise.none')));
}

async function openProcess(id) {
  currentId = id;
  data = await api('GET', `/api/organise/processes/${id}`);
  await loadProcesses();
  renderProcess();
  const u = new URL(location.href);
  u.searchParams.set('process', String(id));
  history.replaceState(null, '', u);
}

async function reload() {
  if (currentId) {
    data = await api('GET', `/api/organise/processes/${currentId}`);
    renderProcess();
  }
}

function processForm(p) {
  const langs = p ? p.languages : ['fr', 'nl'];
  const form = h(
    'form',
    { class: 'orgform', 'aria-label': t('ui.organise.process.settings') },
    langFields(t, p ? langs : [langs[0]], t('ui.organise.f.title'), 'input', { name: 'title', required: true, maxlength: 200 }, p ? p.title : '', p && p.translations, 'title'),
    p ? null : field(t('ui.organise.f.slug'), 'input', { name: 'slug', maxlength: 60, pattern: '[a-z0-9-]*' }),
    langFields(t, p ? langs : [langs[0]], t('ui.organise.f.description'), 'textarea', { name: 'description', rows: 3, maxlength: 4000 }, p ? p.description : '', p && p.translations, 'description'),
    h(
      'div',
      { class: 'row wrap' },
      field(t('ui.organise.f.capacity'), 'input', { name: 'capacity', type: 'number', min: 0, value: p ? p.capacity : 40 }),
      field(t('ui.organise.f.perorg'), 'input', { name: 'perOrgCap', type: 'number', min: 0, value: p ? p.perOrgCap : 2 }),
      field(t('ui.organise.f.deadline'), 'input', { name: 'registrationDeadline', type: 'datetime-local', value: p ? p.registrationDeadline : '' }),
    ),
    h(
      'fieldset',
      { class: 'row wrap' },
      h('legend', null, t('ui.organise.f.languages')),
      ...['fr', 'nl', 'en'].map((l) => field(l.toUpperCase(), 'input', { type: 'checkbox', name: 'languages', value: l, checked: langs.includes(l) })),
    ),
    field(t('ui.organise.f.invitation'), 'input', { type: 'checkbox', name: 'invitationRequired', checked: p ? p.invitationRequired : true }),
    field(t('ui.organise.f.overlapwarn'), 'input', { type: 'checkbox', name: 'overlapWarn', checked: p ? p.overlapRule === 'warn' : false }),
    h('button', { type: 'submit', class: 'button' }, p ? t('ui.save') : t('ui.organise.process.create')),
  );
  return onSubmit(form, async (fd) => {
    const body = {
      title: fd.get('title'),
      description: fd.get('description') || '',
      capacity: Number(fd.get('capacity')) || 0,
      perOrgCap: Number(fd.get('perOrgCap')) || 0,
      registrationDeadline: fd.get('registrationDeadline') || '',
      languages: fd.getAll('languages'),
      invitationRequired: fd.get('invitationRequired') !== null,
      overlapRule: fd.get('overlapWarn') !== null ? 'warn' : 'refuse',
    };
    if (p) {
      body.translations = translationsFrom(fd, langs, ['title', 'description']);
      // The main language stays first: another one would swap every text (the API does that).
      body.languages = [langs[0], ...body.languages.filter((l) => l !== langs[0])];
      await api('PUT', `/api/organise/processes/${p.id}`, body);
      await loadProcesses();
      await reload();
    } else {
      body.slug = fd.get('slug') || '';
      const res = await api('POST', '/api/organise/processes', body);
      await openProcess(res.process.id);
    }
  });
}

function newProcess() {
  currentId = 0;
  $('process-view').replaceChildren(h('section', { class: 'card' }, h('h2', null, t('ui.organise.process.new')), processForm(null)));
  $('process-view').querySelector('input').focus();
}

// --- one process -------------------------------------------------------------------------------

function personName(id) {
  const p = data.people.find((x) => x.id === id);
  return p ? p.displayName || '—' : `#${id}`;
}

function renderProcess() {
  const p = data.process;
  const view = $('process-view');
  const links = h(
    'p',
    { class: 'row wrap' },
    h('a', { class: 'button small secondary', href: p.publicUrl }, '🌐 ', t('ui.organise.publicpage')),
    data.notebook ? h('a', { class: 'button small secondary', href: data.notebook }, '📘 ', t('ui.organise.notebook')) : null,
  );
  view.replaceChildren(
    h('section', { class: 'card', 'aria-labelledby': 'p-title' }, h('h2', { id: 'p-title' }, p.title), links, h('details', null, h('summary', null, '⚙️ ', t('ui.organise.process.settings')), processForm(p))),
    missingList(t, data),
    renderThemes(),
    renderSessions(),
    mailHealth(regsCtx()),
    renderPeople(),
    processDanger(regsCtx()),
  );
}

function renderThemes() {
  const items = data.themes.map((th) => {
    const form = h(
      'form',
      { class: 'orgform' },
      langFields(t, data.process.languages, t('ui.organise.f.title'), 'input', { name: 'title', required: true, maxlength: 200 }, th.title, th.translations, 'title'),
      langFields(t, data.process.languages, t('ui.organise.f.why'), 'textarea', { name: 'why', rows: 2, maxlength: 4000 }, th.why, th.translations, 'why'),
      field(t('ui.organise.f.position'), 'input', { name: 'position', type: 'number', min: 1, value: th.position }),
      h('button', { type: 'submit', class: 'button small' }, t('ui.save')),
    );
    onSubmit(form, async (fd) => {
      await api('PUT', `/api/organise/themes/${th.id}`, {
        title: fd.get('title'),
        why: fd.get('why') || '',
        position: Number(fd.get('position')) || 0,
        translations: translationsFrom(fd, data.process.languages, ['title', 'why']),
      });
      await reload();
    });
    return h('li', null, h('details', null, h('summary', null, `${th.position}. ${th.title}`), form));
  });
  const add = h(
    'form',
    { class: 'orgform' },
    field(t('ui.organise.f.title'), 'input', { name: 'title', required: true, maxlength: 200 }),
    field(t('ui.organise.f.why'), 'textarea', { name: 'why', rows: 2, maxlength: 4000 }),
    h('button', { type: 'submit', class: 'button small' }, '➕ ', t('ui.organise.theme.add')),
  );
  onSubmit(add, async (fd) => {
    await api('POST', `/api/organise/processes/${data.process.id}/themes`, { title: fd.get('title'), why: fd.get('why') || '' });
    await reload();
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'themes-title' },
    h('h2', { id: 'themes-title' }, '🧭 ', t('process.themes')),
    h('ul', { class: 'plain themelist' }, ...items),
    h('details', null, h('summary', null, '➕ ', t('ui.organise.theme.add')), add),
  );
}

const AGENDA_PHASES = ['', 'lobby', 'diagnostic', 'recommendations', 'implementation', 'closed'];

function agendaEditor(items) {
  const list = h('ol', { class: 'agenda-edit plain' });
  const langs = data.process ? data.process.languages : ['fr'];
  const row = (a) => {
    const li = h(
      'li',
      { class: 'row wrap agenda-row' },
      field(t('ui.organise.agenda.item'), 'input', { name: 'a-title', required: true, maxlength: 200, value: a.title || '', lang: langs[0] }),
      // The item's title in the process's other languages, beside the main one.
      ...langs.slice(1).map((l) =>
        field(`${t('ui.organise.agenda.item')} (${l.toUpperCase()})`, 'input', { name: 'a-title-' + l, maxlength: 200, lang: l, value: ((a.translations || {})[l] || {}).title || '' }),
      ),
      field(t('ui.organise.agenda.phase'), 'select', { name: 'a-phase' }, ...AGENDA_PHASES.map((ph) => h('option', { value: ph, selected: ph === (a.phase || '') }, ph ? `${PHASE_ICON[ph]} ${t('phase.' + ph)}` : '—'))),
      field(t('ui.organise.agenda.minutes'), 'input', { name: 'a-minutes', type: 'number', min: 0, max: 1440, value: a.plannedMinutes || 0 }),
      h('input', { type: 'hidden', name: 'a-kind', value: a.kind || '' }),
      h('button', { type: 'button', class: 'button small secondary', 'aria-label': t('ui.organise.agenda.remove'), onclick: () => li.remove() }, '✖'),
    );
    return li;
  };
  for (const a of items) list.append(row(a));
  const add = h('button', { type: 'button', class: 'button small secondary', onclick: () => list.append(row({})) }, '➕ ', t('ui.organise.agenda.add'));
  return h('fieldset', { class: 'agenda-fieldset' }, h('legend', null, t('ui.mod.agenda')), list, add);
}

function readAgenda(form) {
  const titles = [...form.querySelectorAll('[name="a-title"]')];
  return titles.map((el) => {
    const li = el.closest('li');
    return {
      title: el.value,
      phase: li.querySelector('[name="a-phase"]').value,
      plannedMinutes: Number(li.querySelector('[name="a-minutes"]').value) || 0,
      kind: li.querySelector('[name="a-kind"]').value,
      translations: Object.fromEntries(
        [...li.querySelectorAll('[name^="a-title-"]')].map((input) => [input.name.slice('a-title-'.length), { title: input.value.trim() }]),
      ),
    };
  });
}

function sessionForm(w) {
  const themes = data.themes;
  const form = h(
    'form',
    { class: 'orgform' },
    field(t('ui.organise.f.theme'), 'select', { name: 'themeId' }, h('option', { value: '' }, '—'), ...themes.map((th) => h('option', { value: String(th.id), selected: w && w.themeId === th.id }, th.title))),
    langFields(t, data.process.languages, t('ui.organise.f.title'), 'input', { name: 'title', required: true, maxlength: 200 }, w ? w.title : '', w && w.translations, 'title'),
    h(
      'div',
      { class: 'row wrap' },
      field(t('ui.organise.f.starts'), 'input', { name: 'starts', type: 'datetime-local', required: true, value: w ? w.starts : '' }),
      field(t('ui.organise.f.ends'), 'input', { name: 'ends', type: 'datetime-local', required: true, value: w ? w.ends : '' }),
    ),
    field(t('process.place'), 'input', { name: 'place', maxlength: 200, value: w ? w.place : '' }),
    field(t('ui.organise.f.capacity.session'), 'input', { name: 'capacity', type: 'number', min: 0, value: w ? w.capacity : 0 }),
    field(
      t('ui.organise.f.access'),
      'select',
      { name: 'access' },
      ...['', 'invitation', 'registered', 'open'].map((a) => h('option', { value: a, selected: (w ? w.access || '' : '') === a }, t('ui.organise.access.' + (a || 'process')))),
    ),
    agendaEditor(w ? w.agenda : defaultAgenda()),
    h('button', { type: 'submit', class: 'button small' }, w ? t('ui.save') : t('ui.organise.session.create')),
  );
  return onSubmit(form, async (fd) => {
    const body = {
      themeId: fd.get('themeId') ? Number(fd.get('themeId')) : null,
      title: fd.get('title'),
      starts: fd.get('starts'),
      ends: fd.get('ends'),
      place: fd.get('place') || '',
      capacity: Number(fd.get('capacity')) || 0,
      access: fd.get('access') || '',
      agenda: readAgenda(form),
      translations: translationsFrom(fd, data.process.languages, ['title']),
    };
    if (w) await api('PUT', `/api/organise/workshops/${w.id}`, body);
    else await api('POST', `/api/organise/processes/${data.process.id}/workshops`, body);
    await reload();
  });
}

function defaultAgenda() {
  return [
    { kind: 'welcome', title: t('ui.organise.agenda.welcome'), phase: 'lobby', plannedMinutes: 15 },
    { kind: 'phase', title: t('phase.diagnostic'), phase: 'diagnostic', plannedMinutes: 60 },
    { kind: 'break', title: t('ui.organise.agenda.break'), phase: '', plannedMinutes: 15 },
    { kind: 'phase', title: t('phase.recommendations'), phase: 'recommendations', plannedMinutes: 60 },
    { kind: 'phase', title: t('phase.implementation'), phase: 'implementation', plannedMinutes: 45 },
    { kind: 'conclusions', title: t('ui.organise.agenda.conclusions'), phase: 'closed', plannedMinutes: 15 },
  ];
}

function renderSessions() {
  const regsBy = new Map();
  for (const r of data.registrations) {
    if (!regsBy.has(r.workshopId)) regsBy.set(r.workshopId, []);
    regsBy.get(r.workshopId).push(r);
  }
  const themeTitle = (id) => (data.themes.find((th) => th.id === id) || {}).title || t('ui.organise.notheme');
  const cards = data.workshops.map((w) => {
    const regs = regsBy.get(w.id) || [];
    const confirmed = regs.filter((r) => r.status === 'confirmed').length;
    const waiting = regs.filter((r) => r.status === 'waiting').length;
    const mods = w.moderators.map((id) =>
      h(
        'li',
        null,
        personName(id),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'link-button danger',
            onclick: async () => {
              try {
                await api('DELETE', `/api/organise/workshops/${w.id}/moderators/${id}`);
                status('✔️ ' + t('ui.organise.saved'));
                await reload();
              } catch (err) {
                status('⚠️ ' + err.message, 'error');
              }
            },
          },
          t('ui.organise.moderator.remove'),
        ),
      ),
    );
    const candidates = data.people.filter((p) => !p.erased && !w.moderators.includes(p.id) && p.role !== 'organiser');
    const appoint = h(
      'form',
      { class: 'row wrap' },
      field(t('ui.organise.moderator.choose'), 'select', { name: 'participant' }, ...candidates.map((p) => h('option', { value: String(p.id) }, `${p.displayName}${p.organisation ? ' (' + p.organisation + ')' : ''}`))),
      h('button', { type: 'submit', class: 'button small secondary', disabled: candidates.length === 0 }, '🎛️ ', t('ui.organise.moderator.appoint')),
    );
    onSubmit(appoint, async (fd) => {
      await api('PUT', `/api/organise/workshops/${w.id}/moderators/${fd.get('participant')}`);
      await reload();
    });
    return h(
      'li',
      { class: 'session card', dataset: { workshop: String(w.id) } },
      h('h3', null, w.title, ' ', h('span', { class: 'muted small' }, '— ', themeTitle(w.themeId))),
      h('p', null, '🗓️ ', w.when, w.place ? ` · 📍 ${w.place}` : ''),
      h('p', null, t('ui.join.code'), ' ', h('strong', { class: 'code' }, w.code), ' · ', `${PHASE_ICON[w.phase] || ''} ${t('phase.' + w.phase)}`),
      h(
        'p',
        { class: 'row wrap' },
        h('a', { class: 'button small', href: `/w/${w.id}/moderate` }, '🎛️ ', t('ui.mod.open')),
        h('a', { class: 'button small secondary', href: `/w/${w.id}/projector` }, '📽️ ', t('ui.mod.projector')),
        h('a', { class: 'button small secondary', href: `/w/${w.id}` }, '📱 ', t('ui.mod.participantview')),
      ),
      h('h4', null, '🎛️ ', t('ui.organise.moderators')),
      mods.length ? h('ul', { class: 'plain' }, ...mods) : h('p', { class: 'muted' }, t('ui.organise.moderators.none')),
      appoint,
      sessionTools(w, regsCtx()),
      h('details', null, h('summary', null, '👥 ', t('ui.organise.registrations', { confirmed, waiting })), regTable(w, regs, regsCtx())),
      h('details', null, h('summary', null, '✏️ ', t('ui.organise.session.edit')), sessionForm(w)),
    );
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title' }, '🗓️ ', t('process.sessions')),
    h('ul', { class: 'plain sessionlist' }, ...cards),
    h('details', null, h('summary', null, '➕ ', t('ui.organise.session.add')), sessionForm(null)),
  );
}

function linkBox(name, link) {
  const id = nextId('link');
  const input = h('input', { id, class: 'link-output', readonly: true, value: link });
  return h(
    'div',
    { class: 'linkbox notice', role: 'status' },
    h('label', { for: id }, t('ui.organise.link.for', { name })),
    input,
    h(
      'button',
      {
        type: 'button',
        class: 'button small secondary',
        onclick: async () => {
          input.select();
          try {
            await navigator.clipboard.writeText(link);
            status('📋 ' + t('ui.organise.link.copied'));
          } catch {
            document.execCommand('copy');
          }
        },
      },
      '📋 ',
      t('ui.organise.link.copy'),
    ),
    h('p', { class: 'muted small' }, t('ui.organise.link.help')),
  );
}

function renderPeople() {
  const result = h('div', { id: 'invite-result' });
  const rows = data.people.map((p) => {
    const sessions = data.registrations.filter((r) => r.participantId === p.id).map((r) => (data.workshops.find((w) => w.id === r.workshopId) || {}).title);
    const cell = h('td', null);
    const btn = h(
      'button',
      {
        type: 'button',
        class: 'button small secondary',
        disabled: p.erased,
        onclick: async () => {
          const first = data.registrations.find((r) => r.participantId === p.id);
          try {
            const res = await api('POST', `/api/organise/people/${p.id}/link`, { workshop: first ? first.workshopId : null });
            cell.replaceChildren(linkBox(p.displayName, res.link));
            cell.querySelector('input').focus();
          } catch (err) {
            status('⚠️ ' + err.message, 'error');
          }
        },
      },
      '🔗 ',
      t('ui.organise.link.new'),
    );
    return h(
      'tr',
      null,
      h('td', null, p.displayName || '—', p.serviceUser ? h('span', { class: 'muted small' }, ' · ', t('ui.organise.serviceuser')) : null),
      h('td', null, p.organisation),
      h('td', null, t('ui.role.' + p.role)),
      h('td', null, p.email),
      h('td', null, sessions.join(', ')),
      h('td', null, btn),
      cell,
      h('td', null, personActions(p, regsCtx())),
    );
  });
  const invite = h(
    'form',
    { class: 'orgform', id: 'invite-form' },
    h(
      'div',
      { class: 'row wrap' },
      field(t('ui.organise.f.name'), 'input', { name: 'displayName', required: true, maxlength: 120, autocomplete: 'off' }),
      field(t('ui.organise.f.organisation'), 'input', { name: 'organisation', maxlength: 200, autocomplete: 'off' }),
      field(t('ui.organise.f.email'), 'input', { name: 'email', type: 'email', maxlength: 200, autocomplete: 'off' }),
    ),
    h(
      'div',
      { class: 'row wrap' },
      field(t('ui.organise.f.role'), 'select', { name: 'role' }, ...['participant', 'moderator', 'observer', 'committee'].concat(platform ? ['organiser'] : []).map((r) => h('option', { value: r }, t('ui.role.' + r)))),
      field(t('ui.organise.f.language'), 'select', { name: 'language' }, ...['fr', 'nl', 'en'].map((l) => h('option', { value: l }, l.toUpperCase()))),
      field(t('ui.organise.f.serviceuser'), 'input', { type: 'checkbox', name: 'serviceUser' }),
    ),
    h('fieldset', { class: 'sessions-choice' }, h('legend', null, t('ui.organise.f.sessions')), ...data.workshops.map((w) => field(`${w.title} — ${w.when}`, 'input', { type: 'checkbox', name: 'workshops', value: String(w.id) }))),
    h('button', { type: 'submit', class: 'button' }, '✉️ ', t('ui.organise.invite')),
  );
  onSubmit(invite, async (fd) => {
    const res = await api('POST', `/api/organise/processes/${data.process.id}/people`, {
      displayName: fd.get('displayName'),
      organisation: fd.get('organisation') || '',
      email: fd.get('email') || '',
      role: fd.get('role'),
      language: fd.get('language'),
      serviceUser: fd.get('serviceUser') !== null,
      workshops: fd.getAll('workshops').map(Number),
    });
    await reload();
    const box = linkBox(res.person.displayName, res.link);
    $('invite-result').replaceChildren(box);
    box.querySelector('input').focus();
    status('✔️ ' + t('ui.organise.invited', { name: res.person.displayName }));
    return false;
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'people-title' },
    h('h2', { id: 'people-title' }, '👥 ', t('ui.organise.people')),
    h('h3', null, '✉️ ', t('ui.organise.invite')),
    invite,
    result,
    h(
      'div',
      { class: 'tablewrap' },
      h(
        'table',
        { class: 'people' },
        h('caption', null, t.n('ui.organise.people.count', data.people.length)),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['name', 'organisation', 'role', 'email', 'sessions'].map((k) => h('th', { scope: 'col' }, t('ui.organise.f.' + k))),
            h('th', { scope: 'col' }, t('ui.organise.link')),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('ui.organise.link.new'))),
            h('th', { scope: 'col' }, t('reg.org.actions')),
          ),
        ),
        h('tbody', null, ...rows),
      ),
    ),
  );
}

async function main() {
  t = await loadTranslator(root.dataset.lang || 'fr');
  const nb = $('new-process');
  if (nb) nb.addEventListener('click', newProcess);
  try {
    await loadProcesses();
    const want = Number(new URL(location.href).searchParams.get('process')) || (processes[0] && processes[0].id);
    if (want) await openProcess(want);
    else if (platform) newProcess();
    else setText($('process-view'), t('ui.organise.none'));
  } catch (err) {
    status('⚠️ ' + err.message, 'error');
  }
  root.dataset.ready = 'true';
  show($('process-view'), true);
}

main();
