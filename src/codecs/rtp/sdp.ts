// SDP (RFC 8866) helpers for WHIP/WHEP offers and answers: a line-level parse that keeps every line, the
// checks a server makes on an offer before negotiating (JSEP, RFC 8829), codec selection by payload type
// (RFC 6184 fmtp for H.264), and candidate rewriting. Pure: text in, text out.

export class SdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

export interface SdpMedia {
  kind: string;
  port: number;
  proto: string;
  /** payload types as they appear on the m= line */
  formats: string[];
  /** the lines of the section after the m= line */
  lines: string[];
}

export interface Sdp {
  /** session-level lines (v=, o=, s=, t=, a=...) */
  session: string[];
  media: SdpMedia[];
}

const MAX_SDP_LENGTH = 64 * 1024;

/** Parses SDP text; throws SdpError saying what is wrong with it. */
export function parseSdp(text: string): Sdp {
  if (typeof text !== 'string' || text.trim() === '') throw new SdpError('the SDP is empty');
  if (text.length > MAX_SDP_LENGTH) throw new SdpError(`the SDP is ${text.length} bytes; at most ${MAX_SDP_LENGTH} are accepted`);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0] !== 'v=0') throw new SdpError('the SDP must start with the line "v=0"');
  const sdp: Sdp = { session: [], media: [] };
  let cur: SdpMedia | null = null;
  for (const [i, line] of lines.entries()) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`SDP line ${i + 1} is not "<letter>=<value>": ${JSON.stringify(line.slice(0, 80))}`);
    if (line.startsWith('m=')) {
      const parts = line.slice(2).trim().split(/\s+/);
      const port = Number(parts[1]?.split('/')[0]);
      if (parts.length < 3 || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new SdpError(`SDP line ${i + 1} is not a valid media line: ${JSON.stringify(line.slice(0, 80))}`);
      }
      cur = { kind: parts[0]!, port, proto: parts[2]!, formats: parts.slice(3), lines: [] };
      sdp.media.push(cur);
    } else if (cur) {
      cur.lines.push(line);
    } else {
      sdp.session.push(line);
    }
  }
  return sdp;
}

export function writeSdp(sdp: Sdp): string {
  const out = [...sdp.session];
  for (const m of sdp.media) {
    out.push(`m=${m.kind} ${m.port} ${m.proto}${m.formats.length ? ' ' + m.formats.join(' ') : ''}`);
    out.push(...m.lines);
  }
  return out.join('\r\n') + '\r\n';
}

/** The values of `a=<name>:<value>` (or `a=<name>` as '') lines. */
export function attributes(lines: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l === `a=${name}`) out.push('');
    else if (l.startsWith(`a=${name}:`)) out.push(l.slice(name.length + 3));
  }
  return out;
}

/** A media section's attribute, falling back to the session level (ICE and DTLS parameters may be either). */
export function mediaAttribute(sdp: Sdp, m: SdpMedia, name: string): string | undefined {
  return attributes(m.lines, name)[0] ?? attributes(sdp.session, name)[0];
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export function mediaDirection(sdp: Sdp, m: SdpMedia): Direction {
  for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
    if (m.lines.includes(`a=${d}`)) return d;
  }
  for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
    if (sdp.session.includes(`a=${d}`)) return d;
  }
  return 'sendrecv';
}

export interface RtpCodec {
  payloadType: number;
  /** encoding name as written (H264, opus, rtx, ...) */
  name: string;
  clockRate: number;
  channels?: number;
  /** the a=fmtp parameters, '' when none */
  fmtp: string;
}

/** The codecs of a media section, in m= line order (preference order). */
export function mediaCodecs(m: SdpMedia): RtpCodec[] {
  const maps = new Map<number, RtpCodec>();
  for (const v of attributes(m.lines, 'rtpmap')) {
    const r = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(v);
    if (!r) continue;
    const pt = Number(r[1]);
    maps.set(pt, { payloadType: pt, name: r[2]!, clockRate: Number(r[3]), channels: r[4] ? Number(r[4]) : undefined, fmtp: '' });
  }
  for (const v of attributes(m.lines, 'fmtp')) {
    const r = /^(\d+)\s+(.*)$/.exec(v);
    const c = r ? maps.get(Number(r[1])) : undefined;
    if (c) c.fmtp = r![2]!.trim();
  }
  const out: RtpCodec[] = [];
  for (const f of m.formats) {
    const c = maps.get(Number(f));
    if (c) out.push(c);
  }
  return out;
}

/** fmtp `a=b;c=d` as a map with lower-case keys. */
export function fmtpParams(fmtp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Keeps only the given payload types in a media section (and drops the rtpmap/fmtp/rtcp-fb lines of the
 * others), so that a negotiating agent can only pick from them.
 */
export function keepPayloadTypes(m: SdpMedia, keep: readonly number[]): void {
  const set = new Set(keep.map(String));
  m.formats = m.formats.filter((f) => set.has(f));
  m.lines = m.lines.filter((l) => {
    const r = /^a=(rtpmap|fmtp|rtcp-fb):(\d+|\*)\s/.exec(l);
    return !r || r[2] === '*' || set.has(r[2]!);
  });
}

/** H.264 profile_idc/constraint preference for a WebRTC leg: constrained baseline first (no B-frames). */
const H264_PROFILE_PREFERENCE = ['42e0', '4200', '4d00', '6400'];

/**
 * Picks an H.264 payload type with packetization-mode=1. With `profileIdc` (from the stream's SPS), an
 * entry of that profile wins; otherwise constrained baseline, baseline, main, high, then any.
 * Returns null when there is none.
 */
export function chooseH264(m: SdpMedia, profileIdc?: number): RtpCodec | null {
  const cands = mediaCodecs(m).filter(
    (c) => c.name.toLowerCase() === 'h264' && c.clockRate === 90000 && fmtpParams(c.fmtp).get('packetization-mode') === '1',
  );
  if (cands.length === 0) return null;
  const pli = (c: RtpCodec) => (fmtpParams(c.fmtp).get('profile-level-id') ?? '42001f').toLowerCase();
  if (profileIdc !== undefined) {
    const hex = profileIdc.toString(16).padStart(2, '0');
    const same = cands.find((c) => pli(c).startsWith(hex));
    if (same) return same;
  }
  for (const pref of H264_PROFILE_PREFERENCE) {
    const c = cands.find((x) => pli(x).startsWith(pref));
    if (c) return c;
  }
  return cands[0]!;
}

/** The Opus payload type (opus/48000/2), or null. */
export function chooseOpus(m: SdpMedia): RtpCodec | null {
  return mediaCodecs(m).find((c) => c.name.toLowerCase() === 'opus' && c.clockRate === 48000) ?? null;
}

/** ICE/DTLS parameters every offer needs, checked up front so the error says which is missing. */
export function checkOfferTransport(sdp: Sdp): string | null {
  const av = sdp.media.filter((m) => (m.kind === 'audio' || m.kind === 'video') && m.port !== 0);
  if (av.length === 0) return 'the offer has no audio or video section (m=audio / m=video with a port other than 0); add a track or a transceiver before creating the offer';
  for (const m of av) {
    if (!m.proto.includes('SAVPF') && !m.proto.includes('SAVP')) return `the ${m.kind} section uses ${m.proto}; WebRTC needs UDP/TLS/RTP/SAVPF`;
    if (!mediaAttribute(sdp, m, 'ice-ufrag') || !mediaAttribute(sdp, m, 'ice-pwd')) return `the ${m.kind} section has no a=ice-ufrag / a=ice-pwd`;
    if (!mediaAttribute(sdp, m, 'fingerprint')) return `the ${m.kind} section has no a=fingerprint (DTLS)`;
  }
  return null;
}

/** Replaces the ICE candidates of every media section with `candidates` (full `a=candidate:` lines' values). */
export function setCandidates(sdp: Sdp, candidates: readonly string[]): void {
  for (const m of sdp.media) {
    m.lines = m.lines.filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates');
    if (m.port === 0) continue;
    m.lines.push(...candidates.map((c) => `a=candidate:${c}`), 'a=end-of-candidates');
  }
}

/** A host candidate line value (without `a=candidate:`), RFC 8839 section 5.1. */
export function hostCandidate(foundation: string, ip: string, port: number, priority = 2130706431): string {
  return `${foundation} 1 udp ${priority} ${ip} ${port} typ host generation 0`;
}
