// The one MSB-first bit reader of the codec parsers: fixed-width reads, exp-Golomb ue(v)/se(v)
// (ISO/IEC 14496-10 9.1, also ITU-T H.265 9.2), and the removal of emulation prevention bytes that turns a
// NAL unit into its RBSP (14496-10 7.4.1, H.265 7.4.2). Every read is bounds-checked: reading past the end
// throws CodecError CODEC_INVALID, so a parser over hostile bytes ends with a typed error, never a hang.

import { CodecError } from './codec-error.js';

/** The longest exp-Golomb prefix accepted: ue(v) values fit in 32 bits. */
const MAX_EXP_GOLOMB_ZEROS = 31;

/** MSB-first bit reader over bytes (an RBSP when reading a NAL unit: see removeEmulationPrevention). */
export class BitReader {
  private pos = 0;
  private readonly bitLength: number;

  /** `what` names the structure in error messages ('H.264 SPS', 'AudioSpecificConfig', ...). */
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'bitstream',
  ) {
    this.bitLength = buf.length * 8;
  }

  /** Bits not read yet. */
  get bitsLeft(): number {
    return this.bitLength - this.pos;
  }

  /** Bits read so far. */
  get bitPosition(): number {
    return this.pos;
  }

  private truncated(): CodecError {
    return new CodecError('CODEC_INVALID', `${this.what} is truncated`);
  }

  readBit(): number {
    if (this.pos >= this.bitLength) throw this.truncated();
    const bit = (this.buf[this.pos >> 3] >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit;
  }

  /** Reads n <= 48 bits as an unsigned number. */
  readBits(n: number): number {
    if (this.pos + n > this.bitLength) throw this.truncated();
    let v = 0;
    for (let i = 0; i < n; i++) {
      v = v * 2 + ((this.buf[this.pos >> 3] >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  skipBits(n: number): void {
    if (this.pos + n > this.bitLength) throw this.truncated();
    this.pos += n;
  }

  /** Skips to the next byte boundary (counted from the start of the buffer). */
  byteAlign(): void {
    this.skipBits((8 - (this.pos & 7)) & 7);
  }

  /** ue(v): unsigned exp-Golomb. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > MAX_EXP_GOLOMB_ZEROS) {
        throw new CodecError('CODEC_INVALID', `${this.what} has an exp-Golomb code longer than 32 bits`);
      }
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** se(v): signed exp-Golomb. */
  readSE(): number {
    const k = this.readUE();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** ue(v) that must not exceed `max`; names the field in the error. */
  readUEMax(max: number, field: string): number {
    const v = this.readUE();
    if (v > max) throw new CodecError('CODEC_INVALID', `${this.what} ${field} ${v} is out of range (at most ${max})`);
    return v;
  }
}

/**
 * Removes emulation_prevention_three_byte (00 00 03 -> 00 00), 14496-10 7.4.1 / H.265 7.4.2.
 * Returns the input itself when it holds none (no copy on the common path).
 */
export function removeEmulationPrevention(nal: Buffer): Buffer {
  const n = nal.length;
  let i = 2;
  for (; i < n; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) break;
  }
  if (i >= n) return nal;
  const out = Buffer.allocUnsafe(n);
  nal.copy(out, 0, 0, i);
  let o = i;
  let zeros = 0;
  for (i = i + 1; i < n; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
