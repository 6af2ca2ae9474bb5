// Adds a link to the organiser's desk in the page header for a signed-in organiser, so that
// the one-time link printed at start-up leads somewhere useful.
const header = document.querySelector('header.top');
if (header && !document.querySelector('.projector')) {
  fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((me) => {
      if (!me || me.role !== 'organiser' || location.pathname === '/organise') return;
      const a = document.createElement('a');
      a.href = '/organise';
      a.className = 'button small navlink';
      a.textContent = '🗂️ ' + (header.dataset.organise || 'Organiser');
      header.querySelector('.brand').after(a);
    })
    .catch(() => {});
}
