// The console's Transcode page in headless Chromium against the real server and a real FFmpeg: add a per-stream
// ladder of two renditions from the page, watch it run (state, FFmpeg progress, renditions, the ABR link that
// plays), disable and enable it, break it with an unknown encoder (the reason shows), remove it; the global SRS
// Stack task from its form; the page in Chinese. Screenshots go to .test-tmp/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { StreamTranscodeView } from '../../src/control/jobs/transcode/transcoder.js';
import { requireTool } from '../support.js';
import { launchBrowser } from './browser.js';
import { publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';

const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
const PASSWORD = 'Correct-Horse-9';

let server: TestServer;
let browser: Browser;
let page: Page;
const procs: Proc[] = [];
const errors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  assert.equal((await server.api('/terraform/v1/mgmt/init', { password: PASSWORD })).status, 200);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.http}/login`);
  await page.getByTestId('password').fill(PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/dashboard$/);
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close();
  await server?.close();
});

async function listed(): Promise<StreamTranscodeView[]> {
  return (await server.api<StreamTranscodeView[]>('/terraform/v1/ffmpeg/transcode/streams/list')).data;
}

test('the transcode page: add a two-rendition ladder, see it run with progress and the ABR link, disable, break, remove', { skip: requireTool('ffmpeg') }, async () => {
  const name = randomName('ctc');
  procs.push(publish(server.publishUrl(name)));
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.frames > 30), 20000, 'the publish');
  await page.goto(`${server.http}/transcode`);
  await page.getByTestId('tc-none').waitFor();
  await page.getByTestId('tc-add').click();
  await page.getByTestId('tc-stream').fill(`live/${name}`);
  const p0 = page.getByTestId('tc-profile-0');
  await p0.getByTestId('tc-p-name').fill('240p');
  await p0.getByTestId('tc-p-size').fill('240');
  await p0.getByTestId('tc-p-vbitrate').fill('300');
  await p0.getByTestId('tc-p-achannels').fill('1');
  const p1 = page.getByTestId('tc-profile-1');
  await p1.getByTestId('tc-p-name').fill('120p');
  await p1.getByTestId('tc-p-size').fill('160x120');
  await p1.getByTestId('tc-p-vbitrate').fill('120');
  await shot('transcode-add-en');
  await page.getByTestId('tc-save').click();
  const row = page.getByTestId(`tc-row-live/${name}`);
  await row.waitFor({ timeout: 10000 });
  await waitFor(async () => /running/i.test(await row.getByTestId('tc-state').innerText()), 40000, 'state running in the row').catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify(await listed())}`);
  });
  await waitFor(async () => /fps=\d/.test(await row.getByTestId('tc-progress').innerText()), 20000, 'progress in the row');
  await waitFor(async () => /320x240 \d+ kbps/.test(await row.innerText()) && /160x120 \d+ kbps/.test(await row.innerText()), 20000, 'the renditions measured');
  const abr = await row.getByTestId('tc-abr').getAttribute('href');
  assert.equal(abr, `/live/${name}_abr.m3u8`);
  const master = await waitFor(async () => {
    const r = await fetch(`${server.http}${abr}`);
    return r.ok ? r.text() : null;
  }, 20000, 'the ABR playlist');
  assert.match(master, /RESOLUTION=320x240/);
  assert.match(master, /RESOLUTION=160x120/);
  const [v] = await listed();
  assert.deepEqual(v!.profiles.map((p) => [p.name, p.size, p.vbitrate, p.achannels]), [['240p', '240', 300, 1], ['120p', '160x120', 120, 0]]);
  await shot('transcode-running-en');

  await row.getByTestId('tc-show-log').click();
  await waitFor(async () => /FFmpeg started/.test(await page.getByRole('dialog').getByTestId('tc-log').innerText()), 5000, 'the log in the dialog');
  await shot('transcode-log-en');
  await page.keyboard.press('Escape');

  await row.getByTestId('tc-toggle').click();
  await waitFor(async () => /stopped/i.test(await row.getByTestId('tc-state').innerText()), 15000, 'stopped after disable');
  assert.equal((await listed())[0]!.enabled, false);

  // An encoder FFmpeg does not have: the row shows the task failed, with FFmpeg's words and what to fix.
  await row.getByTestId('tc-edit').click();
  await page.getByTestId('tc-profile-0').getByTestId('tc-p-vcodec').fill('libnosuch');
  await page.getByTestId('tc-save').click();
  await row.getByTestId('tc-toggle').click();
  await waitFor(async () => /failed/i.test(await row.getByTestId('tc-state').innerText()), 30000, 'failed with a bad encoder');
  assert.match(await row.getByTestId('tc-reason').innerText(), /Unknown encoder 'libnosuch'.*ffmpeg -encoders/);
  await shot('transcode-failed-en');

  // A bad request answers with the server's message in the page.
  await page.getByTestId('tc-add').click();
  await page.getByTestId('tc-stream').fill('not a stream');
  await page.getByTestId('tc-save').click();
  await waitFor(async () => /app\/stream/.test(await page.getByTestId('tc-msg').innerText()), 5000, 'the error message');
  await page.keyboard.press('Escape');

  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('tc-remove').click();
  await page.getByTestId('tc-none').waitFor({ timeout: 10000 });
  assert.equal((await listed()).length, 0);
});

test('the global SRS Stack transcode from its form, and the page in Chinese', { skip: requireTool('ffmpeg') }, async () => {
  const name = randomName('cglob');
  procs.push(publish(server.publishUrl(name)));
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.frames > 30), 20000, 'the publish');
  await page.goto(`${server.http}/transcode`);
  await page.getByTestId('tc-g-server').fill(`${server.rtmp}/live/`);
  await page.getByTestId('tc-g-secret').fill(`${name}-trans?secret=${server.secret}`);
  await page.getByTestId('tc-global-save').click();
  await page.getByTestId('tc-global-on').click({ force: true });
  await waitFor(async () => (await page.getByTestId('tc-global-input').innerText()) === `live/${name}`, 40000, 'the global input');
  await waitFor(async () => /fps=\d/.test(await page.getByTestId('tc-global').getByTestId('tc-progress').innerText()), 20000, 'global progress');
  const q = (await server.api<{ all: boolean; server: string; vcodec: string }>('/terraform/v1/ffmpeg/transcode/query')).data;
  assert.deepEqual([q.all, q.server, q.vcodec], [true, `${server.rtmp}/live/`, 'libx264']);
  await shot('transcode-global-en');
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'zh'));
  await page.reload();
  await page.getByTestId('tc-global').waitFor();
  assert.match(await page.locator('h3').first().innerText(), /转码/);
  assert.deepEqual(await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []), []);
  await waitFor(async () => /运行中/.test(await page.getByTestId('tc-global').getByTestId('tc-state').innerText()), 10000, 'the state in Chinese');
  await shot('transcode-global-zh');
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'en'));
  await page.reload();
  await page.getByTestId('tc-global-on').click({ force: true });
  await waitFor(async () => !(await server.api<{ all: boolean }>('/terraform/v1/ffmpeg/transcode/query')).data.all, 5000, 'the global task off');
  assert.deepEqual(errors, []);
});
