// The SRS API (/api/v1) and SRS Stack's stream routes over a real Hub with registered clients (the servers'
// part is faked here; the end-to-end test with ffmpeg is test/e2e/api-media.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { AudioCodec, VideoCodec } from '../../../src/core/frame.js';
import { call, cleanupAll, fakeClient, startPlane, startRedis, waitFor, type Plane, type TestRedis } from './helpers.js';

describe('SRS API and stream routes', () => {
  let redis: TestRedis;
  let p: Plane;
  let rc: Redis;
  let bearer = '';
  const url = { vhost: '__defaultVhost__', app: 'live', stream: 'cam9', param: '?secret=x' };

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url }, { statsIntervalMs: 100 });
    bearer = p.cp.platformSecret;
    rc = new Redis(redis.url);
  });
  after(async () => {
    rc?.disconnect();
    await p?.close();
    cleanupAll();
  });

  it('lists a live stream with SRS fields, codec and size, and its clients', async () => {
    const pub = fakeClient(p.hub, url, 'fmle-publish', true);
    const viewer = fakeClient(p.hub, { ...url, param: '' }, 'flv-play', false);
    const s = p.hub.get(url)!;
    s.video = { codec: VideoCodec.H264, profile: 'High', level: '3.0', width: 320, height: 240 };
    s.audio = { codec: AudioCodec.AAC, sampleRate: 44100, channels: 2, profile: 'LC' };
    pub.recvBytes = 1000;
    viewer.sendBytes = 500;
    await new Promise((r) => setTimeout(r, 150));
    pub.recvBytes += 125_000; // 1 Mbit
    viewer.sendBytes += 125_000;
    await new Promise((r) => setTimeout(r, 250));

    const r = await call(p.base, 'GET', '/api/v1/streams/', { bearer });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.code, 0);
    assert.match(r.json.server, /^vid-/);
    assert.equal(r.json.streams.length, 1);
    const st = r.json.streams[0];
    assert.equal(st.id, s.id);
    assert.equal(st.name, 'cam9');
    assert.equal(st.vhost, '__defaultVhost__');
    assert.equal(st.app, 'live');
    assert.equal(st.url, '/live/cam9');
    assert.equal(st.tcUrl, 'rtmp://127.0.0.1/live');
    assert.equal(st.clients, 2);
    assert.equal(st.recv_bytes, 126_000);
    assert.equal(st.send_bytes, 125_500);
    assert.ok(st.kbps.recv_30s > 0 && st.kbps.send_30s > 0, JSON.stringify(st.kbps));
    assert.deepEqual(st.publish, { active: true, cid: pub.id });
    assert.deepEqual(st.video, { codec: 'H264', profile: 'High', level: '3.0', width: 320, height: 240 });
    assert.deepEqual(st.audio, { codec: 'AAC', sample_rate: 44100, channel: 2, profile: 'LC' });
    assert.equal(typeof st.live_ms, 'number');
    assert.equal(typeof st.frames, 'number');

    const one = await call(p.base, 'GET', `/api/v1/streams/${s.id}`, { bearer });
    assert.equal(one.json.stream.id, s.id);
    const none = await call(p.base, 'GET', '/api/v1/streams/vid-nope', { bearer });
    assert.equal(none.status, 404);
    assert.equal(none.json.code, 2048);

    const cl = await call(p.base, 'GET', '/api/v1/clients', { bearer });
    assert.equal(cl.json.clients.length, 2);
    const c = cl.json.clients.find((x: { id: string }) => x.id === pub.id);
    assert.equal(c.type, 'fmle-publish');
    assert.equal(c.publish, true);
    assert.equal(c.stream, s.id);
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(c.url, '/live/cam9');
    assert.equal(c.recv_bytes, 126_000);
    assert.equal(typeof c.alive, 'number');
    assert.ok('kbps' in c);
    const c1 = await call(p.base, 'GET', `/api/v1/clients/${viewer.id}`, { bearer });
    assert.equal(c1.json.client.type, 'flv-play');

    const sum = await call(p.base, 'GET', '/api/v1/summaries', { bearer });
    assert.equal(sum.json.data.ok, true);
    assert.equal(sum.json.data.self.pid, process.pid);
    assert.equal(typeof sum.json.data.self.srs_uptime, 'number');
    assert.equal(typeof sum.json.data.system.cpu_percent, 'number');
    assert.ok(sum.json.data.system.srs_recv_bytes >= 126_000);
    assert.ok('recv_30s' in sum.json.data.kbps);
    const vh = await call(p.base, 'GET', '/api/v1/vhosts', { bearer });
    assert.equal(vh.json.vhosts[0].name, '__defaultVhost__');
    assert.equal(vh.json.vhosts[0].streams, 1);

    // SRS Stack's list, from the hub, and its copy in Redis.
    const q = await call(p.base, 'POST', '/terraform/v1/mgmt/streams/query', { bearer });
    assert.equal(q.json.data.streams.length, 1);
    const a = q.json.data.streams[0];
    assert.deepEqual(Object.keys(a).sort(), ['app', 'client_id', 'param', 'server_id', 'stream', 'update', 'vhost']);
    assert.equal(a.client_id, pub.id);
    assert.equal(a.server_id, r.json.server);
    await waitFor('SRS_STREAM_ACTIVE', async () => !!(await rc.hget('SRS_STREAM_ACTIVE', 'live/cam9')));
  });

  it('video.fps is measured when the SPS has none; drops counts frames dropped for viewers', async () => {
    const u = { ...url, stream: 'fps1', param: '' };
    const pub = fakeClient(p.hub, u, 'fmle-publish', true);
    const s = p.hub.get(u)!;
    s.video = { codec: VideoCodec.H264, profile: 'High', level: '3.0', width: 320, height: 240 };
    const get = async () => {
      const r = await call(p.base, 'GET', '/api/v1/streams/?count=100', { bearer });
      return (r.json.streams as Array<{ name: string; drops: number; video: { fps?: number } }>).find((x) => x.name === 'fps1')!;
    };
    assert.equal((await get()).drops, 0);
    // 50 video frames a second for a while (the stats sampler runs every 100 ms here)
    let dts = 0;
    const data = Buffer.from([0x65, 0x88]);
    const timer = setInterval(() => {
      s.publish({ type: 'video', codec: VideoCodec.H264, dts, pts: dts, keyframe: dts === 0, header: false, data });
      dts += 20;
    }, 20);
    try {
      let fps = 0;
      await waitFor('a measured fps', async () => {
        fps = (await get()).video.fps ?? 0;
        return fps > 0;
      }, 5000);
      assert.ok(fps > 10 && fps < 80, `measured ${fps} fps for 50`);
    } finally {
      clearInterval(timer);
    }
    // the SPS's frame rate wins over the measured one
    s.video = { ...s.video, fps: 29.97 };
    assert.equal((await get()).video.fps, 29.97);
    pub.close('test over');
  });

  it('DELETE /api/v1/clients/{id} kicks that client', async () => {
    const viewer = p.hub.clients.list().find((c) => !c.publish)!;
    const d = await call(p.base, 'DELETE', `/api/v1/clients/${viewer.id}`, { bearer });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.code, 0);
    assert.match((viewer as unknown as { closedWith: string }).closedWith, /DELETE \/api\/v1\/clients/);
    assert.equal(p.hub.clients.get(viewer.id), undefined);
    const again = await call(p.base, 'DELETE', `/api/v1/clients/${viewer.id}`, { bearer });
    assert.equal(again.status, 404);
    assert.equal(again.json.code, 2049);
  });

  it('mgmt/streams/kickoff disconnects the publisher', async () => {
    const missing = await call(p.base, 'POST', '/terraform/v1/mgmt/streams/kickoff', { bearer, body: { app: 'live', stream: 'nope' } });
    assert.equal(missing.status, 404);
    const bad = await call(p.base, 'POST', '/terraform/v1/mgmt/streams/kickoff', { bearer, body: { app: 'live' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /field "stream"/);
    const pub = p.hub.get(url)!.publisher!;
    const k = await call(p.base, 'POST', '/terraform/v1/mgmt/streams/kickoff', {
      bearer,
      body: { vhost: '__defaultVhost__', app: 'live', stream: 'cam9' },
    });
    assert.equal(k.status, 200, k.text);
    assert.match((pub as unknown as { closedWith: string }).closedWith, /kicked off/);
    assert.equal(p.hub.get(url)?.publisher ?? null, null);
    const q = await call(p.base, 'POST', '/terraform/v1/mgmt/streams/query', { bearer });
    assert.deepEqual(q.json.data.streams, []);
    await waitFor('SRS_STREAM_ACTIVE cleared', async () => !(await rc.hget('SRS_STREAM_ACTIVE', 'live/cam9')));
  });

  it('paging and query validation', async () => {
    const bad = await call(p.base, 'GET', '/api/v1/streams?start=-1', { bearer });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /"start"/);
  });
});
