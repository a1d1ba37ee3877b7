// Play authentication end to end, with real players: ffprobe/ffmpeg over HLS (playlist and segments),
// HTTP-FLV, HTTP-TS, RTMP and SRT, and the werift WebRTC client over WHEP. Off by default; when on, no token
// is refused with the protocol's answer (HTTP 401, RTMP NetStream.Play.Failed, an SRT close), a valid token
// plays, an expired one, one for another stream, another IP or another key is refused (403), all while a
// viewer admitted earlier goes on; a token that expires while a viewer watches does not cut it off, a kick does.
// A live room's playAuth switch covers the room's stream only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { probe, publish, randomName, run, sleep, startServer, summarize, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { weriftWhep, type WeriftSession } from './webrtc-werift-client.js';

let server: TestServer;
const procs: Proc[] = [];
const sessions: WeriftSession[] = [];
const STREAM = randomName('pa');
const OTHER = randomName('pb');

before(async () => {
  server = await startServer({}, { captureLogs: true });
  assert.ok(server.app.srtPort > 0, 'SRT must be available (native addon built)');
  for (const s of [STREAM, OTHER]) procs.push(publish(server.publishUrl(s)));
  for (const s of [STREAM, OTHER]) {
    await waitFor(() => {
      const seg = server.app.hub.get({ vhost: '__defaultVhost__', app: 'live', stream: s, param: '' });
      return seg?.active && seg.frames > 60;
    }, 30000, `${s} to be live`);
  }
  // and an HLS playlist with a segment
  await waitFor(async () => (await fetch(`${server.http}/live/${STREAM}.m3u8`)).status === 200, 30000, 'an HLS playlist');
});

after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
  for (const p of procs) p.kill();
  await server?.close();
});

async function mint(body: Record<string, unknown>): Promise<string> {
  const r = await server.api<{ token: string; streams: string; exp: number; expireAt: string }>('/terraform/v1/hooks/play/token', body);
  assert.equal(r.status, 200, r.message);
  return r.data.token;
}

async function status(url: string, headers: Record<string, string> = {}): Promise<{ status: number; message: string }> {
  const ac = new AbortController();
  const r = await fetch(url, { headers, signal: ac.signal });
  let message = '';
  if (r.status !== 200) message = ((await r.json()) as { message: string }).message;
  ac.abort();
  return { status: r.status, message };
}

/** ffprobe that must fail; its stderr. */
async function probeFails(url: string): Promise<string> {
  const p = run('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', url]);
  procs.push(p);
  const code = await withTimeout(p.exited, 30000, () => p.kill());
  assert.notEqual(code, 0, `ffprobe ${url} must fail`);
  return p.stderr();
}

const srt = (resource: string) => `srt://127.0.0.1:${server.app.srtPort}?streamid=#!::r=${resource},m=request&latency=120000`;
const whep = (stream: string, q = '') => `${server.http}/rtc/v1/whep/?app=live&stream=${stream}${q}`;

/** An HTTP-FLV viewer that counts what it receives, until stopped. */
function flvViewer(url: string): { bytes: () => number; status: Promise<number>; stop: () => void } {
  const ac = new AbortController();
  let bytes = 0;
  const status = fetch(url, { signal: ac.signal }).then((r) => {
    void (async () => {
      try {
        for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) bytes += c.length;
      } catch {
        /* aborted */
      }
    })();
    return r.status;
  });
  return { bytes: () => bytes, status, stop: () => ac.abort() };
}

test('play auth is off by default: every protocol plays without a token', async () => {
  const q = await server.api<{ all: boolean; apps: string[]; rooms: string[] }>('/terraform/v1/hooks/play/query');
  assert.deepEqual(q.data, { all: false, apps: [], rooms: [] });
  assert.equal((await status(`${server.http}/live/${STREAM}.flv`)).status, 200);
  const p = await probe(`${server.rtmp}/live/${STREAM}`, ['-read_intervals', '%+1']);
  assert.equal(summarize(p.streams), 'aac, h264 320x240');
});

test('play auth on: each protocol refuses no token, plays a valid one, refuses expired and other-stream ones', { timeout: 240_000 }, async (t) => {
  const on = await server.api('/terraform/v1/hooks/play/apply', { apps: ['live'] });
  assert.equal(on.status, 200, on.message);
  t.after(() => server.api('/terraform/v1/hooks/play/apply', { apps: [] }).then(() => undefined));
  const token = await mint({ streams: `/live/${STREAM}` });
  const glob = await mint({ streams: '/live/pa*' });
  const otherStream = await mint({ stream: OTHER });
  const wrongIp = await mint({ stream: STREAM, ip: '10.9.8.7' });
  const expiring = await mint({ stream: STREAM, expires: 1 });
  const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;

  // A viewer admitted now keeps playing through every refusal below.
  const watcher = flvViewer(`${server.http}/live/${STREAM}.flv?token=${token}`);
  assert.equal(await watcher.status, 200);
  await sleep(1500); // let `expiring` expire

  const bad: [string, string, RegExp][] = [
    ['expired', expiring, /expired at/],
    ['for another stream', otherStream, /is for streams "\/live\/pb\w+", not \/live\/pa/],
    ['for another IP', wrongIp, /viewer IP 10\.9\.8\.7, not 127\.0\.0\.1/],
    ['forged', forged, /not valid/],
  ];

  // HTTP-FLV and HTTP-TS
  for (const ext of ['flv', 'ts']) {
    const none = await status(`${server.http}/live/${STREAM}.${ext}`);
    assert.equal(none.status, 401, ext);
    assert.match(none.message, /no play token came; add \?token=/);
    for (const [what, tok, msg] of bad) {
      const r = await status(`${server.http}/live/${STREAM}.${ext}?token=${tok}`);
      assert.equal(r.status, 403, `${ext} ${what}`);
      assert.match(r.message, msg, `${ext} ${what}`);
    }
    for (const tok of [token, glob]) {
      const p = await probe(`${server.http}/live/${STREAM}.${ext}?token=${tok}`, ['-read_intervals', '%+1']);
      assert.equal(summarize(p.streams), 'aac, h264 320x240', ext);
    }
    t.diagnostic(`${ext}: 401 without a token, 403 for ${bad.map((b) => b[0]).join(', ')}, plays with a token`);
  }
  // Another stream not covered by a token refuses it too, and an app not covered needs none.
  assert.equal((await status(`${server.http}/live/${OTHER}.flv?token=${token}`)).status, 403);

  // HLS: the playlist, then the segments, in a session or with the token.
  const none = await status(`${server.http}/live/${STREAM}.m3u8`);
  assert.equal(none.status, 401);
  for (const [what, tok, msg] of bad) {
    const r = await status(`${server.http}/live/${STREAM}.m3u8?token=${tok}`);
    assert.equal(r.status, 403, `hls ${what}`);
    assert.match(r.message, msg);
  }
  const hls = await probe(`${server.http}/live/${STREAM}.m3u8?token=${token}`);
  assert.equal(summarize(hls.streams), 'aac, h264 320x240');
  const master = await (await fetch(`${server.http}/live/${STREAM}.m3u8?token=${token}`)).text();
  const ctxUrl = /^(\S+\.m3u8\?hls_ctx=\S+)$/m.exec(master)?.[1];
  assert.ok(ctxUrl, master);
  const media = await (await fetch(`${server.http}/live/${ctxUrl}`)).text();
  const segUrl = /^(\S+\.ts\?hls_ctx=\S+)$/m.exec(media)?.[1];
  assert.ok(segUrl, media);
  assert.equal((await fetch(`${server.http}/live/${segUrl}`)).status, 200, 'a segment of the session');
  const segName = segUrl.split('?')[0]!;
  const seg401 = await status(`${server.http}/live/${segName}`);
  assert.equal(seg401.status, 401, 'a segment without a session or token');
  assert.equal((await status(`${server.http}/live/${segName}?hls_ctx=madeup123`)).status, 401, 'an invented hls_ctx');
  assert.equal((await status(`${server.http}/live/${segName}?token=${otherStream}`)).status, 403);
  assert.equal((await fetch(`${server.http}/live/${segName}?token=${token}`)).status, 200, 'a segment with the token');
  // A session of one stream does not open another's playlist or segments.
  const sid = /hls_ctx=([\w-]+)/.exec(ctxUrl)![1];
  assert.equal((await status(`${server.http}/live/${OTHER}.m3u8?hls_ctx=${sid}`)).status, 403);
  t.diagnostic('hls: playlist 401/403, plays with a token; segments need the session or the token');

  // RTMP: NetStream.Play.Failed with the reason (ffmpeg prints the server's description).
  const rtmpNone = await probeFails(`${server.rtmp}/live/${STREAM}`);
  assert.match(rtmpNone, /no play token came/, rtmpNone);
  for (const [what, tok, msg] of bad) {
    const e = await probeFails(`${server.rtmp}/live/${STREAM}?token=${tok}`);
    assert.match(e, msg, `rtmp ${what}: ${e}`);
  }
  const rtmp = await probe(`${server.rtmp}/live/${STREAM}?token=${token}`, ['-read_intervals', '%+1']);
  assert.equal(summarize(rtmp.streams), 'aac, h264 320x240');
  const refusedRtmp = server.logs().filter((l) => l.msg === 'rtmp play refused');
  assert.ok(refusedRtmp.length >= 5);
  t.diagnostic('rtmp: NetStream.Play.Failed with the reason; plays with ?token=');

  // SRT: the connection is closed (ffprobe fails, no hang); the token rides in the streamid.
  await probeFails(srt(`live/${STREAM}`));
  for (const [, tok] of bad) await probeFails(srt(`live/${STREAM}?token=${tok}`));
  const srtOk = await probe(srt(`live/${STREAM}?token=${token}`), ['-read_intervals', '%+1']);
  assert.equal(summarize(srtOk.streams), 'aac, h264 320x240');
  const refusedSrt = server.logs().filter((l) => l.msg === 'srt play refused');
  assert.ok(refusedSrt.length >= 5, 'each SRT refusal is logged with its reason');
  assert.match(String(refusedSrt[0]!.reason), /no play token came/);
  t.diagnostic('srt: closed without a valid token; plays with it in the streamid');

  // WHEP: ?token= or Authorization: Bearer.
  const w0 = await weriftWhep(whep(STREAM));
  sessions.push(w0);
  assert.equal(w0.status, 401, w0.answer);
  const messageOf = (answer: string) => (JSON.parse(answer) as { message: string }).message;
  assert.match(messageOf(w0.answer), /no play token came/);
  for (const [what, tok, msg] of bad) {
    const w = await weriftWhep(whep(STREAM, `&token=${tok}`));
    sessions.push(w);
    assert.equal(w.status, 403, `whep ${what}`);
    assert.match(messageOf(w.answer), msg);
  }
  const wq = await weriftWhep(whep(STREAM, `&token=${token}`));
  const wb = await weriftWhep(whep(STREAM), { headers: { Authorization: `Bearer ${glob}` } });
  sessions.push(wq, wb);
  assert.equal(wq.status, 201, wq.answer);
  assert.equal(wb.status, 201, wb.answer);
  await waitFor(() => wq.received.keyframes >= 1 && wb.received.keyframes >= 1, 20000, 'both WHEP viewers to receive a keyframe');
  t.diagnostic('whep: 401/403 without a valid token; plays with ?token= and with Authorization: Bearer');

  // The viewer admitted at the start still receives.
  const before = watcher.bytes();
  await sleep(1000);
  assert.ok(watcher.bytes() > before, 'the first viewer goes on');
  watcher.stop();
  await server.api('/terraform/v1/hooks/play/apply', { apps: [] });
});

test('a token that expires while a viewer watches does not cut it off; a kick does; a new key revokes tokens', { timeout: 60_000 }, async (t) => {
  await server.api('/terraform/v1/hooks/play/apply', { all: true });
  t.after(() => server.api('/terraform/v1/hooks/play/apply', { all: false }).then(() => undefined));
  const short = await mint({ stream: STREAM, expires: 2 });
  const v = flvViewer(`${server.http}/live/${STREAM}.flv?token=${short}`);
  assert.equal(await v.status, 200);
  await sleep(3500);
  const b = v.bytes();
  await sleep(1000);
  assert.ok(v.bytes() > b, 'still receiving after the token expired');
  assert.equal((await status(`${server.http}/live/${STREAM}.flv?token=${short}`)).status, 403, 'a new play with it is refused');
  // DELETE /api/v1/clients/<id> ends it.
  const c = server.app.hub.clients.list().find((x) => x.type === 'flv-play' && x.requestUrl.includes(short));
  assert.ok(c);
  const del = await fetch(`${server.http}/api/v1/clients/${c.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${server.bearer}` } });
  assert.equal(del.status, 200);
  await waitFor(() => !server.app.hub.clients.get(c.id), 5000, 'the kicked viewer to go');
  v.stop();

  // Rotating the key: tokens minted before admit no new play.
  const old = await mint({ stream: STREAM });
  assert.equal((await status(`${server.http}/live/${STREAM}.flv?token=${old}`)).status, 200);
  await server.api('/terraform/v1/hooks/play/apply', { rotateKey: true });
  const r = await status(`${server.http}/live/${STREAM}.flv?token=${old}`);
  assert.equal(r.status, 403);
  assert.match(r.message, /not signed with this server's play key/);
  assert.equal((await status(`${server.http}/live/${STREAM}.flv?token=${await mint({ stream: STREAM })}`)).status, 200);

  // Bad mint requests.
  for (const body of [{}, { streams: 'live/x' }, { streams: '/live/[x' }, { stream: STREAM, expires: 0 }, { stream: STREAM, ip: 'not an ip' }]) {
    const m = await server.api('/terraform/v1/hooks/play/token', body);
    assert.equal(m.status, 400, JSON.stringify(body));
  }
  await server.api('/terraform/v1/hooks/play/apply', { all: false });
});

test("a room's playAuth covers its stream only", { timeout: 60_000 }, async () => {
  const room = (await server.api<{ uuid: string; stream: string; secret: string }>('/terraform/v1/live/room/create', { title: 'private' })).data;
  const u = await server.api('/terraform/v1/live/room/update', { ...room, playAuth: true });
  assert.equal(u.status, 200, u.message);
  assert.deepEqual((await server.api<{ rooms: string[] }>('/terraform/v1/hooks/play/query')).data.rooms, [room.stream]);
  const p = publish(`${server.rtmp}/live/${room.stream}?secret=${room.secret}`);
  procs.push(p);
  await waitFor(() => server.app.hub.get({ vhost: '__defaultVhost__', app: 'live', stream: room.stream, param: '' })?.active, 20000, 'the room live');
  assert.equal((await status(`${server.http}/live/${room.stream}.flv`)).status, 401);
  const tok = await mint({ stream: room.stream });
  assert.equal((await status(`${server.http}/live/${room.stream}.flv?token=${tok}`)).status, 200);
  assert.equal((await status(`${server.http}/live/${STREAM}.flv`)).status, 200, 'other streams need no token');
  await server.api('/terraform/v1/live/room/remove', { uuid: room.uuid });
  assert.deepEqual((await server.api<{ rooms: string[] }>('/terraform/v1/hooks/play/query')).data.rooms, []);
  p.kill();
});
