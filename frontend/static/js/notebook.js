// The notebook's editor and the follow-up committee's desk: every form with data-api is sent
// as JSON to that address with the session's CSRF token, then the page reloads to show what
// the server made of it (ranks, history). Move buttons reorder a list and send the new order.
// The pages are rendered on the server; without this script they can be read, not changed.

const root = document.getElementById('nb-forms');
const csrf = root ? root.dataset.csrf : '';
const statusEl = document.getElementById('nb-status');
const FLASH = 'assises.nb.flash';

function say(text, kind = 'info') {
  if (!statusEl) return;
  statusEl.className = `toast ${kind}`;
  statusEl.textContent = text;
  statusEl.hidden = false;
}

async function send(method, url, body) {
  const r = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body),
  });
  let json = null;
  if (r.status !== 204) {
    try {
      json = await r.json();
    } catch {
      /* not JSON */
    }
  }
  if (!r.ok) throw new Error((json && json.error && json.error.message) || `HTTP ${r.status}`);
  return json;
}

// reloadWith reloads the page and shows a message once it is back, keeping the scroll place.
function reloadWith(text) {
  sessionStorage.setItem(FLASH, JSON.stringify({ text, y: window.scrollY }));
  window.location.reload();
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    // Checkboxes marked data-list give the list of their checked values (the languages to
    // publish in); the others a boolean.
    if (el.type === 'checkbox' && 'list' in el.dataset) {
      body[el.name] = body[el.name] || [];
      if (el.checked) body[el.name].push(el.value);
      continue;
    }
    body[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  return body;
}

function wireForm(form) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const out = await send(form.dataset.method || 'PUT', form.dataset.api, formBody(form));
      reloadWith((out && out.message) || '✔');
    } catch (err) {
      say('⚠️ ' + err.message, 'error');
      if (button) button.disabled = false;
    }
  });
}

// A list's new order: the ids of its items that are in the notebook, top to bottom.
function order(list) {
  return [...list.children].filter((li) => !li.classList.contains('nb-excluded')).map((li) => Number(li.dataset.id));
}

function wireMove(button) {
  button.addEventListener('click', async () => {
    const li = button.closest('li');
    const list = li.parentElement;
    const other = button.dataset.move === 'up' ? li.previousElementSibling : li.nextElementSibling;
    if (!other || other.classList.contains('nb-excluded')) return;
    if (button.dataset.move === 'up') list.insertBefore(li, other);
    else list.insertBefore(other, li);
    button.focus();
    try {
      await send('PUT', list.dataset.orderApi, { kind: list.dataset.kind, ids: order(list) });
      reloadWith('✔');
    } catch (err) {
      say('⚠️ ' + err.message, 'error');
    }
  });
}

function wireReset(button) {
  button.addEventListener('click', async () => {
    const list = button.parentElement.querySelector(`ol[data-kind="${button.dataset.orderReset}"]`);
    try {
      await send('PUT', list.dataset.orderApi, { kind: list.dataset.kind, ids: [] });
      reloadWith('✔');
    } catch (err) {
      say('⚠️ ' + err.message, 'error');
    }
  });
}

if (root) {
  root.querySelectorAll('form[data-api]').forEach(wireForm);
  root.querySelectorAll('ol[data-order-api] button[data-move]').forEach((b) => {
    if (b.closest('ol').dataset.orderApi) wireMove(b);
    else b.hidden = true;
  });
  root.querySelectorAll('button[data-order-reset]').forEach(wireReset);
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    try {
      const { text, y } = JSON.parse(flash);
      window.scrollTo(0, y || 0);
      say(text);
    } catch {
      /* ignore */
    }
  }
}
