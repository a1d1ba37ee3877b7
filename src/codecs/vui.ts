// The parts of the video usability information that H.264 (ISO/IEC 14496-10 E.1.1) and H.265 (ITU-T H.265
// E.2.1) share: the head (sample aspect ratio from Table E-1, overscan, video signal type, chroma sample
// location) and the timing info (num_units_in_tick, time_scale), which the H.265 VPS carries too.

import type { BitReader } from './bit-reader.js';

/** aspect_ratio_idc -> sample aspect ratio, Table E-1 (the same in both standards). */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;

/** What the VUI head says. */
export interface VuiPicture {
  /** sample aspect ratio; 1:1 when absent */
  sarWidth: number;
  sarHeight: number;
  videoFullRange?: boolean;
}

/** Reads the VUI from aspect_ratio_info_present_flag through the chroma sample location into `out`. */
export function readVuiHead(r: BitReader, out: VuiPicture): void {
  if (r.readBit()) {
    const idc = r.readBits(8);
    if (idc === EXTENDED_SAR) {
      out.sarWidth = r.readBits(16);
      out.sarHeight = r.readBits(16);
    } else if (idc > 0 && idc < SAR_TABLE.length) {
      [out.sarWidth, out.sarHeight] = SAR_TABLE[idc];
    }
  }
  if (r.readBit()) r.skipBits(1); // overscan_appropriate_flag
  if (r.readBit()) {
    r.skipBits(3); // video_format
    out.videoFullRange = r.readBit() === 1;
    if (r.readBit()) r.skipBits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.readBit()) {
    r.readUE(); // chroma_sample_loc_type_top_field
    r.readUE(); // chroma_sample_loc_type_bottom_field
  }
}

/** The timing info, when present. */
export interface VuiTiming {
  numUnitsInTick?: number;
  timeScale?: number;
  /** frames per second, rounded to 3 decimals (29.97) */
  fps?: number;
}

/**
 * Reads num_units_in_tick and time_scale into `out`. `ticksPerFrame` is 2 for H.264 (a tick is a field,
 * E.2.1 of 14496-10) and 1 for H.265.
 */
export function readTimingInfo(r: BitReader, out: VuiTiming, ticksPerFrame: 1 | 2): void {
  const numUnitsInTick = r.readBits(32);
  const timeScale = r.readBits(32);
  if (numUnitsInTick > 0 && timeScale > 0) {
    out.numUnitsInTick = numUnitsInTick;
    out.timeScale = timeScale;
    out.fps = Math.round((timeScale / (ticksPerFrame * numUnitsInTick)) * 1000) / 1000;
  }
}
