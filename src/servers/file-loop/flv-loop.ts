// An FLV file looped forever at real-time pace, in-process: the file is read in chunks through the FLV
// demuxer (codecs/flv.ts), never more than a chunk ahead of the clock. Every loop adds the file's duration to
// the timestamps (continuous and increasing across loops); sequence headers are sent again only when a loop
// brings different ones.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { TypedEvent } from '../../core/event.js';
import type { Frame } from '../../core/frame.js';
import { FlvDemuxer } from '../../codecs/flv.js';
import type { FrameSource } from '../frame-source.js';
import { RealTimePacer } from './pacer.js';

const CHUNK = 256 * 1024;

export class FlvLoopSource implements FrameSource {
  readonly ended = new TypedEvent<[string]>();
  readonly label: string;
  loops = 0;
  private readonly ac = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(readonly path: string) {
    this.label = basename(path);
  }

  async start(onFrame: (f: Frame) => void): Promise<void> {
    if (this.loop) throw new Error('FlvLoopSource started twice');
    // Fail now on a file that cannot be opened or is not FLV.
    const fh = await open(this.path, 'r');
    try {
      const sig = Buffer.alloc(3);
      await fh.read(sig, 0, 3, 0);
      if (sig.toString('latin1') !== 'FLV') throw new Error(`${this.label} is not an FLV file`);
    } finally {
      await fh.close();
    }
    this.loop = this.run(onFrame).then(
      () => undefined,
      (e: unknown) => {
        if (!this.ac.signal.aborted) this.ended.emit(`cannot read ${this.label}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.loop;
  }

  private async run(onFrame: (f: Frame) => void): Promise<void> {
    const pacer = new RealTimePacer(this.ac.signal);
    const headers = new Map<string, Buffer>();
    let base = 0;
    let sentScript = false;
    while (!this.ac.signal.aborted) {
      const fh = await open(this.path, 'r');
      const queue: Frame[] = [];
      const demuxer = new FlvDemuxer({ onFrame: (f) => queue.push(f) });
      let first: number | null = null;
      /** per track: the last dts and the last step, for the loop's end */
      const last = new Map<string, { dts: number; step: number }>();
      let media = 0;
      try {
        const buf = Buffer.alloc(CHUNK);
        for (let pos = 0; ; ) {
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          demuxer.push(Buffer.from(buf.subarray(0, bytesRead)));
          for (const f of queue.splice(0)) {
            if (f.type === 'script') {
              if (!sentScript) onFrame({ ...f, dts: base, pts: base });
              sentScript = true;
              continue;
            }
            first ??= f.dts;
            const dts = base + f.dts - first;
            const out: Frame = { ...f, dts, pts: dts + (f.pts - f.dts) };
            if (f.header) {
              const prev = headers.get(f.type);
              if (prev && prev.equals(f.data)) continue;
              headers.set(f.type, f.data);
              onFrame(out);
              continue;
            }
            if (!(await pacer.wait(dts))) return;
            const l = last.get(f.type);
            last.set(f.type, { dts: f.dts, step: l ? Math.max(0, f.dts - l.dts) : 0 });
            media++;
            onFrame(out);
          }
        }
      } finally {
        await fh.close();
      }
      if (media === 0 || first === null) throw new Error('the file has no audio or video frames');
      let end = 0;
      for (const l of last.values()) end = Math.max(end, l.dts + (l.step || 1));
      base += Math.max(1, end - first);
      this.loops++;
    }
  }
}
