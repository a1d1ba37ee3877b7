// Traffic sampling for the SRS API: bytes per client, per stream and in all, sampled every few seconds
// so kbps can be given over the last 30 s like SRS's `kbps.recv_30s/send_30s`. Bytes of clients that left are
// kept in their stream's and the server's totals. Video frames per stream are sampled the same way, for the
// measured frame rate.
import type { Client } from '../../hub/client.js';
import type { Hub } from '../../hub/hub.js';
import { streamKey } from '../../hub/stream-url.js';

export interface Kbps {
  recv_30s: number;
  send_30s: number;
}

interface Sample {
  t: number;
  send: number;
  recv: number;
}

export interface Bytes {
  send: number;
  recv: number;
}

const WINDOW_MS = 30_000;

export class TrafficStats {
  private readonly series = new Map<string, Sample[]>();
  private readonly lastSeen = new Map<string, { key: string; send: number; recv: number }>();
  private readonly departed = new Map<string, Bytes>();
  private departedTotal: Bytes = { send: 0, recv: 0 };
  private timer: NodeJS.Timeout | null = null;
  /** per stream key: the oldest and newest sample of its video frame counter (two numbers, no history) */
  private readonly frameSamples = new Map<string, { t0: number; n0: number; t1: number; n1: number }>();

  constructor(
    private readonly hub: Hub,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Bytes per stream key (vhost/app/stream), counting clients that already left. */
  streamBytes(): Map<string, Bytes> {
    const out = new Map<string, Bytes>();
    for (const [k, b] of this.departed) out.set(k, { ...b });
    for (const c of this.hub.clients.list()) {
      const k = streamKey(c.url);
      const b = out.get(k) ?? { send: 0, recv: 0 };
      b.send += c.sendBytes;
      b.recv += c.recvBytes;
      out.set(k, b);
    }
    return out;
  }

  /** Bytes of the whole server since start. */
  serverBytes(): Bytes {
    const b = { ...this.departedTotal };
    for (const c of this.hub.clients.list()) {
      b.send += c.sendBytes;
      b.recv += c.recvBytes;
    }
    return b;
  }

  clientKbps(c: Client): Kbps {
    return this.kbps(`c:${c.id}`, { send: c.sendBytes, recv: c.recvBytes });
  }

  streamKbps(key: string, now: Bytes): Kbps {
    return this.kbps(`s:${key}`, now);
  }

  serverKbps(now: Bytes = this.serverBytes()): Kbps {
    return this.kbps('server', now);
  }

  /** Video frames per second over the last sampling interval; undefined before two samples or any frame. */
  streamFps(key: string): number | undefined {
    const f = this.frameSamples.get(key);
    if (!f || f.t1 - f.t0 < 50 || f.n1 === 0) return undefined;
    return Math.round(((f.n1 - f.n0) * 1000) / (f.t1 - f.t0) * 100) / 100;
  }

  private kbps(series: string, now: Bytes): Kbps {
    const samples = this.series.get(series);
    const t = Date.now();
    const from = samples?.find((s) => t - s.t <= WINDOW_MS + this.intervalMs) ?? samples?.[0];
    if (!from || t - from.t < 200) return { recv_30s: 0, send_30s: 0 };
    const sec = (t - from.t) / 1000;
    const rate = (d: number) => Math.max(0, Math.round((d * 8) / 1000 / sec));
    return { recv_30s: rate(now.recv - from.recv), send_30s: rate(now.send - from.send) };
  }

  private push(series: string, b: Bytes, t: number): void {
    let s = this.series.get(series);
    if (!s) {
      s = [];
      this.series.set(series, s);
    }
    s.push({ t, send: b.send, recv: b.recv });
    while (s.length > 1 && t - s[0]!.t > WINDOW_MS + this.intervalMs) s.shift();
  }

  /** Takes one sample of every counter (called by the timer; public for tests). */
  sample(): void {
    const t = Date.now();
    const live = new Map<string, Client>();
    for (const c of this.hub.clients.list()) live.set(c.id, c);
    // Clients that left: their bytes stay in their stream's and the server's totals.
    for (const [id, seen] of this.lastSeen) {
      if (live.has(id)) continue;
      this.lastSeen.delete(id);
      this.series.delete(`c:${id}`);
      const d = this.departed.get(seen.key) ?? { send: 0, recv: 0 };
      d.send += seen.send;
      d.recv += seen.recv;
      this.departed.set(seen.key, d);
      this.departedTotal.send += seen.send;
      this.departedTotal.recv += seen.recv;
    }
    for (const c of live.values()) {
      this.lastSeen.set(c.id, { key: streamKey(c.url), send: c.sendBytes, recv: c.recvBytes });
      this.push(`c:${c.id}`, { send: c.sendBytes, recv: c.recvBytes }, t);
    }
    const list = this.hub.list();
    const streams = new Set(list.map((s) => s.key));
    for (const s of list) {
      const f = this.frameSamples.get(s.key);
      // Keep the newest sample and the one before: the rate is over the last interval.
      if (!f || s.videoFrames < f.n1) this.frameSamples.set(s.key, { t0: t, n0: s.videoFrames, t1: t, n1: s.videoFrames });
      else this.frameSamples.set(s.key, { t0: f.t1, n0: f.n1, t1: t, n1: s.videoFrames });
    }
    for (const k of [...this.frameSamples.keys()]) if (!streams.has(k)) this.frameSamples.delete(k);
    for (const k of [...this.departed.keys()]) if (!streams.has(k)) this.departed.delete(k);
    for (const [k, b] of this.streamBytes()) this.push(`s:${k}`, b, t);
    for (const k of [...this.series.keys()]) {
      if (k.startsWith('s:') && !streams.has(k.slice(2))) this.series.delete(k);
    }
    this.push('server', this.serverBytes(), t);
  }
}
