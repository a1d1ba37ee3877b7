// SRS's HTTP API (/api/v1) with SRS 5's JSON shapes, answered from the hub: versions (no auth; the SRS API
// version we are compatible with), summaries (process and host figures sampled from /proc), vhosts, streams,
// clients, and DELETE of a client to kick it. JSONP with ?callback= (router.ts).
import { hostname } from 'node:os';
import { codecName, type AudioCodec, type VideoCodec } from '../../../../core/frame.js';
import type { Client } from '../../../../hub/client.js';
import type { Stream } from '../../../../hub/stream.js';
import { DEFAULT_VHOST, streamKey, streamPath } from '../../../../hub/stream-url.js';
import type { ApiDeps } from '../../deps.js';
import { notFound } from '../../../errors.js';
import type { ApiRoutes } from '../../router.js';
import type { Bytes } from '../../stats.js';
import { empty } from '../../schema.js';
import { parsePage } from './schema.js';

/** SRS's error codes for a missing stream or client. */
export const ERROR_STREAM_NOT_FOUND = 2048;
export const ERROR_CLIENT_NOT_FOUND = 2049;

/**
 * The SRS release whose HTTP API these routes answer like (SRS Stack 5 runs SRS 5). Our own version is in
 * /terraform/v1/mgmt/versions.
 */
export const SRS_API_VERSION = { major: 5, minor: 0, revision: 213 } as const;
export const SRS_API_VERSION_STRING = `${SRS_API_VERSION.major}.${SRS_API_VERSION.minor}.${SRS_API_VERSION.revision}`;

function videoCodecName(c: VideoCodec): string {
  return codecName(c, 'video');
}

function audioCodecName(c: AudioCodec): string {
  return codecName(c, 'audio');
}

/** tcUrl from the client's request URL: the URL without the stream name and query. */
function tcUrlOf(c: Client | null | undefined, s: { app: string }): string {
  if (!c) return '';
  const u = c.requestUrl.split('?')[0]!;
  const i = u.lastIndexOf(`/${s.app}/`);
  return i >= 0 ? u.slice(0, i + s.app.length + 1) : u;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function registerSrsApi(r: ApiRoutes, d: ApiDeps): void {
  const clientsOf = (key: string) => d.hub.clients.list().filter((c) => streamKey(c.url) === key);

  /** SRS's video fields, plus fps (from the SPS, else measured; left out while unknown). */
  const describeVideo = (s: Stream) => {
    const v = s.video!;
    const fps = v.fps ?? (s.active ? d.stats.streamFps(s.key) : undefined);
    return {
      codec: videoCodecName(v.codec), profile: v.profile, level: v.level, width: v.width, height: v.height,
      ...(fps !== undefined ? { fps } : {}),
    };
  };

  const describeStream = (s: Stream, bytes: Map<string, Bytes>) => {
    const b = bytes.get(s.key) ?? { send: 0, recv: 0 };
    return {
      id: s.id,
      name: s.url.stream,
      vhost: s.url.vhost,
      app: s.url.app,
      tcUrl: tcUrlOf(s.publisher, s.url),
      url: s.path,
      live_ms: s.active ? s.publishedAt : Date.now(),
      clients: clientsOf(s.key).length,
      frames: s.frames,
      send_bytes: b.send,
      recv_bytes: b.recv,
      kbps: d.stats.streamKbps(s.key, b),
      publish: s.publisher ? { active: true, cid: s.publisher.id } : { active: false },
      /** frames dropped for slow viewers now watching (not SRS: ours) */
      drops: s.dropCount,
      video: s.video ? describeVideo(s) : null,
      audio: s.audio
        ? { codec: audioCodecName(s.audio.codec), sample_rate: s.audio.sampleRate, channel: s.audio.channels, profile: s.audio.profile }
        : null,
    };
  };

  const describeClient = (c: Client) => {
    const s = d.hub.get(c.url);
    return {
      id: c.id,
      vhost: c.url.vhost,
      stream: s?.id ?? '',
      ip: c.ip,
      pageUrl: '',
      swfUrl: '',
      tcUrl: tcUrlOf(c, c.url),
      url: streamPath(c.url),
      name: c.url.stream,
      type: c.type,
      publish: c.publish,
      alive: round2((Date.now() - c.createdAt) / 1000),
      send_bytes: c.sendBytes,
      recv_bytes: c.recvBytes,
      kbps: d.stats.clientKbps(c),
    };
  };

  const findClient = (id: string): Client => {
    const c = d.hub.clients.get(id);
    if (!c) throw notFound(`no client ${id}; list clients with GET /api/v1/clients`, ERROR_CLIENT_NOT_FOUND);
    return c;
  };

  r.add({
    path: '/api/v1/versions',
    methods: ['GET', 'POST'],
    auth: false,
    schema: empty,
    envelope: 'srs',
    summary: 'the SRS API version this server is compatible with (SRS 5); our own version is in mgmt/versions',
    handler() {
      return { data: { ...SRS_API_VERSION, version: SRS_API_VERSION_STRING } };
    },
  });

  r.add({
    path: '/api/v1/summaries',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    summary: "SRS's summaries: this process (self) and the host (system), sampled every few seconds",
    handler() {
      const rss = process.memoryUsage.rss();
      const sys = d.system.figures;
      const traffic = d.stats.serverBytes();
      const now = Date.now();
      const { self_cpu_percent, ...system } = sys;
      return {
        data: {
          ok: true,
          now_ms: now,
          self: {
            version: SRS_API_VERSION_STRING,
            server_version: d.version,
            pid: process.pid,
            ppid: process.ppid,
            argv: process.argv.join(' '),
            cwd: process.cwd(),
            mem_kbyte: Math.round(rss / 1024),
            mem_percent: sys.mem_ram_kbyte > 0 ? Math.round((rss / 1024 / sys.mem_ram_kbyte) * 10000) / 10000 : 0,
            cpu_percent: self_cpu_percent,
            srs_uptime: Math.round((now - d.startedAt) / 1000),
          },
          system: {
            ...system,
            srs_sample_time: now,
            srs_recv_bytes: traffic.recv,
            srs_send_bytes: traffic.send,
            conn_srs: d.hub.clients.size,
            hostname: hostname(),
          },
          kbps: d.stats.serverKbps(traffic),
        },
      };
    },
  });

  r.add({
    path: '/api/v1/vhosts',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler() {
      const streams = d.hub.list();
      const names = new Set<string>([DEFAULT_VHOST, ...streams.map((s) => s.url.vhost)]);
      const bytes = d.stats.streamBytes();
      return {
        vhosts: [...names].map((name) => {
          const mine = streams.filter((s) => s.url.vhost === name);
          const b = { send: 0, recv: 0 };
          for (const s of mine) {
            const x = bytes.get(s.key);
            if (x) {
              b.send += x.send;
              b.recv += x.recv;
            }
          }
          return {
            id: name,
            name,
            enabled: true,
            clients: d.hub.clients.list().filter((c) => c.url.vhost === name).length,
            streams: mine.length,
            send_bytes: b.send,
            recv_bytes: b.recv,
            kbps: {
              recv_30s: mine.reduce((n, s) => n + d.stats.streamKbps(s.key, bytes.get(s.key) ?? { send: 0, recv: 0 }).recv_30s, 0),
              send_30s: mine.reduce((n, s) => n + d.stats.streamKbps(s.key, bytes.get(s.key) ?? { send: 0, recv: 0 }).send_30s, 0),
            },
            hls: { enabled: true },
          };
        }),
      };
    },
  });

  r.add({
    path: '/api/v1/streams',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler({ query }) {
      const { start, count } = parsePage(query);
      const bytes = d.stats.streamBytes();
      return { streams: d.hub.list().slice(start, start + count).map((s) => describeStream(s, bytes)) };
    },
  });

  r.add({
    path: '/api/v1/streams/:id',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler({ params }) {
      const id = params.id ?? '';
      const s = d.hub.findById(id);
      if (!s) throw notFound(`no stream ${id}; list streams with GET /api/v1/streams`, ERROR_STREAM_NOT_FOUND);
      return { stream: describeStream(s, d.stats.streamBytes()) };
    },
  });

  r.add({
    path: '/api/v1/clients',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler({ query }) {
      const { start, count } = parsePage(query);
      return { clients: d.hub.clients.list().slice(start, start + count).map(describeClient) };
    },
  });

  r.add({
    path: '/api/v1/clients/:id',
    methods: ['GET'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler({ params }) {
      return { client: describeClient(findClient(params.id ?? '')) };
    },
  });

  r.add({
    path: '/api/v1/clients/:id',
    methods: ['DELETE'],
    auth: true,
    schema: empty,
    envelope: 'srs',
    handler({ params }) {
      const c = findClient(params.id ?? '');
      c.close(`kicked by the API (DELETE /api/v1/clients/${c.id})`);
      d.logger.info({ clientId: c.id, stream: streamKey(c.url) }, 'client kicked by the API');
      return {};
    },
  });
}
