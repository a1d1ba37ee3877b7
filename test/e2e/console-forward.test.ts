// The console's Restream page in headless Chromium against the real server and a real target
// (node-media-server): add a target from the page, see it running from its input with frames, kbps and uptime;
// a target that refuses shows "retrying in N s" with the reason; disable and edit from the page; the log
// lines; the page in English and Chinese with no missing key and no console error. Screenshots go to
// .test-tmp/screenshots/forward-{en,zh}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { requireTool } from '../support.js';
import { launchBrowser } from './browser.js';
import { startNms, type Nms } from './nms.js';
import { freePort, probe, publish, randomName, startServer, summarize, waitFor, type Proc, type TestServer } from './helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
let server: TestServer;
let nms: Nms;
let browser: Browser;
let page: Page;
const procs: Proc[] = [];
const errors: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  nms = await startNms();
  const init = await server.api<{ token: string; expireAt: string }>('/terraform/v1/mgmt/init', { password: 'Forward-Horse-9' });
  assert.equal(init.status, 200, init.message);
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const session = JSON.stringify({ token: init.data.token, expireAt: init.data.expireAt });
  await ctx.addInitScript((s) => {
    if (!localStorage.getItem('srs-node.session')) localStorage.setItem('srs-node.session', s);
  }, session);
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // the browser logs the 400 the test provokes on purpose
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 400/.test(m.text())) errors.push(m.text());
  });
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close();
  await nms?.stop();
  await server?.close();
});

async function addTarget(p: Page, f: { label: string; server: string; secret: string; stream: string }): Promise<void> {
  await p.getByTestId('forward-add').click();
  await p.getByTestId('fw-label').fill(f.label);
  await p.getByTestId('fw-server').fill(f.server);
  await p.getByTestId('fw-secret').fill(f.secret);
  await p.getByTestId('fw-stream').fill(f.stream);
  await p.getByTestId('fw-save').click();
}

test('Restream page: add, running with stats, retrying with the reason, disable, edit, log, en and zh', { skip }, async () => {
  const input = randomName('cin');
  const ff = publish(server.publishUrl(input), { size: '320x240' });
  procs.push(ff);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === input && s.videoHeader), 15000, 'the input');
  await page.goto(`${server.http}/forward`);
  await page.getByTestId('forward-empty').waitFor();

  // a bad server URL is refused with the server's message, in the dialog
  await addTarget(page, { label: 'Bad', server: 'http://example.com/live', secret: 'k', stream: input });
  await page.getByTestId('fw-error').waitFor();
  assert.match(await page.getByTestId('fw-error').innerText(), /unsupported target/);
  await page.keyboard.press('Escape');

  const key = randomName('ck');
  await addTarget(page, { label: 'Node Media Server', server: `rtmp://127.0.0.1:${nms.rtmpPort}/live`, secret: key, stream: input });
  const rows = page.getByTestId('forward-targets');
  await rows.waitFor();
  const row = page.locator('tr', { hasText: 'Node Media Server' });
  await waitFor(async () => (await row.getByTestId('forward-state').textContent()) === 'running', 20000, 'running in the page').catch(async (e: Error) => {
    await page.screenshot({ path: join(shots, 'forward-failed.png'), fullPage: true });
    throw new Error(`${e.message}: ${await page.locator('body').innerText()}`);
  });
  await waitFor(async () => /^\d+ \/ [1-9]\d* \/ 00:00:\d\d$/.test(await row.getByTestId('forward-stats').innerText()), 15000, 'frames / kbps / uptime');
  assert.equal(await row.getByTestId('forward-input').innerText(), `from live/${input}`);
  assert.equal(summarize((await probe(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${key}`)).streams), 'aac, h264 320x240');

  const port = await freePort();
  await addTarget(page, { label: 'Nowhere', server: `rtmp://127.0.0.1:${port}/live`, secret: 'x', stream: input });
  const bad = page.locator('tr', { hasText: 'Nowhere' });
  await waitFor(async () => (await bad.getByTestId('forward-state').textContent()) === 'retrying', 20000, 'retrying in the page');
  assert.match(await bad.getByTestId('forward-retry').innerText(), /^retrying in \d+ s$/);
  assert.match(await bad.getByTestId('forward-reason').innerText(), /^refused: .*ECONNREFUSED/);
  await page.screenshot({ path: join(shots, 'forward-en.png'), fullPage: true });

  // the log lines of the target
  await row.getByTestId('forward-log').click();
  await waitFor(async () => /forwarding live\//.test(await page.getByTestId('forward-log-lines').innerText()), 5000, 'log lines');
  await page.keyboard.press('Escape');

  // disable from the list: stopped
  await bad.getByTestId('forward-enabled').click({ force: true });
  await waitFor(async () => (await bad.getByTestId('forward-state').textContent()) === 'stopped', 10000, 'stopped');
  const stored = (await server.api<Record<string, { enabled: boolean; label: string }>>('/terraform/v1/ffmpeg/forward/secret')).data;
  assert.equal(Object.values(stored).find((c) => c.label === 'Nowhere')?.enabled, false);

  // edit: a new name, and it keeps running
  await row.getByTestId('forward-edit').click();
  await page.getByTestId('fw-label').fill('NMS renamed');
  await page.getByTestId('fw-save').click();
  const renamed = page.locator('tr', { hasText: 'NMS renamed' });
  await waitFor(async () => (await renamed.getByTestId('forward-state').textContent()) === 'running', 20000, 'running after the edit');

  // Chinese
  await page.getByTestId('lang').getByText('中文').click();
  await waitFor(async () => (await renamed.getByTestId('forward-state').textContent()) === '转播中', 5000, 'zh state');
  assert.equal(await bad.getByTestId('forward-state').textContent(), '已停止');
  await page.getByTestId('nav-forward').waitFor();
  assert.equal(await page.getByTestId('nav-forward').innerText(), '多平台转播');
  await page.screenshot({ path: join(shots, 'forward-zh.png'), fullPage: true });
  const missing = await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []);
  assert.deepEqual(missing, []);
  // a phone-sized window: the page still works
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByTestId('forward-add').waitFor();
  assert.deepEqual(errors, []);
});
