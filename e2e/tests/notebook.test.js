// The notebook in French and Dutch, in a real browser. The demo's organisers wrote its title,
// description and themes in French and Dutch; the editor says nothing is missing in Dutch and
// shows their Dutch beside each field, the organiser translates a text into English (optional)
// in the side-by-side form and sees that language's list shrink, and publishes in French and
// Dutch (the form's default); a Dutch-speaking reader's browser gets the Dutch notebook and
// follow-up. The editor and the notebook read on a 360 px phone without sideways scrolling;
// axe-core finds nothing serious on the pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAll, stopAll, newPage, SCREEN, PHONE, axe, screenshotPath } from './lib/harness.js';
import { openOrganiser } from './lib/flows.js';

let srv, browser, org, editor;
const SLUG = 'assises-logement-travail-social';

before(async () => {
  ({ srv, browser } = await startAll());
  org = await openOrganiser(browser, srv, SCREEN);
  editor = await org.page.locator('a[href$="/notebook"]').first().getAttribute('href');
});

after(() => stopAll(srv, browser));

// missing reads the editor's list of missing translations: the line of a language.
async function missing(page, language) {
  return (await page.locator('.nb-missing li').filter({ hasText: language }).first().textContent()).trim();
}

test('the organiser translates side by side, then publishes in French and Dutch', async () => {
  const page = org.page;
  await page.goto(`${srv.url}${editor}?lang=nl`);
  // The demo is in French and Dutch: the organisers translated its title, description and
  // themes where they wrote them, so the notebook lacks nothing in Dutch; the Dutch field
  // shows their text as a placeholder, to be overridden only if the notebook needs another.
  assert.match(await missing(page, 'Nederlands'), /Alles is vertaald in het Nederlands/);
  const nlForm = page.locator('section[aria-labelledby="nb-process-title"] form[lang="nl"]');
  assert.match(await nlForm.getByLabel('Titel').getAttribute('placeholder'), /^Staten-Generaal/);
  // English is optional and untranslated: translating the title there shortens its list.
  const english = await missing(page, 'Engels');
  const enBefore = Number(english.match(/Engels: (\d+) tekst/)[1]);
  await page.locator('section[aria-labelledby="nb-process-title"] details.nb-tr-optional summary').click();
  const enForm = page.locator('section[aria-labelledby="nb-process-title"] form[lang="en"]');
  await enForm.getByLabel('Titel').fill('Assizes on Housing and Social Work');
  await enForm.getByRole('button', { name: 'Opslaan' }).click();
  await page.locator('#nb-status').filter({ hasText: '✔' }).waitFor();
  assert.match(await missing(page, 'Engels'), new RegExp(`Engels: ${enBefore - 1} tekst`));

  // French and Dutch are ticked, French is the main language: publish as offered.
  const publish = page.locator('form[data-api$="/versions"]');
  let confirmed = '';
  assert.equal(await publish.locator('input[value="fr"]').isChecked(), true);
  assert.equal(await publish.locator('input[value="nl"]').isChecked(), true);
  assert.equal(await publish.locator('input[value="en"]').isChecked(), false);
  assert.equal(await publish.locator('select[name="main"]').inputValue(), 'fr');
  // The confirmation says what Dutch still lacks.
  page.once('dialog', (d) => {
    confirmed = d.message();
    d.accept();
  });
  await publish.getByRole('button', { name: 'Een nieuwe versie publiceren' }).click();
  await page.locator('#nb-status').filter({ hasText: 'Versie 1 gepubliceerd.' }).waitFor();
  // Nothing is missing in the languages published: the confirmation lists nothing to translate.
  assert.doesNotMatch(confirmed, /te vertalen/);
  assert.match(await page.locator('a[href$="/v/1"]').first().textContent(), /\(FR, NL\)/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await axe(page), []);
  await page.locator('.nb-edit-theme').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('notebook-editor-nl-1920.png') });
});

test('a Dutch-speaking reader gets the Dutch notebook and follow-up', async () => {
  const { context, page } = await newPage(browser, { ...PHONE, locale: 'nl-BE' });
  try {
    await page.goto(`${srv.url}/notebooks/${SLUG}`);
    assert.equal(await page.getAttribute('article.nb', 'lang'), 'nl');
    assert.match(await page.locator('h1.nb-title').textContent(), /^Staten-Generaal van Huisvesting/);
    assert.match(await page.locator('.nb-toc').textContent(), /Methode/);
    // Every text is Dutch: nothing is marked as French.
    assert.equal(await page.locator('article.nb .nb-fallback').count(), 0);
    assert.doesNotMatch(await page.locator('#t1-title').textContent(), /utilisateur/);
    assert.match(await page.locator('.nb-sessions').first().textContent(), /november/);
    const pdf = await page.locator('a[href$="/nl/notebook.pdf"]').count();
    const frPDF = await page.locator('a[href$="/fr/notebook.pdf"][hreflang="fr"]').count();
    assert.equal(pdf + frPDF, 2, 'links to the Dutch PDF and to the French one');
    const wide = await page.evaluate(() => document.scrollingElement.scrollWidth);
    assert.ok(wide <= 360, `the Dutch notebook is ${wide} px wide on a 360 px phone`);
    await page.screenshot({ path: screenshotPath('notebook-nl-360.png') });
    assert.deepEqual(await axe(page), []);
    // The site's switch gives French.
    await page.goto(`${srv.url}/notebooks/${SLUG}?lang=fr`);
    assert.equal(await page.getAttribute('article.nb', 'lang'), 'fr');
    assert.match(await page.locator('h1.nb-title').textContent(), /^Assises du Logement/);
    await page.goto(`${srv.url}/notebooks/${SLUG}/follow-up?lang=nl`);
    assert.match(await page.locator('h1').textContent(), /Opvolging van de aanbevelingen/);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

test('the editor reads on a 360 px phone', async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    await context.addCookies(await org.context.cookies());
    await page.goto(`${srv.url}${editor}?lang=nl`);
    await page.locator('.nb-tr-grid').first().waitFor();
    const wide = await page.evaluate(() => document.scrollingElement.scrollWidth);
    assert.ok(wide <= 360, `the editor is ${wide} px wide on a 360 px phone`);
    await page.locator('.nb-edit-theme').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('notebook-editor-nl-360.png') });
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});
