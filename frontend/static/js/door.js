// The door of a session: scan the QR code of an invitation card with the phone's camera
// (the browser's BarcodeDetector, where it exists) and check its holder in. The code holds
// the person's /i/{token} address; only the token goes to the server, in a POST, which
// checks the person in without signing this phone in as them. Without BarcodeDetector the
// page keeps its forms: search by name, or paste the link.

import { h } from './util.js';

const root = document.getElementById('door');
const d = root.dataset;
const result = document.getElementById('scan-result');
const video = document.getElementById('scan-video');
const toggle = document.getElementById('scan-toggle');
const TOKEN = /\/i\/([A-Za-z0-9_-]{20,100})(?:[?#].*)?$/;

let stream = null;
let timer = 0;
let busy = false;
let last = '';

async function post(path, fields) {
  const body = new URLSearchParams(fields);
  const r = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'X-CSRF-Token': d.csrf },
    body,
  });
  if (!r.ok) throw new Error(d.error);
  return r.json();
}

function show(res) {
  const ok = res.result === 'checked_in' || res.result === 'already';
  const children = [h('p', { class: ok ? 'scan-ok' : 'scan-bad' }, ok ? '✅ ' : '⚠️ ', res.name ? h('strong', null, res.name, ' — ') : null, res.message)];
  if ((res.result === 'waiting' || res.result === 'not_registered') && res.participant) {
    children.push(
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          onclick: async (e) => {
            e.target.disabled = true;
            try {
              await post(`/w/${d.workshop}/door/checkin`, { participant: String(res.participant), admit: '1' });
              show({ ...res, result: 'checked_in', message: '✔' });
            } catch (err) {
              result.replaceChildren(h('p', { class: 'scan-bad' }, err.message));
            }
          },
        },
        d.admit,
      ),
    );
  }
  result.replaceChildren(...children);
}

async function onCode(value) {
  const m = TOKEN.exec(value);
  if (!m || busy || value === last) return;
  busy = true;
  last = value; // the same card held in front of the camera is read once
  try {
    show(await post(`/w/${d.workshop}/door/scan`, { token: m[1] }));
    if (navigator.vibrate) navigator.vibrate(120);
  } catch (err) {
    result.replaceChildren(h('p', { class: 'scan-bad' }, err.message));
  } finally {
    busy = false;
  }
}

async function start() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    result.replaceChildren(h('p', { class: 'scan-bad' }, d.scanNocamera));
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  toggle.textContent = '⏹ ' + d.scanStop;
  const tick = async () => {
    try {
      const codes = await detector.detect(video);
      for (const c of codes) await onCode(c.rawValue);
    } catch {
      /* a frame that cannot be read: try the next one */
    }
    if (stream) timer = setTimeout(tick, 250);
  };
  tick();
}

function stop() {
  clearTimeout(timer);
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
  video.hidden = true;
  last = '';
  toggle.textContent = '📷 ' + d.scanStart;
}

if ('BarcodeDetector' in window && navigator.mediaDevices) {
  document.getElementById('scanner').hidden = false;
  toggle.addEventListener('click', () => (stream ? stop() : start()));
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && stream) stop();
  });
}
