// on_play / on_stop HTTP callbacks to a real receiver: the fields SRS sends (action, client_id, ip, vhost, app,
// stream, param, pageUrl where known) for each protocol's viewer, on_stop when it leaves, and a receiver that
// says no blocks play on every protocol (HTTP 403, RTMP NetStream.Play.Failed, SRT close, WHEP 403).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { probe, publish, randomName, run, startServer, summarize, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';
import { weriftWhep } from './webrtc-werift-client.js';

let server: TestServer;
let rcv: Server;
let target = '';
const bodies: Record<string, unknown>[] = [];
let refuse = false;
const procs: Proc[] = [];
const NAME = randomName('ph');

before(async () => {
  server = await startServer();
  rcv = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(b) as Record<string, unknown>;
      bodies.push(body);
      if (refuse && body.action === 'on_play') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":403,"msg":"not you"}');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => rcv.listen(0, '127.0.0.1', () => r()));
  const a = rcv.address();
  target = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hooks`;
  procs.push(publish(server.publishUrl(NAME)));
  await waitFor(() => (server.app.hub.get({ vhost: '__defaultVhost__', app: 'live', stream: NAME, param: '' })?.frames ?? 0) > 60, 30000, 'the stream live');
  await waitFor(async () => (await fetch(`${server.http}/live/${NAME}.m3u8`)).status === 200, 30000, 'an HLS playlist');
  assert.equal((await server.api('/terraform/v1/mgmt/hooks/apply', { all: true, target, opaque: 'play-opaque' })).status, 200);
});

after(async () => {
  for (const p of procs) p.kill();
  rcv?.closeAllConnections();
  rcv?.close();
  await server?.close();
});

const plays = (since: number) => bodies.slice(since).filter((b) => b.action === 'on_play');
const stops = (since: number) => bodies.slice(since).filter((b) => b.action === 'on_stop');
const srt = `?streamid=#!::r=live/${NAME}?from=srt,m=request&latency=120000`;

test('on_play and on_stop carry SRS fields for every protocol', { timeout: 120_000 }, async (t) => {
  const players: [string, () => Promise<unknown>][] = [
    ['rtmp', () => probe(`${server.rtmp}/live/${NAME}?from=rtmp`, ['-read_intervals', '%+1'])],
    ['flv', () => probe(`${server.http}/live/${NAME}.flv?from=flv`, ['-read_intervals', '%+1', '-headers', 'Referer: http://page.example/watch\r\n'])],
    ['ts', () => probe(`${server.http}/live/${NAME}.ts?from=ts`, ['-read_intervals', '%+1'])],
    ['hls', () => probe(`${server.http}/live/${NAME}.m3u8?from=hls`)],
    ['srt', () => probe(`srt://127.0.0.1:${server.app.srtPort}${srt}`, ['-read_intervals', '%+1'])],
    ['whep', async () => {
      const w = await weriftWhep(`${server.http}/rtc/v1/whep/?app=live&stream=${NAME}&from=whep`);
      assert.equal(w.status, 201, w.answer);
      await waitFor(() => w.received.keyframes >= 1, 20000, 'a keyframe over WHEP');
      assert.equal((await fetch(`${server.http}${w.location}`, { method: 'DELETE' })).status, 200);
      await w.close();
    }],
  ];
  for (const [proto, play] of players) {
    const n = bodies.length;
    await play();
    const [b] = plays(n);
    assert.ok(b, `${proto}: an on_play`);
    assert.deepEqual(
      Object.keys(b).filter((k) => k !== 'pageUrl'),
      ['request_id', 'action', 'opaque', 'client_id', 'ip', 'vhost', 'app', 'stream', 'param'],
      `${proto}: ${JSON.stringify(b)}`,
    );
    assert.equal(b.opaque, 'play-opaque');
    assert.equal(b.ip, '127.0.0.1');
    assert.equal(b.vhost, '__defaultVhost__');
    assert.equal(b.app, 'live');
    assert.equal(b.stream, NAME);
    assert.match(String(b.param), new RegExp(`from=${proto}`), proto);
    assert.match(String(b.client_id), /^\w{6,}$/);
    if (proto === 'flv') assert.equal(b.pageUrl, 'http://page.example/watch');
    if (proto === 'rtmp') assert.ok(typeof b.pageUrl === 'undefined' || typeof b.pageUrl === 'string');
    if (proto !== 'hls') {
      // HLS: on_stop comes when the session has gone quiet (twice the window), not right away.
      await waitFor(() => stops(n).some((s) => s.client_id === b.client_id), 10000, `${proto}: on_stop`);
      const s = stops(n).find((x) => x.client_id === b.client_id)!;
      assert.equal(s.stream, NAME);
      assert.equal(s.param, undefined, 'on_stop has no param, like on_unpublish');
    }
    t.diagnostic(`${proto}: ${JSON.stringify(b)}`);
  }
  // Exactly one on_play per HLS viewer (the session), not one per playlist or segment request.
  const n = bodies.length;
  const hls = await probe(`${server.http}/live/${NAME}.m3u8`);
  assert.equal(summarize(hls.streams), 'aac, h264 320x240');
  assert.equal(plays(n).length, 1);
});

test('a receiver that refuses on_play blocks play on every protocol', { timeout: 120_000 }, async () => {
  refuse = true;
  try {
    for (const ext of ['flv', 'ts', 'm3u8']) {
      const r = await fetch(`${server.http}/live/${NAME}.${ext}`);
      assert.equal(r.status, 403, ext);
      const j = (await r.json()) as { message: string };
      assert.match(j.message, /on_play callback .* said no: it answered code 403/, ext);
    }
    for (const url of [`${server.rtmp}/live/${NAME}`, `srt://127.0.0.1:${server.app.srtPort}${srt}`]) {
      const p = run('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', url]);
      procs.push(p);
      assert.notEqual(await withTimeout(p.exited, 30000, () => p.kill()), 0, url);
      if (url.startsWith('rtmp')) assert.match(p.stderr(), /on_play callback/);
    }
    const w = await weriftWhep(`${server.http}/rtc/v1/whep/?app=live&stream=${NAME}`);
    assert.equal(w.status, 403, w.answer);
    await w.close();
  } finally {
    refuse = false;
  }
  const r = await fetch(`${server.http}/live/${NAME}.flv`);
  assert.equal(r.status, 200, 'plays again once the receiver says yes');
  await r.body?.cancel();
});
