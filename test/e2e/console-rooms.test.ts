// The live-room pages of the console in headless Chromium against the real server: the room list, creating a
// room, its page (publish URLs with the room's secret, the player playing an ffmpeg publish, viewers, the share
// link), the public room page /rooms/<uuid> in a browser with no login (title and player only: it plays, and
// neither the page nor anything it loaded holds the secret or the room token), a room with play tokens on (the
// public page plays with the share link's token, not without), minting a play token, and removing the room
// (its publisher is kicked). English and Chinese. Screenshots go to .test-tmp/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { publish, startServer, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { launchBrowser } from './browser.js';

const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
const PASSWORD = 'Rooms-Horse-9';

let server: TestServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const procs: Proc[] = [];
const errors: string[] = [];

async function shot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function plays(p: Page, testId: string, what: string): Promise<void> {
  const time = () => p.evaluate((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLVideoElement | null)?.currentTime ?? 0, testId);
  const t0 = await waitFor(async () => ((await time()) > 0.3 ? time() : 0), 40000, `${what} to start`);
  await new Promise((r) => setTimeout(r, 2500));
  const t1 = await time();
  assert.ok(t1 - t0 > 1, `${what}: currentTime went from ${t0} to ${t1}`);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  const init = await fetch(`${server.http}/terraform/v1/mgmt/init`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
  const login = ((await init.json()) as { data: { token: string; expireAt: string } }).data;
  assert.ok(login?.token, 'mgmt/init gave a login token');
  browser = await launchBrowser();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.http });
  await ctx.addInitScript((s) => {
    if (!localStorage.getItem('srs-node.session')) localStorage.setItem('srs-node.session', s);
  }, JSON.stringify({ token: login.token, expireAt: login.expireAt }));
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close();
  await server?.close();
});

test('rooms: list, create, the room page plays the room stream, public page with no secret, play tokens, remove', { timeout: 240_000 }, async (t) => {
  await page.goto(`${server.http}/live-rooms`);
  await page.getByTestId('no-rooms').waitFor();
  await shot(page, 'rooms-empty-en');

  // Create: the room page opens.
  await page.getByTestId('room-title').fill('Friday show');
  await page.getByTestId('room-create').click();
  await page.waitForURL(/\/live-rooms\/[0-9a-f-]{36}$/);
  const uuid = page.url().split('/').pop()!;
  const room = (await server.api<{ uuid: string; stream: string; secret: string; roomToken: string }>('/terraform/v1/live/room/query', { uuid })).data;
  assert.equal(await page.getByTestId('room-heading').innerText(), 'Friday show');
  const rtmp = `rtmp://127.0.0.1:${server.app.rtmpPort}/live/${room.stream}?secret=${room.secret}`;
  await waitFor(async () => (await page.getByTestId('room-rtmp').innerText()) === rtmp, 5000, 'the RTMP URL with the room secret');
  assert.equal(await page.getByTestId('room-obs-key').innerText(), `${room.stream}?secret=${room.secret}`);
  assert.match(await page.getByTestId('room-srt').innerText(), new RegExp(`r=live/${room.stream}\\?secret=${room.secret},m=publish`));
  await shot(page, 'room-offline-en');

  // Publish to the room with its secret: the page shows it live and plays it; its own player is a viewer.
  const p = publish(rtmp);
  procs.push(p);
  await page.getByTestId('room-live').filter({ hasText: 'live' }).waitFor({ timeout: 30000 });
  await waitFor(async () => (await page.getByTestId('room-live').innerText()) === 'LIVE' || (await page.getByTestId('room-live').innerText()).toLowerCase() === 'live', 30000, 'the live badge');
  await plays(page, 'video-hls', 'the room page player');
  await waitFor(async () => /^[1-9]\d* watching now$/.test(await page.getByTestId('room-viewers-now').innerText()), 15000, 'viewers on the room page');
  await shot(page, 'room-live-en');
  const share = await page.getByTestId('room-share').innerText();
  assert.equal(share, `${server.http}/rooms/${uuid}`);

  // The public page, in a browser with no login: title and player, nothing of the console, no secret.
  const anon = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const pub = await anon.newPage();
  const loaded: string[] = [];
  pub.on('response', (r) => {
    if (/\/terraform\/|\/rooms\//.test(r.url())) void r.text().then((x) => loaded.push(x), () => undefined);
  });
  await pub.goto(share);
  assert.equal(await pub.getByTestId('public-room-title').innerText(), 'Friday show');
  await plays(pub, 'video-hls', 'the public room page player');
  const html = await pub.content();
  for (const text of [html, ...loaded]) {
    assert.ok(!text.includes(room.secret), 'the public page holds no publish secret');
    assert.ok(!text.includes(room.roomToken), 'nor the room token');
  }
  assert.ok(loaded.length >= 1, 'the public page read the room');
  assert.equal(await pub.getByTestId('nav-dashboard').count(), 0, 'nothing of the console');
  assert.equal(await pub.getByTestId('logout').count(), 0);
  await shot(pub, 'room-public-en');
  t.diagnostic(`public page: ${loaded.length} API answers read, none with the secret`);

  // Play tokens on for the room: the share link carries one; without it the public page cannot play.
  await page.getByTestId('room-edit-playauth').check();
  await page.getByTestId('room-save').click();
  await page.getByTestId('room-msg').filter({ hasText: 'Saved' }).waitFor();
  await waitFor(async () => /\?token=ey/.test(await page.getByTestId('room-share').innerText()), 10000, 'a token in the share link');
  const tokenShare = await page.getByTestId('room-share').innerText();
  await plays(page, 'video-hls', 'the room page player with a token');
  await shot(page, 'room-playauth-en');
  await pub.goto(share);
  await pub.locator('[role="alert"]').waitFor({ timeout: 30000 });
  assert.match(await pub.locator('[role="alert"]').innerText(), /HLS/);
  await pub.goto(tokenShare);
  await plays(pub, 'video-hls', 'the public page with the share token');
  await anon.close();

  // The list shows the room with its viewers; the play-auth card mints a token.
  await page.goto(`${server.http}/live-rooms`);
  await page.getByTestId(`room-${uuid}`).waitFor();
  await page.getByTestId('mint-streams').fill(`/live/${room.stream}`);
  await page.getByTestId('mint').click();
  const minted = await page.getByTestId('minted-token').innerText();
  assert.match(minted, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  const flv = await fetch(`${server.http}/live/${room.stream}.flv?token=${minted}`);
  assert.equal(flv.status, 200, 'the console-minted token plays');
  await flv.body?.cancel();
  await shot(page, 'rooms-list-en');
  await page.getByTestId('lang').getByText('中文').click();
  await page.getByText('直播间').first().waitFor();
  await shot(page, 'rooms-list-zh');
  await page.goto(`${server.http}/live-rooms/${uuid}`);
  await page.getByTestId('room-heading').waitFor();
  await shot(page, 'room-zh');
  await page.getByTestId('lang').getByText('EN').click();

  // Remove: back to the list, the publisher is kicked.
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('room-remove').click();
  await page.waitForURL(/\/live-rooms$/);
  await withTimeout(p.exited, 20000, () => p.kill());
  await page.getByTestId('no-rooms').waitFor({ timeout: 10000 });
  assert.deepEqual(errors, []);
});

test('a room page for a room that does not exist says so; the public page too', async () => {
  await page.goto(`${server.http}/live-rooms/00000000-0000-4000-8000-000000000000`);
  await page.getByTestId('room-missing').waitFor();
  const anon = await browser.newPage();
  await anon.goto(`${server.http}/rooms/00000000-0000-4000-8000-000000000000`);
  await anon.getByTestId('public-room-error').waitFor();
  await anon.close();
});
