// Interface texts for the scripts: the same catalogs the server renders pages with, fetched
// as JSON (GET /i18n/<lang>.json). The server fills a catalog's missing keys with French, so
// a page fetches its own language only.

const cache = new Map();

// textsURL is the catalog's address: the page names the one of its language, with the hash
// that lets the browser keep it (and has already asked for it: <link rel="preload">), and
// the part it needs (data-area: the live faces leave the organiser's texts out).
function textsURL(lang) {
  const link = document.querySelector(`link[rel="preload"][data-texts="${CSS.escape(lang)}"]`);
  if (link) return link.href;
  const area = document.querySelector('link[rel="preload"][data-texts]')?.dataset.area;
  return `/i18n/${area ? `${encodeURIComponent(area)}.` : ''}${encodeURIComponent(lang)}.json`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// fetchTexts gets a catalog; a lost connection (a phone in a basement) is retried, sooner
// when the browser says it is back online, for about half a minute; after that the page
// goes on with the keys rather than stay blank.
function fetchTexts(lang) {
  if (!cache.has(lang)) {
    cache.set(
      lang,
      (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            const r = await fetch(textsURL(lang), { credentials: 'same-origin' });
            if (r.ok) return await r.json();
            if (r.status < 500) return {};
          } catch {
            // offline or the connection dropped: try again below
          }
          if (attempt >= 6) return {};
          const online = new Promise((r) => window.addEventListener('online', r, { once: true }));
          await Promise.race([sleep(500 * 2 ** attempt), online]);
        }
      })(),
    );
  }
  return cache.get(lang);
}

// loadTranslator returns t(key, vars) for lang; {name} in a text is replaced by vars.name.
// t.n(key, count, vars) picks key + '.one' or '.other' by count.
export async function loadTranslator(lang) {
  return makeTranslator(lang, await fetchTexts(lang));
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
