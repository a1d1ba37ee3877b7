// An MP4/MOV file looped forever at real-time pace, in-process: the moov box is read once (codecs/mp4/reader),
// then each sample is read from the file with one positioned read as its time comes. Every loop adds the
// movie's duration to the timestamps, so they are continuous and increasing across loops; the sequence
// headers go out once, at the start.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import { interleave, parseMoov, scanTopLevel, toFourByteLengths, type Mp4Movie } from '../../codecs/mp4/reader.js';
import type { FrameSource } from '../frame-source.js';
import { RealTimePacer } from './pacer.js';

/** A moov box bigger than this is refused (a corrupt size, or hours of tiny samples). */
const MAX_MOOV = 256 * 1024 * 1024;

/** Reads the moov box of an MP4 file: the movie, or an Error saying why it cannot be played in-process. */
export async function readMp4Movie(fh: FileHandle, name: string): Promise<Mp4Movie> {
  const { size } = await fh.stat();
  const head = Buffer.alloc(16);
  const boxes = await scanTopLevel(size, async (off) => {
    const { bytesRead } = await fh.read(head, 0, 16, off);
    return head.subarray(0, bytesRead);
  });
  const moov = boxes.find((b) => b.type === 'moov');
  if (!moov) throw new Error(`${name}: no moov box (not an MP4 file, or an upload that did not finish)`);
  if (moov.size > MAX_MOOV) throw new Error(`${name}: its moov box of ${moov.size} bytes is too large`);
  const buf = Buffer.alloc(moov.size);
  await fh.read(buf, 0, moov.size, moov.start);
  return parseMoov(buf);
}

export class Mp4LoopSource implements FrameSource {
  readonly ended = new TypedEvent<[string]>();
  readonly label: string;
  /** completed loops */
  loops = 0;
  private readonly ac = new AbortController();
  private fh: FileHandle | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    readonly path: string,
    readonly movie: Mp4Movie,
  ) {
    this.label = basename(path);
  }

  /** Opens and reads the movie (rejects when it has nothing to play), then loops it in the background. */
  static async open(path: string): Promise<Mp4LoopSource> {
    const fh = await open(path, 'r');
    try {
      const movie = await readMp4Movie(fh, basename(path));
      if (movie.tracks.length === 0) throw new Error(`${basename(path)} has no H.264/H.265 video or AAC/MP3 audio track${movie.skipped.length ? ` (${movie.skipped.join('; ')})` : ''}`);
      if (movie.durationMs <= 0) throw new Error(`${basename(path)} lasts 0 s: nothing to loop`);
      const s = new Mp4LoopSource(path, movie);
      s.fh = fh;
      return s;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async start(onFrame: (f: Frame) => void): Promise<void> {
    if (this.loop) throw new Error('Mp4LoopSource started twice');
    const fh = this.fh;
    if (!fh) throw new Error('Mp4LoopSource: open() it first');
    this.loop = this.run(fh, onFrame).then(
      () => undefined,
      (e: unknown) => {
        if (!this.ac.signal.aborted) this.ended.emit(`cannot read ${this.label}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.loop;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  private async run(fh: FileHandle, onFrame: (f: Frame) => void): Promise<void> {
    const { movie } = this;
    const steps = interleave(movie.tracks);
    const pacer = new RealTimePacer(this.ac.signal);
    for (const t of movie.tracks) {
      if (t.config.length === 0) continue; // MP3 has no sequence header
      onFrame({ type: t.type, codec: t.codec, dts: 0, pts: 0, keyframe: false, header: true, data: t.config, sampleRate: t.sampleRate, channels: t.channels });
    }
    let buf = Buffer.alloc(1024 * 1024);
    for (let base = 0; !this.ac.signal.aborted; base += movie.durationMs, this.loops++) {
      for (const { track, sample } of steps) {
        const dts = Math.round(base + sample.dts);
        if (!(await pacer.wait(dts))) return;
        if (sample.size > buf.length) buf = Buffer.alloc(sample.size);
        const { bytesRead } = await fh.read(buf, 0, sample.size, sample.offset);
        if (bytesRead < sample.size) throw new Error(`the file is shorter than its sample tables say (sample at ${sample.offset})`);
        const raw = Buffer.from(buf.subarray(0, sample.size)); // a Frame's data is shared by every viewer: never reused
        const data = track.type === 'video' ? toFourByteLengths(raw, track.nalLengthSize) : raw;
        onFrame({
          type: track.type,
          codec: track.codec,
          dts,
          pts: Math.round(base + sample.pts),
          keyframe: sample.keyframe,
          header: false,
          data,
          ...(track.type === 'audio' ? { sampleRate: track.sampleRate, channels: track.channels } : {}),
        });
      }
    }
  }
}
