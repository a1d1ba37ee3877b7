// The MPEG audio frame header (ISO/IEC 11172-3 2.4.1.3, with the MPEG-2 LSF and MPEG-2.5 extensions): the
// sampling rate table and what MP3 frames carry in their first 4 bytes. Read per frame on the FLV and TS
// ingest paths, so the readers return numbers and allocate nothing.

/** MPEG audio version field (bits 20..19 of the header). */
export enum MpegAudioVersion {
  Mpeg25 = 0,
  Reserved = 1,
  Mpeg2 = 2,
  Mpeg1 = 3,
}

/** Layer field: 1 = Layer III, 2 = Layer II, 3 = Layer I (0 reserved). */
export enum MpegAudioLayer {
  Reserved = 0,
  Layer3 = 1,
  Layer2 = 2,
  Layer1 = 3,
}

/** sampling_frequency index -> Hz, by version (Table 2.4.2.3 and its LSF / 2.5 halvings); index 3 is reserved. */
const SAMPLE_RATES: ReadonlyArray<readonly number[]> = [
  [11025, 12000, 8000], // MpegAudioVersion.Mpeg25
  [], // MpegAudioVersion.Reserved
  [22050, 24000, 16000], // MpegAudioVersion.Mpeg2
  [44100, 48000, 32000], // MpegAudioVersion.Mpeg1
];
const MODE_MONO = 3;
const HEADER_SIZE = 4;

/** True when `data` starts with a valid MPEG audio frame header (syncword, no reserved version/layer/rate). */
export function isMpegAudioHeader(data: Buffer): boolean {
  if (data.length < HEADER_SIZE || data[0] !== 0xff || (data[1] & 0xe0) !== 0xe0) return false;
  const version = (data[1] >> 3) & 3;
  const layer = (data[1] >> 1) & 3;
  return version !== MpegAudioVersion.Reserved && layer !== MpegAudioLayer.Reserved && ((data[2] >> 2) & 3) !== 3;
}

/** Samples per second of the frame `data` starts with, or 0 when it does not start with a header. */
export function mpegAudioSampleRate(data: Buffer): number {
  if (data.length < HEADER_SIZE || data[0] !== 0xff) return 0;
  const b1 = data[1];
  const version = (b1 >> 3) & 3;
  const rateIndex = (data[2] >> 2) & 3;
  if ((b1 & 0xe0) !== 0xe0 || version === MpegAudioVersion.Reserved || ((b1 >> 1) & 3) === MpegAudioLayer.Reserved || rateIndex === 3) {
    return 0;
  }
  return SAMPLE_RATES[version][rateIndex];
}

/**
 * 1 (single channel mode) or 2, from the header `data` starts with; 0 when it is shorter than a header.
 * Check the header first (isMpegAudioHeader, or a non-zero mpegAudioSampleRate): this one is read per frame.
 */
export function mpegAudioChannels(data: Buffer): number {
  if (data.length < HEADER_SIZE) return 0;
  return data[3] >> 6 === MODE_MONO ? 1 : 2;
}

/** Samples in the frame `data` starts with (384, 576 or 1152), or 0 when it does not start with a header. */
export function mpegAudioSamplesPerFrame(data: Buffer): number {
  if (!isMpegAudioHeader(data)) return 0;
  const layer = (data[1] >> 1) & 3;
  if (layer === MpegAudioLayer.Layer1) return 384;
  if (layer === MpegAudioLayer.Layer3 && ((data[1] >> 3) & 3) !== MpegAudioVersion.Mpeg1) return 576;
  return 1152;
}
