// A classic (deferred) script that runs before the page's modules: when one of the page's
// scripts does not arrive — a phone losing its signal while the page loads — the modules
// never run and the page would stay half-drawn. Watch for that failure, wait until the server
// answers again, and reload, a few times at most, so the person does not have to.
(function () {
  'use strict';
  var KEY = 'assises.reloads';
  var MAX = 6;
  var pending = false;

  function tries() {
    try {
      return Number(sessionStorage.getItem(KEY)) || 0;
    } catch (e) {
      return 0;
    }
  }

  function setTries(n) {
    try {
      if (n) sessionStorage.setItem(KEY, String(n));
      else sessionStorage.removeItem(KEY);
    } catch (e) {
      // private mode without storage: the count starts again, MAX still bounds each page
    }
  }

  // Reload only once the server answers, so that the reload does not itself land on the
  // browser's "no connection" page.
  function reloadWhenBack(wait) {
    setTimeout(function () {
      fetch('/healthz', { cache: 'no-store' })
        .then(function (r) {
          if (!r.ok) throw new Error('not ready');
          setTries(tries() + 1);
          location.reload();
        })
        .catch(function () {
          reloadWhenBack(Math.min(wait * 2, 8000));
        });
    }, wait);
  }

  window.addEventListener(
    'error',
    function (e) {
      var el = e.target;
      if (pending || !el || !el.tagName) return;
      var lost = el.tagName === 'SCRIPT' || (el.tagName === 'LINK' && /modulepreload|stylesheet/.test(el.rel));
      if (!lost || tries() >= MAX) return;
      pending = true;
      reloadWhenBack(500 * Math.pow(2, tries()));
    },
    true,
  );

  // The page came whole: the next failure gets the full number of tries again.
  window.addEventListener('load', function () {
    if (!pending) setTries(0);
  });
})();
