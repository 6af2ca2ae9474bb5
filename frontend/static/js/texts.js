// What an organiser or a moderator wrote, in the reader's language: the main language's text
// comes with its translations ({nl: "…"}); a reader gets theirs, or the main one marked with a
// small badge ("FR") that says it is not translated yet.

import { h } from './util.js';

// mainLanguage is the process's main language, written on the page's root by the server.
export function mainLanguage(root) {
  return (root && root.dataset.main) || 'fr';
}

// pickText returns {text, lang, fallback}: text in lang when there is one, else the main one.
export function pickText(text, texts, lang, main) {
  if (!text || lang === main) return { text: text || '', lang: main, fallback: false };
  const tr = (texts || {})[lang];
  if (tr) return { text: tr, lang, fallback: false };
  return { text, lang: main, fallback: true };
}

// textNodes draws a picked text: a fallback carries its language and the badge.
export function textNodes(p, t) {
  if (!p.fallback) return [p.text];
  return [
    h('span', { lang: p.lang }, p.text),
    ' ',
    h('span', { class: 'lang-badge', dataset: { fallback: p.lang } }, h('span', { 'aria-hidden': 'true' }, p.lang.toUpperCase()), h('span', { class: 'visually-hidden' }, t('ui.lang.fallback.' + p.lang))),
  ];
}

// putText writes a picked text into el, only when it changed.
export function putText(el, p, t) {
  const sig = JSON.stringify(p);
  if (el.dataset.textSig === sig) return;
  el.dataset.textSig = sig;
  el.replaceChildren(...textNodes(p, t));
}
