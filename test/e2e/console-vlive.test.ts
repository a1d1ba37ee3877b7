// The virtual-live page in headless Chromium against the real server: upload a 10 s MP4 from the page (the
// progress bar, then the probe as SRS Stack shows it: h264 320x240, aac), output to a stream of ours, save;
// the task shows running, in-process MP4, with frames; the stream plays (ffprobe); the log opens; disable
// stops it; a server path outside the allowed directories shows the server's reason; the page in Chinese.
// Screenshots go to .test-tmp/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { requireTool } from '../support.js';
import { probe, randomName, startServer, summarize, tempDir, waitFor, type TestServer } from './helpers.js';
import { launchBrowser } from './browser.js';
import { makeMedia } from './vlive-helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
let server: TestServer;
let browser: Browser;
let page: Page;
let mp4 = '';
const errors: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  mp4 = join(tempDir('vlive-console-'), 'ten.mp4');
  await makeMedia(mp4, 10);
  server = await startServer();
  const init = (await (await fetch(`${server.http}/terraform/v1/mgmt/init`, { method: 'POST', body: JSON.stringify({ password: 'Correct-Horse-9' }) })).json()) as { data: { token: string; expireAt: string } };
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  await page.goto(`${server.http}/login`);
  await page.evaluate((s) => localStorage.setItem('srs-node.session', JSON.stringify(s)), { token: init.data.token, expireAt: init.data.expireAt });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('virtual live from the console: upload with progress, probe, a stream of ours, running, disable', { skip, timeout: 120000 }, async () => {
  await page.goto(`${server.http}/vlive`);
  await page.getByTestId('vlive-none').waitFor();
  await page.getByTestId('vlive-add').click();

  // a server path outside the allowed directories: the server's reason is shown
  await page.getByTestId('vlive-kind').getByText('File on the server').click();
  await page.getByTestId('vlive-path').fill('/etc/passwd');
  await page.getByTestId('vlive-use').click();
  await waitFor(async () => /refused|must end in/.test(await page.getByTestId('vlive-error').innerText()), 10000, 'the refusal shown');

  // upload with progress
  await page.getByTestId('vlive-kind').getByText('Upload').click();
  await page.locator('input[type="file"]').setInputFiles(mp4);
  await page.getByTestId('vlive-label').fill('Ten seconds');
  await page.getByTestId('vlive-use').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('probe-video').waitFor({ timeout: 20000 });
  assert.match(await dialog.getByTestId('probe-video').innerText(), /h264 .*320x240/);
  assert.match(await dialog.getByTestId('probe-audio').innerText(), /aac .*44100 Hz 1ch/);
  const name = randomName('cv');
  await page.getByTestId('vlive-stream').fill(name);
  await shot('vlive-edit-en');
  await page.getByTestId('vlive-save').click();

  const card = page.locator('[data-testid^="vlive-vlive-"]').first();
  await waitFor(async () => /running/i.test(await card.getByTestId('vlive-state').innerText()), 20000, 'running').catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify((await server.api('/terraform/v1/ffmpeg/vlive/streams')).data)}`);
  });
  assert.match(await card.getByTestId('vlive-mode').innerText(), /MP4 in-process/i);
  assert.match(await card.getByTestId('vlive-output').innerText(), new RegExp(`/live/${name}\\?secret=\\*\\*\\*`));
  await waitFor(async () => /\d+ frames, [1-9]\d* kbps/.test(await card.getByTestId('vlive-stats').innerText()), 15000, 'frames and kbps');
  const info = await probe(`${server.http}/live/${name}.flv`);
  assert.match(summarize(info.streams), /aac, h264 320x240/);
  await card.getByTestId('vlive-logs').click();
  await waitFor(async () => /looping \(in-process mp4\)/.test(await card.getByTestId('vlive-log').innerText()), 5000, 'the log');
  await card.getByTestId('vlive-log').waitFor({ state: 'visible' });
  await page.waitForTimeout(500); // the log's opening animation
  await shot('vlive-running-en');

  // disable: stopped
  await card.getByTestId('vlive-toggle').click({ force: true });
  await waitFor(async () => /stopped/i.test(await card.getByTestId('vlive-state').innerText()), 15000, 'stopped');

  // in Chinese
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'zh'));
  await page.reload();
  await page.getByTestId('vlive-state').first().waitFor();
  assert.match(await page.locator('h3').first().innerText(), /虚拟直播/);
  assert.match(await card.getByTestId('vlive-state').innerText(), /已停止/);
  const missing = await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []);
  assert.deepEqual(missing, []);
  await shot('vlive-zh');
  // usable on a phone: nothing wider than the screen
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a 390 px screen`);
  await shot('vlive-zh-390-task');
  assert.deepEqual(errors, []);
});
