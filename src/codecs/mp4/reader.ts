// Reading a progressive MP4/MOV (ISO/IEC 14496-12 8.5-8.7 sample tables, 14496-15 avcC/hvcC, 14496-1 esds):
// the moov box -> tracks with their decoder configuration and every sample's offset, size, dts, pts (ms) and
// sync flag; interleaved in decode order so a player can read the media data with one positioned read each.
// Pure: the caller reads the moov box (and later each sample) from the file. Fragmented MP4 (samples in moof
// boxes) is reported as such, for the caller to hand to another reader.
import { AudioCodec, VideoCodec } from '../../core/frame.js';
import { parseAudioSpecificConfig } from '../aac.js';
import { CodecError } from '../codec-error.js';
import { parseAvcDecoderConfig } from '../h264.js';
import { parseHevcDecoderConfig } from '../h265.js';
import { childBoxes, findChild, readBoxHeader, type BoxView } from './boxes.js';

/** One sample of a track: where its bytes are in the file, and when it plays (ms from the movie's start). */
export interface Mp4Sample {
  offset: number;
  size: number;
  dts: number;
  pts: number;
  keyframe: boolean;
}

export interface Mp4Track {
  id: number;
  type: 'video' | 'audio';
  codec: VideoCodec | AudioCodec;
  /** the sequence header a Frame carries: avcC / hvcC record (4-byte NAL lengths), AAC AudioSpecificConfig; empty for MP3 */
  config: Buffer;
  /** the NAL length size of the samples (video); 4 in what we emit, the record is rewritten when not */
  nalLengthSize: number;
  timescale: number;
  /** audio: sample rate and channels from the config (AAC) or the sample entry (MP3) */
  sampleRate?: number;
  channels?: number;
  samples: Mp4Sample[];
  /** ms from the first sample's dts to the end of the last one */
  durationMs: number;
}

export interface Mp4Movie {
  /** tracks this reader can play (H.264, H.265, AAC, MP3); others are listed in `skipped` */
  tracks: Mp4Track[];
  /** why other tracks were left out, e.g. "track 3: codec 'tx3g' is not H.264/H.265/AAC/MP3" */
  skipped: string[];
  /** samples are in moof fragments (an mvex box): this reader does not read them */
  fragmented: boolean;
  /** the movie's length: the longest track, ms */
  durationMs: number;
}

/** The largest sample count accepted per track (about 6 hours of 48 kHz AAC); a table claiming more is corrupt. */
const MAX_SAMPLES = 1_000_000;

function invalid(message: string): CodecError {
  return new CodecError('CODEC_INVALID', message);
}

/** The top-level box that holds the movie, found from box headers only: `headerAt(offset)` reads 16 bytes. */
export interface TopBox {
  type: string;
  start: number;
  size: number;
}

/**
 * Walks the top-level boxes from the 16-byte headers the caller reads at each offset (so a file of any size
 * is scanned without reading its media data). Returns them in order; stops at a box that runs past `fileSize`.
 */
export async function scanTopLevel(fileSize: number, headerAt: (offset: number) => Promise<Buffer>): Promise<TopBox[]> {
  const out: TopBox[] = [];
  let off = 0;
  while (off + 8 <= fileSize && out.length < 10000) {
    const head = await headerAt(off);
    const h = readBoxHeader(head, 0, Math.min(head.length, fileSize - off));
    if (!h) break;
    const size = h.size === head.length && head.readUInt32BE(0) === 0 ? fileSize - off : h.size;
    if (off + size > fileSize) {
      out.push({ type: h.type, start: off, size: fileSize - off });
      break;
    }
    out.push({ type: h.type, start: off, size });
    off += size;
  }
  return out;
}

/** A cursor over a FullBox payload: every read is bounds-checked against the box. */
class BoxReader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
    private readonly what: string,
  ) {
    this.pos = start;
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw invalid(`MP4 ${this.what} box is truncated`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.buf.readBigUInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** a count of entries of `entrySize` bytes each, checked against what the box holds */
  count(entrySize: number): number {
    const n = this.u32();
    if (n > MAX_SAMPLES || this.pos + n * entrySize > this.end) throw invalid(`MP4 ${this.what} box claims ${n} entries it does not hold`);
    return n;
  }
}

function fullBox(buf: Buffer, b: BoxView, what: string): { r: BoxReader; version: number } {
  const r = new BoxReader(buf, b.payloadStart, b.end, what);
  const version = r.u8();
  r.skip(3);
  return { r, version };
}

function need(buf: Buffer, parent: BoxView, type: string, where: string): BoxView {
  const b = findChild(buf, parent.payloadStart, parent.end, type);
  if (!b) throw invalid(`MP4 ${where} has no ${type} box`);
  return b;
}

/** The ES_Descriptor's decoder config (14496-1 7.2.6): object type and DecoderSpecificInfo bytes. */
function readEsds(buf: Buffer, esds: BoxView): { objectType: number; specific: Buffer | null } {
  const r = new BoxReader(buf, esds.payloadStart + 4, esds.end, 'esds');
  const descriptor = (): { tag: number; end: number } => {
    const tag = r.u8();
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = r.u8();
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    const end = Math.min(r.pos + len, esds.end);
    return { tag, end };
  };
  let d = descriptor();
  if (d.tag !== 0x03) throw invalid('MP4 esds box does not start with an ES_Descriptor');
  r.skip(2);
  const flags = r.u8();
  if (flags & 0x80) r.skip(2);
  if (flags & 0x40) r.skip(r.u8());
  if (flags & 0x20) r.skip(2);
  d = descriptor();
  if (d.tag !== 0x04) throw invalid('MP4 esds box has no DecoderConfigDescriptor');
  const objectType = r.u8();
  r.skip(12);
  let specific: Buffer | null = null;
  if (r.pos < d.end) {
    const s = descriptor();
    if (s.tag === 0x05) specific = buf.subarray(r.pos, s.end);
  }
  return { objectType, specific };
}

/** Object type indications of MPEG audio in esds (14496-1 Table 5). */
const OTI_AAC = new Set([0x40, 0x66, 0x67, 0x68]);
const OTI_MP3 = new Set([0x69, 0x6b]);

interface Entry {
  codec: VideoCodec | AudioCodec;
  config: Buffer;
  nalLengthSize: number;
  sampleRate?: number;
  channels?: number;
}

/** The first sample entry of stsd, as a codec we play, or the reason it is not one. */
function readSampleEntry(buf: Buffer, stsd: BoxView, handler: string): Entry | string {
  const entries = childBoxes(buf, stsd.payloadStart + 8, stsd.end);
  const e = entries[0];
  if (!e) return 'its stsd box has no sample entry';
  if (handler === 'vide') {
    // VisualSampleEntry: 8 (SampleEntry) + 70 bytes before the child boxes
    const kids = e.payloadStart + 78;
    if (e.type === 'avc1' || e.type === 'avc3') {
      const avcC = findChild(buf, kids, e.end, 'avcC');
      if (!avcC) return `its ${e.type} sample entry has no avcC box (parameter sets only in-band are not supported)`;
      let record = Buffer.from(buf.subarray(avcC.payloadStart, avcC.end));
      const cfg = parseAvcDecoderConfig(record);
      if (cfg.sps.length === 0) return 'its avcC box has no SPS';
      if (cfg.nalLengthSize !== 4) {
        record = Buffer.from(record);
        record[4] = (record[4] & 0xfc) | 3;
      }
      return { codec: VideoCodec.H264, config: record, nalLengthSize: cfg.nalLengthSize };
    }
    if (e.type === 'hvc1' || e.type === 'hev1') {
      const hvcC = findChild(buf, kids, e.end, 'hvcC');
      if (!hvcC) return `its ${e.type} sample entry has no hvcC box`;
      let record = Buffer.from(buf.subarray(hvcC.payloadStart, hvcC.end));
      const cfg = parseHevcDecoderConfig(record);
      if (cfg.nalLengthSize !== 4) {
        record = Buffer.from(record);
        record[21] = (record[21] & 0xfc) | 3;
      }
      return { codec: VideoCodec.H265, config: record, nalLengthSize: cfg.nalLengthSize };
    }
    return `video codec '${e.type}' is not H.264 or H.265`;
  }
  // AudioSampleEntry: 8 (SampleEntry) + 20 bytes (v0; QuickTime v1 adds 16, v2 adds 36) before the children
  const r = new BoxReader(buf, e.payloadStart + 8, e.end, e.type);
  const qtVersion = r.u16();
  r.skip(6);
  const channels = r.u16();
  r.skip(6);
  const rate = r.u32() >>> 16;
  const kids = e.payloadStart + 28 + (qtVersion === 1 ? 16 : qtVersion === 2 ? 36 : 0);
  if (e.type === '.mp3') return { codec: AudioCodec.MP3, config: Buffer.alloc(0), nalLengthSize: 0, sampleRate: rate, channels };
  if (e.type !== 'mp4a') return `audio codec '${e.type}' is not AAC or MP3`;
  let esds = findChild(buf, kids, e.end, 'esds');
  const wave = esds ? undefined : findChild(buf, kids, e.end, 'wave'); // QuickTime keeps it in a wave box
  if (!esds && wave) esds = findChild(buf, wave.payloadStart, wave.end, 'esds');
  if (!esds) return 'its mp4a sample entry has no esds box';
  const { objectType, specific } = readEsds(buf, esds);
  if (OTI_MP3.has(objectType)) return { codec: AudioCodec.MP3, config: Buffer.alloc(0), nalLengthSize: 0, sampleRate: rate, channels };
  if (!OTI_AAC.has(objectType)) return `audio object type 0x${objectType.toString(16)} is not AAC or MP3`;
  if (!specific || specific.length < 2) return 'its AAC track has no AudioSpecificConfig';
  const asc = parseAudioSpecificConfig(specific);
  return { codec: AudioCodec.AAC, config: Buffer.from(specific), nalLengthSize: 0, sampleRate: asc.extensionSampleRate ?? asc.sampleRate, channels: asc.channels || channels };
}

/** stbl -> samples with times in the track's timescale (converted to ms by the caller). */
function readSamples(buf: Buffer, stbl: BoxView): { offset: number; size: number; dts: number; cto: number; sync: boolean }[] {
  // sizes
  let sizes: number[];
  const stsz = findChild(buf, stbl.payloadStart, stbl.end, 'stsz');
  const stz2 = stsz ? undefined : findChild(buf, stbl.payloadStart, stbl.end, 'stz2');
  if (stsz) {
    const { r } = fullBox(buf, stsz, 'stsz');
    const fixed = r.u32();
    if (fixed !== 0) {
      const n = r.u32();
      if (n > MAX_SAMPLES) throw invalid(`MP4 stsz box claims ${n} samples`);
      sizes = new Array<number>(n).fill(fixed);
    } else {
      const n = r.count(4);
      sizes = new Array<number>(n);
      for (let i = 0; i < n; i++) sizes[i] = r.u32();
    }
  } else if (stz2) {
    const { r } = fullBox(buf, stz2, 'stz2');
    r.skip(3);
    const field = r.u8();
    if (field !== 4 && field !== 8 && field !== 16) throw invalid(`MP4 stz2 box has a field size of ${field}`);
    const n = r.count(field / 8);
    sizes = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      if (field === 16) sizes[i] = r.u16();
      else if (field === 8) sizes[i] = r.u8();
      else {
        const b = buf[r.pos];
        sizes[i] = i % 2 === 0 ? b >> 4 : b & 0x0f;
        if (i % 2 === 1 || i === n - 1) r.skip(1);
      }
    }
  } else throw invalid('MP4 stbl has no stsz box');
  const n = sizes.length;

  // chunk offsets
  const stco = findChild(buf, stbl.payloadStart, stbl.end, 'stco');
  const co64 = stco ? undefined : findChild(buf, stbl.payloadStart, stbl.end, 'co64');
  const chunks: number[] = [];
  if (stco) {
    const { r } = fullBox(buf, stco, 'stco');
    const c = r.count(4);
    for (let i = 0; i < c; i++) chunks.push(r.u32());
  } else if (co64) {
    const { r } = fullBox(buf, co64, 'co64');
    const c = r.count(8);
    for (let i = 0; i < c; i++) chunks.push(r.u64());
  } else throw invalid('MP4 stbl has no stco or co64 box');

  // sample-to-chunk -> each sample's offset
  const stsc = need(buf, stbl, 'stsc', 'stbl');
  const sc = fullBox(buf, stsc, 'stsc').r;
  const runs = sc.count(12);
  const firsts: number[] = [];
  const perChunk: number[] = [];
  for (let i = 0; i < runs; i++) {
    firsts.push(sc.u32());
    perChunk.push(sc.u32());
    sc.skip(4);
  }
  const offsets = new Array<number>(n);
  let s = 0;
  for (let i = 0; i < runs && s < n; i++) {
    const first = firsts[i];
    const last = i + 1 < runs ? firsts[i + 1] - 1 : chunks.length;
    if (first < 1 || last > chunks.length || perChunk[i] > MAX_SAMPLES) throw invalid('MP4 stsc box points past the chunk table');
    for (let c = first; c <= last && s < n; c++) {
      let off = chunks[c - 1];
      for (let k = 0; k < perChunk[i] && s < n; k++) {
        offsets[s] = off;
        off += sizes[s];
        s++;
      }
    }
  }
  if (s < n) throw invalid(`MP4 sample tables place ${s} of ${n} samples in chunks`);

  // decode times
  const stts = need(buf, stbl, 'stts', 'stbl');
  const tt = fullBox(buf, stts, 'stts').r;
  const dts = new Array<number>(n);
  const sttsRuns = tt.count(8);
  let t = 0;
  s = 0;
  for (let i = 0; i < sttsRuns && s < n; i++) {
    const count = tt.u32();
    const delta = tt.u32();
    for (let k = 0; k < count && s < n; k++) {
      dts[s++] = t;
      t += delta;
    }
  }
  if (s < n) throw invalid(`MP4 stts box gives times for ${s} of ${n} samples`);

  // composition offsets (ctts v0 unsigned, v1 signed; many muxers write signed values in v0 too)
  const cto = new Array<number>(n).fill(0);
  const ctts = findChild(buf, stbl.payloadStart, stbl.end, 'ctts');
  if (ctts) {
    const { r } = fullBox(buf, ctts, 'ctts');
    const c = r.count(8);
    s = 0;
    for (let i = 0; i < c && s < n; i++) {
      const count = r.u32();
      const off = r.i32();
      for (let k = 0; k < count && s < n; k++) cto[s++] = off;
    }
  }

  // sync samples: none listed means every sample is one
  const sync = new Array<boolean>(n).fill(true);
  const stss = findChild(buf, stbl.payloadStart, stbl.end, 'stss');
  if (stss) {
    sync.fill(false);
    const { r } = fullBox(buf, stss, 'stss');
    const c = r.count(4);
    for (let i = 0; i < c; i++) {
      const k = r.u32();
      if (k >= 1 && k <= n) sync[k - 1] = true;
    }
  }
  const out = new Array<{ offset: number; size: number; dts: number; cto: number; sync: boolean }>(n);
  for (let i = 0; i < n; i++) out[i] = { offset: offsets[i], size: sizes[i], dts: dts[i], cto: cto[i], sync: sync[i] };
  return out;
}

/** The media time the first edit of an edit list starts at (B-frame delay), in the track's timescale; 0 if none. */
function editStart(buf: Buffer, trak: BoxView): number {
  const edts = findChild(buf, trak.payloadStart, trak.end, 'edts');
  const elst = edts && findChild(buf, edts.payloadStart, edts.end, 'elst');
  if (!elst) return 0;
  const { r, version } = fullBox(buf, elst, 'elst');
  const c = r.count(version === 1 ? 20 : 12);
  for (let i = 0; i < c; i++) {
    if (version === 1) {
      r.skip(8);
      const t = Number(r.u64()); // signed, -1 = empty edit
      r.skip(4);
      if (t >= 0 && t < 2 ** 53) return t;
    } else {
      r.skip(4);
      const t = r.i32();
      r.skip(4);
      if (t >= 0) return t;
    }
  }
  return 0;
}

/**
 * Reads a moov box (its bytes from the header on): the playable tracks and their samples in ms. Times start
 * at 0 for the earliest sample (pts, after the edit list's start) and keep the tracks in sync. Throws
 * CodecError on tables that contradict themselves.
 */
export function parseMoov(moov: Buffer): Mp4Movie {
  try {
    return readMoov(moov);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    // a box size below its header, a read past the buffer: the same corrupt file, said once
    throw invalid(`MP4 moov box is corrupt: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readMoov(moov: Buffer): Mp4Movie {
  const top = readBoxHeader(moov, 0);
  if (!top || top.type !== 'moov') throw invalid('not an MP4 moov box');
  const end = Math.min(top.size, moov.length);
  const moovView: BoxView = { type: 'moov', start: 0, payloadStart: top.headerSize, end };
  const fragmented = findChild(moov, moovView.payloadStart, end, 'mvex') !== undefined;
  const tracks: Mp4Track[] = [];
  const skipped: string[] = [];
  const raw: { track: Mp4Track; samples: ReturnType<typeof readSamples>; shift: number }[] = [];
  for (const trak of childBoxes(moov, moovView.payloadStart, end).filter((b) => b.type === 'trak')) {
    const tkhd = need(moov, trak, 'tkhd', 'trak');
    const th = fullBox(moov, tkhd, 'tkhd');
    th.r.skip(th.version === 1 ? 16 : 8);
    const id = th.r.u32();
    const mdia = need(moov, trak, 'mdia', `track ${id}`);
    const mdhd = need(moov, mdia, 'mdhd', `track ${id}`);
    const md = fullBox(moov, mdhd, 'mdhd');
    md.r.skip(md.version === 1 ? 16 : 8);
    const timescale = md.r.u32();
    if (timescale === 0) throw invalid(`MP4 track ${id} has a timescale of 0`);
    const hdlr = need(moov, mdia, 'hdlr', `track ${id}`);
    const handler = moov.toString('latin1', hdlr.payloadStart + 8, hdlr.payloadStart + 12);
    if (handler !== 'vide' && handler !== 'soun') {
      skipped.push(`track ${id}: a '${handler}' track (only video and audio are played)`);
      continue;
    }
    const minf = need(moov, mdia, 'minf', `track ${id}`);
    const stbl = need(moov, minf, 'stbl', `track ${id}`);
    const entry = readSampleEntry(moov, need(moov, stbl, 'stsd', `track ${id}`), handler);
    if (typeof entry === 'string') {
      skipped.push(`track ${id}: ${entry}`);
      continue;
    }
    const samples = readSamples(moov, stbl);
    if (samples.length === 0) {
      if (!fragmented) skipped.push(`track ${id}: no samples`);
      continue;
    }
    const track: Mp4Track = {
      id,
      type: handler === 'vide' ? 'video' : 'audio',
      codec: entry.codec,
      config: entry.config,
      nalLengthSize: entry.nalLengthSize,
      timescale,
      samples: [],
      durationMs: 0,
      ...(entry.sampleRate !== undefined ? { sampleRate: entry.sampleRate, channels: entry.channels } : {}),
    };
    raw.push({ track, samples, shift: editStart(moov, trak) });
  }
  // One origin for every track: the earliest presentation time after the edit lists' shifts.
  let origin = Infinity;
  for (const { track, samples, shift } of raw) {
    for (const s of samples) origin = Math.min(origin, ((s.dts - shift) * 1000) / track.timescale);
  }
  let durationMs = 0;
  for (const { track, samples, shift } of raw) {
    const ms = (t: number) => Math.round((((t - shift) * 1000) / track.timescale - origin) * 1000) / 1000;
    track.samples = samples.map((s) => ({ offset: s.offset, size: s.size, dts: ms(s.dts), pts: ms(s.dts + s.cto), keyframe: track.type === 'video' ? s.sync : false }));
    const last = samples[samples.length - 1];
    const prev = samples.length > 1 ? samples[samples.length - 2] : null;
    const lastDelta = prev ? last.dts - prev.dts : 0;
    track.durationMs = ms(last.dts + lastDelta) - track.samples[0].dts;
    durationMs = Math.max(durationMs, ms(last.dts + lastDelta));
    tracks.push(track);
  }
  return { tracks, skipped, fragmented, durationMs };
}

/** One sample of the movie in decode order: which track, and the sample. */
export interface Mp4Step {
  track: Mp4Track;
  sample: Mp4Sample;
}

/** Every sample of the tracks in decode order (ties: video first, then by file offset). */
export function interleave(tracks: readonly Mp4Track[]): Mp4Step[] {
  const out: Mp4Step[] = [];
  for (const track of tracks) for (const sample of track.samples) out.push({ track, sample });
  out.sort((a, b) => a.sample.dts - b.sample.dts || (a.track.type === b.track.type ? a.sample.offset - b.sample.offset : a.track.type === 'video' ? -1 : 1));
  return out;
}

/** A video sample with NAL lengths of `nalLengthSize` bytes -> 4-byte lengths (what Frames carry). */
export function toFourByteLengths(data: Buffer, nalLengthSize: number): Buffer {
  if (nalLengthSize === 4) return data;
  const parts: Buffer[] = [];
  let p = 0;
  while (p + nalLengthSize <= data.length) {
    const len = nalLengthSize === 2 ? data.readUInt16BE(p) : data[p];
    p += nalLengthSize;
    if (p + len > data.length) throw invalid('MP4 video sample has a NAL unit longer than the sample');
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(len, 0);
    parts.push(head, data.subarray(p, p + len));
    p += len;
  }
  return Buffer.concat(parts);
}
