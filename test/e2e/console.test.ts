// The admin console in headless Chromium against the real server: first run, login, the dashboard listing an
// ffmpeg stream, the built-in HLS/FLV/WHEP players, WHIP from the fake camera, copy buttons, wrong password,
// an expired token, recording from the page, every page in English and Chinese (no missing key), no console
// errors, every page usable at 390 px wide. Screenshots go to .test-tmp/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { launchBrowser } from './browser.js';
import { TestS3 } from './record-helpers.js';

const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
const PASSWORD = 'Correct-Horse-9';
const PAGES = ['dashboard', 'streaming', 'live-rooms', 'recording', 'forward', 'cameras', 'vlive', 'transcode', 'callbacks', 'https', 'settings', 'openapi'] as const;

let server: TestServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const procs: Proc[] = [];
/** console errors and page errors, per page URL */
const errors: string[] = [];

function watch(p: Page): Page {
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location().url;
    // The browser logs every non-2xx fetch; those the test provokes on purpose are allowed.
    if (/Failed to load resource/.test(m.text()) && /mgmt\/login|openapi\.json|\/api\/v1\/|\/terraform\/v1\//.test(where) && allowHttpErrors) return;
    errors.push(`${p.url()}: ${m.text()} (${where})`);
  });
  p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
  return p;
}
let allowHttpErrors = false;

async function shot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function videoTime(p: Page, testId: string): Promise<number> {
  return p.evaluate((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLVideoElement | null)?.currentTime ?? 0, testId);
}

async function assertPlays(p: Page, testId: string, what: string): Promise<void> {
  const t0 = await waitFor(async () => {
    const t = await videoTime(p, testId);
    return t > 0.3 ? t : 0;
  }, 30000, `${what} to start`).catch(async (e: Error) => {
    const state = await p.evaluate((id) => {
      const v = document.querySelector(`[data-testid="${id}"]`) as HTMLVideoElement | null;
      const alert = document.querySelector('[role="alert"]')?.textContent ?? '';
      return v ? `readyState ${v.readyState}, networkState ${v.networkState}, paused ${v.paused}, buffered ${v.buffered.length ? v.buffered.end(0) : 0}, alert "${alert}"` : 'no video';
    }, testId);
    throw new Error(`${e.message} (${state})`);
  });
  await new Promise((r) => setTimeout(r, 2500));
  const t1 = await videoTime(p, testId);
  assert.ok(t1 - t0 > 1, `${what}: currentTime went from ${t0} to ${t1}`);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  // Ports 0 (any free one): mgmt/envs reports the bound ports, which the console's URLs use.
  server = await startServer({ REPUBLISH_GRACE_MS: '500' });
  browser = await launchBrowser();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write', 'camera', 'microphone'], { origin: server.http });
  page = watch(await ctx.newPage());
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close();
  await server?.close();
});

test('first run: set the password with a strength hint, land on the dashboard', async () => {
  await page.goto(`${server.http}/`);
  await page.waitForURL(/\/setup$/);
  await page.getByTestId('new-password').fill('abc123');
  assert.match(await page.getByTestId('strength').innerText(), /weak/);
  await page.getByTestId('new-password').fill(PASSWORD);
  assert.match(await page.getByTestId('strength').innerText(), /good|strong/);
  await page.getByTestId('confirm-password').fill(PASSWORD);
  await shot(page, 'setup-en');
  await page.getByTestId('set-password').click();
  await page.waitForURL(/\/dashboard$/);
  await page.getByTestId('no-streams').waitFor();
  // the old SRS Stack link works too
  await page.goto(`${server.http}/mgmt/`);
  await page.waitForURL(/\/mgmt\/dashboard$/);
});

test('the dashboard lists an ffmpeg stream with its codec and size within 5 s, and drops it when it stops', async () => {
  const name = randomName('dash');
  await page.goto(`${server.http}/dashboard`);
  await page.getByTestId('no-streams').waitFor();
  const p = publish(server.publishUrl(name));
  procs.push(p);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.video), 20000, 'the publish');
  const t0 = Date.now();
  const row = page.getByTestId(`stream-live/${name}`);
  await row.waitFor({ timeout: 5000 });
  await waitFor(async () => /H264 320x240/.test(await row.innerText()), 5000 - (Date.now() - t0), 'codec and size in the row');
  assert.ok(Date.now() - t0 <= 5000, `listed after ${Date.now() - t0} ms`);
  assert.match(await row.innerText(), /AAC/);
  // the frame rate (from the SPS, else measured) and the frames dropped for slow viewers
  await waitFor(async () => /H264 320x240 (\d+(\.\d+)?)fps/.test(await row.innerText()), 10000, 'fps in the row');
  assert.equal(Number(/ (\d+(?:\.\d+)?)fps/.exec(await row.innerText())![1]), 25);
  assert.equal(await row.getByTestId('stream-drops').innerText(), '0');
  await shot(page, 'dashboard-en');
  p.kill();
  await row.waitFor({ state: 'detached', timeout: 15000 });
});

test('streaming page: copy buttons, HLS, HTTP-FLV and WHEP players play a stream', async () => {
  const name = randomName('play');
  const p = publish(server.publishUrl(name));
  procs.push(p);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 60), 20000, 'the publish');
  await page.goto(`${server.http}/streaming`);
  await page.getByTestId('stream-name').fill(name);
  await page.getByTestId('current-secret').waitFor();

  const envs = (await (await fetch(`${server.http}/terraform/v1/mgmt/envs`)).json()) as { data: Record<string, string> };
  assert.deepEqual(
    [envs.data.rtmpPort, envs.data.httpPort, envs.data.srtPort, envs.data.rtcPort],
    [server.app.rtmpPort, server.app.httpPort, server.app.srtPort, server.app.rtcPort].map(String),
    'mgmt/envs reports the bound ports',
  );
  // copy buttons put the exact URL, with the publish secret, on the clipboard
  const rtmp = `rtmp://127.0.0.1:${server.app.rtmpPort}/live/${name}?secret=${server.secret}`;
  await page.getByTestId('copy-rtmp-publish').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), rtmp);
  await page.getByTestId('copy-obs-key').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${name}?secret=${server.secret}`);
  await page.getByTestId('tab-srt').click();
  await page.getByTestId('copy-srt-publish').click();
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    `srt://127.0.0.1:${server.app.srtPort}?streamid=#!::r=live/${name}?secret=${server.secret},m=publish`,
  );
  await page.getByTestId('copy-flv').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${server.http}/live/${name}.flv`);
  await page.getByTestId('tab-obs').click();
  await page.getByTestId('qr').waitFor();

  await waitFor(async () => (await fetch(`${server.http}/live/${name}.m3u8`)).ok, 15000, 'HLS playlist');
  await page.getByTestId('play-hls').click();
  await assertPlays(page, 'video-hls', 'HLS player');
  await page.getByTestId('play-hls').click();
  await page.getByTestId('play-flv').click();
  await assertPlays(page, 'video-flv', 'HTTP-FLV player');
  await page.getByTestId('play-flv').click();
  await page.getByTestId('play-whep').click();
  const frames = async () =>
    page.evaluate(() => {
      const v = document.querySelector('[data-testid="video-whep"]') as HTMLVideoElement | null;
      return v ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
    });
  const f0 = await waitFor(async () => ((await frames()) > 5 ? frames() : 0), 30000, 'WHEP frames');
  await new Promise((r) => setTimeout(r, 2000));
  const f1 = await frames();
  assert.ok(f1 - f0 > 10, `WHEP decoded ${f0} then ${f1} frames`);
  assert.equal(await page.evaluate(() => (document.querySelector('[data-testid="video-whep"]') as HTMLVideoElement).videoWidth), 320);
  await shot(page, 'streaming-playing-en');
  await page.getByTestId('play-whep').click();
  p.kill();
});

test('WHIP from the page publishes the fake camera and the stream appears on the dashboard', async () => {
  const name = randomName('whip');
  await page.goto(`${server.http}/streaming`);
  await page.getByTestId('stream-name').fill(name);
  await page.getByTestId('current-secret').waitFor();
  await page.getByTestId('tab-whip').click();
  await page.getByTestId('copy-whip').click();
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    `${server.http}/rtc/v1/whip/?app=live&stream=${name}&secret=${server.secret}`,
  );
  await page.getByTestId('whip-start').click();
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.video), 30000, 'the WHIP publish');
  await shot(page, 'streaming-whip-en');
  const dash = watch(await ctx.newPage());
  await dash.goto(`${server.http}/dashboard`);
  await dash.getByTestId(`stream-live/${name}`).waitFor({ timeout: 10000 });
  assert.match(await dash.getByTestId(`stream-live/${name}`).innerText(), /H264/);
  await dash.close();
  await page.getByTestId('whip-stop').click();
  await waitFor(() => !server.app.hub.list().find((s) => s.url.stream === name && s.active), 15000, 'the WHIP publish to end');
});

test('recording from the page: turn on, publish, the recording appears, ends and plays in the page', async () => {
  const name = randomName('rec');
  await page.goto(`${server.http}/recording`);
  await page.getByTestId('no-files').waitFor();
  await page.getByTestId('record-on').click({ force: true });
  await waitFor(async () => (await server.api<{ all: boolean }>('/terraform/v1/hooks/record/query')).data.all, 5000, 'recording on');
  const p = publish(server.publishUrl(name));
  procs.push(p);
  await page.getByTestId(`file-${name}`).first().waitFor({ timeout: 20000 });
  // Ending a live recording starts a new one (SRS Stack's behaviour): follow this recording by its uuid.
  const uuid = await page.getByTestId(`file-${name}`).first().getAttribute('data-uuid');
  assert.ok(uuid, 'the recording row names its uuid');
  const row = page.locator(`[data-uuid="${uuid}"]`);
  await waitFor(async () => /recording/i.test(await row.getByTestId('file-state').innerText()), 10000, 'state recording');
  await new Promise((r) => setTimeout(r, 4000));
  await shot(page, 'recording-live-en');
  // Play while it records: hls.js on the recording's HLS view (once it lists a segment).
  const m3u8 = `${server.http}/terraform/v1/hooks/record/hls/${uuid}/index.m3u8`;
  await waitFor(async () => (await (await fetch(m3u8)).text()).includes('#EXTINF:'), 20000, 'a segment in the HLS view');
  await row.getByTestId('file-play-live').click();
  await assertPlays(page, 'video-hls', 'the recording in progress');
  await shot(page, 'recording-play-live-en');
  await page.keyboard.press('Escape');
  await page.getByTestId('video-hls').waitFor({ state: 'detached' });
  await row.getByTestId('file-end').click();
  await waitFor(async () => /done/i.test(await row.getByTestId('file-state').innerText()), 20000, 'state done');
  p.kill();
  await row.getByTestId('file-play').click();
  await assertPlays(page, 'video-mp4', 'the recording');
  await shot(page, 'recording-play-en');
  // The finished one as HLS too.
  await page.getByTestId('play-as').getByText('HLS').click();
  await assertPlays(page, 'video-hls', 'the finished recording as HLS');
  await page.keyboard.press('Escape');
  await page.getByTestId('record-on').click({ force: true });
  await waitFor(async () => !(await server.api<{ all: boolean }>('/terraform/v1/hooks/record/query')).data.all, 5000, 'recording off');
});

test('recording page: "test connection" of the S3 settings shows success, a wrong bucket, an unreachable endpoint', async () => {
  const s3 = new TestS3('console-bucket');
  await s3.start();
  try {
    await page.goto(`${server.http}/recording`);
    const field = (label: string) => page.getByLabel(label, { exact: true });
    await page.getByTestId('post').getByText('S3').click();
    await field('Endpoint').fill(s3.endpoint);
    await field('Region').fill('us-east-1');
    await field('Bucket').fill(s3.bucket);
    await field('Access key').fill(s3.accessKey);
    await field('Secret key').fill(s3.secretKey);
    const result = page.getByTestId('s3-check-result');
    const check = async (kind: string) => {
      await page.getByTestId('s3-check').click();
      await waitFor(async () => (await result.count()) > 0 && (await result.getAttribute('data-kind')) === kind, 20000, `the check to answer ${kind}`)
        .catch(async (e: Error) => { throw new Error(`${e.message}: ${(await result.count()) ? await result.innerText() : 'no result'}`); });
      return result.innerText();
    };
    assert.match(await check('ok'), /The S3 settings work[\s\S]*written and deleted/);
    await shot(page, 'recording-s3-check-ok-en');
    await field('Bucket').fill('no-such-bucket');
    assert.match(await check('no-bucket'), /No such bucket[\s\S]*no-such-bucket/);
    await shot(page, 'recording-s3-check-bucket-en');
    await field('Bucket').fill(s3.bucket);
    await field('Endpoint').fill(`http://127.0.0.1:${await freePort()}`);
    assert.match(await check('unreachable'), /cannot be reached[\s\S]*cannot reach/);
    await shot(page, 'recording-s3-check-unreachable-en');
    // Nothing was saved by testing.
    assert.equal((await server.api<{ postProcess: string }>('/terraform/v1/hooks/record/query')).data.postProcess, 'none');
  } finally {
    await s3.stop();
  }
});

test('every page renders in English and Chinese without a missing key, usable at 390 px, with no console errors', async () => {
  for (const lang of ['en', 'zh'] as const) {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      for (const name of PAGES) {
        await page.goto(`${server.http}/${name}`);
        await page.evaluate((l) => localStorage.setItem('srs-node.lang', l), lang);
        await page.reload();
        await page.waitForLoadState('networkidle');
        await page.locator('h3').first().waitFor();
        const missing = await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []);
        assert.deepEqual(missing, [], `${lang} ${name}: missing keys`);
        if (lang === 'zh') {
          const title = await page.locator('h3').first().innerText();
          assert.match(title, /[\u4e00-\u9fff]|OpenAPI/, `${name} title in Chinese: ${title}`);
        }
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${lang} ${name} at ${width}px: the page is ${overflow}px wider than the screen`);
        await shot(page, `${name}-${lang}-${width}`);
      }
      // the navigation opens from the burger on a phone
      if (width === 390) {
        await page.getByRole('button', { name: lang === 'zh' ? '菜单' : 'Menu' }).click();
        await page.getByTestId('nav-settings').click();
        await page.waitForURL(/\/settings$/);
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'en'));
  // the pages before login, in Chinese
  const fresh = watch(await browser.newPage({ locale: 'zh-CN', viewport: { width: 390, height: 844 } }));
  await fresh.goto(`${server.http}/login`);
  await fresh.getByTestId('login').waitFor();
  assert.match(await fresh.getByTestId('login').innerText(), /登录/);
  assert.deepEqual(await fresh.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []), []);
  await shot(fresh, 'login-zh-390');
  await fresh.close();
  assert.deepEqual(errors, []);
});

test('OpenAPI page: the bearer secret is hidden until asked; try-it calls answer', async () => {
  await page.goto(`${server.http}/openapi`);
  assert.equal(await page.getByText(server.bearer).count(), 0);
  await page.getByTestId('show-bearer').click();
  assert.equal(await page.getByTestId('bearer').innerText(), server.bearer);
  await page.getByTestId('try-/api/v1/summaries').click();
  await waitFor(async () => /"ok": true/.test(await page.getByTestId('try-out').first().innerText()), 5000, 'try-it output');
});

test('the embeddable player fills its frame and plays muted', async () => {
  const name = randomName('embed');
  const p = publish(server.publishUrl(name));
  procs.push(p);
  await waitFor(async () => (await fetch(`${server.http}/live/${name}.m3u8`)).ok, 20000, 'HLS playlist');
  const e = watch(await browser.newPage({ viewport: { width: 640, height: 360 } }));
  await e.goto(`${server.http}/players/?app=live&stream=${name}&type=flv`);
  await assertPlays(e, 'video-flv', 'the embedded FLV player');
  const box = await e.getByTestId('video-flv').boundingBox();
  assert.deepEqual([box?.width, box?.height], [640, 360]);
  assert.equal(await e.evaluate(() => (document.querySelector('video') as HTMLVideoElement).muted), true);
  await shot(e, 'player-embed');
  await e.close();
  p.kill();
});

test('wrong password shows the server message; an expired token sends you to login', async () => {
  allowHttpErrors = true;
  try {
    await page.goto(`${server.http}/dashboard`);
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.getByTestId('password').fill('not-the-password');
    await page.getByTestId('login').click();
    await page.getByTestId('login-error').waitFor({ timeout: 10000 });
    assert.match(await page.getByTestId('login-error').innerText(), /wrong password/);
    await shot(page, 'login-wrong-en');
    await page.getByTestId('password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.waitForURL(/\/dashboard$/);

    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ v: '1.0', nonce: '00' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(server.bearer));
    await page.evaluate((token) => localStorage.setItem('srs-node.session', JSON.stringify({ token, expireAt: '' })), expired);
    await page.goto(`${server.http}/streaming`);
    await page.waitForURL(/\/login$/, { timeout: 10000 });
    await page.getByTestId('expired').waitFor();
    await shot(page, 'login-expired-en');
  } finally {
    allowHttpErrors = false;
  }
});

test('password change in Settings: a wrong current password is refused; after logout the old one is refused, the new one works', async () => {
  const NEW = 'Battery-Staple-7';
  allowHttpErrors = true;
  try {
    // the API: a token is needed, the current password is checked, malformed bodies are refused
    const anon = await fetch(`${server.http}/terraform/v1/mgmt/password`, { method: 'POST', body: JSON.stringify({ oldPassword: PASSWORD, password: NEW }) });
    assert.equal(anon.status, 401);
    const bad = await fetch(`${server.http}/terraform/v1/mgmt/password`, {
      method: 'POST', headers: { Authorization: `Bearer ${server.bearer}` }, body: '{"oldPassword":',
    });
    assert.equal(bad.status, 400);
    const noOld = await fetch(`${server.http}/terraform/v1/mgmt/password`, {
      method: 'POST', headers: { Authorization: `Bearer ${server.bearer}` }, body: JSON.stringify({ password: NEW }),
    });
    assert.equal(noOld.status, 400);

    // the test before left an expired session: log in
    await page.goto(`${server.http}/login`);
    await page.getByTestId('password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.waitForURL(/\/dashboard$/);
    await page.goto(`${server.http}/settings`);
    await page.getByTestId('old-password').fill('not-the-password');
    await page.getByTestId('change-password-new').fill(NEW);
    await page.getByTestId('change-password-confirm').fill(NEW);
    await page.getByTestId('change-password').click();
    await page.getByTestId('password-msg').waitFor({ timeout: 10000 });
    assert.match(await page.getByTestId('password-msg').innerText(), /current password is wrong/);
    assert.match(page.url(), /\/settings$/, 'a wrong current password does not end the session');
    await page.getByTestId('old-password').fill(PASSWORD);
    await page.getByTestId('change-password').click();
    await waitFor(async () => /password is changed/.test(await page.getByTestId('password-msg').innerText()), 10000, 'the change');
    await shot(page, 'settings-password-en');
    // the session that changed it stays valid (tokens are signed with the API secret)
    await page.goto(`${server.http}/dashboard`);
    await page.getByTestId('logout').waitFor();
    assert.match(page.url(), /\/dashboard$/);

    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.getByTestId('password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.getByTestId('login-error').waitFor({ timeout: 10000 });
    assert.match(await page.getByTestId('login-error').innerText(), /wrong password/);
    await page.getByTestId('password').fill(NEW);
    await page.getByTestId('login').click();
    await page.waitForURL(/\/dashboard$/);
  } finally {
    allowHttpErrors = false;
  }
});

test('callbacks page: "send a test" posts a sample on_publish to the target and shows the answer', async () => {
  const got: Array<Record<string, unknown>> = [];
  let answer = '{"code":0}';
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(answer);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  allowHttpErrors = true;
  try {
    // no target yet: the API says what to do
    const none = await server.api('/terraform/v1/mgmt/hooks/test', {});
    assert.equal(none.status, 400);
    assert.match(none.message ?? '', /no callback target is set/);
    await page.goto(`${server.http}/callbacks`);
    await page.getByTestId('hooks-target').fill(`http://127.0.0.1:${port}/hooks`);
    await page.getByTestId('hooks-opaque').fill('my-opaque');
    await page.getByTestId('hooks-save').click();
    await page.getByTestId('hooks-msg').waitFor();
    await page.getByTestId('hooks-test').click();
    const result = page.getByTestId('hooks-test-result');
    await result.waitFor({ timeout: 10000 });
    assert.match(await result.innerText(), /accepted the test callback \(HTTP 200\)/);
    assert.equal(got.length, 1, 'callbacks are off, yet the test is sent');
    assert.equal(got[0]!.action, 'on_publish');
    assert.equal(got[0]!.opaque, 'my-opaque');
    assert.equal(got[0]!.stream, 'test');
    assert.equal(got[0]!.test, 'true');
    // the last request/response card shows it too, as after a real callback
    await waitFor(async () => /"test": "true"/.test(await page.getByTestId('hooks-req').innerText()), 5000, 'last request');
    assert.match(await page.getByTestId('hooks-res').innerText(), /"code": 0/);
    await shot(page, 'callbacks-test-en');

    answer = '{"code":1,"msg":"no"}';
    await page.getByTestId('hooks-test').click();
    await waitFor(async () => /failed: it answered code 1/.test(await result.innerText()), 10000, 'refused test');
    assert.match(await page.getByTestId('hooks-test-response').innerText(), /"msg": "no"/);

    await new Promise<void>((r) => receiver.close(() => r()));
    await page.getByTestId('hooks-test').click();
    await waitFor(async () => /failed: .*ECONNREFUSED/.test(await result.innerText()), 10000, 'unreachable receiver');
    assert.equal(got.length, 2);
  } finally {
    allowHttpErrors = false;
    receiver.close();
  }
});
