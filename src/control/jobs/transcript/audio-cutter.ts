// The live queue's source for AI subtitles: a FrameSink on a hub stream that cuts its AAC audio, in-process,
// into segments of about N seconds, each an ADTS (.aac) file's bytes with the stream time (ms) of its first
// frame, so the recognised cues can be put back on the stream's timeline. No FFmpeg for the cutting.
import { AudioCodec, type Frame } from '../../../core/frame.js';
import { ADTS_HEADER_SIZE, parseAudioSpecificConfig, writeAdtsHeader, type AacConfig } from '../../../codecs/aac.js';
import type { FrameSink } from '../../../hub/stream.js';

export interface AudioChunk {
  /** ADTS frames */
  data: Buffer;
  /** stream time of the first frame, ms */
  startMs: number;
  durationMs: number;
  frames: number;
}

/** AAC samples per frame (the raw frames of RTMP/FLV and TS are 1024-sample frames). */
const SAMPLES_PER_FRAME = 1024;

export class AudioCutter implements FrameSink {
  private config: AacConfig | null = null;
  private parts: Buffer[] = [];
  private startMs = -1;
  private lastMs = 0;
  private frameMs = 0;
  private count = 0;
  /** frames that could not be written (not AAC, no header yet) */
  skipped = 0;

  constructor(
    private readonly segmentMs: number,
    private readonly onChunk: (c: AudioChunk) => void,
  ) {}

  onFrame(f: Frame): void {
    if (f.type !== 'audio') return;
    if (f.codec !== AudioCodec.AAC) {
      this.skipped++;
      return;
    }
    if (f.header) {
      try {
        this.config = parseAudioSpecificConfig(f.data);
        this.frameMs = (SAMPLES_PER_FRAME * 1000) / this.config.sampleRate;
      } catch {
        this.config = null;
      }
      return;
    }
    if (!this.config) {
      this.skipped++;
      return;
    }
    const out = Buffer.allocUnsafe(ADTS_HEADER_SIZE + f.data.length);
    try {
      writeAdtsHeader(this.config, f.data.length, out, 0);
    } catch {
      this.skipped++;
      return;
    }
    f.data.copy(out, ADTS_HEADER_SIZE);
    if (this.startMs < 0) this.startMs = f.pts;
    // A jump back in time (a republish that restarted the clock) closes the chunk first.
    else if (f.pts < this.lastMs) {
      this.flush();
      this.startMs = f.pts;
    }
    this.parts.push(out);
    this.count++;
    this.lastMs = f.pts;
    if (f.pts + this.frameMs - this.startMs >= this.segmentMs) this.flush();
  }

  onUnpublish(): void {
    this.flush();
  }

  onClose(): void {
    this.flush();
  }

  /** Hands over what was cut so far (nothing when empty). */
  flush(): void {
    if (this.count === 0) return;
    const chunk: AudioChunk = {
      data: Buffer.concat(this.parts),
      startMs: this.startMs,
      durationMs: this.lastMs + this.frameMs - this.startMs,
      frames: this.count,
    };
    this.parts = [];
    this.count = 0;
    this.startMs = -1;
    this.onChunk(chunk);
  }
}
