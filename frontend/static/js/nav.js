// Adds to the page header, for a signed-in person, a way back into the product: the organiser's
// desk for organisers (so that the one-time link printed at start-up leads somewhere useful),
// "my sessions" for a person of a process, joining a session by its code for everyone else.
const header = document.querySelector('header.top');
if (header && !document.querySelector('.projector, .live')) {
  fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((me) => {
      if (!me) return;
      const organiser = me.role === 'organiser';
      // A person of a process goes to "my sessions", which links to each of their sessions.
      const mine = !organiser && me.process;
      const href = organiser ? '/organise' : mine ? '/me' : '/join';
      if (location.pathname === href) return;
      const a = document.createElement('a');
      a.href = href;
      a.className = 'button small navlink';
      a.textContent = organiser ? `🗂️ ${header.dataset.organise}` : mine ? `🗓️ ${header.dataset.me}` : `🔑 ${header.dataset.join}`;
      header.querySelector('.brand').after(a);
    })
    .catch(() => {});
}
