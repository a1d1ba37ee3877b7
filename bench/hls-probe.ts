// M6: how long after a segment's last frame arrives the segment is listed in the HLS playlist. Polls the
// playlist every few ms; for each segment that appears, reads the wall-clock stamp of its last video frame
// (the SEI the bench publisher wrote) from the segment itself.
import { request } from 'node:http';
import { TsDemuxer } from '../src/codecs/mpegts/demux.js';
import { STAMP_UUID, quantileOf, readStamp, round, sleep, wallNow } from './common.js';

function get(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The stamp of the last stamped video frame in a TS segment, ms since the epoch; NaN if none. */
function lastStamp(ts: Buffer): number {
  let last = NaN;
  const d = new TsDemuxer({
    onFrame: (f) => {
      if (f.type !== 'video' || f.header) return;
      const i = f.data.indexOf(STAMP_UUID);
      if (i >= 0) last = readStamp(f.data, i + 16);
    },
  });
  d.push(ts);
  d.flush(); // the last video PES has no length: it is only emitted on flush
  return last;
}

export interface HlsResult {
  segments: number;
  pollMs: number;
  /** ms from the segment's last video frame (its stamp) to the playlist listing it */
  delays: number[];
  p50: number | null;
  max: number | null;
}

export async function measureHls(port: number, app: string, stream: string, seconds: number, pollMs = 10): Promise<HlsResult> {
  const seen = new Set<string>();
  const fresh: { uri: string; at: number }[] = [];
  let primed = false;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const r = await get(port, `/${app}/${stream}.m3u8`).catch(() => null);
    const at = wallNow();
    if (r && r.status === 200) {
      for (const line of r.body.toString('utf8').split('\n')) {
        const uri = line.trim();
        if (!uri || uri.startsWith('#') || seen.has(uri)) continue;
        seen.add(uri);
        if (primed) fresh.push({ uri, at });
      }
      primed = true;
    }
    await sleep(pollMs);
  }
  const delays: number[] = [];
  for (const s of fresh) {
    const path = s.uri.startsWith('/') ? s.uri : `/${app}/${s.uri}`;
    const r = await get(port, path).catch(() => null);
    if (!r || r.status !== 200) continue;
    const st = lastStamp(r.body);
    if (st === st) delays.push(s.at - st);
  }
  return {
    segments: fresh.length,
    pollMs,
    delays: delays.map((d) => round(d, 1)!),
    p50: round(quantileOf(delays, 0.5), 1),
    max: round(delays.length ? Math.max(...delays) : null, 1),
  };
}
