// SRS Stack's HLS settings take effect live: mgmt/hlsll (10 s fragments and a 60 s window; 2 s and 16 s with
// low latency) and mgmt/hphls (noHlsCtx: plain, cacheable playlists; otherwise per-viewer hls_ctx sessions,
// each a viewer in /api/v1/clients until it stops asking). hls.js plays in both modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMediaPlaylist } from '../../src/codecs/m3u8.js';
import { publish, randomName, sleep, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { rtcPages, videoState, type RtcPages } from './webrtc-util.js';

interface ApiClient {
  id: string;
  type: string;
  name: string;
  send_bytes: number;
}

async function clients(srv: TestServer): Promise<ApiClient[]> {
  const r = await fetch(`${srv.http}/api/v1/clients?count=1000`, { headers: { Authorization: `Bearer ${srv.bearer}` } });
  return ((await r.json()) as { clients: ApiClient[] }).clients;
}

async function streamClients(srv: TestServer, name: string): Promise<number> {
  const r = await fetch(`${srv.http}/api/v1/streams`, { headers: { Authorization: `Bearer ${srv.bearer}` } });
  return ((await r.json()) as { streams: { name: string; clients: number }[] }).streams.find((s) => s.name === name)?.clients ?? -1;
}

async function setting(srv: TestServer, path: string, body: Record<string, boolean>): Promise<void> {
  const r = await srv.api(path, body);
  assert.equal(r.code, 0, `${path}: ${r.message}`);
}

test('hlsll changes the fragment within one segment; noHlsCtx gives a plain, cacheable playlist; hls.js plays', { timeout: 150_000 }, async (t) => {
  let server: TestServer | null = null;
  let ff: Proc | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startServer({ HLS_FRAGMENT: '', HLS_WINDOW: '' }); // follow the settings
    const srv = server;
    await setting(srv, '/terraform/v1/mgmt/hphls/update', { noHlsCtx: true });
    const name = randomName('hlsll');
    ff = publish(srv.publishUrl(name)); // 2 s GOP
    const m3u8 = `${srv.http}/live/${name}.m3u8`;
    const read = async () => {
      const r = await fetch(m3u8);
      return r.ok ? { cache: r.headers.get('cache-control'), pl: parseMediaPlaylist(await r.text()) } : null;
    };
    /** the duration of segment `seq` once the playlist lists it */
    const durationOf = (seq: number, ms: number) =>
      waitFor(async () => {
        const p = await read();
        const s = p?.pl.segments[seq - p.pl.mediaSequence];
        return s && seq >= p.pl.mediaSequence ? s.duration : null;
      }, ms, `segment ${seq}`);
    const last = async () => {
      const p = (await read())!;
      return p.pl.mediaSequence + p.pl.segments.length - 1;
    };

    // No LL: 10 s fragments; noHlsCtx: a plain media playlist cached for 10 s.
    const first = await waitFor(read, 25000, 'the first 10 s segment');
    t.diagnostic(`default: EXTINF ${first.pl.segments.map((s) => s.duration).join(', ')}; Cache-Control: ${first.cache}`);
    assert.equal(first.cache, 'public, max-age=10');
    assert.ok(first.pl.segments.every((s) => Math.abs(s.duration - 10) < 0.5), 'about 10 s segments');
    assert.ok(first.pl.segments.every((s) => !/hls_ctx/.test(s.uri)), 'segment URLs are plain');
    const seg = await fetch(`${srv.http}/live/${first.pl.segments[0]!.uri}`);
    assert.equal(seg.status, 200);
    assert.equal(seg.headers.get('cache-control'), 'public, max-age=600');
    assert.equal((await clients(srv)).filter((c) => c.type === 'hls-play').length, 0, 'no sessions with noHlsCtx');

    // LL on: the segment in progress is the only one of the old length; the next is 2 s.
    await setting(srv, '/terraform/v1/mgmt/hlsll/update', { hlsLowLatency: true });
    const atLl = await last();
    const inProgress = await durationOf(atLl + 1, 20000);
    const ll = await durationOf(atLl + 2, 10000);
    const ll2 = await durationOf(atLl + 3, 10000);
    t.diagnostic(`LL on after segment ${atLl}: then ${inProgress}, ${ll}, ${ll2} s`);
    assert.ok(inProgress <= 10.5, 'the segment in progress is cut by the new fragment');
    assert.ok(Math.abs(ll - 2) < 0.5 && Math.abs(ll2 - 2) < 0.5, `2 s segments with LL (${ll}, ${ll2})`);
    assert.equal((await read())!.cache, 'public, max-age=1');

    // hls.js plays the plain LL playlist.
    pages = await rtcPages();
    const page = await pages.openHls(m3u8);
    const t0 = await waitFor(async () => {
      const s = await videoState(page);
      return s.time > 0.5 ? s.time : 0;
    }, 30000, 'hls.js to play the plain playlist');
    await sleep(2500);
    const hs = await videoState(page);
    t.diagnostic(`hls.js (noHlsCtx): currentTime ${t0.toFixed(2)} -> ${hs.time.toFixed(2)}`);
    assert.ok(hs.time - t0 > 1.2, 'hls.js keeps playing');
    assert.deepEqual(hs.errors, []);
    await page.close();
    // The LL window: the newest segments within 16 s.
    const llWindow = await waitFor(async () => {
      const p = (await read())!;
      return p.pl.segments.length >= 7 ? p.pl : null;
    }, 20000, 'a full LL window');
    const total = llWindow.segments.reduce((n, s) => n + s.duration, 0);
    t.diagnostic(`LL window: ${llWindow.segments.length} segments, ${total.toFixed(1)} s`);
    assert.ok(total <= 16.01 && total >= 12, `the LL window holds about 16 s (${total})`);

    // LL off again: back to 10 s within one segment.
    await setting(srv, '/terraform/v1/mgmt/hlsll/update', { hlsLowLatency: false });
    const atOff = await last();
    const next = await durationOf(atOff + 1, 20000);
    const normal = await durationOf(atOff + 2, 20000);
    t.diagnostic(`LL off after segment ${atOff}: then ${next}, ${normal} s`);
    assert.ok(Math.abs(normal - 10) < 0.5, `10 s segments without LL (${normal})`);
    assert.equal((await read())!.cache, 'public, max-age=10');
    const q = await srv.api<{ hlsLowLatency: boolean }>('/terraform/v1/mgmt/hlsll/query');
    assert.equal(q.data.hlsLowLatency, false);
  } finally {
    ff?.kill();
    await pages?.close();
    await server?.close();
  }
});

test('with hls_ctx (the default) each HLS session is a viewer until it stops asking; a kicked one is refused', { timeout: 120_000 }, async (t) => {
  let server: TestServer | null = null;
  let ff: Proc | null = null;
  let pages: RtcPages | null = null;
  try {
    // 1 s fragments and 3 in the window: a 3 s window, so a session is gone after 6 s of silence (SRS: 2x window).
    server = await startServer({ HLS_FRAGMENT: '1', HLS_WINDOW: '3' });
    const srv = server;
    const name = randomName('hlsctx');
    ff = publish(srv.publishUrl(name));
    const m3u8 = `${srv.http}/live/${name}.m3u8`;
    await waitFor(async () => (await fetch(`${m3u8}?hls_ctx=probe`)).ok, 20000, 'the HLS playlist');
    await waitFor(async () => !(await clients(srv)).some((c) => c.id === 'probe'), 15000, 'the probe session to expire');

    // A request without hls_ctx starts a session: a playlist pointing at STREAM.m3u8?hls_ctx=<session>,
    // keeping the request's other parameters.
    const r = await fetch(`${m3u8}?token=abc`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('cache-control') ?? '', /no-cache/);
    const master = await r.text();
    const m = new RegExp(`^${name}\\.m3u8\\?hls_ctx=(\\w+)&token=abc$`, 'm').exec(master);
    assert.ok(m, master);
    assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=1/);
    const ctx = m[1]!;
    const media = await (await fetch(`${m3u8}?hls_ctx=${ctx}&token=abc`)).text();
    const pl = parseMediaPlaylist(media);
    assert.ok(pl.segments.length > 0);
    for (const s of pl.segments) assert.match(s.uri, new RegExp(`^${name}-\\d+\\.ts\\?hls_ctx=${ctx}$`));
    const seg = await fetch(`${srv.http}/live/${pl.segments[0]!.uri}`);
    assert.equal(seg.status, 200);
    const size = (await seg.arrayBuffer()).byteLength;

    const viewer = (await clients(srv)).find((c) => c.id === ctx);
    assert.ok(viewer, 'the session is a client');
    assert.equal(viewer.type, 'hls-play');
    assert.equal(viewer.name, name);
    assert.equal(viewer.send_bytes, size);
    assert.equal(await streamClients(srv, name), 2, 'the publisher and the HLS viewer');

    // It stays while it asks, and goes once it stops.
    const stopped = Date.now();
    await sleep(3000);
    assert.ok((await clients(srv)).some((c) => c.id === ctx), 'still a viewer 3 s after its last request');
    await waitFor(async () => !(await clients(srv)).some((c) => c.id === ctx), 15000, 'the silent session to go');
    t.diagnostic(`the session went ${((Date.now() - stopped) / 1000).toFixed(1)} s after its last request`);
    assert.equal(await streamClients(srv, name), 1);

    // A kicked session is refused.
    const other = /hls_ctx=(\w+)/.exec(await (await fetch(m3u8)).text())![1]!;
    const del = await fetch(`${srv.http}/api/v1/clients/${other}`, { method: 'DELETE', headers: { Authorization: `Bearer ${srv.bearer}` } });
    assert.equal(del.status, 200);
    assert.ok(!(await clients(srv)).some((c) => c.id === other));
    const refused = await fetch(`${m3u8}?hls_ctx=${other}`);
    assert.equal(refused.status, 404);
    assert.match(((await refused.json()) as { message: string }).message, /ended by the API; reload the player/);

    // A bad hls_ctx is refused, not made a session.
    for (const bad of ['', '<script>', 'x'.repeat(65)]) {
      const b = await fetch(`${m3u8}?hls_ctx=${encodeURIComponent(bad)}`);
      assert.equal(b.status, 400, bad);
      assert.match(((await b.json()) as { message: string }).message, /invalid hls_ctx/);
    }

    // hls.js follows the session playlist and is one viewer however many requests it makes.
    pages = await rtcPages();
    const page = await pages.openHls(m3u8);
    const t0 = await waitFor(async () => {
      const s = await videoState(page);
      return s.time > 0.5 ? s.time : 0;
    }, 30000, 'hls.js to play');
    await sleep(3000);
    const hs = await videoState(page);
    assert.ok(hs.time - t0 > 1.5, 'hls.js keeps playing');
    assert.deepEqual(hs.errors, []);
    const sessions = (await clients(srv)).filter((c) => c.type === 'hls-play' && c.name === name);
    t.diagnostic(`hls.js (hls_ctx): currentTime ${t0.toFixed(2)} -> ${hs.time.toFixed(2)}; sessions: ${sessions.map((s) => `${s.id} ${s.send_bytes} B`).join(', ')}`);
    assert.equal(sessions.length, 1, 'one session for the player');
    assert.ok(sessions[0]!.send_bytes > 0);
  } finally {
    ff?.kill();
    await pages?.close();
    await server?.close();
  }
});
