// Drives Debian's chromium for the C++ page tests (web_pages_test.cc): one
// JSON command per line on stdin, one JSON answer per line on stdout. The
// test decides everything; this only operates the browser.
//
//   {"op":"open","page":"d","url":"http://127.0.0.1:PORT/link?code=..."}
//   {"op":"goto","page":"d","url":"..."}
//   {"op":"eval","page":"d","js":"document.title"}          -> {"ok":true,"value":...}
//   {"op":"wait","page":"d","js":"<expression>","timeout":20000}
//   {"op":"click","page":"d","selector":"#pause"}
//   {"op":"type","page":"d","selector":"#cue-text","text":"Slower"}
//   {"op":"screenshot","page":"d","path":"/tmp/x.png"}
//   {"op":"quit"}
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const puppeteer = require('puppeteer-core');

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'coachd-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Over a pipe, not a socket: chromium ends when this driver ends, even
    // by SIGKILL (the driver dies with the test: PR_SET_PDEATHSIG).
    pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--user-data-dir=' + profile],
  });
  const pages = new Map();
  const page = (name) => {
    const p = pages.get(name);
    if (!p) throw new Error('no page ' + name);
    return p;
  };
  const ops = {
    async open(c) {
      const context = await browser.createBrowserContext();  // own cookies
      const p = await context.newPage();
      await p.setViewport({ width: c.width || 1280, height: c.height || 800 });
      p.on('console', (m) => process.stderr.write(`[${c.page}] ${m.text()}\n`));
      pages.set(c.page, p);
      await p.goto(c.url, { waitUntil: 'domcontentloaded' });
      return p.url();
    },
    async goto(c) {
      await page(c.page).goto(c.url, { waitUntil: 'domcontentloaded' });
      return page(c.page).url();
    },
    async eval(c) { return page(c.page).evaluate(c.js); },
    async wait(c) {
      await page(c.page).waitForFunction(c.js, { timeout: c.timeout || 20000, polling: 50 });
      return page(c.page).evaluate(c.js);
    },
    async click(c) { await page(c.page).click(c.selector); return true; },
    async type(c) { await page(c.page).type(c.selector, c.text); return true; },
    async screenshot(c) { await page(c.page).screenshot({ path: c.path }); return c.path; },
  };
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      const c = JSON.parse(line);
      if (c.op === 'quit') break;
      const value = await ops[c.op](c);
      answer = { ok: true, value: value === undefined ? null : value };
    } catch (e) {
      answer = { ok: false, error: String(e && e.message || e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
main().catch((e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1); });
