// HLS media playlists, RFC 8216 section 4.3 (basic and media playlist tags). Builds the live playlist
// the HLS server serves and parses one back (for tests and pull sources). Pure text, no I/O.

import { CodecError } from './codec-error.js';

export const HLS_DEFAULT_VERSION = 3;

export interface MediaSegmentEntry {
  uri: string;
  /** seconds */
  duration: number;
  /** an EXT-X-DISCONTINUITY precedes this segment */
  discontinuity?: boolean;
  /** the EXTINF title, if any */
  title?: string;
  /** fMP4: the URI of the init segment (EXT-X-MAP, RFC 8216 4.3.2.5), written where it changes */
  map?: string;
  /** EXT-X-PROGRAM-DATE-TIME (4.3.2.6): the wall-clock time of its first sample, ms since epoch */
  programDateTime?: number;
}

export interface MediaPlaylist {
  version?: number;
  /** seconds; the builder writes the larger of this and the longest segment, rounded up */
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence?: number;
  segments: MediaSegmentEntry[];
  endList?: boolean;
  playlistType?: 'EVENT' | 'VOD';
}

/** Tags, RFC 8216 4.3. */
const enum Tag {
  Header = '#EXTM3U',
  Version = '#EXT-X-VERSION:',
  TargetDuration = '#EXT-X-TARGETDURATION:',
  MediaSequence = '#EXT-X-MEDIA-SEQUENCE:',
  DiscontinuitySequence = '#EXT-X-DISCONTINUITY-SEQUENCE:',
  PlaylistType = '#EXT-X-PLAYLIST-TYPE:',
  Inf = '#EXTINF:',
  Discontinuity = '#EXT-X-DISCONTINUITY',
  EndList = '#EXT-X-ENDLIST',
  Map = '#EXT-X-MAP:',
  ProgramDateTime = '#EXT-X-PROGRAM-DATE-TIME:',
}

/** EXT-X-MAP in a media playlist needs version 6 (RFC 8216 7); fMP4 playlists are written as version 7. */
export const HLS_FMP4_VERSION = 7;

function invalid(message: string): CodecError {
  return new CodecError('CODEC_INVALID', message);
}

/** EXTINF durations are written with 3 decimals; the target duration is computed from the same value. */
function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Builds a media playlist: EXT-X-VERSION (3 unless given), EXT-X-TARGETDURATION (the ceiling of the
 * longest segment, never below p.targetDuration), EXT-X-MEDIA-SEQUENCE, EXT-X-DISCONTINUITY-SEQUENCE
 * when above 0, then per segment EXT-X-DISCONTINUITY if marked, EXTINF with 3 decimals and the URI.
 * Throws CodecError CODEC_INVALID for a URI holding a line break or a negative number.
 */
export function buildMediaPlaylist(p: MediaPlaylist): string {
  let maxDuration = 0;
  for (const s of p.segments) {
    if (!(s.duration >= 0)) throw invalid(`segment ${s.uri} has an invalid duration ${s.duration}`);
    maxDuration = Math.max(maxDuration, roundMs(s.duration));
  }
  if (p.mediaSequence < 0 || (p.discontinuitySequence ?? 0) < 0) {
    throw invalid('playlist sequence numbers must not be negative');
  }
  const target = Math.max(Math.ceil(p.targetDuration > 0 ? p.targetDuration : 0), Math.ceil(maxDuration));
  const lines: string[] = [
    Tag.Header,
    `${Tag.Version}${p.version ?? HLS_DEFAULT_VERSION}`,
    `${Tag.TargetDuration}${target}`,
    `${Tag.MediaSequence}${Math.floor(p.mediaSequence)}`,
  ];
  if (p.discontinuitySequence !== undefined && p.discontinuitySequence > 0) {
    lines.push(`${Tag.DiscontinuitySequence}${Math.floor(p.discontinuitySequence)}`);
  }
  if (p.playlistType) lines.push(`${Tag.PlaylistType}${p.playlistType}`);
  let map: string | undefined;
  for (const s of p.segments) {
    if (/[\r\n]/.test(s.uri) || s.uri.length === 0) throw invalid(`segment URI ${JSON.stringify(s.uri)} is not a single line`);
    if (s.discontinuity) lines.push(Tag.Discontinuity);
    if (s.map !== undefined && s.map !== map) {
      if (/[\r\n"]/.test(s.map) || s.map.length === 0) throw invalid(`map URI ${JSON.stringify(s.map)} is not a single line without quotes`);
      lines.push(`${Tag.Map}URI="${s.map}"`);
      map = s.map;
    }
    if (s.programDateTime !== undefined) lines.push(`${Tag.ProgramDateTime}${new Date(s.programDateTime).toISOString()}`);
    lines.push(`${Tag.Inf}${roundMs(s.duration).toFixed(3)},${s.title ?? ''}`);
    lines.push(s.uri);
  }
  if (p.endList) lines.push(Tag.EndList);
  return lines.join('\n') + '\n';
}

function intValue(line: string, tag: string): number {
  const v = Number.parseInt(line.slice(tag.length), 10);
  if (!Number.isFinite(v)) throw invalid(`playlist line ${JSON.stringify(line)} has no integer value`);
  return v;
}

/**
 * Parses a media playlist (the tags above; unknown tags are ignored). Throws CodecError CODEC_INVALID
 * when the text does not start with #EXTM3U or an EXTINF is malformed.
 */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== Tag.Header) throw invalid('playlist does not start with #EXTM3U');
  const out: MediaPlaylist = { targetDuration: 0, mediaSequence: 0, discontinuitySequence: 0, segments: [], endList: false };
  let pending: { duration: number; title?: string; discontinuity?: boolean } | null = null;
  let discontinuity = false;
  let map: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith(Tag.Version)) out.version = intValue(line, Tag.Version);
      else if (line.startsWith(Tag.TargetDuration)) out.targetDuration = intValue(line, Tag.TargetDuration);
      else if (line.startsWith(Tag.MediaSequence)) out.mediaSequence = intValue(line, Tag.MediaSequence);
      else if (line.startsWith(Tag.DiscontinuitySequence)) {
        out.discontinuitySequence = intValue(line, Tag.DiscontinuitySequence);
      } else if (line.startsWith(Tag.PlaylistType)) {
        const t = line.slice(Tag.PlaylistType.length);
        if (t === 'EVENT' || t === 'VOD') out.playlistType = t;
      } else if (line.startsWith(Tag.Inf)) {
        const body = line.slice(Tag.Inf.length);
        const comma = body.indexOf(',');
        const duration = Number(comma >= 0 ? body.slice(0, comma) : body);
        if (!Number.isFinite(duration) || duration < 0) throw invalid(`malformed EXTINF line ${JSON.stringify(line)}`);
        pending = { duration };
        const title = comma >= 0 ? body.slice(comma + 1) : '';
        if (title) pending.title = title;
      } else if (line === Tag.Discontinuity) discontinuity = true;
      else if (line === Tag.EndList) out.endList = true;
      else if (line.startsWith(Tag.Map)) {
        const m = /URI="([^"]+)"/.exec(line);
        if (!m) throw invalid(`malformed EXT-X-MAP line ${JSON.stringify(line)}`);
        map = m[1]!;
      }
      continue;
    }
    if (pending === null) throw invalid(`segment URI ${JSON.stringify(line)} has no EXTINF`);
    const seg: MediaSegmentEntry = { uri: line, duration: pending.duration };
    if (pending.title !== undefined) seg.title = pending.title;
    if (discontinuity) seg.discontinuity = true;
    if (map !== undefined) seg.map = map;
    out.segments.push(seg);
    pending = null;
    discontinuity = false;
  }
  return out;
}

/** One variant of a multivariant playlist (RFC 8216 4.3.4.2 EXT-X-STREAM-INF). */
export interface VariantStream {
  uri: string;
  /** peak bits per second */
  bandwidth: number;
  /** average bits per second */
  averageBandwidth?: number;
  /** width x height */
  resolution?: { width: number; height: number };
  /** RFC 6381 codec names, e.g. ["avc1.64001f", "mp4a.40.2"] */
  codecs?: string[];
  frameRate?: number;
}

/**
 * Builds a multivariant (master) playlist: EXT-X-VERSION 3, EXT-X-INDEPENDENT-SEGMENTS (every segment starts
 * with a keyframe), then EXT-X-STREAM-INF with BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION, FRAME-RATE, CODECS and
 * the URI of each variant, in the order given. Throws CodecError CODEC_INVALID for a URI that is not one line,
 * a bandwidth that is not a positive integer, or a codec name with a quote or comma.
 */
export function buildMultivariantPlaylist(variants: VariantStream[]): string {
  const lines: string[] = [Tag.Header, `${Tag.Version}${HLS_DEFAULT_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) {
    if (/[\r\n]/.test(v.uri) || v.uri.length === 0) throw invalid(`variant URI ${JSON.stringify(v.uri)} is not a single line`);
    if (!Number.isInteger(v.bandwidth) || v.bandwidth <= 0) throw invalid(`variant ${v.uri} has an invalid BANDWIDTH ${v.bandwidth}`);
    const attrs = [`BANDWIDTH=${v.bandwidth}`];
    if (v.averageBandwidth !== undefined && Number.isInteger(v.averageBandwidth) && v.averageBandwidth > 0) {
      attrs.push(`AVERAGE-BANDWIDTH=${v.averageBandwidth}`);
    }
    if (v.resolution && v.resolution.width > 0 && v.resolution.height > 0) {
      attrs.push(`RESOLUTION=${Math.round(v.resolution.width)}x${Math.round(v.resolution.height)}`);
    }
    if (v.frameRate !== undefined && v.frameRate > 0) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    if (v.codecs && v.codecs.length > 0) {
      for (const c of v.codecs) if (/[",\s]/.test(c) || c === '') throw invalid(`codec name ${JSON.stringify(c)} cannot go in CODECS`);
      attrs.push(`CODECS="${v.codecs.join(',')}"`);
    }
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return lines.join('\n') + '\n';
}

/** A variant as parsed back from a multivariant playlist (for tests and pull sources). */
export interface ParsedVariant {
  uri: string;
  /** every attribute of its EXT-X-STREAM-INF, quotes removed */
  attributes: Record<string, string>;
}

/** Parses the EXT-X-STREAM-INF entries of a multivariant playlist. Throws CodecError CODEC_INVALID without #EXTM3U. */
export function parseMultivariantPlaylist(text: string): ParsedVariant[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== Tag.Header) throw invalid('playlist does not start with #EXTM3U');
  const out: ParsedVariant[] = [];
  let pending: Record<string, string> | null = null;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = {};
      const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
      for (const m of line.slice('#EXT-X-STREAM-INF:'.length).matchAll(re)) pending[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    } else if (!line.startsWith('#') && pending) {
      out.push({ uri: line, attributes: pending });
      pending = null;
    }
  }
  return out;
}
