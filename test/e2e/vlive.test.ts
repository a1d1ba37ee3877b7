// Virtual live end to end, with real clients: a 10 s MP4 (uploaded), a 10 s FLV (a file on the server) and a
// 10 s MKV loop into streams of ours; after 35 s each still plays, and ffprobe sees timestamps that only go
// forward, without a jump, across a loop. MP4 and FLV loop in-process (no FFmpeg mentions their file), the MKV
// through FFmpeg. A stream URL of another server (HLS files written by ffmpeg, served by a node http server;
// RTMP of node-media-server) is pulled into a stream of ours; an MP4 goes out to node-media-server as a target
// platform. Refused with a clear error: an upload over the limit (declared, and streamed chunked), without
// auth, not media; a server path outside the allowed directories, with "..", through a symlink; a bad URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, symlinkSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, extname } from 'node:path';
import { requireTool } from '../support.js';
import { cleanupAll, freePort, probe, publish, randomName, run, sleep, startServer, summarize, tempDir, waitFor, type Proc, type TestServer } from './helpers.js';
import { startNms, type Nms } from './nms.js';
import { checkContinuous, makeMedia, multipart, packets, processesWith } from './vlive-helpers.js';

const skip = requireTool('ffmpeg', 'ffprobe');
const V = '/terraform/v1/ffmpeg/vlive';
let srv: TestServer;
let nms: Nms;
let media: string;
let allowed: string;
const procs: Proc[] = [];
let hls: Server | null = null;

interface Source {
  uuid: string;
  target: string;
  name: string;
  type: string;
  size: number;
  format?: { duration: string; has_video: boolean; has_audio: boolean };
  video?: { codec_name: string; width: number; height: number } | null;
  audio?: { codec_name: string; sample_rate: string; channels: number } | null;
}

interface VliveStream {
  platform: string;
  mode?: string;
  ready?: string;
  output: string;
  files: Source[];
  task: { state: string; reason: string; frames: number; log: string[] } | null;
}

before(async () => {
  if (skip) return;
  media = tempDir('vlive-media-');
  allowed = tempDir('vlive-allowed-');
  srv = await startServer({ VLIVE_UPLOAD_MAX_MB: '2', VLIVE_FILE_DIRS: allowed });
  await Promise.all([
    makeMedia(join(media, 'ten.mp4'), 10, ['-movflags', '+faststart']),
    makeMedia(join(allowed, 'ten.flv'), 10),
    makeMedia(join(allowed, 'ten.mkv'), 10),
    makeMedia(join(media, 'mpeg4.mkv'), 1, ['-c:v', 'mpeg4']),
  ]);
  nms = await startNms();
});

after(async () => {
  for (const p of procs) p.kill();
  nms?.proc.kill();
  hls?.close();
  await srv?.close();
  cleanupAll();
});

async function upload(filename: string, data: Buffer, auth = true): Promise<{ status: number; body: { code: number; data: Source; message?: string } }> {
  const { body, type } = multipart(filename, data);
  const r = await fetch(`${srv.http}${V}/upload/${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'Content-Type': type, ...(auth ? { Authorization: `Bearer ${srv.bearer}` } : {}) },
    body: new Uint8Array(body),
  });
  return { status: r.status, body: (await r.json()) as { code: number; data: Source; message?: string } };
}

/** Binds a source to a platform and turns it on with output server + secret. */
async function startVlive(platform: string, source: Source, server: string, secret: string): Promise<Source> {
  const bound = await srv.api<{ files: Source[] }>(`${V}/source`, { platform, files: [source] });
  assert.equal(bound.status, 200, bound.message);
  const files = bound.data.files;
  const up = await srv.api(`${V}/secret`, { action: 'update', platform, server, secret, enabled: true, custom: true, label: platform, files });
  assert.equal(up.status, 200, up.message);
  return files[0]!;
}

async function streams(): Promise<VliveStream[]> {
  return (await srv.api<VliveStream[]>(`${V}/streams`)).data;
}

async function running(platform: string): Promise<VliveStream> {
  return waitFor(async () => {
    const s = (await streams()).find((x) => x.platform === platform);
    return s?.task?.state === 'running' ? s : null;
  }, 30000, `${platform} running (${JSON.stringify((await streams()).find((x) => x.platform === platform)?.task)})`);
}

const ours = () => `rtmp://127.0.0.1:${srv.app.rtmpPort}/live`;

test('virtual live refuses what it cannot use, with a clear error', { skip }, async () => {
  // over the limit (2 MB): declared by Content-Length
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const r1 = await upload('big.mp4', big);
  assert.equal(r1.status, 413);
  assert.match(r1.body.message ?? '', /larger than 2 MB.*VLIVE_UPLOAD_MAX_MB/);
  // ... and streamed chunked (no Content-Length): stopped at the limit while it is written
  const { body, type } = multipart('big.mp4', big);
  let at = 0;
  const chunked = new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= body.length) return c.close();
      c.enqueue(new Uint8Array(body.subarray(at, at + 64 * 1024)));
      at += 64 * 1024;
    },
  });
  const r2 = await fetch(`${srv.http}${V}/upload/big.mp4`, {
    method: 'POST',
    headers: { 'Content-Type': type, Authorization: `Bearer ${srv.bearer}` },
    body: chunked,
    duplex: 'half',
  } as RequestInit);
  assert.equal(r2.status, 413);
  assert.match(((await r2.json()) as { message: string }).message, /larger than 2 MB/);
  // nothing is left in DATA_DIR/upload
  const left = run('ls', [join(srv.dataDir, 'upload')]);
  await left.exited;
  assert.equal(left.stdout().toString().trim(), '', 'the refused uploads were deleted');

  // without auth
  const r3 = await upload('ten.mp4', readFileSync(join(media, 'ten.mp4')), false);
  assert.equal(r3.status, 401);
  assert.match(r3.body.message ?? '', /authentication/);
  // not media, and not a file type virtual live takes
  const r4 = await upload('noise.mp4', Buffer.alloc(200 * 1024, 3));
  assert.equal(r4.status, 400);
  assert.match(r4.body.message ?? '', /noise\.mp4/);
  // real media, but a codec that cannot be looped without transcoding
  const r4b = await upload('mpeg4.mkv', readFileSync(join(media, 'mpeg4.mkv')));
  assert.equal(r4b.status, 400);
  assert.match(r4b.body.message ?? '', /invalid video codec mpeg4 in mpeg4\.mkv/);
  const r5 = await upload('notes.txt', Buffer.from('hello'));
  assert.equal(r5.status, 400);
  assert.match(r5.body.message ?? '', /must end in \.mp4/);
  // a part named otherwise than the URL
  const { body: b6, type: t6 } = multipart('other.mp4', Buffer.from('x'));
  const r6 = await fetch(`${srv.http}${V}/upload/ten.mp4`, { method: 'POST', headers: { 'Content-Type': t6, Authorization: `Bearer ${srv.bearer}` }, body: new Uint8Array(b6) });
  assert.equal(r6.status, 400);
  assert.match(((await r6.json()) as { message: string }).message, /mismatch/);

  // server files: outside DATA_DIR and VLIVE_FILE_DIRS, "..", a symlink that leaves them
  copyFileSync(join(media, 'ten.mp4'), join(tempDir('vlive-outside-'), 'x.mp4'));
  const s1 = await srv.api(`${V}/server`, { file: join(media, 'ten.mp4') });
  assert.equal(s1.status, 400);
  assert.match(s1.message ?? '', /refused.*only read under/);
  const s2 = await srv.api(`${V}/server`, { file: `${allowed}/../${media.split('/').pop()}/ten.mp4` });
  assert.equal(s2.status, 400);
  assert.match(s2.message ?? '', /"\.\." is not allowed/);
  symlinkSync(join(media, 'ten.mp4'), join(allowed, 'link.mp4'));
  const s3 = await srv.api(`${V}/server`, { file: join(allowed, 'link.mp4') });
  assert.equal(s3.status, 400);
  assert.match(s3.message ?? '', /symlink/);
  const s4 = await srv.api(`${V}/server`, { file: '/etc/passwd.mp4' });
  assert.equal(s4.status, 400);
  const s5 = await srv.api(`${V}/server`, { file: join(allowed, 'missing.mp4') });
  assert.equal(s5.status, 400);
  assert.match(s5.message ?? '', /no file/);
  // and source re-checks a server path given straight to it
  const s6 = await srv.api(`${V}/source`, { platform: 'vlive-x', files: [{ type: 'file', target: join(media, 'ten.mp4') }] });
  assert.equal(s6.status, 400);
  const s7 = await srv.api(`${V}/source`, { platform: 'vlive-x', files: [{ type: 'upload', target: 'upload/../redis/dump.rdb' }] });
  assert.equal(s7.status, 400);
  assert.match(s7.message ?? '', /invalid target/);

  // stream URLs and platforms
  const u1 = await srv.api(`${V}/stream-url`, { url: 'ftp://example.com/a.flv' });
  assert.equal(u1.status, 400);
  assert.match(u1.message ?? '', /invalid url scheme ftp/);
  const u2 = await srv.api(`${V}/streamUrl`, { url: 'http://example.com/page.html' });
  assert.equal(u2.status, 400);
  assert.match(u2.message ?? '', /\.flv.*\.m3u8.*\.ts/);
  const p1 = await srv.api(`${V}/source`, { platform: 'youtube', files: [{ type: 'stream', target: 'rtmp://127.0.0.1/live/x' }] });
  assert.equal(p1.status, 400);
  assert.match(p1.message ?? '', /invalid platform/);
  // a stream URL that does not answer: ffprobe's reason
  const p2 = await srv.api(`${V}/source`, { platform: 'vlive-dead', files: [{ type: 'stream', target: `rtmp://127.0.0.1:${await freePort()}/live/none` }] });
  assert.equal(p2.status, 400);
  // the ytdl path is not built, and says so
  const y = await srv.api(`${V}/ytdl`, { url: 'https://www.youtube.com/watch?v=x' });
  assert.equal(y.status, 501);
});

test('virtual live: files loop for 35 s (MP4 and FLV in-process, MKV through FFmpeg), stream URLs of other servers, output to a platform', { skip, timeout: 180000 }, async (t) => {
  // --- sources ---
  const up = await upload('ten.mp4', readFileSync(join(media, 'ten.mp4')));
  assert.equal(up.status, 200, up.body.message);
  const mp4 = up.body.data;
  assert.match(mp4.target, /^upload\/[0-9a-f-]+\.mp4$/);
  assert.equal(mp4.video?.codec_name, 'h264');
  assert.equal(mp4.audio?.codec_name, 'aac');
  assert.ok(Math.abs(Number(mp4.format?.duration) - 10) < 0.5, mp4.format?.duration);

  const flvRes = await srv.api<Source>(`${V}/server`, { file: join(allowed, 'ten.flv') });
  assert.equal(flvRes.status, 200, flvRes.message);
  const mkvRes = await srv.api<Source>(`${V}/server`, { file: join(allowed, 'ten.mkv') });
  assert.equal(mkvRes.status, 200, mkvRes.message);

  // HLS of another server: ffmpeg writes HLS files, a node http server serves them
  const hlsDir = tempDir('vlive-hls-');
  const hlsPort = await freePort();
  hls = createServer((req, res) => {
    const f = join(hlsDir, (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '').replace(/\.\./g, ''));
    res.setHeader('Content-Type', extname(f) === '.m3u8' ? 'application/vnd.apple.mpegurl' : 'video/mp2t');
    createReadStream(f).on('error', () => res.writeHead(404).end()).pipe(res);
  });
  await new Promise<void>((r) => hls!.listen(hlsPort, '127.0.0.1', r));
  procs.push(publish(join(hlsDir, 'live.m3u8'), { format: 'hls' }));
  // RTMP of another server: ffmpeg publishes to node-media-server
  const nmsName = randomName('nms');
  procs.push(publish(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${nmsName}`));
  await waitFor(() => readFileSync(join(hlsDir, 'live.m3u8'), 'utf8').includes('.ts'), 20000, 'ffmpeg writing HLS');
  await sleep(1500);
  const hlsUrl = await srv.api<Source>(`${V}/stream-url`, { url: `http://127.0.0.1:${hlsPort}/live.m3u8` });
  assert.equal(hlsUrl.status, 200, hlsUrl.message);
  const rtmpUrl = await srv.api<Source>(`${V}/stream-url`, { url: `rtmp://127.0.0.1:${nms.rtmpPort}/live/${nmsName}` });
  assert.equal(rtmpUrl.status, 200, rtmpUrl.message);

  // --- tasks: into streams of ours, and one to node-media-server ---
  const names = { mp4: randomName('vmp4'), flv: randomName('vflv'), mkv: randomName('vmkv'), hls: randomName('vhls'), rtmp: randomName('vrtmp'), out: randomName('vout') };
  const bound = await startVlive('vlive-mp4', mp4, ours(), `${names.mp4}?secret=${srv.secret}`);
  assert.match(bound.target, /^vlive\//, 'the upload moved to DATA_DIR/vlive');
  await startVlive('vlive-flv', flvRes.data, ours(), `${names.flv}?secret=${srv.secret}`);
  await startVlive('vlive-mkv', mkvRes.data, ours(), `${names.mkv}?secret=${srv.secret}`);
  await startVlive('vlive-hls', hlsUrl.data, `${ours()}/`, `${names.hls}?secret=${srv.secret}`);
  await startVlive('vlive-rtmp', rtmpUrl.data, ours(), `${names.rtmp}?secret=${srv.secret}`);
  // SRS Stack's behaviour: a target platform (server + stream key)
  const mp4Again = (await upload('ten.mp4', readFileSync(join(media, 'ten.mp4')))).body.data;
  await startVlive('vlive-out', mp4Again, `rtmp://127.0.0.1:${nms.rtmpPort}/live`, names.out);
  const startedAt = Date.now();

  const s = Object.fromEntries(await Promise.all(['mp4', 'flv', 'mkv', 'hls', 'rtmp', 'out'].map(async (k) => [k, await running(`vlive-${k}`)] as const)));
  assert.equal(s.mp4.mode, 'mp4');
  assert.equal(s.flv.mode, 'flv');
  assert.equal(s.mkv.mode, 'ffmpeg');
  assert.equal(s.hls.mode, 'ffmpeg');
  assert.equal(s.rtmp.mode, 'rtmp');
  assert.match(s.out.output, /live\/vout/);

  // the stream URLs play as streams of ours, and the output to node-media-server plays there
  for (const k of ['hls', 'rtmp'] as const) {
    const info = await probe(`${srv.http}/live/${names[k]}.flv`);
    assert.match(summarize(info.streams), /aac, h264 320x240/, k);
  }
  const remote = await probe(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${names.out}`);
  assert.match(summarize(remote.streams), /aac, h264 320x240/);

  // --- 35 s later the files still play, timestamps continuous across the loops ---
  await sleep(Math.max(0, 35000 - (Date.now() - startedAt)));
  const mp4Path = join(srv.dataDir, bound.target);
  assert.deepEqual(processesWith(mp4Path), [], 'no FFmpeg reads the MP4');
  assert.deepEqual(processesWith(join(allowed, 'ten.flv')), [], 'no FFmpeg reads the FLV');
  assert.equal(processesWith(join(allowed, 'ten.mkv')).length, 1, 'one FFmpeg reads the MKV');
  const checks = await Promise.all((['mp4', 'flv', 'mkv'] as const).map(async (k) => [k, checkContinuous(await packets(`${srv.http}/live/${names[k]}.flv`, 11))] as const));
  for (const [k, c] of checks) {
    t.diagnostic(`${k}: ${c.videos} video and ${c.audios} audio packets over ${c.videoSpan.toFixed(2)} s, first video dts ${c.firstVideoDts}`);
    // 11 s of a 10 s loop: the read crosses a loop boundary; the timestamps grew over three loops (not reset)
    assert.ok(c.videoSpan > 10, `${k}: ${c.videoSpan} s of video`);
    assert.ok(c.firstVideoDts > 30, `${k}: the timestamps start at ${c.firstVideoDts} s, 30+ s in`);
    assert.ok(c.videos > 10 * 25 * 0.95 && c.audios > 10 * 40, `${k}: ${c.videos} video, ${c.audios} audio packets`);
  }
  // the task state says how long it has been running
  const after35 = await streams();
  for (const k of ['mp4', 'flv', 'mkv']) {
    const x = after35.find((y) => y.platform === `vlive-${k}`)!;
    assert.equal(x.task?.state, 'running', k);
    assert.ok((x.task?.frames ?? 0) > 30 * 60, `${k} frames ${x.task?.frames}`);
  }
  // the output streams are listed as file publishes in SRS's API
  const clients = (await (await fetch(`${srv.http}/api/v1/clients`, { headers: { Authorization: `Bearer ${srv.bearer}` } })).json()) as { clients: { type: string; name: string }[] };
  assert.ok(clients.clients.some((c) => c.type === 'file-publish' && c.name === names.mp4), JSON.stringify(clients.clients));

  // --- disable and remove ---
  const cfg = (await srv.api<Record<string, { files: Source[]; server: string; secret: string }>>(`${V}/secret`)).data['vlive-mkv']!;
  assert.equal((await srv.api(`${V}/secret`, { action: 'update', platform: 'vlive-mkv', server: cfg.server, secret: cfg.secret, enabled: false, files: cfg.files })).status, 200);
  await waitFor(async () => (await streams()).find((x) => x.platform === 'vlive-mkv')?.task?.state === 'stopped', 10000, 'mkv stopped');
  await waitFor(() => processesWith(join(allowed, 'ten.mkv')).length === 0, 5000, 'its FFmpeg ended');
  assert.equal((await srv.api(`${V}/remove`, { platform: 'vlive-mp4' })).status, 200);
  assert.ok(!(await streams()).some((x) => x.platform === 'vlive-mp4'));
  assert.equal((await srv.api(`${V}/remove`, { platform: 'vlive-mp4' })).status, 404);
});

test('a stream URL that stops sending: "retrying" with the reason, running again when it sends again', { skip, timeout: 90000 }, async () => {
  const name = randomName('stall');
  const ff = publish(`rtmp://127.0.0.1:${nms.rtmpPort}/live/${name}`);
  procs.push(ff);
  await sleep(2000);
  const src = await srv.api<Source>(`${V}/stream-url`, { url: `rtmp://127.0.0.1:${nms.rtmpPort}/live/${name}` });
  await startVlive('vlive-stall', src.data, ours(), `${name}?secret=${srv.secret}`);
  await running('vlive-stall');
  // the publisher of node-media-server freezes: the connection stays, no media comes
  ff.child.kill('SIGSTOP');
  const stalled = await waitFor(async () => {
    const s = (await streams()).find((x) => x.platform === 'vlive-stall');
    return s?.task?.state === 'retrying' && /no media/.test(s.task.reason) ? s : null;
  }, 30000, 'retrying because no media came');
  assert.match(stalled.task!.reason, new RegExp(`no media from rtmp://127\\.0\\.0\\.1:${nms.rtmpPort}/live/${name} for 1\\d s`));
  ff.child.kill('SIGCONT');
  await running('vlive-stall');
  ff.kill();
  assert.equal((await srv.api(`${V}/remove`, { platform: 'vlive-stall' })).status, 200);
});
