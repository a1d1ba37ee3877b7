// Real players in headless Chromium: hls.js plays the HLS output and mpegts.js plays the HTTP-FLV output;
// each <video>'s currentTime must advance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { launchBrowser, pageServer } from './browser.js';

let server: TestServer;
let publisher: Proc;
let browser: Browser;
let pages: { url: string; server: Server };
const name = randomName('play');

const hlsPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/hls.min.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const src = new URLSearchParams(location.search).get('src');
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
  hls.loadSource(src);
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`;

const flvPage = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/mpegts.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const src = new URLSearchParams(location.search).get('src');
  const p = mpegts.createPlayer({ type: 'flv', isLive: true, url: src });
  p.on(mpegts.Events.ERROR, (t, d) => window.errors.push(t + ':' + d));
  p.attachMediaElement(v);
  p.load();
  v.play().catch(() => {});
</script>`;

before(async () => {
  server = await startServer();
  publisher = publish(server.publishUrl(name));
  pages = await pageServer({ '/hls.html': hlsPage, '/flv.html': flvPage });
  browser = await launchBrowser();
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 60), 20000, 'publish');
});

after(async () => {
  publisher?.kill();
  await browser?.close();
  pages?.server.close();
  await server?.close();
});

async function playAndWatch(path: string, src: string): Promise<void> {
  const page = await browser.newPage();
  try {
    await page.goto(`${pages.url}${path}?src=${encodeURIComponent(src)}`);
    const t0 = await waitFor(async () => {
      const t = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
      return t > 0.5 ? t : 0;
    }, 30000, `${path} to start playing`);
    await new Promise((r) => setTimeout(r, 3000));
    const t1 = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
    assert.ok(t1 - t0 > 1.5, `${path}: currentTime went from ${t0} to ${t1}`);
    const size = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      return [v.videoWidth, v.videoHeight];
    });
    assert.deepEqual(size, [320, 240]);
    const errors = await page.evaluate(() => (window as unknown as { errors: string[] }).errors);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
}

test('hls.js plays the HLS output in Chromium', async () => {
  await waitFor(async () => (await fetch(`${server.http}/live/${name}.m3u8`)).ok, 15000, 'HLS playlist');
  await playAndWatch('/hls.html', `${server.http}/live/${name}.m3u8`);
});

test('mpegts.js plays the HTTP-FLV output in Chromium', async () => {
  await playAndWatch('/flv.html', `${server.http}/live/${name}.flv`);
});
