// Interface texts for the scripts: the same catalogs the server renders pages with, fetched
// as JSON (GET /i18n/<lang>.json). French is the fallback for a missing key.

const cache = new Map();

async function fetchTexts(lang) {
  if (!cache.has(lang)) {
    cache.set(
      lang,
      fetch(`/i18n/${encodeURIComponent(lang)}.json`, { credentials: 'same-origin' })
        .then((r) => (r.ok ? r.json() : {}))
        .catch(() => ({})),
    );
  }
  return cache.get(lang);
}

// loadTranslator returns t(key, vars) for lang; {name} in a text is replaced by vars.name.
// t.n(key, count, vars) picks key + '.one' or '.other' by count.
export async function loadTranslator(lang) {
  const [texts, fallback] = await Promise.all([fetchTexts(lang), lang === 'fr' ? null : fetchTexts('fr')]);
  return makeTranslator(lang, texts, fallback || {});
}

export function makeTranslator(lang, texts, fallback = {}) {
  const t = (key, vars) => {
    let s = texts[key] ?? fallback[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  };
  t.n = (key, count, vars) => t(`${key}.${count === 1 ? 'one' : 'other'}`, { n: count, ...vars });
  t.lang = lang;
  return t;
}
