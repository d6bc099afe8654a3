// Drives Debian's chromium through puppeteer-core over the dashboard
// (tests/browser/test_dashboard.sh starts keyprojd on the demo ledger):
// each page is loaded at a phone's width, every request leaving
// 127.0.0.1:PORT is refused and counted, console errors and page errors are
// counted, a screenshot is kept; prints one JSON object of what it saw.
// argv: puppeteer-core's directory, base URL, screenshot directory, pages (JSON).
const [modDir, base, shots, pagesJson] = process.argv.slice(2);
const puppeteer = require(modDir + '/node_modules/puppeteer-core');
const pages = JSON.parse(pagesJson);

(async () => {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
           '--disable-background-networking', '--disable-component-update'],
  });
  const origin = new URL(base).origin;
  const out = {};
  for (const p of pages) {
    const page = await browser.newPage();
    const seen = { errors: [], outside: [], dialogs: 0 };
    await page.setViewport(p.screen ? { width: 1920, height: 1080 } : { width: 390, height: 844 });
    await page.setRequestInterception(true);
    page.on('request', r => {
      const u = r.url();
      if (u.startsWith(origin + '/') || u.startsWith('data:')) r.continue();
      else { seen.outside.push(u); r.abort(); }
    });
    page.on('console', m => { if (m.type() === 'error') seen.errors.push(m.text()); });
    page.on('pageerror', e => seen.errors.push(String(e)));
    page.on('requestfailed', r => { if (!seen.outside.includes(r.url())) seen.errors.push('failed: ' + r.url()); });
    page.on('dialog', d => { seen.dialogs++; d.dismiss(); });
    const resp = await page.goto(base + p.path, { waitUntil: 'load' });
    const got = await page.evaluate(() => {
      const num = s => Number(String(s).replace(/[%,\s]/g, ''));
      const rows = by => {
        const o = {};
        document.querySelectorAll(`table[data-by="${by}"] tr[data-row]`).forEach(tr => {
          const r = {};
          tr.querySelectorAll('[data-k]').forEach(td => { r[td.dataset.k] = num(td.textContent); });
          o[tr.dataset.row] = r;
        });
        return o;
      };
      const kpis = {};
      document.querySelectorAll('#kpis [data-k] b').forEach(b => {
        kpis[b.parentElement.dataset.k] = num(b.textContent);
      });
      return {
        title: document.title,
        h1: (document.querySelector('h1') || {}).textContent || '',
        scripts: document.querySelectorAll('script').length,
        scrollWidth: document.documentElement.scrollWidth,
        scrollHeight: document.documentElement.scrollHeight,
        county: rows('county'), sector: rows('sector'), kpis,
        stylesheets: document.styleSheets.length,
      };
    });
    await page.screenshot({ path: `${shots}/${p.name}.png`, fullPage: !p.screen });
    out[p.name] = Object.assign(got, seen, { status: resp.status() });
    await page.close();
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(2); });
