// The test harness: builds and starts the real binary on a fresh SQLite database, launches
// Debian's Chromium through playwright-core, and offers small helpers the tests share.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// ASSISES_E2E_BIN runs the tests against another binary as it is (weight.test.js measures the
// previous build that way, for docs/performance.md).
export const BIN = process.env.ASSISES_E2E_BIN || join(ROOT, 'bin', 'assises');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Screenshots go to e2e/test-results/screenshots; `make screenshots` points them at
// docs/screenshots (ASSISES_SCREENSHOTS), so that `make test` leaves the documentation alone.
export const SCREENSHOTS = process.env.ASSISES_SCREENSHOTS || join(ROOT, 'e2e', 'test-results', 'screenshots');

let built = false;
// build compiles the binary once per test process (the Makefile target builds it first, so
// this is quick).
export function build() {
  if (built || process.env.ASSISES_E2E_BIN) return;
  execFileSync('go', ['build', '-o', BIN, './cmd/assises'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

// testHooks says whether the binary takes -test-hooks: ours does; an older build run through
// ASSISES_E2E_BIN may not (and exposed window.assises without it).
function testHooks() {
  if (!process.env.ASSISES_E2E_BIN) return true;
  let usage = '';
  try {
    usage = execFileSync(BIN, ['serve', '-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    usage = `${e.stdout || ''}${e.stderr || ''}`;
  }
  return usage.includes('test-hooks');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ASSISES_E2E_POSTGRES (a PostgreSQL DSN) runs the server on PostgreSQL instead, in a schema
// of its own that psql creates before and drops after (the store reads search_path from the
// DSN, as its Go tests do).
const POSTGRES = process.env.ASSISES_E2E_POSTGRES || '';

function postgresSchema() {
  const schema = `e2e_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
  execFileSync('psql', [POSTGRES, '-q', '-c', `CREATE SCHEMA ${schema}`], { stdio: 'inherit' });
  const dsn = new URL(POSTGRES);
  dsn.searchParams.set('search_path', schema);
  return {
    dsn: dsn.toString(),
    drop: () => execFileSync('psql', [POSTGRES, '-q', '-c', 'SET client_min_messages TO warning', '-c', `DROP SCHEMA ${schema} CASCADE`], { stdio: 'inherit' }),
  };
}

// startServer runs `assises serve -seed-demo` on a temporary SQLite file (or a PostgreSQL
// schema, above) and returns its base URL and the one-time organiser link it prints.
export async function startServer() {
  build();
  const dir = mkdtempSync(join(tmpdir(), 'assises-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.ASSISES_ADDR;
  delete env.ASSISES_PUBLIC_URL;
  const hooks = testHooks() ? ['-test-hooks'] : [];
  const pg = POSTGRES ? postgresSchema() : null;
  const proc = spawn(BIN, ['serve', '-addr', `127.0.0.1:${port}`, '-public-url', url, '-seed-demo', ...hooks, '-db', pg ? pg.dsn : join(dir, 'assises.db')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (b) => {
    err += b;
    if (err.length > 200000) err = err.slice(-100000);
  });
  const organiserLink = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print an organiser link in time:\n${out}\n${err}`)), 30000);
    proc.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/Sign in as organiser[^:]*: (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    organiserLink,
    logs: () => err,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            proc.kill('SIGKILL');
            r();
          }, 12000);
          proc.on('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
      if (pg) pg.drop();
    },
  };
}

// startAll starts the server and the browser a test file shares; if the browser does not
// start, the server is stopped again.
export async function startAll() {
  const srv = await startServer();
  try {
    return { srv, browser: await launchBrowser() };
  } catch (e) {
    await srv.stop();
    throw e;
  }
}

// stopAll closes the browser and stops the server, whichever were started.
export async function stopAll(srv, browser) {
  if (browser) await browser.close();
  if (srv) await srv.stop();
}

// launchBrowser starts headless Chromium; playwright gives it a fresh temporary profile.
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
export const SCREEN = { viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 };

// recordErrors keeps in page.errors every script error, console error and CSP violation of a
// page (the violation is reported by the page itself, from a securitypolicyviolation event,
// besides the browser's own console message), for a test to assert none. Call it before
// the page's first goto.
export async function recordErrors(page) {
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    // The browser itself logs failed loads and refused WebSocket connections (offline tests).
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection to/.test(m.text())) page.errors.push(m.text());
  });
  await page.exposeBinding('__cspViolation', (_, v) => page.errors.push(`CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile || '?'}:${e.lineNumber}`));
  });
  return page;
}

// newPage opens a context (its own cookies and storage) and a page that fails the test on any
// script error or CSP violation.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'fr-BE', ...options });
  const page = await recordErrors(await context.newPage());
  return { context, page };
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

let axeSource = null;
// axe runs axe-core in the page and returns the serious and critical violations.
export async function axe(page) {
  if (!axeSource) axeSource = readFileSync(join(ROOT, 'e2e', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Injected through the automation channel, not a <script> tag: the page's CSP stays whole.
  await page.evaluate(axeSource);
  // Colours are measured on a still page: a control caught half-way through a fade (the
  // projector's controls appear and hide with the mouse) has no contrast of its own yet.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity));
  const res = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }),
  );
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

// overflows lists (a few of) the texts of the page that are cut or run off the screen's width.
export async function overflows(page) {
  return page.evaluate(() => {
    const bad = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) bad.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || getComputedStyle(el).visibility === 'hidden' || el.closest('.visually-hidden')) continue;
      if (r.right > width + 1) bad.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(r.right)} > ${width}`);
      const s = getComputedStyle(el);
      if ((s.overflowX === 'hidden' || s.overflow === 'hidden') && el.scrollWidth > el.clientWidth + 1) bad.push(`${el.tagName.toLowerCase()}.${el.className} clips its text`);
    }
    return bad.slice(0, 5);
  });
}

// unfit lists what a person would see cut on a small screen: a page wider than the screen; among
// the visible elements matching `elements` (those hidden, or inside `skip`, left out), every one
// that reaches outside the viewport; every one matching `words` (and not inside `wordsExcept`)
// whose words do not fit whole, measured with breaking inside words off (a label that quotes
// what someone wrote, an address say, may break where it must); and, with `content`, every one
// but a field whose content is wider than its box. Measured, not looked at.
export function unfit(page, { elements, words, wordsExcept = null, content = false, skip = '.visually-hidden, [hidden]' }) {
  return page.evaluate(({ elements, words, wordsExcept, content, skip }) => {
    const out = [];
    const vw = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > vw) out.push(`the page is ${document.documentElement.scrollWidth}px wide in ${vw}px`);
    for (const el of document.querySelectorAll(elements)) {
      if (el.closest(skip)) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '';
      const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} «${(el.textContent || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40)}»`;
      if (content && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        out.push(`${name}: content ${el.scrollWidth}px in a ${el.clientWidth}px box`);
      }
      if (el.matches(words) && !(wordsExcept && el.closest(wordsExcept)) && el.clientWidth > 0) {
        const saved = [el.style.overflowWrap, el.style.wordBreak];
        el.style.overflowWrap = 'normal';
        el.style.wordBreak = 'normal';
        if (el.scrollWidth > el.clientWidth + 1) out.push(`${name}: a word ${el.scrollWidth}px wide in a ${el.clientWidth}px box`);
        [el.style.overflowWrap, el.style.wordBreak] = saved;
      }
      if (r.right > vw + 1 || r.left < -1) out.push(`${name}: from ${Math.round(r.left)} to ${Math.round(r.right)}px, outside 0–${vw}px`);
    }
    return out;
  }, { elements, words, wordsExcept, content, skip });
}
