// End to end: ffmpeg publishes H.264+AAC over RTMP; ffprobe and ffmpeg read it back as RTMP, HTTP-FLV,
// HTTP-TS and HLS (codecs, size, duration, two viewers at once, late joiners start on a keyframe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { publish, probe, randomName, run, startServer, summarize, tempDir, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';

let server: TestServer;
let publisher: Proc;
const name = randomName('live');

before(async () => {
  server = await startServer();
  publisher = publish(server.publishUrl(name));
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.frames > 60), 20000, 'the stream to be published');
});

after(async () => {
  publisher?.kill();
  await server?.close();
});

function urls(): Record<string, string> {
  return {
    rtmp: `${server.rtmp}/live/${name}`,
    flv: `${server.http}/live/${name}.flv`,
    ts: `${server.http}/live/${name}.ts`,
    hls: `${server.http}/live/${name}.m3u8`,
  };
}

test('ffprobe sees one h264 320x240 and one aac stream in RTMP, HTTP-FLV, HTTP-TS and HLS', async () => {
  // HLS needs its first segment (2 s).
  await waitFor(async () => (await fetch(urls().hls)).ok, 15000, 'the HLS playlist');
  const results = await Promise.all(
    Object.entries(urls()).map(async ([proto, url]) => [proto, summarize((await probe(url)).streams)] as const),
  );
  for (const [proto, s] of results) assert.equal(s, 'aac, h264 320x240', `${proto}: ${s}`);
  const api = server.app.hub.list().find((s) => s.url.stream === name)!;
  assert.equal(api.video?.width, 320);
  assert.equal(api.video?.height, 240);
  assert.equal(api.audio?.sampleRate, 44100);
});

test('two viewers at once of each protocol record about 10 s with both streams', async () => {
  const dir = tempDir();
  const jobs: { proto: string; file: string; proc: Proc }[] = [];
  for (const [proto, url] of Object.entries(urls())) {
    for (const i of [1, 2]) {
      const file = join(dir, `${proto}-${i}.${proto === 'flv' || proto === 'rtmp' ? 'flv' : 'ts'}`);
      const args = ['-hide_banner', '-loglevel', 'error', '-y', '-rw_timeout', '15000000'];
      if (proto === 'hls') args.push('-live_start_index', '-1');
      args.push('-i', url, '-t', '10', '-c', 'copy', file);
      jobs.push({ proto, file, proc: run('ffmpeg', args) });
    }
  }
  try {
    const codes = await withTimeout(Promise.all(jobs.map((j) => j.proc.exited)), 60000, () => jobs.forEach((j) => j.proc.kill()));
    codes.forEach((c, i) => assert.equal(c, 0, `${jobs[i]!.proto}: ${jobs[i]!.proc.stderr()}`));
  } finally {
    jobs.forEach((j) => j.proc.kill());
  }
  for (const j of jobs) {
    const p = await probe(j.file);
    assert.equal(summarize(p.streams), 'aac, h264 320x240', j.file);
    const d = Number(p.format?.duration);
    assert.ok(d > 9 && d < 11.5, `${j.proto} recorded ${d} s`);
  }
});

test('a viewer that joins late starts on a keyframe (GOP cache)', async () => {
  for (const [proto, url] of Object.entries(urls())) {
    if (proto === 'hls') continue;
    const p = await probe(url, ['-select_streams', 'v', '-show_frames', '-read_intervals', '%+#3']);
    const frames = p.frames ?? [];
    assert.ok(frames.length > 0, `${proto}: no frames`);
    assert.equal(frames[0]!.key_frame, 1, `${proto}: first video frame is not a keyframe`);
  }
  // HLS: every segment starts with a keyframe.
  const text = await (await mediaPlaylist(urls().hls)).text();
  const seg = text.split('\n').find((l) => /\.ts(\?|$)/.test(l))!;
  const p = await probe(`${server.http}/live/${seg}`, ['-select_streams', 'v', '-show_frames', '-read_intervals', '%+#1']);
  assert.equal(p.frames?.[0]?.key_frame, 1);
});

/** The media playlist of an HLS URL, following the hls_ctx session playlist as a player does. */
async function mediaPlaylist(url: string): Promise<Response> {
  const r = await fetch(url);
  const text = await r.clone().text();
  const next = /#EXT-X-STREAM-INF:.*\n(.+)/.exec(text)?.[1];
  return next ? fetch(new URL(next, url)) : r;
}

test('HLS playlist and segments have the right headers; unknown streams get a clear 404', async () => {
  const r = await mediaPlaylist(urls().hls);
  assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.match(r.headers.get('cache-control') ?? '', /no-cache/);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const text = await r.text();
  assert.match(text, /#EXT-X-TARGETDURATION:\d+/);
  const segs = text.split('\n').filter((l) => /\.ts(\?|$)/.test(l));
  assert.ok(segs.length >= 1 && segs.length <= 5, text);
  const s = await fetch(`${server.http}/live/${segs[0]}`);
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('content-type'), 'video/mp2t');
  assert.match(s.headers.get('cache-control') ?? '', /max-age/);
  const body = Buffer.from(await s.arrayBuffer());
  assert.equal(body.length % 188, 0);
  assert.equal(body[0], 0x47);
  for (const path of ['/live/nosuch.m3u8', '/live/nosuch.flv', '/live/nosuch.ts', '/live/nosuch-3.ts']) {
    const n = await fetch(`${server.http}${path}`);
    assert.equal(n.status, 404, path);
    const j = (await n.json()) as { message: string };
    assert.match(j.message, /not published/, path);
  }
  const flv = await fetch(urls().flv);
  assert.equal(flv.headers.get('content-type'), 'video/x-flv');
  assert.equal(flv.headers.get('access-control-allow-origin'), '*');
  await flv.body?.cancel();
});

test('a second publisher of the same stream is refused and the first goes on', async () => {
  const second = publish(server.publishUrl(name), { seconds: 5 });
  const code = await withTimeout(second.exited, 20000, () => second.kill());
  assert.notEqual(code, 0);
  const s = server.app.hub.list().find((x) => x.url.stream === name)!;
  const before = s.frames;
  await waitFor(() => s.frames > before + 10, 5000, 'the first publisher to go on');
  assert.equal(s.publisher?.type, 'fmle-publish');
});

test('MP3 audio passes through to RTMP, HTTP-FLV and HTTP-TS', async () => {
  const mp3 = randomName('mp3');
  const p = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-c:a', 'libmp3lame', '-ar', '44100', '-f', 'flv', server.publishUrl(mp3)]);
  try {
    await waitFor(() => server.app.hub.list().find((s) => s.url.stream === mp3 && s.frames > 60), 20000, 'the MP3 publish');
    for (const url of [`${server.rtmp}/live/${mp3}`, `${server.http}/live/${mp3}.flv`, `${server.http}/live/${mp3}.ts`]) {
      assert.equal(summarize((await probe(url)).streams), 'h264 320x240, mp3', url);
    }
  } finally {
    p.kill();
  }
});

test('HTTPS serves the same media and API with a self-signed certificate kept in DATA_DIR/certs', async () => {
  const { get } = await import('node:https');
  const { existsSync } = await import('node:fs');
  const body = await new Promise<string>((resolve, reject) => {
    get(`https://127.0.0.1:${server.app.httpsPort}/api/v1/versions`, { rejectUnauthorized: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  assert.match(body, /"code":0/);
  assert.ok(existsSync(join(server.dataDir, 'certs', 'cert.pem')));
  const p = await probe(`https://127.0.0.1:${server.app.httpsPort}/live/${name}.flv`, ['-tls_verify', '0']);
  assert.equal(summarize(p.streams), 'aac, h264 320x240');
});
