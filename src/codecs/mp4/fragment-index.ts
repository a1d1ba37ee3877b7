// An incremental index of a fragmented MP4 (ISO/IEC 14496-12 8.8) that is still being written: where the init
// segment (ftyp + moov) and each complete fragment (moof + mdat) are, with their times and whether each starts
// at a video keyframe, so that an HLS playlist (RFC 8216 fMP4 byte ranges) can be made over the file as it
// grows. update() reads only what was appended since the last call (box headers and moofs, never the media),
// and leaves a partly written last box for the next call. Also the "skeleton" of such a file (every box but the
// mdat payloads) and a source that puts the file back together from its skeleton and the payload of the
// progressive MP4 made from it, so the same byte ranges stay valid once the fragments are gone.

import { readBoxHeader } from './boxes.js';
import { parseMoof, parseMoov, type ByteSource, type OutTrack, type Segment } from './progressive.js';

/** Largest moov/moof read into memory (as in the converter). */
const MAX_HEADER_BOX = 64 * 1024 * 1024;

export interface Fmp4InitRange {
  /** byte offset of the ftyp (or the moov when there is no ftyp before it) */
  offset: number;
  length: number;
}

export interface Fmp4FragmentEntry {
  /** byte offset of the moof */
  offset: number;
  /** bytes from the moof to the end of its mdat (boxes between them included) */
  length: number;
  /** decode time of the first sample, seconds (the video track's when there is one) */
  start: number;
  /** seconds until the end of the last sample */
  duration: number;
  /** the fragment starts with a video sync sample (always true without video) */
  keyframe: boolean;
  /** index of its init segment in `inits` */
  init: number;
  /** the mdat payload is exactly the fragment's sample data, in run order (what the converter copies) */
  exact: boolean;
}

export class Fmp4Indexer {
  readonly inits: Fmp4InitRange[] = [];
  readonly fragments: Fmp4FragmentEntry[] = [];
  /** every byte before this is indexed; the next update starts here */
  position = 0;
  /** why indexing stopped for good (bytes that are not a fragmented MP4), or null */
  error: string | null = null;
  private segment: Segment | null = null;
  private hasVideo = false;
  private ftypAt: number | null = null;
  private readonly byKey = new Map<string, OutTrack>();
  private readonly all: OutTrack[] = [];

  /** Indexes what `src` holds past `position`. Never throws for bad bytes: it sets `error` and stops. */
  async update(src: ByteSource): Promise<void> {
    const size = src.size;
    while (!this.error && this.position + 8 <= size) {
      const pos = this.position;
      const head = await src.read(pos, Math.min(16, size - pos));
      let h;
      try {
        h = readBoxHeader(head, 0, head.length);
      } catch (e) {
        this.error = `bad box at byte ${pos}: ${(e as Error).message}`;
        return;
      }
      if (!h) return;
      // A size-0 box ("to the end of the file") is never written by our writer: treat it as not complete yet.
      if (head.readUInt32BE(0) === 0) return;
      if (!/^[\x20-\x7e]{4}$/.test(h.type)) {
        this.error = `bad box type at byte ${pos}`;
        return;
      }
      if (h.type === 'moof') {
        if (!this.segment) {
          this.error = `a moof at byte ${pos} before any moov`;
          return;
        }
        if (h.size > MAX_HEADER_BOX) {
          this.error = `a moof of ${h.size} bytes at byte ${pos}`;
          return;
        }
        // The fragment is complete once its mdat is: read the mdat header after the moof first.
        const mdatAt = pos + h.size;
        if (mdatAt + 8 > size) return;
        const mh = await src.read(mdatAt, Math.min(16, size - mdatAt));
        let m;
        try {
          m = readBoxHeader(mh, 0, mh.length);
        } catch {
          m = null;
        }
        if (!m) return;
        if (m.type !== 'mdat') {
          this.error = `the moof at byte ${pos} is followed by "${m.type}", not mdat`;
          return;
        }
        const end = mdatAt + m.size;
        if (end > size) return;
        const moof = await src.read(pos, h.size);
        const runs = parseMoof(moof, h.headerSize, pos, this.segment);
        if (!runs) {
          this.error = `a malformed moof at byte ${pos}`;
          return;
        }
        let start = Infinity;
        let stop = 0;
        let video: boolean | null = null;
        let cursor = mdatAt + m.headerSize;
        let exact = true;
        for (const r of runs) {
          const ts = r.track.timescale;
          const last = r.dts.length - 1;
          const first = r.dts[0]! / ts;
          const isVideo = r.track.out.handler === 'vide';
          if (isVideo && video === null) video = r.sync[0] ?? false;
          if (isVideo || !this.hasVideo) start = Math.min(start, first);
          stop = Math.max(stop, (r.dts[last]! + r.durations[last]!) / ts);
          if (r.dataStart !== cursor) exact = false;
          cursor = r.dataStart + r.dataLength;
        }
        if (cursor !== end) exact = false;
        if (!Number.isFinite(start)) start = runs.length > 0 ? Math.min(...runs.map((r) => r.dts[0]! / r.track.timescale)) : stop;
        this.fragments.push({
          offset: pos,
          length: end - pos,
          start,
          duration: Math.max(0, stop - start),
          keyframe: this.hasVideo ? video === true : true,
          init: this.inits.length - 1,
          exact,
        });
        this.position = end;
        continue;
      }
      if (pos + h.size > size) return;
      if (h.type === 'moov') {
        if (h.size > MAX_HEADER_BOX) {
          this.error = `a moov of ${h.size} bytes at byte ${pos}`;
          return;
        }
        const moov = await src.read(pos, h.size);
        try {
          this.segment = parseMoov(moov, h.headerSize, this.byKey, this.all);
        } catch (e) {
          this.error = `a malformed moov at byte ${pos}: ${(e as Error).message}`;
          return;
        }
        this.hasVideo = [...this.segment.tracks.values()].some((t) => t.out.handler === 'vide');
        const offset = this.ftypAt ?? pos;
        this.inits.push({ offset, length: pos + h.size - offset });
        this.ftypAt = null;
      } else if (h.type === 'ftyp') {
        this.ftypAt = pos;
      } else if (h.type === 'mdat') {
        // media without a moof: not part of any fragment
      }
      this.position = pos + h.size;
    }
  }
}

/** A piece of a file put back together: bytes of the skeleton, or of the progressive MP4's payload. */
interface Piece {
  /** offset in the reassembled file */
  at: number;
  length: number;
  from: 'skeleton' | 'payload';
  /** offset in its source */
  src: number;
}

/**
 * The skeleton of a fragmented MP4: its complete boxes up to `end`, each mdat cut to its header (the header
 * keeps its size). Returns the byte ranges of `src` to write out, in order.
 */
export async function skeletonRanges(src: ByteSource, end: number): Promise<{ position: number; length: number }[]> {
  const out: { position: number; length: number }[] = [];
  let pos = 0;
  while (pos + 8 <= end) {
    const h = readBoxHeader(await src.read(pos, Math.min(16, end - pos)), 0);
    if (!h || pos + h.size > end) break;
    const take = h.type === 'mdat' ? h.headerSize : h.size;
    const last = out[out.length - 1];
    if (last && last.position + last.length === pos) last.length += take;
    else out.push({ position: pos, length: take });
    pos += h.size;
  }
  return out;
}

/**
 * The fragmented MP4 rebuilt from its skeleton and the mdat payload of the progressive MP4 made from it (the
 * payloads in the same order). Reads are served from the two sources; a bad pairing is refused at open.
 */
export class ReassembledSource implements ByteSource {
  readonly size: number;

  private constructor(
    private readonly pieces: Piece[],
    private readonly skeleton: ByteSource,
    private readonly payload: ByteSource,
    size: number,
  ) {
    this.size = size;
  }

  /**
   * `payload` reads the progressive MP4 and `payloadStart`/`payloadLength` locate its mdat payload. Returns a
   * reason instead when the skeleton's mdat payloads do not add up to that payload.
   */
  static async open(skeleton: ByteSource, payload: ByteSource, payloadStart: number, payloadLength: number): Promise<ReassembledSource | string> {
    const pieces: Piece[] = [];
    let spos = 0;
    let at = 0;
    let used = 0;
    while (spos + 8 <= skeleton.size) {
      const h = readBoxHeader(await skeleton.read(spos, Math.min(16, skeleton.size - spos)), 0);
      if (!h) break;
      const literal = h.type === 'mdat' ? h.headerSize : h.size;
      if (spos + literal > skeleton.size) return `the skeleton is cut inside a "${h.type}" box`;
      pieces.push({ at, length: literal, from: 'skeleton', src: spos });
      at += literal;
      spos += literal;
      if (h.type === 'mdat') {
        const n = h.size - h.headerSize;
        if (n > 0) pieces.push({ at, length: n, from: 'payload', src: payloadStart + used });
        at += n;
        used += n;
      }
    }
    if (used !== payloadLength) return `the fragments held ${used} bytes of media, index.mp4 holds ${payloadLength}`;
    return new ReassembledSource(pieces, skeleton, payload, at);
  }

  async read(position: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let pos = position;
    const end = Math.min(position + length, this.size);
    let i = this.find(pos);
    while (pos < end && i < this.pieces.length) {
      const p = this.pieces[i]!;
      const from = pos - p.at;
      const n = Math.min(p.length - from, end - pos);
      parts.push(await (p.from === 'skeleton' ? this.skeleton : this.payload).read(p.src + from, n));
      pos += n;
      i++;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Index of the piece holding `pos` (binary search). */
  private find(pos: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pieces[mid]!.at <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

// ---- HLS over the fragments (RFC 8216: 4.3.2.5 EXT-X-MAP, 4.3.2.2 EXT-X-BYTERANGE) ----

/** An HLS media segment: a run of whole fragments. */
export interface Fmp4Segment {
  offset: number;
  length: number;
  start: number;
  duration: number;
  init: number;
  /** starts at a keyframe (false only where a long GOP forced a cut) */
  keyframe: boolean;
}

export interface SegmentOptions {
  /** a segment ends at the first keyframe fragment at least this long after its start, s (default 4) */
  minSeconds?: number;
  /** and is cut anyway before it grows past this, s (default 12): a stream with a very long GOP */
  maxSeconds?: number;
  /** the file is finished: its last segment is complete (else the last one may still grow and is left out) */
  complete: boolean;
}

/**
 * Groups fragments into HLS segments that start at keyframes and last about minSeconds. Deterministic: the same
 * fragments give the same segments, and more fragments only add segments after the ones listed before.
 */
export function groupFragments(frags: readonly Fmp4FragmentEntry[], opts: SegmentOptions): Fmp4Segment[] {
  const min = opts.minSeconds ?? 4;
  const max = opts.maxSeconds ?? 12;
  const out: Fmp4Segment[] = [];
  let cur: Fmp4Segment | null = null;
  for (const f of frags) {
    if (cur) {
      const contiguous = cur.offset + cur.length <= f.offset;
      const elapsed = f.start - cur.start;
      const cut = f.init !== cur.init || !contiguous || (f.keyframe && elapsed >= min) || f.start + f.duration - cur.start > max;
      if (!cut) {
        cur.length = f.offset + f.length - cur.offset;
        cur.duration = Math.max(cur.duration, f.start + f.duration - cur.start);
        continue;
      }
      if (f.init === cur.init && elapsed > 0) cur.duration = elapsed;
      out.push(cur);
    }
    cur = { offset: f.offset, length: f.length, start: f.start, duration: f.duration, init: f.init, keyframe: f.keyframe };
  }
  if (cur && opts.complete) out.push(cur);
  return out;
}

export interface PlaylistOptions {
  /** URI of the fragmented MP4 that the byte ranges point into */
  uri: string;
  /** EVENT while it grows; VOD once finished */
  type: 'EVENT' | 'VOD';
  /** no more segments will come: EXT-X-ENDLIST */
  ended: boolean;
}

/** An HLS media playlist of fMP4 byte ranges over one file. */
export function fmp4Playlist(inits: readonly Fmp4InitRange[], segments: readonly Fmp4Segment[], opts: PlaylistOptions): string {
  // RFC 8216 4.3.3.1: each EXTINF rounded to the nearest integer is at most the target.
  const target = Math.max(1, ...segments.map((s) => Math.round(s.duration)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', `#EXT-X-PLAYLIST-TYPE:${opts.type}`];
  if (segments.length > 0 && segments.every((s) => s.keyframe)) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let init = -1;
  for (const s of segments) {
    if (s.init !== init) {
      const m = inits[s.init];
      if (!m) continue;
      if (init >= 0) lines.push('#EXT-X-DISCONTINUITY');
      lines.push(`#EXT-X-MAP:URI="${opts.uri}",BYTERANGE="${m.length}@${m.offset}"`);
      init = s.init;
    }
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, `#EXT-X-BYTERANGE:${s.length}@${s.offset}`, opts.uri);
  }
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
