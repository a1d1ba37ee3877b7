// AV1: the AV1CodecConfigurationRecord (av1C, "AV1 Codec ISO Media File Format Binding" 2.3) and the parts
// of the sequence header OBU (AV1 spec 5.5) that a container needs: profile, level, tier, picture size.
import { BitReader } from './bit-reader.js';
import { CodecError } from './codec-error.js';

export interface Av1Config {
  profile: number;
  level: number;
  tier: number;
  bitDepth: number;
  /** from the sequence header OBU in configOBUs; 0 when there is none */
  width: number;
  height: number;
  /** the configOBUs (low-overhead format), the sequence header to send in-band after a change */
  configObus: Buffer;
}

const OBU_SEQUENCE_HEADER = 1;

/** Reads one leb128 (AV1 spec 4.10.5) at `pos`; returns [value, next position]. */
function leb128(b: Buffer, pos: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    if (pos >= b.length) throw new CodecError('CODEC_INVALID', 'AV1 OBU size is truncated');
    const byte = b[pos++];
    v += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) return [v, pos];
  }
  throw new CodecError('CODEC_INVALID', 'AV1 OBU size is longer than 8 bytes');
}

/** Picture size (max_frame_width/height) of a sequence header OBU payload. */
export function parseAv1SequenceHeader(payload: Buffer): { profile: number; width: number; height: number } {
  const r = new BitReader(payload, 'AV1 sequence header');
  const profile = r.readBits(3);
  r.skipBits(1); // still_picture
  const reduced = r.readBit();
  if (reduced) {
    r.skipBits(5); // seq_level_idx[0]
  } else {
    const timingInfo = r.readBit();
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (timingInfo) {
      r.skipBits(32); // num_units_in_display_tick
      r.skipBits(32); // time_scale
      if (r.readBit()) {
        // equal_picture_interval: num_ticks_per_picture_minus_1, uvlc()
        let zeros = 0;
        while (!r.readBit()) if (++zeros >= 32) throw new CodecError('CODEC_INVALID', 'AV1 sequence header: bad uvlc');
        r.skipBits(zeros);
      }
      decoderModelInfo = r.readBit();
      if (decoderModelInfo) {
        bufferDelayLength = r.readBits(5) + 1;
        r.skipBits(32); // num_units_in_decoding_tick
        r.skipBits(5); // buffer_removal_time_length_minus_1
        r.skipBits(5); // frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelay = r.readBit();
    const points = r.readBits(5) + 1;
    for (let i = 0; i < points; i++) {
      r.skipBits(12); // operating_point_idc
      const level = r.readBits(5);
      if (level > 7) r.skipBits(1); // seq_tier
      if (decoderModelInfo && r.readBit()) r.skipBits(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.readBit()) r.skipBits(4);
    }
  }
  const wBits = r.readBits(4) + 1;
  const hBits = r.readBits(4) + 1;
  return { profile, width: r.readBits(wBits) + 1, height: r.readBits(hBits) + 1 };
}

/** Parses an av1C record; the size comes from the sequence header OBU in its configOBUs (0x0 without one). */
export function parseAv1Config(rec: Buffer): Av1Config {
  if (rec.length < 4 || rec[0] !== 0x81) {
    throw new CodecError('CODEC_INVALID', 'not an AV1CodecConfigurationRecord (marker/version byte is not 0x81)');
  }
  const cfg: Av1Config = {
    profile: rec[1] >> 5,
    level: rec[1] & 0x1f,
    tier: rec[2] >> 7,
    bitDepth: rec[2] & 0x40 ? (rec[2] & 0x20 ? 12 : 10) : 8,
    width: 0,
    height: 0,
    configObus: rec.subarray(4),
  };
  const obus = cfg.configObus;
  for (let p = 0; p < obus.length; ) {
    const h = obus[p];
    const type = (h >> 3) & 0x0f;
    p += 1 + ((h >> 2) & 1);
    if (!(h & 0x02)) break; // obu_has_size_field is required in configOBUs
    const [size, start] = leb128(obus, p);
    if (start + size > obus.length) throw new CodecError('CODEC_INVALID', 'AV1 configOBUs: an OBU overruns the record');
    if (type === OBU_SEQUENCE_HEADER) {
      const s = parseAv1SequenceHeader(obus.subarray(start, start + size));
      cfg.width = s.width;
      cfg.height = s.height;
      break;
    }
    p = start + size;
  }
  return cfg;
}
