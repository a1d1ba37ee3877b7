// The tracks of an RTSP presentation, read from the DESCRIBE answer's SDP (RFC 2326 appendix C) with the SDP
// parser of src/codecs/rtp/sdp.ts: for each m=video / m=audio its control URL, payload type and codec, and
// the decoder configuration a camera puts in a=fmtp: H.264 sprop-parameter-sets (RFC 6184 8.1), H.265
// sprop-vps/sps/pps (RFC 7798 7.1), AAC config= with the RFC 3640 AU header layout. Pure: text in, objects out.
import { CodecError } from '../codec-error.js';
import { parseMpeg4GenericFmtp, type Mpeg4GenericParams } from '../rtp/aac-depacketizer.js';
import { attributes, fmtpParams, mediaCodecs, parseSdp, type RtpCodec } from '../rtp/sdp.js';
import { resolveControl } from './headers.js';

export type RtspTrackCodec = 'h264' | 'h265' | 'aac';

interface TrackBase {
  /** 'video' or 'audio' as in the m= line */
  media: string;
  /** the URL to SETUP */
  control: string;
  payloadType: number;
  clockRate: number;
  /** the codec as the SDP names it (for "not supported" messages) */
  encoding: string;
}

export interface H264Track extends TrackBase {
  codec: 'h264';
  sps: Buffer[];
  pps: Buffer[];
}

export interface H265Track extends TrackBase {
  codec: 'h265';
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
}

export interface AacTrack extends TrackBase {
  codec: 'aac';
  params: Mpeg4GenericParams;
  channels: number;
}

export type RtspTrack = H264Track | H265Track | AacTrack;

/** A track this client cannot read (kept so the error can name what the camera offers). */
export interface OtherTrack extends TrackBase {
  codec: null;
  why: string;
}

export interface Presentation {
  tracks: RtspTrack[];
  others: OtherTrack[];
  /** the session name (s=), for logs */
  name: string;
}

const base64List = (v: string | undefined): Buffer[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(s))
    .map((s) => Buffer.from(s, 'base64'))
    .filter((b) => b.length > 0);

/**
 * The tracks of a DESCRIBE answer. `base` is the Content-Base (or Content-Location, or the request URL).
 * Throws SdpError when the SDP cannot be read.
 */
export function readPresentation(sdpText: string, base: string): Presentation {
  const sdp = parseSdp(sdpText);
  const sessionControl = attributes(sdp.session, 'control')[0];
  const root = sessionControl && sessionControl !== '*' ? resolveControl(base, sessionControl) : base;
  const out: Presentation = { tracks: [], others: [], name: sdp.session.find((l) => l.startsWith('s='))?.slice(2).trim() ?? '' };
  for (const m of sdp.media) {
    if (m.kind !== 'video' && m.kind !== 'audio') continue;
    const control = resolveControl(root, attributes(m.lines, 'control')[0] ?? '');
    const codecs = mediaCodecs(m);
    const c: RtpCodec | undefined = codecs[0];
    const pt = c?.payloadType ?? Number(m.formats[0]);
    const base0 = { media: m.kind, control, payloadType: pt, clockRate: c?.clockRate ?? 0, encoding: c ? `${c.name}/${c.clockRate}` : `payload type ${m.formats[0] ?? '?'}` };
    const name = c?.name.toLowerCase();
    if (!c || !m.proto.toUpperCase().startsWith('RTP/AVP')) {
      out.others.push({ ...base0, codec: null, why: `${m.kind} in ${base0.encoding} over ${m.proto}` });
      continue;
    }
    const fmtp = fmtpParams(c.fmtp);
    if (m.kind === 'video' && name === 'h264') {
      const sps: Buffer[] = [];
      const pps: Buffer[] = [];
      for (const n of base64List(fmtp.get('sprop-parameter-sets'))) {
        if ((n[0]! & 0x1f) === 7) sps.push(n);
        else if ((n[0]! & 0x1f) === 8) pps.push(n);
      }
      out.tracks.push({ ...base0, codec: 'h264', sps, pps });
    } else if (m.kind === 'video' && (name === 'h265' || name === 'hevc')) {
      out.tracks.push({
        ...base0,
        codec: 'h265',
        vps: base64List(fmtp.get('sprop-vps')),
        sps: base64List(fmtp.get('sprop-sps')),
        pps: base64List(fmtp.get('sprop-pps')),
      });
    } else if (m.kind === 'audio' && name === 'mpeg4-generic') {
      try {
        const params = parseMpeg4GenericFmtp(fmtp);
        out.tracks.push({ ...base0, codec: 'aac', params, channels: c.channels ?? 1 });
      } catch (e) {
        out.others.push({ ...base0, codec: null, why: `AAC that cannot be read: ${e instanceof CodecError ? e.message : String(e)}` });
      }
    } else {
      out.others.push({ ...base0, codec: null, why: `${m.kind} in ${base0.encoding}` });
    }
  }
  return out;
}
