// IP cameras (camera/* API, the camera job kind, the in-process RTSP client) against a real RTSP server
// (GStreamer's, test/rtsp-camera-server.py): pulled over TCP and over UDP with Digest auth, H.264 + AAC and
// H.265 to a stream of ours that ffprobe reads; a wrong password gives a clear reason in the task; a
// video-only camera with extraAudio "silent" comes out as h264 + aac; a camera that vanishes makes the task
// retry and it runs again once the camera is back; a camera that refuses UDP, one that never answers, the two
// tracks on one clock, and an output to another platform (node-media-server).
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { CameraStream } from '../../src/control/jobs/camera/cameras.js';
import type { CameraFile } from '../../src/control/jobs/camera/config.js';
import { RtspSource } from '../../src/servers/rtsp/client.js';
import { startNms } from './nms.js';
import { freePort, probe, publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { startCamera, type TestCamera } from './rtsp-camera.js';
import { requireTool } from '../support.js';

const skip = requireTool('ffmpeg', 'ffprobe', 'rtsp-server');

describe('IP camera (RTSP pull)', { skip }, () => {
  let s: TestServer;
  const cams: TestCamera[] = [];
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s?.close();
    for (const c of cams) await c.kill();
  });

  async function camera(o: Parameters<typeof startCamera>[0]): Promise<TestCamera> {
    const c = await startCamera(o);
    cams.push(c);
    return c;
  }

  /** stream-url -> source (probe) -> secret update: a camera published as live/<name>. */
  async function addCamera(url: string, o: { transport?: 'tcp' | 'udp'; extraAudio?: string } = {}) {
    const name = randomName('cam');
    const platform = `camera-1-${name}`;
    const su = await s.api<{ name: string; uuid: string; target: string }>('/terraform/v1/ffmpeg/camera/stream-url', { url });
    assert.equal(su.status, 200, su.message);
    // Set the transport first, so that the probe uses it too.
    const src = await s.api<{ platform: string; files: CameraFile[] }>('/terraform/v1/ffmpeg/camera/source', {
      platform,
      files: [{ name: su.data.name, size: 0, uuid: su.data.uuid, target: su.data.target, type: 'stream' }],
    });
    assert.equal(src.status, 200, src.message);
    const up = await s.api('/terraform/v1/ffmpeg/camera/secret', {
      action: 'update',
      platform,
      server: `${s.rtmp}/live/`,
      secret: `${name}?secret=${s.secret}`,
      enabled: true,
      custom: true,
      label: `test ${name}`,
      extraAudio: o.extraAudio ?? '',
      files: src.data.files,
      transport: o.transport ?? 'tcp',
    });
    assert.equal(up.status, 200, up.message);
    return { name, platform, files: src.data.files };
  }

  async function stream(platform: string): Promise<CameraStream | undefined> {
    return (await s.api<CameraStream[]>('/terraform/v1/ffmpeg/camera/streams')).data.find((x) => x.platform === platform);
  }

  const running = (platform: string) => waitFor(async () => (await stream(platform))?.task?.state === 'running', 20000, `camera ${platform} running`);

  test('Digest auth over TCP: H.264 + AAC at the output, the probe in camera/source', async (t) => {
    const cam = await camera({ user: 'admin', password: 'pa:ss@1', video: 'h264', audio: 'aac' });
    const c = await addCamera(cam.url());
    const f = c.files[0]!;
    assert.equal(f.video?.codec_name, 'h264');
    assert.equal(f.video?.width, 320);
    assert.equal(f.audio?.codec_name, 'aac');
    assert.equal(f.audio?.sample_rate, '48000');
    await running(c.platform);
    const info = await probe(`${s.http}/live/${c.name}.flv`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    const st = (await stream(c.platform))!;
    assert.equal(st.input, cam.url().replace(/\/\/[^@]*@/, '//***@'), 'no password in the API');
    assert.ok(st.task!.log.some((l) => /transport tcp, video h264, audio aac/.test(l)), st.task!.log.join('\n'));
    t.diagnostic(st.task!.log.join(' | '));
  });

  test('UDP: RTP/RTCP port pairs, no fallback to TCP', async () => {
    const cam = await camera({ user: 'admin', password: 'secret' });
    const c = await addCamera(cam.url(), { transport: 'udp' });
    await running(c.platform);
    const info = await probe(`${s.http}/live/${c.name}.flv`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    const st = (await stream(c.platform))!;
    assert.ok(st.task!.log.some((l) => /transport udp/.test(l)), st.task!.log.join('\n'));
  });

  test('H.265 camera: hevc at the output', async () => {
    const cam = await camera({ video: 'h265', audio: 'aac' });
    const c = await addCamera(cam.url());
    assert.equal(c.files[0]!.video?.codec_name, 'hevc');
    await running(c.platform);
    const info = await probe(`${s.http}/live/${c.name}.ts`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'hevc']);
  });

  test('a video-only camera with extraAudio "silent" gives h264 + aac (44100 Hz stereo)', async () => {
    const cam = await camera({ video: 'h264', audio: 'none' });
    const c = await addCamera(cam.url(), { extraAudio: 'silent' });
    await running(c.platform);
    const info = await probe(`${s.http}/live/${c.name}.flv`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    const a = info.streams.find((x) => x.codec_type === 'audio')!;
    assert.equal(a.sample_rate, '44100');
    assert.equal(a.channels, 2);
  });

  test('a wrong password: camera/source refuses it, the task retries with the reason', async () => {
    const cam = await camera({ user: 'admin', password: 'right' });
    const su = await s.api<{ uuid: string; target: string }>('/terraform/v1/ffmpeg/camera/stream-url', { url: cam.url('admin', 'wrong') });
    const bad = await s.api('/terraform/v1/ffmpeg/camera/source', {
      platform: 'camera-9-bad',
      files: [{ name: 'cam', size: 0, uuid: su.data.uuid, target: su.data.target, type: 'stream' }],
    });
    assert.equal(bad.status, 400);
    assert.match(bad.message ?? '', /refused the user name and password \(401/);
    assert.doesNotMatch(bad.message ?? '', /wrong/, 'the password is not echoed');
    // A stored config with the wrong password (the camera's password was changed): the task says why.
    const name = randomName('cam');
    const up = await s.api('/terraform/v1/ffmpeg/camera/secret', {
      action: 'update',
      platform: `camera-2-${name}`,
      server: `${s.rtmp}/live/`,
      secret: `${name}?secret=${s.secret}`,
      enabled: true,
      files: [{ name: 'cam', size: 0, uuid: su.data.uuid, target: su.data.target, type: 'stream' }],
    });
    assert.equal(up.status, 200, up.message);
    const st = await waitFor(async () => {
      const x = await stream(`camera-2-${name}`);
      return x?.task?.state === 'retrying' ? x : undefined;
    });
    assert.match(st.task!.reason, /refused the user name and password \(401 Unauthorized on DESCRIBE\)/);
    assert.ok(st.task!.retryInMs > 0);
  });

  test('no such path, refused connection, unsupported scheme: clear errors', async () => {
    const cam = await camera({});
    const src = (target: string) => s.api('/terraform/v1/ffmpeg/camera/source', { platform: 'camera-9-x', files: [{ name: 'x', uuid: 'u', target, type: 'stream' }] });
    assert.match((await src(cam.url().replace('/cam', '/nope'))).message ?? '', /no stream at \/nope \(404/);
    assert.match((await src('rtsp://127.0.0.1:1/cam')).message ?? '', /connection refused/);
    assert.match((await src('gopher://127.0.0.1/x')).message ?? '', /gopher:\/\/ camera URLs are not supported/);
    assert.match((await s.api('/terraform/v1/ffmpeg/camera/stream-url', { url: 'ftp://x/y' })).message ?? '', /invalid url scheme ftp/);
    assert.match((await s.api('/terraform/v1/ffmpeg/camera/secret', { action: 'update', platform: 'nope', server: 'rtmp://x/y' })).message ?? '', /invalid platform nope/);
  });

  test('an rtmp:// camera (RtmpPull) with extraAudio "silent": its audio replaced by 44100 Hz stereo silence', async () => {
    const src = randomName('src');
    const pub = publish(s.publishUrl(src));
    try {
      await waitFor(() => s.app.hub.list().find((x) => x.url.stream === src && x.active && x.video), 20000, 'the RTMP source');
      const c = await addCamera(`${s.rtmp}/live/${src}`, { extraAudio: 'silent' });
      assert.equal(c.files[0]!.video?.codec_name, 'h264');
      await running(c.platform);
      const info = await probe(`${s.http}/live/${c.name}.flv`);
      assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
      const a = info.streams.find((x) => x.codec_type === 'audio')!;
      assert.equal(a.sample_rate, '44100', 'the source has 44100 Hz mono sine; the silence is stereo');
      assert.equal(a.channels, 2);
    } finally {
      pub.kill();
    }
  });

  test('an srt:// camera (through the URL source virtual live uses) with extraAudio "silent": h264 + stereo silence', async () => {
    if (!s.app.srtPort) return;
    const src = randomName('srtsrc');
    const pub = publish(s.publishUrl(src));
    try {
      await waitFor(() => s.app.hub.list().find((x) => x.url.stream === src && x.active && x.video), 20000, 'the source stream');
      const sid = `#!::r=live/${src},m=request`;
      const c = await addCamera(`srt://127.0.0.1:${s.app.srtPort}?streamid=${sid}`, { extraAudio: 'silent' });
      assert.equal(c.files[0]!.video?.codec_name, 'h264');
      await running(c.platform);
      const info = await probe(`${s.http}/live/${c.name}.flv`);
      assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
      assert.equal(info.streams.find((x) => x.codec_type === 'audio')!.channels, 2);
    } finally {
      pub.kill();
    }
  });

  test('the camera vanishes: retrying with the reason; it comes back: running again', async (t) => {
    const cam = await camera({});
    const c = await addCamera(cam.url());
    await running(c.platform);
    const port = cam.port;
    await cam.kill();
    const gone = await waitFor(async () => {
      const x = await stream(c.platform);
      return x?.task?.state === 'retrying' ? x : undefined;
    }, 30000, 'retrying');
    t.diagnostic(`reason: ${gone.task!.reason}`);
    assert.match(gone.task!.reason, /closed the connection|connection refused|no media/);
    const back = await camera({ port });
    const t0 = Date.now();
    await running(c.platform);
    t.diagnostic(`running again ${Date.now() - t0} ms after the camera came back`);
    const info = await probe(`${s.http}/live/${c.name}.flv`);
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
    void back;
  });
});

describe('IP camera: transports, timeouts, a target platform', { skip }, () => {
  let s: TestServer;
  let nms: Proc | null = null;
  const cams: TestCamera[] = [];
  const hanging: NetServer[] = [];
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s?.close();
    for (const c of cams) await c.kill();
    nms?.kill();
    for (const h of hanging) h.close();
  });

  test('a camera that refuses UDP (461): the client falls back to TCP by itself', async () => {
    const cam = await startCamera({ tcpOnly: true });
    cams.push(cam);
    const src = new RtspSource(cam.url(), { transport: 'udp' });
    let frames = 0;
    await src.start(() => frames++);
    try {
      assert.equal(src.probe.transport, 'tcp');
      await waitFor(() => frames > 10, 10000, 'frames over TCP');
    } finally {
      await src.stop();
    }
  });

  test('keepalives within the session timeout: a camera whose sessions time out after 2 s gets one every second', async () => {
    const cam = await startCamera({ sessionTimeout: 2 });
    cams.push(cam);
    for (const transport of ['tcp', 'udp'] as const) {
      const src = new RtspSource(cam.url(), { transport, udpFallbackMs: 0 });
      let last = 0;
      let ended = '';
      src.ended.on((why) => (ended = why));
      await src.start((f) => {
        if (!f.header) last = f.dts;
      });
      try {
        await new Promise((r) => setTimeout(r, 7000));
        assert.equal(ended, '', transport);
        assert.ok(last > 5000, `${transport}: media up to ${last} ms`);
      } finally {
        await src.stop();
      }
    }
    // Session: ...;timeout=2 -> a keepalive every second (GET_PARAMETER: GStreamer lists it in Public).
    const keepalives = cam.proc.stdout().toString().match(/keepalive GET_PARAMETER/g)?.length ?? 0;
    assert.ok(keepalives >= 2 * 5, `${keepalives} keepalives in 2 x 7 s`);
    assert.doesNotMatch(cam.proc.stdout().toString(), /expired/, 'no session expired while it was pulled');
  });

  test('a camera that accepts the connection and never answers: a timeout that says so', async () => {
    const port = await freePort();
    const h = createNetServer(() => undefined);
    hanging.push(h);
    await new Promise<void>((r) => h.listen(port, '127.0.0.1', r));
    const src = new RtspSource(`rtsp://127.0.0.1:${port}/cam`, { timeoutMs: 1000 });
    await assert.rejects(src.start(() => undefined), /the camera did not answer OPTIONS within 1 s/);
  });

  test('audio and video on one clock: the first AAC and H.264 timestamps at the output are close', async () => {
    const cam = await startCamera({});
    cams.push(cam);
    const src = new RtspSource(cam.url());
    const first: Record<string, number> = {};
    let last = { video: -1, audio: -1 };
    let backwards = 0;
    await src.start((f) => {
      if (f.header || f.type === 'script') return;
      first[f.type] ??= f.dts;
      const k = f.type as 'video' | 'audio';
      if (f.dts < last[k]) backwards++;
      last[k] = f.dts;
    });
    try {
      await waitFor(() => last.video > 3000 && last.audio > 3000, 15000, '3 s of media');
    } finally {
      await src.stop();
    }
    assert.equal(backwards, 0, 'timestamps never go back within a track');
    assert.ok(Math.abs(first.video! - first.audio!) < 300, `first video at ${first.video} ms, first audio at ${first.audio} ms`);
    // both tracks advance at the same rate (the RTP clocks are 90 kHz and 48 kHz)
    assert.ok(Math.abs(last.video - last.audio) < 400, `video at ${last.video} ms, audio at ${last.audio} ms`);
  });

  test('output to another platform (node-media-server over RTMP): h264 + aac there', async () => {
    const cam = await startCamera({});
    cams.push(cam);
    const n = await startNms();
    nms = n.proc;
    const nmsRtmp = n.rtmpPort;
    const name = randomName('cam');
    const platform = `camera-3-${name}`;
    const src = await s.api<{ files: CameraFile[] }>('/terraform/v1/ffmpeg/camera/source', {
      platform,
      files: [{ name: 'cam', size: 0, uuid: 'u', target: cam.url(), type: 'stream' }],
    });
    assert.equal(src.status, 200, src.message);
    const up = await s.api('/terraform/v1/ffmpeg/camera/secret', {
      action: 'update', platform, server: `rtmp://127.0.0.1:${nmsRtmp}/live`, secret: name, enabled: true, files: src.data.files,
    });
    assert.equal(up.status, 200, up.message);
    await waitFor(async () => (await s.api<CameraStream[]>('/terraform/v1/ffmpeg/camera/streams')).data.find((x) => x.platform === platform)?.task?.state === 'running', 20000, 'running');
    assert.equal(s.app.hub.list().some((x) => x.url.stream === name), false, 'not a stream of ours');
    const info = await waitFor(() => probe(`rtmp://127.0.0.1:${nmsRtmp}/live/${name}`), 20000, 'node-media-server plays it');
    assert.deepEqual(info.streams.map((x) => x.codec_name).sort(), ['aac', 'h264']);
  });
});
