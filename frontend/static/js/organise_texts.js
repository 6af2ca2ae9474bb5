// The organiser's texts in each language of the process: one field per language side by side
// (the main language first), an empty one marked "not translated", and the list of what is
// still missing before publishing (GET /api/organise/processes/{id}/missing, carried in the
// process as "missing").

import { h } from './util.js';

let seq = 0;

// langFields returns the fields of one text in every language: name for the main language,
// name.<lang> for the others, filled from value and translations.
export function langFields(t, langs, label, tag, attrs, value, translations, field) {
  return h(
    'div',
    { class: 'lang-fields' },
    ...langs.map((l, i) => {
      const id = `lf-${attrs.name}-${l}-${++seq}`;
      const v = i === 0 ? value || '' : ((translations || {})[l] || {})[field] || '';
      const control = h(tag, { ...attrs, id, name: i === 0 ? attrs.name : `${attrs.name}.${l}`, lang: l, required: i === 0 && attrs.required, ...(tag === 'input' ? { value: v } : {}) }, tag === 'textarea' ? v : null);
      const missing = i > 0 && !v && value;
      return h(
        'div',
        { class: 'field' + (missing ? ' untranslated' : '') },
        h('label', { for: id }, label, ' ', h('span', { class: 'lang-badge' }, l.toUpperCase()), missing ? h('span', { class: 'muted small' }, ' — ', t('ui.organise.lang.untranslated')) : null),
        control,
      );
    }),
  );
}

// translationsFrom reads the fields langFields made back into {lang: {field: text}}.
export function translationsFrom(fd, langs, names) {
  const out = {};
  for (const l of langs.slice(1)) {
    out[l] = {};
    for (const n of names) out[l][n] = String(fd.get(`${n}.${l}`) || '').trim();
  }
  return out;
}

// missingList is the organiser's list of texts not translated yet, by where they are.
export function missingList(t, data) {
  const missing = data.missing || [];
  const where = (m) => {
    if (m.kind === 'process') return data.process.title;
    if (m.kind === 'theme') return (data.themes.find((x) => x.id === m.id) || {}).title || '';
    const w = data.workshops.find((x) => x.id === m.id);
    return w ? w.title : '';
  };
  return h(
    'section',
    { class: 'card missing-texts', 'aria-labelledby': 'missing-title', dataset: { count: String(missing.length) } },
    h('h2', { id: 'missing-title' }, '🌐 ', t('ui.organise.missing.title')),
    missing.length === 0
      ? h('p', null, '✔️ ', t('ui.organise.missing.none'))
      : h(
          'ul',
          { class: 'missing-list' },
          ...missing.map((m) =>
            h(
              'li',
              { dataset: { kind: m.kind, lang: m.lang } },
              h('span', { class: 'lang-badge' }, m.lang.toUpperCase()),
              ' ',
              t('ui.organise.missing.' + m.kind),
              ' · ',
              h('strong', null, where(m)),
              ' · ',
              m.kind === 'question' ? t('phase.' + m.field) : t('ui.organise.missing.field.' + m.field),
              h('span', { class: 'muted small' }, ' — « ', m.text.length > 80 ? m.text.slice(0, 79) + '…' : m.text, ' »'),
            ),
          ),
        ),
  );
}
