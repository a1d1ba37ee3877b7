// Operations endpoints on the real server: /metrics parses as Prometheus text and counts 2 ffmpeg publishers and
// 3 HTTP-FLV viewers exactly; it needs the API secret (unless METRICS_PUBLIC=on); /healthz answers; /readyz turns
// 503 naming Redis when the redis-server is stopped and 200 when it is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../unit/control/helpers.js';
import { cleanupAll, publish, randomName, startServer, waitFor, type Proc, type TestServer } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser of the Prometheus text format (0.0.4): throws on any line it does not understand. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
  const labelRe = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"(?:,|$)/;
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      assert.ok(m, `comment line: ${line}`);
      if (m[1] === 'TYPE') {
        assert.match(m[3]!, /^(counter|gauge|histogram|summary|untyped)$/, line);
        assert.ok(!types.has(m[2]!), `TYPE of ${m[2]} given twice`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = sampleRe.exec(line);
    assert.ok(m, `sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest.length > 0) {
      const l = labelRe.exec(rest);
      assert.ok(l, `labels of ${JSON.stringify(line)}`);
      labels[l[1]!] = l[2]!;
      rest = rest.slice(l[0].length);
    }
    const v = m[3]!;
    // Prometheus reads these with Go's ParseFloat, case-insensitively (prom-client writes a lag not yet sampled as "Nan")
    const lower = v.toLowerCase();
    const value = lower === '+inf' || lower === 'inf' ? Infinity : lower === '-inf' ? -Infinity : lower === 'nan' ? NaN : Number(v);
    assert.ok(lower === 'nan' || !Number.isNaN(value), `value of ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('operations: /healthz, /readyz, /metrics', () => {
  let redis: TestRedis;
  let s: TestServer;
  const procs: Proc[] = [];
  const readers: AbortController[] = [];
  before(async () => {
    redis = await startRedis();
    s = await startServer({ REDIS_URL: redis.url });
  });
  after(async () => {
    for (const r of readers) r.abort();
    for (const p of procs) p.kill();
    await s?.close();
    await redis?.kill();
    cleanupAll();
  });

  it('/healthz answers 200, /readyz 200 when all is up', async () => {
    const h = await fetch(`${s.http}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(await h.text(), 'ok\n');
    const r = await fetch(`${s.http}/readyz`);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(await r.text(), 'ready\n');
  });

  it('/metrics needs the API secret', async () => {
    assert.equal((await fetch(`${s.http}/metrics`)).status, 401);
    assert.equal((await fetch(`${s.http}/metrics`, { headers: { Authorization: 'Bearer srs-v2-wrong' } })).status, 401);
    assert.equal((await fetch(`${s.http}/metrics?token=garbage`)).status, 401);
  });

  it('/metrics parses and counts 2 publishers and 3 HTTP-FLV viewers exactly', async () => {
    const names = [randomName('m'), randomName('m')];
    for (const n of names) procs.push(publish(s.publishUrl(n)));
    await waitFor(() => s.app.hub.list().filter((x) => x.active && x.videoHeader).length === 2, 20000, 'two streams publishing');
    const got: number[] = [0, 0, 0];
    for (let i = 0; i < 3; i++) {
      const ac = new AbortController();
      readers.push(ac);
      const res = await fetch(`${s.http}/live/${names[i % 2]}.flv`, { signal: ac.signal });
      assert.equal(res.status, 200);
      void (async () => {
        try {
          for await (const chunk of res.body!) got[i]! += (chunk as Uint8Array).length;
        } catch {
          /* aborted */
        }
      })();
    }
    await waitFor(() => got.every((n) => n > 0), 10000, 'three viewers receiving');
    const res = await fetch(`${s.http}/metrics`, { headers: { Authorization: `Bearer ${s.bearer}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    assert.equal(value(samples, 'srs_streams'), 2);
    assert.equal(value(samples, 'srs_publishers', { protocol: 'rtmp' }), 2);
    assert.equal(value(samples, 'srs_viewers', { protocol: 'http-flv' }), 3);
    for (const p of ['rtmp', 'hls', 'http-ts', 'srt', 'webrtc']) assert.equal(value(samples, 'srs_viewers', { protocol: p }), 0, p);
    for (const p of ['srt', 'webrtc']) assert.equal(value(samples, 'srs_publishers', { protocol: p }), 0, p);
    assert.equal(samples.filter((x) => x.name === 'srs_viewers').reduce((a, x) => a + x.value, 0), 3);
    assert.equal(samples.filter((x) => x.name === 'srs_publishers').reduce((a, x) => a + x.value, 0), 2);
    assert.equal(value(samples, 'srs_redis_up'), 1);
    assert.ok(value(samples, 'srs_received_bytes')! > 0);
    assert.ok(value(samples, 'srs_viewer_drops')! >= 0);
    assert.ok(value(samples, 'srs_node_process_resident_memory_bytes')! > 10_000_000, 'RSS');
    assert.ok(value(samples, 'srs_node_nodejs_eventloop_lag_seconds')! >= 0, 'event-loop lag');
    assert.equal(types.get('srs_node_nodejs_gc_duration_seconds'), 'histogram', 'GC');
    assert.equal(types.get('srs_streams'), 'gauge');
  });

  it('/readyz turns 503 naming Redis when it is stopped, 200 when it is back', async () => {
    await redis.kill();
    const down = await waitFor(async () => {
      const r = await fetch(`${s.http}/readyz`);
      return r.status === 503 ? await r.text() : null;
    }, 10000, '/readyz 503');
    assert.match(down, /^not ready: Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer/);
    assert.equal((await fetch(`${s.http}/healthz`)).status, 200, 'liveness does not depend on Redis');
    const m = await (await fetch(`${s.http}/metrics`, { headers: { Authorization: `Bearer ${s.bearer}` } })).text();
    assert.equal(value(parsePrometheus(m).samples, 'srs_redis_up'), 0);
    await redis.start();
    await waitFor(async () => (await fetch(`${s.http}/readyz`)).status === 200, 15000, '/readyz 200 again');
  });
});

describe('operations: METRICS_PUBLIC=on', () => {
  let redis: TestRedis;
  let s: TestServer;
  before(async () => {
    redis = await startRedis();
    s = await startServer({ REDIS_URL: redis.url, METRICS_PUBLIC: 'on' });
  });
  after(async () => {
    await s?.close();
    await redis?.kill();
  });
  it('/metrics answers without credentials', async () => {
    const r = await fetch(`${s.http}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(value(parsePrometheus(await r.text()).samples, 'srs_streams'), 0);
  });
});
