// A file looped forever at real-time pace, picked by what the file is: MP4/MOV and FLV in-process, anything
// else (MKV, MPEG-TS, fragmented MP4, audio-only files...) through FFmpeg `-stream_loop -1 -re -c copy`.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { FfmpegCopySource } from '../ffmpeg/ffmpeg-copy-source.js';
import type { FrameSource } from '../frame-source.js';
import { FlvLoopSource } from './flv-loop.js';
import { Mp4LoopSource } from './mp4-loop.js';

export type FileLoopMode = 'mp4' | 'flv' | 'ffmpeg';

export interface FileLoop {
  source: FrameSource;
  /** how it is read: in-process MP4 or FLV, or FFmpeg */
  mode: FileLoopMode;
  /** why FFmpeg reads it (the container, or what the MP4 reader could not play) */
  why: string;
}

/** The first bytes -> the container: 'mp4' (ftyp/moov/...), 'flv', or null. */
async function sniff(path: string): Promise<'mp4' | 'flv' | null> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(12);
    const { bytesRead } = await fh.read(b, 0, 12, 0);
    if (bytesRead >= 3 && b.toString('latin1', 0, 3) === 'FLV') return 'flv';
    if (bytesRead >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(b.toString('latin1', 4, 8))) return 'mp4';
    return null;
  } finally {
    await fh.close();
  }
}

export async function openFileLoop(path: string): Promise<FileLoop> {
  const kind = await sniff(path);
  if (kind === 'flv') return { source: new FlvLoopSource(path), mode: 'flv', why: '' };
  let why = 'not an MP4 or FLV file';
  if (kind === 'mp4') {
    try {
      const s = await Mp4LoopSource.open(path);
      if (!s.movie.fragmented || s.movie.tracks.length > 0) return { source: s, mode: 'mp4', why: '' };
      await s.stop();
      why = 'a fragmented MP4';
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
  }
  const source = new FfmpegCopySource({ label: basename(path), inputArgs: ['-re', '-stream_loop', '-1', '-i', path] });
  return { source, mode: 'ffmpeg', why };
}
