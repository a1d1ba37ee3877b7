// AAC configuration and framing: AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) with GASpecificConfig
// (4.4.1), the program_config_element (4.4.1.1) and the SBR / PS signalling of HE-AAC v1 / v2 (1.6.5: explicit
// hierarchical with object type 5 / 29, explicit backward-compatible with the 0x2b7 / 0x548 sync extensions),
// the sampling frequency table (Table 1.18) and the ADTS header (1.A.2.2). Pure functions, no I/O.

import { AudioCodec, type AudioInfo } from '../core/frame.js';
import { BitReader } from './bit-reader.js';
import { CodecError } from './codec-error.js';

/** audioObjectType values, 14496-3 Table 1.1 (the ones a live server meets). */
export enum AudioObjectType {
  Main = 1,
  LC = 2,
  SSR = 3,
  LTP = 4,
  SBR = 5,
  Scalable = 6,
  ER_LC = 17,
  ER_LD = 23,
  PS = 29,
  Escape = 31,
  ER_ELD = 39,
  USAC = 42,
}

/** samplingFrequencyIndex -> Hz, 14496-3 Table 1.18; index 15 means an explicit 24-bit frequency. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
const EXPLICIT_FREQUENCY_INDEX = 0xf;
const ESCAPE_OBJECT_TYPE = 31;

/** channelConfiguration -> channel count, 14496-3 Table 1.19 (0: defined by a program_config_element; 8-10, 15 reserved). */
const CHANNELS_BY_CONFIG: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0];

/** Samples per AAC frame (raw_data_block) for the common 1024-sample framing. */
export const AAC_SAMPLES_PER_FRAME = 1024;

export const ADTS_HEADER_SIZE = 7;
const ADTS_CRC_SIZE = 2;
const ADTS_MAX_FRAME_LENGTH = 0x1fff;
const ADTS_BUFFER_FULLNESS_VBR = 0x7ff;

/** A decoded AudioSpecificConfig or ADTS header. */
export interface AacConfig {
  /** the object type as signalled: 5 (SBR) or 29 (PS) for explicitly signalled HE-AAC / HE-AACv2 */
  objectType: number;
  /** the underlying object type (2 for HE-AAC over AAC LC; equal to objectType otherwise) */
  coreObjectType: number;
  /** 0..12, or 15 when the frequency is explicit */
  sampleRateIndex: number;
  /** the core sampling frequency in Hz */
  sampleRate: number;
  /** HE-AAC: the SBR output sampling frequency; present when SBR is signalled (explicitly or by a sync extension) */
  extensionSampleRate?: number;
  /** HE-AAC v2: Parametric Stereo is signalled (object type 29 or the 0x548 sync extension); absent otherwise */
  ps?: boolean;
  channelConfig: number;
  /** channels of the core: from the channel configuration, or counted in the program_config_element for 0 */
  channels: number;
  /** samples per frame, when not 1024 (frameLengthFlag: 960; AAC LD / ELD: 512 or 480) */
  samplesPerFrame?: number;
}

function invalid(message: string): CodecError {
  return new CodecError('CODEC_INVALID', message);
}

/** Index of a sampling frequency in Table 1.18, or -1. */
export function aacSampleRateIndex(sampleRate: number): number {
  return AAC_SAMPLE_RATES.indexOf(sampleRate);
}

function readObjectType(r: BitReader): number {
  const t = r.readBits(5);
  return t === ESCAPE_OBJECT_TYPE ? 32 + r.readBits(6) : t;
}

function readFrequency(r: BitReader): { index: number; rate: number } {
  const index = r.readBits(4);
  if (index === EXPLICIT_FREQUENCY_INDEX) return { index, rate: r.readBits(24) };
  if (index >= AAC_SAMPLE_RATES.length) throw invalid(`AAC samplingFrequencyIndex ${index} is reserved`);
  return { index, rate: AAC_SAMPLE_RATES[index] };
}

/** Object types whose AudioSpecificConfig goes on with a GASpecificConfig (1.6.2.1). */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);
/** Error-resilient object types, which carry epConfig after their specific config. */
const ER_OBJECT_TYPES = new Set([17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39]);
const SYNC_EXTENSION_SBR = 0x2b7;
const SYNC_EXTENSION_PS = 0x548;
const LOW_DELAY_FRAME = 512;
const LOW_DELAY_FRAME_SHORT = 480;
const FRAME_SHORT = 960;

/** Counts the channels of a program_config_element (4.4.1.1) and skips it, comment included. */
function readProgramConfigChannels(r: BitReader): number {
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4);
  const side = r.readBits(4);
  const back = r.readBits(4);
  const lfe = r.readBits(2);
  const assoc = r.readBits(3);
  const cc = r.readBits(4);
  if (r.readBit()) r.skipBits(4); // mono_mixdown_element_number
  if (r.readBit()) r.skipBits(4); // stereo_mixdown_element_number
  if (r.readBit()) r.skipBits(3); // matrix_mixdown_idx, pseudo_surround_enable
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readBit() ? 2 : 1; // *_element_is_cpe
    r.skipBits(4); // *_element_tag_select
  }
  r.skipBits(lfe * 4 + assoc * 4 + cc * 5);
  r.byteAlign(); // relative to the start of the AudioSpecificConfig
  r.skipBits(r.readBits(8) * 8); // comment_field_bytes, comment_field_data
  return channels;
}

/** GASpecificConfig (4.4.1): the frame length, and the channels of a program_config_element. */
function readGaSpecificConfig(r: BitReader, objectType: number, cfg: AacConfig): void {
  if (r.readBit()) cfg.samplesPerFrame = objectType === AudioObjectType.ER_LD ? LOW_DELAY_FRAME_SHORT : FRAME_SHORT;
  else if (objectType === AudioObjectType.ER_LD) cfg.samplesPerFrame = LOW_DELAY_FRAME;
  if (r.readBit()) r.skipBits(14); // dependsOnCoreCoder: coreCoderDelay
  const extensionFlag = r.readBit();
  if (cfg.channelConfig === 0) cfg.channels = readProgramConfigChannels(r);
  if (objectType === AudioObjectType.Scalable || objectType === 20) r.skipBits(3); // layerNr
  if (extensionFlag) {
    if (objectType === 22) r.skipBits(5 + 11); // numOfSubFrame, layer_length
    if (objectType === 17 || objectType === 19 || objectType === 20 || objectType === 23) r.skipBits(3); // resilience flags
    r.skipBits(1); // extensionFlag3
  }
}

/**
 * The backward-compatible SBR / PS signalling after the specific config (1.6.2.1, syncExtensionType
 * 0x2b7 then 0x548): a decoder that knows no SBR reads AAC LC; one that does reads HE-AAC (v2).
 */
function readSyncExtension(r: BitReader, cfg: AacConfig): void {
  if (r.bitsLeft < 16 || r.readBits(11) !== SYNC_EXTENSION_SBR) return;
  if (readObjectType(r) !== AudioObjectType.SBR) return;
  if (!r.readBit()) return; // sbrPresentFlag
  cfg.extensionSampleRate = readFrequency(r).rate;
  if (r.bitsLeft >= 12 && r.readBits(11) === SYNC_EXTENSION_PS && r.readBit()) cfg.ps = true;
}

/**
 * Parses an AudioSpecificConfig (14496-3 1.6.2.1): object type (with the escape 31), frequency (with the
 * explicit index 15), channels (counted in the program_config_element for configuration 0), frame length,
 * and HE-AAC v1 / v2 signalled explicitly (object type 5 / 29) or backward-compatibly (sync extensions).
 * Throws CodecError CODEC_INVALID when the fields up to the channel configuration are truncated or reserved;
 * the rest is optional information: a truncated or unknown tail leaves the fields before it.
 */
export function parseAudioSpecificConfig(buf: Buffer): AacConfig {
  const r = new BitReader(buf, 'AudioSpecificConfig');
  const objectType = readObjectType(r);
  if (objectType === 0) throw invalid('AudioSpecificConfig has audioObjectType 0 (null)');
  const freq = readFrequency(r);
  const channelConfig = r.readBits(4);
  if (channelConfig !== 0 && CHANNELS_BY_CONFIG[channelConfig] === 0) {
    throw invalid(`AAC channelConfiguration ${channelConfig} is reserved`);
  }
  const cfg: AacConfig = {
    objectType,
    coreObjectType: objectType,
    sampleRateIndex: freq.index,
    sampleRate: freq.rate,
    channelConfig,
    channels: CHANNELS_BY_CONFIG[channelConfig],
  };
  const explicitSbr = objectType === AudioObjectType.SBR || objectType === AudioObjectType.PS;
  if (explicitSbr) {
    cfg.extensionSampleRate = readFrequency(r).rate;
    cfg.coreObjectType = readObjectType(r);
    if (objectType === AudioObjectType.PS) cfg.ps = true;
    if (cfg.coreObjectType === 22) r.skipBits(4); // extensionChannelConfiguration
  }
  try {
    const core = cfg.coreObjectType;
    if (GA_OBJECT_TYPES.has(core)) {
      readGaSpecificConfig(r, core, cfg);
    } else if (core === AudioObjectType.ER_ELD) {
      cfg.samplesPerFrame = r.readBit() ? LOW_DELAY_FRAME_SHORT : LOW_DELAY_FRAME; // ELDSpecificConfig frameLengthFlag
      return cfg; // the rest of ELDSpecificConfig is not read: no sync extension follows that this parser knows
    } else {
      return cfg; // CELP, HVXC, SSC, USAC, ...: the specific config is not read
    }
    if (ER_OBJECT_TYPES.has(core)) {
      const epConfig = r.readBits(2);
      if (epConfig === 2 || epConfig === 3) return cfg; // ErrorProtectionSpecificConfig is not read
    }
    if (!explicitSbr) readSyncExtension(r, cfg);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return cfg;
}

/**
 * The object type that names the profile a listener gets: 29 (HE-AAC v2) when PS is signalled, 5 (HE-AAC)
 * when SBR is, however they are signalled; else the signalled object type.
 */
export function aacProfileObjectType(cfg: AacConfig): number {
  if (cfg.ps) return AudioObjectType.PS;
  if (cfg.extensionSampleRate !== undefined) return AudioObjectType.SBR;
  return cfg.objectType;
}

/** MSB-first bit writer into a fixed buffer. */
class BitWriter {
  private pos = 0;
  constructor(private readonly buf: Buffer) {
    buf.fill(0);
  }
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      if (Math.floor(value / 2 ** i) % 2) this.buf[this.pos >> 3] |= 0x80 >> (this.pos & 7);
      this.pos++;
    }
  }
  get bytes(): number {
    return (this.pos + 7) >> 3;
  }
}

function writeObjectType(w: BitWriter, t: number): void {
  if (t >= ESCAPE_OBJECT_TYPE) {
    w.write(ESCAPE_OBJECT_TYPE, 5);
    w.write(t - 32, 6);
  } else {
    w.write(t, 5);
  }
}

function writeFrequency(w: BitWriter, rate: number): void {
  const index = aacSampleRateIndex(rate);
  if (index >= 0) {
    w.write(index, 4);
  } else {
    w.write(EXPLICIT_FREQUENCY_INDEX, 4);
    w.write(rate, 24);
  }
}

/** channelConfiguration for a channel count: 1..6 as is, 8 -> 7 (7.1). */
export function aacChannelConfig(channels: number): number {
  if (channels >= 1 && channels <= 6) return channels;
  if (channels === 8) return 7;
  throw new CodecError('CODEC_UNSUPPORTED', `AAC with ${channels} channels needs a program_config_element`);
}

/**
 * Builds an AudioSpecificConfig with a GASpecificConfig of zeros (1024-sample frames, no core coder,
 * no extension), using the escape codes when needed. For objectType 5 / 29 (explicit HE-AAC),
 * sampleRate is the core rate and the SBR rate is twice it, over an AAC LC core.
 */
export function buildAudioSpecificConfig(objectType: number, sampleRate: number, channels: number): Buffer {
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 95) {
    throw invalid(`AAC audioObjectType ${objectType} is out of range`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate >= 2 ** 24) {
    throw invalid(`AAC sampling frequency ${sampleRate} is out of range`);
  }
  const channelConfig = aacChannelConfig(channels);
  const out = Buffer.alloc(16); // at most 11 + 28 + 4 + 28 + 11 + 3 bits
  const w = new BitWriter(out);
  writeObjectType(w, objectType);
  writeFrequency(w, sampleRate);
  w.write(channelConfig, 4);
  if (objectType === AudioObjectType.SBR || objectType === AudioObjectType.PS) {
    writeFrequency(w, sampleRate * 2);
    writeObjectType(w, AudioObjectType.LC);
  }
  w.write(0, 3); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
  return out.subarray(0, w.bytes);
}

/**
 * The 2-byte AudioSpecificConfig matching an ADTS header (object type 1..4, indexed frequency, channel
 * configuration 0..7 as is), for turning ADTS into the config a FLV / MP4 sequence header carries.
 */
export function audioSpecificConfigFromAdts(cfg: Pick<AacConfig, 'objectType' | 'sampleRateIndex' | 'channelConfig'>): Buffer {
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(((cfg.objectType & 0x1f) << 11) | ((cfg.sampleRateIndex & 0xf) << 7) | ((cfg.channelConfig & 0xf) << 3));
  return out;
}

/** Human name of an audio object type: 'LC', 'HE', 'HEv2', 'Main', ... */
export function aacProfileName(objectType: number): string {
  switch (objectType) {
    case AudioObjectType.Main:
      return 'Main';
    case AudioObjectType.LC:
      return 'LC';
    case AudioObjectType.SSR:
      return 'SSR';
    case AudioObjectType.LTP:
      return 'LTP';
    case AudioObjectType.SBR:
      return 'HE';
    case AudioObjectType.PS:
      return 'HEv2';
    case AudioObjectType.ER_LD:
      return 'LD';
    case AudioObjectType.ER_ELD:
      return 'ELD';
    case AudioObjectType.USAC:
      return 'USAC';
    default:
      return 'Unknown';
  }
}

/**
 * Codec details from an AudioSpecificConfig, for the APIs: what a listener gets, as ffprobe says it. The
 * sample rate is the SBR output rate for HE-AAC, the channels 2 for HE-AAC v2 over a mono core (PS makes
 * stereo), the profile 'LC', 'HE', 'HEv2', ... (SRS's names). Throws CodecError CODEC_INVALID as
 * parseAudioSpecificConfig does.
 */
export function aacAudioInfo(asc: Buffer): AudioInfo {
  const cfg = parseAudioSpecificConfig(asc);
  return {
    codec: AudioCodec.AAC,
    sampleRate: cfg.extensionSampleRate ?? cfg.sampleRate,
    channels: cfg.ps && cfg.channels === 1 ? 2 : cfg.channels,
    profile: aacProfileName(aacProfileObjectType(cfg)),
  };
}

/**
 * Writes a 7-byte ADTS header without CRC for one raw AAC frame of rawLength bytes at target[offset].
 * HE-AAC (5 / 29) is written as AAC LC at the core rate (implicit SBR signalling). Throws CodecError
 * for object types ADTS cannot carry, an explicit frequency or a frame longer than 8191 bytes.
 */
export function writeAdtsHeader(
  cfg: Pick<AacConfig, 'objectType' | 'sampleRateIndex' | 'channelConfig'>,
  rawLength: number,
  target: Buffer,
  offset: number,
): void {
  let objectType = cfg.objectType;
  if (objectType === AudioObjectType.SBR || objectType === AudioObjectType.PS) objectType = AudioObjectType.LC;
  if (objectType < AudioObjectType.Main || objectType > AudioObjectType.LTP) {
    throw new CodecError('CODEC_UNSUPPORTED', `ADTS cannot carry AAC object type ${cfg.objectType}`);
  }
  if (cfg.sampleRateIndex >= AAC_SAMPLE_RATES.length) {
    throw new CodecError('CODEC_UNSUPPORTED', 'ADTS cannot carry an explicit AAC sampling frequency');
  }
  const frameLength = rawLength + ADTS_HEADER_SIZE;
  if (frameLength > ADTS_MAX_FRAME_LENGTH) throw invalid(`AAC frame of ${rawLength} bytes is too long for ADTS`);
  const profile = objectType - 1;
  const ch = cfg.channelConfig & 7;
  target[offset] = 0xff; // syncword
  target[offset + 1] = 0xf1; // syncword, MPEG-4, layer 0, protection_absent
  target[offset + 2] = (profile << 6) | (cfg.sampleRateIndex << 2) | (ch >> 2);
  target[offset + 3] = ((ch & 3) << 6) | (frameLength >> 11);
  target[offset + 4] = (frameLength >> 3) & 0xff;
  target[offset + 5] = ((frameLength & 7) << 5) | (ADTS_BUFFER_FULLNESS_VBR >> 6);
  target[offset + 6] = (ADTS_BUFFER_FULLNESS_VBR & 0x3f) << 2; // number_of_raw_data_blocks_in_frame 0
}

/** One ADTS header. */
export interface AdtsHeader extends AacConfig {
  /** 7, or 9 with CRC */
  headerLength: number;
  /** header + payload */
  frameLength: number;
  /** number_of_raw_data_blocks_in_frame + 1 */
  rawDataBlocks: number;
}

/** Decodes the ADTS header at buf[offset], or returns null when there is none (or fewer than 7 bytes). */
export function parseAdtsHeader(buf: Buffer, offset = 0): AdtsHeader | null {
  if (offset + ADTS_HEADER_SIZE > buf.length) return null;
  const b1 = buf[offset + 1];
  if (buf[offset] !== 0xff || (b1 & 0xf6) !== 0xf0) return null; // syncword, layer 0
  const b2 = buf[offset + 2];
  const b3 = buf[offset + 3];
  const sampleRateIndex = (b2 >> 2) & 0xf;
  if (sampleRateIndex >= AAC_SAMPLE_RATES.length) return null;
  const headerLength = b1 & 1 ? ADTS_HEADER_SIZE : ADTS_HEADER_SIZE + ADTS_CRC_SIZE;
  const frameLength = ((b3 & 3) << 11) | (buf[offset + 4] << 3) | (buf[offset + 5] >> 5);
  if (frameLength < headerLength) return null;
  const objectType = (b2 >> 6) + 1;
  const channelConfig = ((b2 & 1) << 2) | (b3 >> 6);
  return {
    objectType,
    coreObjectType: objectType,
    sampleRateIndex,
    sampleRate: AAC_SAMPLE_RATES[sampleRateIndex],
    channelConfig,
    channels: CHANNELS_BY_CONFIG[channelConfig],
    headerLength,
    frameLength,
    rawDataBlocks: (buf[offset + 6] & 3) + 1,
  };
}

/** The AAC frames of a run of ADTS frames (e.g. one PES payload). */
export interface AdtsFrames {
  /** the configuration of the first frame; null when no frame was found */
  config: AacConfig | null;
  /** raw AAC frames (subarrays of the input, headers and CRC removed) */
  frames: Buffer[];
  /** an incomplete last frame (from its syncword), to prepend to the next input */
  rest?: Buffer;
  /** bytes skipped while looking for a syncword */
  skippedBytes: number;
}

/** Splits a buffer holding several ADTS frames; skips garbage by resyncing on the syncword. */
export function parseAdtsFrames(buf: Buffer): AdtsFrames {
  const out: AdtsFrames = { config: null, frames: [], skippedBytes: 0 };
  const n = buf.length;
  let p = 0;
  while (p < n) {
    const h = parseAdtsHeader(buf, p);
    if (h === null) {
      if (p + ADTS_HEADER_SIZE > n && buf[p] === 0xff) {
        out.rest = buf.subarray(p);
        break;
      }
      let q = p + 1;
      while (q < n && buf[q] !== 0xff) q++;
      out.skippedBytes += q - p;
      p = q;
      continue;
    }
    if (p + h.frameLength > n) {
      out.rest = buf.subarray(p);
      break;
    }
    if (out.config === null) {
      const { headerLength: _h, frameLength: _f, rawDataBlocks: _r, ...config } = h;
      out.config = config;
    }
    if (h.frameLength > h.headerLength) out.frames.push(buf.subarray(p + h.headerLength, p + h.frameLength));
    p += h.frameLength;
  }
  return out;
}
