// SRT end to end with ffmpeg's libsrt client: publish over SRT and read back as RTMP, HTTP-FLV and HLS;
// publish over RTMP and play over SRT; refusals (wrong secret, no stream, busy stream); junk datagrams.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseSrtStreamId } from '../../src/servers/srt/server.js';
import { probe, publish, randomName, run, startServer, summarize, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';

let server: TestServer;
const procs: Proc[] = [];

before(async () => {
  server = await startServer({}, { captureLogs: true });
  assert.ok(server.app.srtPort > 0, 'SRT must be available (native addon built)');
});

after(async () => {
  for (const p of procs) p.kill();
  await server?.close();
});

function srtUrl(streamid: string): string {
  return `srt://127.0.0.1:${server.app.srtPort}?streamid=${streamid}&latency=120000`;
}

/** Samples the hub every 10 ms until stopped: did a stream matching `match` ever have a publisher? */
function watchHub(match: (stream: string) => boolean): () => boolean {
  let seen = false;
  const look = () => {
    if (server.app.hub.list().some((x) => match(x.url.stream) && (x.active || x.publisher))) seen = true;
  };
  look();
  const t = setInterval(look, 10);
  return () => {
    clearInterval(t);
    look();
    return seen;
  };
}

/** The server's warnings so far that match `msg` and mention `text`. */
function warnings(msg: RegExp, text: string): Record<string, unknown>[] {
  return server.logs().filter((l) => Number(l.level) >= 40 && msg.test(String(l.msg)) && JSON.stringify(l).includes(text));
}

function srtPublish(streamid: string, seconds?: number): Proc {
  const p = publish(srtUrl(streamid), { format: 'mpegts', ...(seconds ? { seconds } : {}) });
  procs.push(p);
  return p;
}

test('stream ids: #!:: forms, vhost, query and the plain form', () => {
  assert.deepEqual(parseSrtStreamId('#!::r=live/s1,m=publish'), { url: { vhost: '__defaultVhost__', app: 'live', stream: 's1', param: '' }, publish: true });
  assert.deepEqual(parseSrtStreamId('#!::r=live/s1?secret=x,m=publish'), { url: { vhost: '__defaultVhost__', app: 'live', stream: 's1', param: '?secret=x' }, publish: true });
  assert.deepEqual(parseSrtStreamId('#!::h=example.com,r=live/s1,m=request'), { url: { vhost: 'example.com', app: 'live', stream: 's1', param: '' }, publish: false });
  assert.deepEqual(parseSrtStreamId('live/s1?secret=x'), { url: { vhost: '__defaultVhost__', app: 'live', stream: 's1', param: '?secret=x' }, publish: false });
  assert.equal(parseSrtStreamId('live/s1?secret=x&m=publish')?.publish, true);
  assert.equal(parseSrtStreamId('#!::m=publish'), null);
  assert.equal(parseSrtStreamId('nothing'), null);
  assert.equal(parseSrtStreamId('#!::r=live/../x,m=publish'), null);
});

test('ffmpeg publishes SRT; RTMP, HTTP-FLV and HLS carry h264 and aac', async () => {
  const name = randomName('srtpub');
  srtPublish(`#!::r=live/${name}?secret=${server.secret},m=publish`);
  const s = await waitFor(() => server.app.hub.list().find((x) => x.url.stream === name && x.active && x.frames > 50), 20000, 'the SRT publish');
  assert.equal(s.publisher?.type, 'srt-publish');
  await waitFor(async () => (await fetch(`${server.http}/live/${name}.m3u8`)).ok, 15000, 'HLS');
  for (const url of [`${server.rtmp}/live/${name}`, `${server.http}/live/${name}.flv`, `${server.http}/live/${name}.m3u8`]) {
    assert.equal(summarize((await probe(url)).streams), 'aac, h264 320x240', url);
  }
});

test('ffmpeg publishes RTMP; ffmpeg plays it over SRT with both streams', async () => {
  const name = randomName('srtplay');
  procs.push(publish(server.publishUrl(name)));
  await waitFor(() => server.app.hub.list().find((x) => x.url.stream === name && x.frames > 50), 20000, 'the RTMP publish');
  const out = join(tempDir(), 'srt.ts');
  const p = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', srtUrl(`#!::r=live/${name},m=request`), '-t', '4', '-c', 'copy', out]);
  procs.push(p);
  assert.equal(await withTimeout(p.exited, 30000, () => p.kill()), 0, p.stderr());
  const probed = await probe(out);
  assert.equal(summarize(probed.streams), 'aac, h264 320x240');
  assert.ok(Number(probed.format?.duration) > 3, `duration ${probed.format?.duration}`);
});

test('a wrong secret, a stream id naming no stream and a busy stream are refused; junk datagrams change nothing', async () => {
  const name = randomName('srtbad');
  // A wrong secret: the server refuses the publish (its log says so), the stream is never published, and
  // ffmpeg, asked for 4 s of media, fails as soon as the server closes the connection.
  let published = watchHub((stream) => stream === name);
  const wrong = srtPublish(`#!::r=live/${name}?secret=wrong,m=publish`, 4);
  const wrongCode = await withTimeout(wrong.exited, 20000, () => wrong.kill());
  assert.equal(published(), false, 'the stream was never published with the wrong secret');
  assert.notEqual(wrongCode, 0, `ffmpeg must fail when the publish is refused: ${wrong.stderr()}`);
  assert.match(wrong.stderr(), /Input\/output error|Connection|refused|reject/i);
  assert.equal(warnings(/publish refused/, name).filter((l) => /wrong secret/.test(JSON.stringify(l))).length > 0, true, 'the server logs the refusal and why');

  // A stream id that names no stream: refused before any stream exists, with a log line saying what to send.
  published = watchHub((stream) => stream === '');
  const nameless = srtPublish('#!::m=publish', 3);
  const namelessCode = await withTimeout(nameless.exited, 20000, () => nameless.kill());
  assert.equal(published(), false, 'no nameless stream was published');
  assert.notEqual(namelessCode, 0, `ffmpeg must fail when the stream id names no stream: ${nameless.stderr()}`);
  assert.equal(warnings(/names no stream/, '#!::m=publish').length, 1, 'the server logs the refused stream id');
  assert.equal(server.app.hub.list().some((x) => x.url.stream === ''), false);

  // A good publisher, then a second one of the same stream.
  srtPublish(`#!::r=live/${name}?secret=${server.secret},m=publish`);
  const s = await waitFor(() => server.app.hub.list().find((x) => x.url.stream === name && x.active && x.frames > 25), 20000, 'the good publish');
  const first = s.publisher;
  const second = srtPublish(`#!::r=live/${name}?secret=${server.secret},m=publish`, 4);
  const secondCode = await withTimeout(second.exited, 20000, () => second.kill());
  assert.equal(s.publisher, first, 'the first publisher goes on');
  assert.notEqual(secondCode, 0, `the second publisher is refused: ${second.stderr()}`);

  // Junk UDP datagrams to the SRT port.
  const sock = createSocket('udp4');
  for (let i = 0; i < 200; i++) sock.send(randomBytes(1 + (i % 1400)), server.app.srtPort, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  const f0 = s.frames;
  await waitFor(() => s.frames > f0 + 25 && s.publisher === first, 5000, 'the publish to go on after junk');
});

test('H.265 over SRT comes out as hevc in HTTP-TS, HLS and the API', async () => {
  const name = randomName('srthevc');
  const p = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:log-level=error', '-c:a', 'aac', '-f', 'mpegts',
    srtUrl(`#!::r=live/${name}?secret=${server.secret},m=publish`)]);
  procs.push(p);
  const s = await waitFor(() => server.app.hub.list().find((x) => x.url.stream === name && x.active && x.frames > 50), 25000, 'the H.265 publish');
  assert.equal(s.video?.width, 320);
  assert.equal(s.video?.height, 240);
  await waitFor(async () => (await fetch(`${server.http}/live/${name}.m3u8`)).ok, 15000, 'HLS');
  for (const url of [`${server.http}/live/${name}.ts`, `${server.http}/live/${name}.m3u8`]) {
    assert.equal(summarize((await probe(url)).streams), 'aac, hevc 320x240', url);
  }
  p.kill();
});
