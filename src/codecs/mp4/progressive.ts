// Fragmented MP4 -> progressive MP4 (ISO/IEC 14496-12): reads an init segment and moof/mdat fragments
// (8.8), and writes ftyp + moov with full sample tables (8.6 - 8.7) + one mdat, moov first so a browser can
// start and seek at once. Streams file in, file out, so a long recording never has to fit in memory.
// This is the codec layer's one file-I/O exception: a file in, a file out.

import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { MediaError } from '../../core/errors.js';
import {
  box,
  boxHeader,
  childBoxes,
  dinf,
  FieldWriter,
  findChild,
  ftyp,
  fullBox,
  hdlr,
  MAX_U32,
  mdhd,
  mediaInfoHeader,
  mvhd,
  readBoxHeader,
  serialize,
  stsd,
  tkhd,
  type Box,
  type BoxView,
} from './boxes.js';

/** Random-access bytes to read from (a file, or a Buffer in tests). */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/** Where the progressive file goes: plain writes, and copies of byte ranges of the source. */
export interface ByteSink {
  write(data: Buffer): Promise<void>;
  copy(source: ByteSource, position: number, length: number): Promise<void>;
}

/** What a scan of a fragmented file found. */
export interface FragmentedInfo {
  /** media duration, ms (the longest track) */
  durationMs: number;
  videoFrames: number;
  audioFrames: number;
  /** size of the file */
  bytes: number;
  /** bytes of the init segment and every complete fragment: truncate here before appending after a crash */
  completeBytes: number;
  fragments: number;
}

/** What a conversion wrote. */
export interface ProgressiveResult {
  durationMs: number;
  videoFrames: number;
  audioFrames: number;
  /** size of the progressive output */
  bytes: number;
  /** fragments read from the input */
  fragments: number;
  /** input bytes after the last complete fragment, left out (a torn tail) */
  droppedBytes: number;
}

/** Largest moov/moof read into memory: anything bigger is not a box this converter wrote. */
const MAX_HEADER_BOX = 64 * 1024 * 1024;
const COPY_CHUNK = 4 * 1024 * 1024;
const MOVIE_TIMESCALE = 1000;

// ---- public API ----

/** Scans a fragmented MP4 file: duration, frame counts, and the length of its complete part. */
export async function probeFragmented(path: string): Promise<FragmentedInfo> {
  const src = await FileSource.open(path);
  try {
    const p = await parse(src, false);
    return { ...summary(p), bytes: src.size, completeBytes: p.completeBytes, fragments: p.fragments };
  } finally {
    await src.close();
  }
}

/** Bytes of `path` that hold the init segment and complete fragments; the rest is a torn tail. */
export async function completeFragmentedLength(path: string): Promise<number> {
  return (await probeFragmented(path)).completeBytes;
}

/**
 * Converts the fragmented MP4 at `inputPath` into a progressive MP4 at `outputPath` (written to a
 * temporary name and renamed when complete). A torn last fragment is left out. Throws MediaError
 * 'MP4_NO_INIT' when the file has no complete init segment, 'MP4_EMPTY' when it has no samples.
 */
export async function fragmentedToProgressive(inputPath: string, outputPath: string): Promise<ProgressiveResult> {
  const src = await FileSource.open(inputPath);
  const part = `${outputPath}.part`;
  let sink: FileSink | null = null;
  try {
    sink = await FileSink.open(part);
    const result = await convertFragmented(src, sink);
    await sink.close();
    sink = null;
    await rename(part, outputPath);
    return result;
  } catch (err) {
    if (sink) await sink.close().catch(() => undefined);
    await unlink(part).catch(() => undefined);
    throw err;
  } finally {
    await src.close();
  }
}

/** In-memory conversion, for small inputs and tests. */
export async function fragmentedToProgressiveBuffer(input: Buffer): Promise<{ output: Buffer; result: ProgressiveResult }> {
  const sink = new BufferSink();
  const result = await convertFragmented(new BufferSource(input), sink);
  return { output: Buffer.concat(sink.parts), result };
}

/** The conversion over any source and sink. */
export async function convertFragmented(src: ByteSource, sink: ByteSink): Promise<ProgressiveResult> {
  const p = await parse(src, true);
  const tracks = p.tracks.filter((t) => t.count > 0);
  if (tracks.length === 0) throw new MediaError('MP4_EMPTY', 'the recording holds no complete fragment');

  const payload = p.copyBytes;
  const brands = new Set(['isom', 'iso2', 'mp41']);
  for (const t of tracks) {
    for (const e of t.entries) {
      const type = e.toString('latin1', 4, 8);
      if (type === 'avc1' || type === 'hvc1' || type === 'av01') brands.add(type);
    }
  }
  const head = serialize(ftyp('isom', 0x200, [...brands]));
  const mdatHeaderSize = payload + 8 > MAX_U32 ? 16 : 8;
  const startSec = Math.min(...tracks.map((t) => t.dts.get(0) / t.timescale));
  let co64 = false;
  let moovSize = buildMoov(tracks, startSec, false, 0).size;
  let dataStart = head.length + moovSize + mdatHeaderSize;
  if (dataStart + payload > MAX_U32) {
    co64 = true;
    moovSize = buildMoov(tracks, startSec, true, 0).size;
    dataStart = head.length + moovSize + mdatHeaderSize;
  }
  const moov = serialize(buildMoov(tracks, startSec, co64, dataStart));
  if (moov.length !== moovSize) throw new Error('progressive: moov size changed between passes');

  await sink.write(Buffer.concat([head, moov, boxHeader('mdat', payload)]));
  for (const r of p.copies) await sink.copy(src, r.position, r.length);

  return { ...summary(p), bytes: dataStart + payload, fragments: p.fragments, droppedBytes: src.size - p.completeBytes };
}

// ---- parsing ----

type Typed = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** A growable column of numbers: a sample table kept compact (a 2-hour recording is ~500k samples). */
class Column<A extends Typed> {
  length = 0;
  private arr: A;

  constructor(private readonly make: (n: number) => A) {
    this.arr = make(1024);
  }

  push(v: number): void {
    if (this.length === this.arr.length) {
      const bigger = this.make(this.arr.length * 2);
      (bigger as Float64Array).set(this.arr as Float64Array);
      this.arr = bigger;
    }
    this.arr[this.length++] = v;
  }

  get(i: number): number {
    return this.arr[i]!;
  }
}

const f64 = (n: number): Float64Array => new Float64Array(n);
const u32 = (n: number): Uint32Array => new Uint32Array(n);
const i32 = (n: number): Int32Array => new Int32Array(n);
const u8 = (n: number): Uint8Array => new Uint8Array(n);

/** An output track: the samples of every input segment whose track maps to it. */
export interface OutTrack {
  handler: string;
  timescale: number;
  width: number;
  height: number;
  /** raw sample entry boxes; a sample's description index is its position + 1 */
  entries: Buffer[];
  count: number;
  /** decode time just past the last sample, in `timescale` */
  end: number;
  lastDuration: number;
  syncCount: number;
  dts: Column<Float64Array>;
  size: Column<Uint32Array>;
  cts: Column<Int32Array>;
  sync: Column<Uint8Array>;
  chunkFirst: Column<Uint32Array>;
  chunkCount: Column<Uint32Array>;
  chunkEntry: Column<Uint32Array>;
  /** chunk offset relative to the start of the mdat payload */
  chunkOffset: Column<Float64Array>;
}

export interface Trex {
  sdi: number;
  duration: number;
  size: number;
  flags: number;
}

/** An input track of one init segment and where its samples go. */
export interface InTrack {
  out: OutTrack;
  timescale: number;
  /** input sample description index (1-based) -> output index */
  entryMap: number[];
  trex: Trex;
  /** next decode time in input units, for a traf without tfdt */
  next: number;
}

export interface Segment {
  tracks: Map<number, InTrack>;
  /** seconds added to this segment's times so that it continues the previous one */
  shift: number | null;
}

interface Parsed {
  tracks: OutTrack[];
  fragments: number;
  completeBytes: number;
  copies: { position: number; length: number }[];
  copyBytes: number;
}

/** One trun's samples, before they are known to be complete. */
export interface Run {
  track: InTrack;
  dataStart: number;
  dataLength: number;
  sdi: number;
  /** in input units */
  dts: number[];
  durations: number[];
  sizes: number[];
  cts: number[];
  sync: boolean[];
}

async function parse(src: ByteSource, collect: boolean): Promise<Parsed> {
  const p: Parsed = { tracks: [], fragments: 0, completeBytes: 0, copies: [], copyBytes: 0 };
  const byKey = new Map<string, OutTrack>();
  let segment: Segment | null = null;
  let pending: { start: number; runs: Run[] } | null = null;
  let pos = 0;
  const size = src.size;
  while (pos + 8 <= size) {
    const head = await src.read(pos, Math.min(16, size - pos));
    let h;
    try {
      h = readBoxHeader(head, 0, size - pos);
    } catch {
      break; // garbage: treat as a torn tail
    }
    if (!h || pos + h.size > size) break;
    const end = pos + h.size;
    if (h.type === 'moov') {
      if (h.size > MAX_HEADER_BOX) break;
      const moov = await src.read(pos, h.size);
      segment = parseMoov(moov, h.headerSize, byKey, p.tracks);
      pending = null;
      p.completeBytes = end;
    } else if (h.type === 'moof') {
      if (!segment || h.size > MAX_HEADER_BOX) break;
      const moof = await src.read(pos, h.size);
      const runs = parseMoof(moof, h.headerSize, pos, segment);
      if (!runs) break;
      pending = { start: pos, runs };
    } else if (h.type === 'mdat') {
      if (pending) {
        const { runs, start } = pending;
        if (!runs.every((r) => r.dataStart >= start && r.dataStart + r.dataLength <= end)) break;
        commit(p, segment!, runs, collect);
        p.fragments++;
        pending = null;
      }
      p.completeBytes = end;
    } else if (!pending) {
      p.completeBytes = end; // ftyp, styp, free, sidx, ...
    }
    pos = end;
  }
  if (!byKey.size) throw new MediaError('MP4_NO_INIT', 'the recording has no complete init segment (ftyp + moov)');
  return p;
}

export function parseMoov(moov: Buffer, headerSize: number, byKey: Map<string, OutTrack>, all: OutTrack[]): Segment {
  const segment: Segment = { tracks: new Map(), shift: null };
  const kids = childBoxes(moov, headerSize, moov.length);
  const trexes = new Map<number, Trex>();
  const mvex = kids.find((b) => b.type === 'mvex');
  if (mvex) {
    for (const b of childBoxes(moov, mvex.payloadStart, mvex.end)) {
      if (b.type !== 'trex') continue;
      const o = b.payloadStart + 4;
      trexes.set(moov.readUInt32BE(o), {
        sdi: moov.readUInt32BE(o + 4),
        duration: moov.readUInt32BE(o + 8),
        size: moov.readUInt32BE(o + 12),
        flags: moov.readUInt32BE(o + 16),
      });
    }
  }
  const ordinal = new Map<string, number>();
  for (const trak of kids.filter((b) => b.type === 'trak')) {
    const tk = findChild(moov, trak.payloadStart, trak.end, 'tkhd');
    const mdia = findChild(moov, trak.payloadStart, trak.end, 'mdia');
    if (!tk || !mdia) continue;
    const md = findChild(moov, mdia.payloadStart, mdia.end, 'mdhd');
    const hd = findChild(moov, mdia.payloadStart, mdia.end, 'hdlr');
    const minf = findChild(moov, mdia.payloadStart, mdia.end, 'minf');
    const stbl = minf && findChild(moov, minf.payloadStart, minf.end, 'stbl');
    const sd = stbl && findChild(moov, stbl.payloadStart, stbl.end, 'stsd');
    if (!md || !hd || !sd) continue;
    const tkV1 = moov[tk.payloadStart] === 1;
    const trackId = moov.readUInt32BE(tk.payloadStart + (tkV1 ? 20 : 12));
    const whAt = tk.end - 8;
    const width = moov.readUInt32BE(whAt) / 65536;
    const height = moov.readUInt32BE(whAt + 4) / 65536;
    const timescale = moov.readUInt32BE(md.payloadStart + (moov[md.payloadStart] === 1 ? 20 : 12));
    const handler = moov.toString('latin1', hd.payloadStart + 8, hd.payloadStart + 12);
    const entries = childBoxes(moov, sd.payloadStart + 8, sd.end).map((e: BoxView) => moov.subarray(e.start, e.end));
    if (timescale === 0 || entries.length === 0) continue;

    const n = ordinal.get(handler) ?? 0;
    ordinal.set(handler, n + 1);
    const key = `${handler}#${n}`;
    let out = byKey.get(key);
    if (!out) {
      out = newOutTrack(handler, timescale, width, height);
      byKey.set(key, out);
      all.push(out);
    }
    const o = out;
    const entryMap = entries.map((e) => {
      const i = o.entries.findIndex((x) => x.equals(e));
      if (i >= 0) return i + 1;
      o.entries.push(Buffer.from(e));
      return o.entries.length;
    });
    const trex = trexes.get(trackId) ?? { sdi: 1, duration: 0, size: 0, flags: 0 };
    segment.tracks.set(trackId, { out, timescale, entryMap, trex, next: 0 });
  }
  return segment;
}

function newOutTrack(handler: string, timescale: number, width: number, height: number): OutTrack {
  return {
    handler,
    timescale,
    width,
    height,
    entries: [],
    count: 0,
    end: 0,
    lastDuration: 0,
    syncCount: 0,
    dts: new Column(f64),
    size: new Column(u32),
    cts: new Column(i32),
    sync: new Column(u8),
    chunkFirst: new Column(u32),
    chunkCount: new Column(u32),
    chunkEntry: new Column(u32),
    chunkOffset: new Column(f64),
  };
}

/** The runs of a moof (8.8.4 - 8.8.8), data positions absolute in the file; null if malformed. */
export function parseMoof(moof: Buffer, headerSize: number, moofPos: number, segment: Segment): Run[] | null {
  try {
    const runs: Run[] = [];
    let prevTrafEnd = moofPos;
    for (const traf of childBoxes(moof, headerSize, moof.length)) {
      if (traf.type !== 'traf') continue;
      const kids = childBoxes(moof, traf.payloadStart, traf.end);
      const tf = kids.find((b) => b.type === 'tfhd');
      if (!tf) return null;
      let o = tf.payloadStart;
      const flags = moof.readUInt32BE(o) & 0xffffff;
      const track = segment.tracks.get(moof.readUInt32BE(o + 4));
      o += 8;
      let base = moofPos;
      if (flags & 0x1) {
        base = Number(moof.readBigUInt64BE(o));
        o += 8;
      } else if (!(flags & 0x20000)) {
        base = prevTrafEnd;
      }
      if (!track) continue; // a track the init segment did not describe
      let sdi = track.trex.sdi;
      let defDuration = track.trex.duration;
      let defSize = track.trex.size;
      let defFlags = track.trex.flags;
      if (flags & 0x2) { sdi = moof.readUInt32BE(o); o += 4; }
      if (flags & 0x8) { defDuration = moof.readUInt32BE(o); o += 4; }
      if (flags & 0x10) { defSize = moof.readUInt32BE(o); o += 4; }
      if (flags & 0x20) { defFlags = moof.readUInt32BE(o); o += 4; }
      const outSdi = track.entryMap[sdi - 1];
      if (outSdi === undefined) return null;

      const tfdt = kids.find((b) => b.type === 'tfdt');
      let time = track.next;
      if (tfdt) {
        time = moof[tfdt.payloadStart] === 1
          ? Number(moof.readBigUInt64BE(tfdt.payloadStart + 4))
          : moof.readUInt32BE(tfdt.payloadStart + 4);
      }
      let dataPos = base;
      for (const tr of kids) {
        if (tr.type !== 'trun') continue;
        let q = tr.payloadStart;
        const version = moof[q]!;
        const tflags = moof.readUInt32BE(q) & 0xffffff;
        const count = moof.readUInt32BE(q + 4);
        q += 8;
        if (tflags & 0x1) { dataPos = base + moof.readInt32BE(q); q += 4; }
        let firstFlags: number | null = null;
        if (tflags & 0x4) { firstFlags = moof.readUInt32BE(q); q += 4; }
        const run: Run = {
          track,
          dataStart: dataPos,
          dataLength: 0,
          sdi: outSdi,
          dts: [],
          durations: [],
          sizes: [],
          cts: [],
          sync: [],
        };
        for (let i = 0; i < count; i++) {
          let duration = defDuration;
          let size = defSize;
          let sflags = i === 0 && firstFlags !== null ? firstFlags : defFlags;
          let cts = 0;
          if (tflags & 0x100) { duration = moof.readUInt32BE(q); q += 4; }
          if (tflags & 0x200) { size = moof.readUInt32BE(q); q += 4; }
          if (tflags & 0x400) { const f = moof.readUInt32BE(q); q += 4; if (!(i === 0 && firstFlags !== null)) sflags = f; }
          if (tflags & 0x800) { cts = version === 0 ? moof.readUInt32BE(q) : moof.readInt32BE(q); q += 4; }
          if (q > tr.end) return null;
          run.dts.push(time);
          run.durations.push(duration);
          run.sizes.push(size);
          run.cts.push(cts);
          run.sync.push(((sflags >>> 16) & 1) === 0);
          run.dataLength += size;
          time += duration;
        }
        dataPos += run.dataLength;
        if (count > 0) runs.push(run);
      }
      track.next = time;
      prevTrafEnd = dataPos;
    }
    return runs;
  } catch {
    return null;
  }
}

/** Adds a complete fragment's runs to the output tracks and the copy plan. */
function commit(p: Parsed, segment: Segment, runs: Run[], collect: boolean): void {
  if (segment.shift === null) {
    // A later init segment (a writer restarted after a crash) may start its clock again: continue the timeline.
    const prevEnd = Math.max(0, ...p.tracks.map((t) => (t.count ? t.end / t.timescale : 0)));
    const firstStart = Math.min(...runs.map((r) => r.dts[0]! / r.track.timescale));
    segment.shift = firstStart < prevEnd ? prevEnd - firstStart : 0;
  }
  for (const r of runs) {
    const t = r.track.out;
    const scale = t.timescale / r.track.timescale;
    const shift = segment.shift * t.timescale;
    if (collect) {
      t.chunkFirst.push(t.count);
      t.chunkCount.push(r.sizes.length);
      t.chunkEntry.push(r.sdi);
      t.chunkOffset.push(p.copyBytes);
      const last = p.copies[p.copies.length - 1];
      if (last && last.position + last.length === r.dataStart) last.length += r.dataLength;
      else p.copies.push({ position: r.dataStart, length: r.dataLength });
      p.copyBytes += r.dataLength;
    }
    for (let i = 0; i < r.sizes.length; i++) {
      const dts = Math.round(r.dts[i]! * scale + shift);
      if (collect) {
        t.dts.push(dts);
        t.size.push(r.sizes[i]!);
        t.cts.push(Math.round(r.cts[i]! * scale));
        t.sync.push(r.sync[i] ? 1 : 0);
      }
      if (r.sync[i]) t.syncCount++;
      t.lastDuration = Math.round(r.durations[i]! * scale);
      t.end = dts + t.lastDuration;
      t.count++;
    }
  }
}

function summary(p: Parsed): { durationMs: number; videoFrames: number; audioFrames: number } {
  let durationMs = 0;
  let videoFrames = 0;
  let audioFrames = 0;
  for (const t of p.tracks) {
    if (t.count === 0) continue;
    durationMs = Math.max(durationMs, (t.end / t.timescale) * 1000);
    if (t.handler === 'vide') videoFrames += t.count;
    else if (t.handler === 'soun') audioFrames += t.count;
  }
  return { durationMs: Math.round(durationMs), videoFrames, audioFrames };
}

// ---- the progressive moov ----

function buildMoov(tracks: OutTrack[], startSec: number, co64: boolean, dataStart: number): Box {
  let movieDuration = 0;
  const traks: Box[] = [];
  tracks.forEach((t, i) => {
    const first = t.dts.get(0);
    const mediaDuration = t.end - first;
    const emptyMs = Math.round((first / t.timescale - startSec) * MOVIE_TIMESCALE);
    const mediaMs = Math.round((mediaDuration / t.timescale) * MOVIE_TIMESCALE);
    movieDuration = Math.max(movieDuration, emptyMs + mediaMs);
    const stbl = box(
      'stbl',
      stsd(t.entries),
      stts(t),
      ctts(t),
      t.handler === 'vide' && t.syncCount < t.count && stss(t),
      stsc(t),
      stsz(t),
      chunkOffsets(t, co64, dataStart),
    );
    traks.push(
      box(
        'trak',
        tkhd(i + 1, emptyMs + mediaMs, t.width, t.height, t.handler === 'soun'),
        emptyMs > 0 && edts(emptyMs, mediaMs),
        box(
          'mdia',
          mdhd(t.timescale, mediaDuration),
          hdlr(t.handler, t.handler === 'vide' ? 'VideoHandler' : t.handler === 'soun' ? 'SoundHandler' : 'DataHandler'),
          box('minf', mediaInfoHeader(t.handler), dinf(), stbl),
        ),
      ),
    );
  });
  return box('moov', mvhd(MOVIE_TIMESCALE, movieDuration, tracks.length + 1), ...traks);
}

/** An empty edit delays a track that starts after the others (8.6.6). */
function edts(emptyMs: number, mediaMs: number): Box {
  const w = new FieldWriter(4 + 24).u32(2);
  w.u32(emptyMs).i32(-1).u16(1).u16(0);
  w.u32(mediaMs).i32(0).u16(1).u16(0);
  return box('edts', fullBox('elst', 0, 0, w.end()));
}

function durationAt(t: OutTrack, i: number): number {
  return i + 1 < t.count ? Math.max(0, t.dts.get(i + 1) - t.dts.get(i)) : t.lastDuration;
}

/** Run-length pairs of a per-sample value. */
function runs(n: number, value: (i: number) => number): number[] {
  const out: number[] = [];
  let cur = 0;
  let len = 0;
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (len > 0 && v === cur) {
      len++;
    } else {
      if (len > 0) out.push(len, cur);
      cur = v;
      len = 1;
    }
  }
  if (len > 0) out.push(len, cur);
  return out;
}

function stts(t: OutTrack): Box {
  const r = runs(t.count, (i) => durationAt(t, i));
  const w = new FieldWriter(4 + r.length * 4).u32(r.length / 2);
  for (const v of r) w.u32(v);
  return fullBox('stts', 0, 0, w.end());
}

function ctts(t: OutTrack): Box | null {
  let any = false;
  let negative = false;
  for (let i = 0; i < t.count; i++) {
    const c = t.cts.get(i);
    if (c !== 0) any = true;
    if (c < 0) negative = true;
  }
  if (!any) return null;
  const r = runs(t.count, (i) => t.cts.get(i));
  const w = new FieldWriter(4 + r.length * 4).u32(r.length / 2);
  for (let i = 0; i < r.length; i += 2) w.u32(r[i]!).i32(r[i + 1]!);
  return fullBox('ctts', negative ? 1 : 0, 0, w.end());
}

function stss(t: OutTrack): Box {
  const w = new FieldWriter(4 + t.syncCount * 4).u32(t.syncCount);
  for (let i = 0; i < t.count; i++) if (t.sync.get(i)) w.u32(i + 1);
  return fullBox('stss', 0, 0, w.end());
}

function stsc(t: OutTrack): Box {
  const entries: number[] = [];
  const n = t.chunkFirst.length;
  for (let c = 0; c < n; c++) {
    const count = t.chunkCount.get(c);
    const entry = t.chunkEntry.get(c);
    const k = entries.length;
    if (k > 0 && entries[k - 2] === count && entries[k - 1] === entry) continue;
    entries.push(c + 1, count, entry);
  }
  const w = new FieldWriter(4 + entries.length * 4).u32(entries.length / 3);
  for (const v of entries) w.u32(v);
  return fullBox('stsc', 0, 0, w.end());
}

function stsz(t: OutTrack): Box {
  const first = t.size.get(0);
  let same = true;
  for (let i = 1; i < t.count && same; i++) same = t.size.get(i) === first;
  if (same) return fullBox('stsz', 0, 0, new FieldWriter(8).u32(first).u32(t.count).end());
  const w = new FieldWriter(8 + t.count * 4).u32(0).u32(t.count);
  for (let i = 0; i < t.count; i++) w.u32(t.size.get(i));
  return fullBox('stsz', 0, 0, w.end());
}

function chunkOffsets(t: OutTrack, co64: boolean, dataStart: number): Box {
  const n = t.chunkOffset.length;
  const w = new FieldWriter(4 + n * (co64 ? 8 : 4)).u32(n);
  for (let c = 0; c < n; c++) {
    const off = dataStart + t.chunkOffset.get(c);
    if (co64) w.u64(off);
    else w.u32(off);
  }
  return fullBox(co64 ? 'co64' : 'stco', 0, 0, w.end());
}

// ---- sources and sinks ----

/** A file opened for random reads (close it when done). */
export class FileSource implements ByteSource {
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileSource(fh, st.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) throw new MediaError('MP4_SHORT_READ', 'the recording shrank while it was being read');
      got += bytesRead;
    }
    return buf;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

class FileSink implements ByteSink {
  private constructor(private readonly fh: FileHandle) {}

  static async open(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'w'));
  }

  async write(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done);
      done += bytesWritten;
    }
  }

  async copy(source: ByteSource, position: number, length: number): Promise<void> {
    for (let off = 0; off < length; off += COPY_CHUNK) {
      await this.write(await source.read(position + off, Math.min(COPY_CHUNK, length - off)));
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;

  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }

  async read(position: number, length: number): Promise<Buffer> {
    return this.buf.subarray(position, position + length);
  }
}

class BufferSink implements ByteSink {
  readonly parts: Buffer[] = [];

  async write(data: Buffer): Promise<void> {
    this.parts.push(data);
  }

  async copy(source: ByteSource, position: number, length: number): Promise<void> {
    this.parts.push(await source.read(position, length));
  }
}
