// Operations: GET /healthz (the process answers), GET /readyz (Redis answers and every listener is bound; 503
// naming what is wrong otherwise, also while shutting down) and GET /metrics (Prometheus text, prom-client):
// streams, publishers and viewers per protocol, bytes, drops, job states and restarts, Redis, and prom-client's
// process metrics (event-loop lag, GC, RSS, heap, CPU). /metrics needs the API secret unless METRICS_PUBLIC=on.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClientType } from '../../../../hub/client.js';
import { errorMessage } from '../../../errors.js';
import type { JobState } from '../../../jobs/job-kind.js';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';

/** The protocol and role of each client type, for the per-protocol gauges. */
const PROTOCOL: Record<ClientType, [protocol: string, publish: boolean]> = {
  'fmle-publish': ['rtmp', true],
  'flash-publish': ['rtmp', true],
  'rtmp-play': ['rtmp', false],
  'flv-play': ['http-flv', false],
  'ts-play': ['http-ts', false],
  'hls-play': ['hls', false],
  'srt-publish': ['srt', true],
  'srt-play': ['srt', false],
  'rtc-publish': ['webrtc', true],
  'rtc-play': ['webrtc', false],
  'pull-publish': ['pull', true],
  'file-publish': ['file', true],
  'transcode-publish': ['transcode', true],
};
const PROTOCOLS = [...new Set(Object.values(PROTOCOL).map(([p]) => p))];
const JOB_STATES: readonly JobState[] = ['starting', 'running', 'retrying', 'stopped', 'failed'];

function metricsRegistry(d: ApiDeps): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'srs_node_' });
  const { hub, stats, jobs, store } = d;
  new Gauge({
    name: 'srs_streams',
    help: 'live streams (with a publisher)',
    registers: [register],
    collect() {
      this.set(hub.list().filter((s) => s.active).length);
    },
  });
  const byProtocol = (publish: boolean) =>
    function (this: Gauge<'protocol'>) {
      const n = new Map<string, number>(PROTOCOLS.map((p) => [p, 0]));
      for (const c of hub.clients.list()) {
        const [p, pub] = PROTOCOL[c.type] ?? ['other', c.publish];
        if (pub === publish) n.set(p, (n.get(p) ?? 0) + 1);
      }
      this.reset();
      for (const [p, v] of n) this.set({ protocol: p }, v);
    };
  new Gauge({ name: 'srs_publishers', help: 'publishers connected, per protocol', labelNames: ['protocol'], registers: [register], collect: byProtocol(true) });
  new Gauge({ name: 'srs_viewers', help: 'viewers connected, per protocol', labelNames: ['protocol'], registers: [register], collect: byProtocol(false) });
  new Gauge({
    name: 'srs_received_bytes',
    help: 'bytes received from clients since the start (a counter: clients that left are kept)',
    registers: [register],
    collect() {
      this.set(stats.serverBytes().recv);
    },
  });
  new Gauge({
    name: 'srs_sent_bytes',
    help: 'bytes sent to clients since the start (a counter: clients that left are kept)',
    registers: [register],
    collect() {
      this.set(stats.serverBytes().send);
    },
  });
  new Gauge({
    name: 'srs_viewer_drops',
    help: 'frames dropped for slow viewers, summed over the viewers connected now',
    registers: [register],
    collect() {
      let n = 0;
      for (const s of hub.list()) for (const v of s.listViewers()) n += v.drops;
      this.set(n);
    },
  });
  new Gauge({
    name: 'srs_jobs',
    help: 'tasks of the job manager (record, forward, transcode, ...) per kind and state',
    labelNames: ['kind', 'state'],
    registers: [register],
    collect() {
      this.reset();
      const n = new Map<string, number>();
      for (const t of jobs.all()) {
        for (const s of JOB_STATES) if (!n.has(`${t.kind.name}\t${s}`)) n.set(`${t.kind.name}\t${s}`, 0);
        const k = `${t.kind.name}\t${t.state}`;
        n.set(k, (n.get(k) ?? 0) + 1);
      }
      for (const [k, v] of n) {
        const [kind, state] = k.split('\t');
        this.set({ kind: kind!, state: state! }, v);
      }
    },
  });
  new Gauge({
    name: 'srs_job_restarts',
    help: 'restarts (attempts after a failure) of the tasks known now, per kind',
    labelNames: ['kind'],
    registers: [register],
    collect() {
      this.reset();
      const n = new Map<string, number>();
      for (const t of jobs.all()) n.set(t.kind.name, (n.get(t.kind.name) ?? 0) + t.restarts);
      for (const [kind, v] of n) this.set({ kind }, v);
    },
  });
  new Gauge({
    name: 'srs_redis_up',
    help: '1 when the connection to Redis is ready, else 0',
    registers: [register],
    collect() {
      this.set(store.ready ? 1 : 0);
    },
  });
  return register;
}

export function registerOps(routes: ApiRoutes, d: ApiDeps): void {
  routes.add({
    path: '/healthz',
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'liveness: 200 while the process answers (no dependency is checked)',
    handler({ ctx }) {
      ctx.type = 'text/plain';
      ctx.body = 'ok\n';
    },
  });
  routes.add({
    path: '/readyz',
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'readiness: 200 when Redis answers and every listener is bound; 503 with what is wrong otherwise',
    async handler({ ctx }) {
      const problems: string[] = [];
      if (d.readiness.draining) problems.push('the server is shutting down');
      if (!d.readiness.bound) problems.push('the listeners are not bound yet (starting)');
      try {
        if (!d.store.ready) throw new Error('not connected');
        await d.store.ping();
      } catch (e) {
        problems.push(`Redis at ${d.store.where} does not answer (${errorMessage(e)}): start it, or check REDIS_URL`);
      }
      ctx.status = problems.length === 0 ? 200 : 503;
      ctx.type = 'text/plain';
      ctx.body = problems.length === 0 ? 'ready\n' : `not ready: ${problems.join('; ')}\n`;
    },
  });
  const register = metricsRegistry(d);
  routes.add({
    path: '/metrics',
    methods: ['GET'],
    auth: !d.config.metricsPublic,
    schema: empty,
    envelope: 'raw',
    summary: 'Prometheus metrics (text format); needs the API secret as a bearer unless METRICS_PUBLIC=on',
    async handler({ ctx }) {
      ctx.type = register.contentType;
      ctx.body = await register.metrics();
    },
  });
}
