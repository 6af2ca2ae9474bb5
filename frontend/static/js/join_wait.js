// The phone waiting at the door asks, every few seconds, whether the welcome desk has said who
// it is; then it goes where the server says (its session, or back to the join page).
const box = document.getElementById('joinwait');

async function check() {
  try {
    const res = await fetch(box.dataset.status, { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) {
      const body = await res.json();
      if (body.status !== 'pending' && body.location) {
        window.location.assign(body.location);
        return;
      }
    }
  } catch {
    // The network came and went: ask again a moment later.
  }
  setTimeout(check, 3000);
}

if (box && box.dataset.status) setTimeout(check, 2000);
