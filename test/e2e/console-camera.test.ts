// The console's IP camera page in headless Chromium against the real server and a real RTSP camera
// (GStreamer's RTSP server): add a camera with Digest credentials, see its probe (H.264 320x240, AAC) and
// state running with frames, play it in the page, read its logs, disable and enable it; a wrong password is
// said in the form; a camera that vanishes shows "retrying" with the reason. English and Chinese, 390 px.
// Screenshots go to .test-tmp/screenshots/camera-*.png.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CameraStream } from '../../src/control/jobs/camera/cameras.js';
import { requireTool } from '../support.js';
import { launchBrowser } from './browser.js';
import { startServer, waitFor, type TestServer } from './helpers.js';
import { startCamera, type TestCamera } from './rtsp-camera.js';

const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
const PASSWORD = 'Correct-Horse-9';

describe('console: IP cameras', { skip: requireTool('ffmpeg', 'rtsp-server') }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let cam: TestCamera;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(shots, { recursive: true });
    server = await startServer();
    cam = await startCamera({ user: 'admin', password: 'secret' });
    assert.equal((await server.api('/terraform/v1/mgmt/init', { password: PASSWORD })).status, 200);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // the failed probe (wrong password) is a 400 the test provokes
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${server.http}/login`);
    await page.getByTestId('password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.waitForURL(/\/dashboard$/);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await cam?.kill();
  });

  const shot = (name: string) => page.screenshot({ path: join(shots, `camera-${name}.png`), fullPage: true });
  const cameras = async () => (await server.api<CameraStream[]>('/terraform/v1/ffmpeg/camera/streams')).data;

  test('a wrong password is said in the form; the right one: probe, running, play, logs, disable, enable', async () => {
    await page.getByTestId('nav-cameras').click();
    await page.waitForURL(/\/cameras$/);
    await page.getByTestId('no-cameras').waitFor();
    await page.getByTestId('camera-add').click();
    await page.getByTestId('camera-label').fill('Front door');
    await page.getByTestId('camera-url').fill(cam.url('admin', 'wrong'));
    await page.getByTestId('camera-stream').fill('frontdoor');
    await page.getByTestId('camera-save').click();
    const err = page.getByTestId('camera-form-error');
    await err.waitFor({ timeout: 20000 });
    assert.match(await err.innerText(), /refused the user name and password \(401/);
    await shot('wrong-password-en');

    await page.getByTestId('camera-url').fill(cam.url());
    await page.getByTestId('camera-save').click();
    await page.getByTestId('cameras').waitFor({ timeout: 20000 });
    const c = (await cameras())[0]!;
    const row = page.getByTestId(`camera-${c.platform}`);
    assert.match(await row.getByTestId('camera-probe').innerText(), /H264 320x240 · AAC 48000 Hz 2 ch/);
    await waitFor(async () => /running/i.test(await row.getByTestId('camera-state').innerText()), 20000, 'running in the page').catch(async (e: Error) => {
      throw new Error(`${e.message}: ${await row.innerText()} ${JSON.stringify((await cameras())[0]?.task)}`);
    });
    await waitFor(async () => /\d+ frames/.test(await row.innerText()), 10000, 'frames in the row');
    assert.doesNotMatch(await row.innerText(), /secret@/, 'no password in the page');
    await shot('running-en');

    await row.getByTestId('camera-play').click();
    await waitFor(async () => page.evaluate(() => ((document.querySelector('[data-testid="video-flv"]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5), 30000, 'the camera plays in the page');
    await shot('play-en');
    await page.keyboard.press('Escape');

    await row.getByTestId('camera-logs').click();
    await waitFor(async () => /camera: transport tcp, video h264, audio aac/.test(await page.getByTestId('camera-log').innerText()), 5000, 'the log lines');
    assert.doesNotMatch(await page.getByTestId('camera-log').innerText(), /secret=/, 'no publish secret in the log');
    await page.waitForTimeout(500); // the modal's transition
    await shot('logs-en');
    await page.keyboard.press('Escape');

    await row.getByTestId('camera-enabled').click({ force: true });
    await waitFor(async () => /stopped/i.test(await row.getByTestId('camera-state').innerText()), 10000, 'stopped');
    assert.equal((await cameras())[0]!.enabled, false);
    await row.getByTestId('camera-enabled').click({ force: true });
    await waitFor(async () => /running/i.test(await row.getByTestId('camera-state').innerText()), 20000, 'running again');
  });

  test('the camera vanishes: retrying with the reason in the page; in Chinese and at 390 px', async () => {
    const c = (await cameras())[0]!;
    const row = page.getByTestId(`camera-${c.platform}`);
    await cam.kill();
    await waitFor(async () => /retrying in \d+ s: /.test(await row.innerText()), 30000, 'retrying in the page');
    assert.match(await row.getByTestId('camera-reason').innerText(), /closed the connection|connection refused/);
    await shot('retrying-en');
    await page.evaluate(() => localStorage.setItem('srs-node.lang', 'zh'));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('cameras').waitFor();
    assert.match(await page.locator('h3').first().innerText(), /摄像头/);
    assert.match(await row.getByTestId('camera-state').innerText(), /重试中|启动中/);
    const missing = await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []);
    assert.deepEqual(missing, []);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the screen`);
    await shot('retrying-zh-390');
    await page.evaluate(() => localStorage.setItem('srs-node.lang', 'en'));
    assert.deepEqual(errors, []);
  });
});
