// Reads an FLV file's tags without decoding them (Adobe FLV spec E.2-E.4): the sequence headers and
// metadata, and each media tag with its timestamp, keyframe flag and body size.
export const FLV_FILE_HEADER = Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x05, 0, 0, 0, 9, 0, 0, 0, 0]);

export interface FileTag {
  /** the whole tag: 11-byte header, body, PreviousTagSize */
  tag: Buffer;
  ts: number;
  type: number;
  key: boolean;
  /** body bytes (what a viewer counts as payload) */
  payload: number;
}

export interface ScannedFile {
  /** script tags and sequence headers, in file order */
  headers: Buffer[];
  media: FileTag[];
  /** one loop's media duration, ms: last video timestamp + one frame */
  loopMs: number;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  payloadBytes: number;
}

export function scanTags(file: Buffer, fps = 25): ScannedFile {
  if (file.toString('latin1', 0, 3) !== 'FLV') throw new Error('not an FLV file');
  let p = file.readUInt32BE(5) + 4;
  const headers: Buffer[] = [];
  const media: FileTag[] = [];
  let lastVideo = 0;
  let videoFrames = 0;
  let audioFrames = 0;
  let keyframes = 0;
  let payloadBytes = 0;
  while (p + 11 <= file.length) {
    const type = file[p]! & 0x1f;
    const size = file.readUIntBE(p + 1, 3);
    const ts = (file.readUIntBE(p + 4, 3) | (file[p + 7]! << 24)) >>> 0;
    const end = p + 11 + size + 4;
    if (end > file.length) break;
    const tag = Buffer.from(file.subarray(p, end));
    const b0 = file[p + 11]!;
    const b1 = file[p + 12]!;
    const isHeader = type === 18 || ((type === 8 || type === 9) && b1 === 0);
    if (isHeader) headers.push(tag);
    else if (type === 8 || type === 9) {
      const key = type === 9 && b0 >> 4 === 1;
      media.push({ tag, ts, type, key, payload: size });
      payloadBytes += size;
      if (type === 9) {
        videoFrames++;
        lastVideo = ts;
        if (key) keyframes++;
      } else audioFrames++;
    }
    p = end;
  }
  return { headers, media, loopMs: lastVideo + Math.round(1000 / fps), videoFrames, audioFrames, keyframes, payloadBytes };
}
