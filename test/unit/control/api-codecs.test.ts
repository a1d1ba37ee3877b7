// /api/v1/streams reports what the codec parsers say: sequence headers of the fixtures (constraint-flag H.264
// profiles, HEVC Rext, HE-AAC v1/v2 signalled both ways, 5.1 in a PCE) go through a real Hub, and the API's
// video / audio objects are compared with the codec parsers' info and with what ffprobe says (codec-fixtures.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AudioCodec, VideoCodec, type Frame } from '../../../src/core/frame.js';
import { aacAudioInfo } from '../../../src/codecs/aac.js';
import { avcVideoInfo, buildAvcDecoderConfig } from '../../../src/codecs/h264.js';
import { buildHevcDecoderConfig, hevcVideoInfo } from '../../../src/codecs/h265.js';
import { AAC, AVC, HEVC } from '../codecs/codec-fixtures.js';
import { call, cleanupAll, fakeClient, startPlane, startRedis, type Plane, type TestRedis } from './helpers.js';

const header = (type: 'video' | 'audio', codec: VideoCodec | AudioCodec, data: Buffer): Frame => ({
  type,
  codec,
  dts: 0,
  pts: 0,
  keyframe: false,
  header: true,
  data,
});

describe('/api/v1/streams and the codec parsers agree', () => {
  let redis: TestRedis;
  let p: Plane;
  const url = { vhost: '__defaultVhost__', app: 'live', stream: 'codecs', param: '' };

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url });
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  async function apiStream(): Promise<{ video: Record<string, unknown> | null; audio: Record<string, unknown> | null }> {
    const r = await call(p.base, 'GET', '/api/v1/streams/', { bearer: p.cp.platformSecret });
    assert.equal(r.status, 200, r.text);
    const st = r.json.streams.find((s: { name: string }) => s.name === url.stream);
    assert.ok(st, r.text);
    return st;
  }

  it('video: profile (Constrained Baseline, High 10 Intra, ...), level and size after cropping', async () => {
    fakeClient(p.hub, url, 'fmle-publish', true);
    const s = p.hub.get(url)!;
    const cases: Array<[string, VideoCodec, Buffer, ReturnType<typeof avcVideoInfo>, ReturnType<typeof avcVideoInfo>]> = [];
    for (const [name, f] of Object.entries(AVC)) {
      const record = buildAvcDecoderConfig([f.sps], [f.pps]);
      cases.push([name, VideoCodec.H264, record, avcVideoInfo(record), f.info]);
    }
    for (const [name, f] of Object.entries(HEVC)) {
      const record = buildHevcDecoderConfig([f.vps], [f.sps], [f.pps]);
      cases.push([`hevc ${name}`, VideoCodec.H265, record, hevcVideoInfo(record), f.info]);
    }
    for (const [name, codec, record, parsed, ffprobe] of cases) {
      s.publish(header('video', codec, record));
      const st = await apiStream();
      const want = { codec: codec === VideoCodec.H265 ? 'H265' : 'H264', profile: parsed.profile, level: parsed.level, width: parsed.width, height: parsed.height,
        ...(parsed.fps !== undefined ? { fps: parsed.fps } : {}) };
      assert.deepEqual(st.video, want, `${name}: the API says what the parser says`);
      assert.deepEqual(
        [parsed.profile, parsed.level, parsed.width, parsed.height],
        [ffprobe.profile, ffprobe.level, ffprobe.width, ffprobe.height],
        `${name}: the parser says what ffprobe says`,
      );
    }
  });

  it('audio: HE-AAC at its SBR rate, HE-AAC v2 in stereo, however signalled; 5.1 from a PCE', async () => {
    const s = p.hub.get(url)!;
    for (const [name, f] of Object.entries(AAC)) {
      s.publish(header('audio', AudioCodec.AAC, f.asc));
      const st = await apiStream();
      const parsed = aacAudioInfo(f.asc);
      assert.deepEqual(st.audio, { codec: 'AAC', sample_rate: parsed.sampleRate, channel: parsed.channels, profile: parsed.profile }, name);
      assert.deepEqual(parsed, f.info, `${name}: the parser says what ffprobe says`);
    }
  });
});
