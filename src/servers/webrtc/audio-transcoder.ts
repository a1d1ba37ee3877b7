// Per-stream FFmpeg audio transcoders for the WebRTC bridge, over pipes (never blocking the event loop):
// - Opus -> AAC for WHIP publishers: Opus packets go in as Ogg/Opus (RFC 7845) on stdin, AAC comes back as
//   FLV on stdout (so each AAC frame has its timestamp and the AudioSpecificConfig comes first).
// - AAC -> Opus for WHEP viewers: AAC frames go in as FLV on stdin, Opus comes back as Ogg on stdout (one
//   20 ms packet per page; the granule positions give the timestamps).
// Timestamps are kept in the caller's millisecond timeline: each FFmpeg run (a generation) remembers the
// time of its first input and adds it to what comes out. Each FFmpeg runs under servers/ffmpeg's supervisor:
// one that dies is restarted with a growing delay (given up after 5 failures in a row) with fresh headers; a
// stalled one has its input dropped rather than queued without bound.
import type { Logger } from 'pino';
import { AudioCodec, type Frame } from '../../core/frame.js';
import { encodeFlvTag, flvFileHeader } from '../../codecs/flv.js';
import { OggHeaderType, OggReader, opusHead, opusPacketSamples, opusTags, writeOggPage } from '../../codecs/rtp/ogg-opus.js';
import { FfmpegSupervisor, type FfmpegSummary } from '../ffmpeg/ffmpeg-supervisor.js';
import { FlvPipeSource } from '../ffmpeg/flv-pipe-source.js';

const OPUS_RATE = 48000;

export interface TranscoderOptions {
  logger: Logger;
  /** the ffmpeg executable (default "ffmpeg" on PATH) */
  ffmpegPath?: string;
  /** what the log calls this transcoder, e.g. the stream path */
  name: string;
}

/** What both transcoders share: one supervised FFmpeg with stdin/stdout pipes, and the log lines of its life. */
abstract class SupervisedTranscoder {
  protected readonly ff: FfmpegSupervisor;
  private ownDropped = 0;

  constructor(opts: TranscoderOptions, kind: string) {
    const log = opts.logger.child({ transcoder: kind, stream: opts.name });
    this.ff = new FfmpegSupervisor({
      args: () => this.args(),
      ffmpegPath: opts.ffmpegPath,
      stdin: true,
      stdout: true,
      // A few quick retries, then audio is given up for this stream (as it is for good after a stop).
      restart: { initialDelayMs: 1000, maxDelayMs: 8000, healthyAfterMs: 10_000, maxFailures: 5 },
      stopSignal: 'SIGKILL', // its output no longer matters
      logLines: 20,
    });
    this.ff.spawned.on((run) => {
      log.debug({ pid: run.pid }, 'ffmpeg audio transcoder started');
      this.onStart();
    });
    this.ff.stateChanged.on((s) => {
      if (s.state === 'retrying') log.warn({ reason: s.reason }, 'ffmpeg audio transcoder exited; restarting');
      else if (s.state === 'failed') log.error({ reason: s.reason }, 'ffmpeg for WebRTC audio failed; audio is disabled for this stream');
    });
  }

  protected abstract args(): string[];
  /** a new process is starting: reset the per-generation state */
  protected abstract onStart(): void;

  /** input units dropped because FFmpeg was not keeping up or not running */
  get dropped(): number {
    return this.ownDropped + this.ff.dropped;
  }

  protected countDrop(): void {
    this.ownDropped++;
  }

  get running(): boolean {
    return this.ff.running;
  }

  /** state, pid, restarts, progress and stderr tail of its FFmpeg (for the API and the console) */
  summary(): FfmpegSummary {
    return this.ff.summary();
  }

  protected start(): void {
    this.ff.start();
  }

  /** Writes to FFmpeg's stdin; false (and counted) when it is not running or too far behind. */
  protected write(buf: Buffer): boolean {
    return this.ff.write(buf);
  }

  /** Ends the process for good; resolves when it has exited (so a shutdown leaves no child behind). */
  stop(): Promise<void> {
    return this.ff.stop();
  }
}

const COMMON_INPUT = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', '+nobuffer', '-probesize', '32', '-analyzeduration', '0'];

/** Opus packets (from a WHIP publisher) in, AAC frames out. */
export class OpusToAacTranscoder extends SupervisedTranscoder {
  private serial = 0;
  private page = 0;
  /** caller ms of the first packet of this generation, and the last granule written */
  private baseMs: number | null = null;
  private lastGranule = -1n;

  constructor(
    opts: TranscoderOptions,
    private readonly onFrame: (f: Frame) => void,
    private readonly channels = 2,
  ) {
    super(opts, 'opus-to-aac');
    new FlvPipeSource(this.ff, {
      onFrame: (f) => {
        if (f.type !== 'audio' || this.baseMs === null) return;
        f.dts += this.baseMs;
        f.pts += this.baseMs;
        this.onFrame(f);
      },
    });
    this.start();
  }

  protected args(): string[] {
    return [
      ...COMMON_INPUT,
      '-f', 'ogg', '-i', 'pipe:0',
      '-vn', '-c:a', 'aac', '-b:a', '96k', '-ar', '48000', '-ac', '2',
      '-flush_packets', '1', '-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:1',
    ];
  }

  protected onStart(): void {
    this.serial = (Math.random() * 0xffffffff) >>> 0;
    this.page = 0;
    this.baseMs = null;
    this.lastGranule = -1n;
    this.write(this.oggPage(OggHeaderType.FirstPage, 0n, [opusHead(this.channels, 0)]));
    this.write(this.oggPage(0, 0n, [opusTags('srs-node')]));
  }

  private oggPage(headerType: number, granule: bigint, packets: Buffer[]): Buffer {
    return writeOggPage({ headerType, granule, serial: this.serial, sequence: this.page++, packets });
  }

  /** One Opus packet whose first sample is at `ms` in the caller's timeline. */
  push(packet: Buffer, ms: number): void {
    if (!this.running || packet.length === 0) {
      this.countDrop();
      return;
    }
    if (this.baseMs === null) this.baseMs = ms;
    const start = BigInt(Math.max(0, Math.round((ms - this.baseMs) * (OPUS_RATE / 1000))));
    const end = start + BigInt(opusPacketSamples(packet));
    if (end <= this.lastGranule) {
      this.countDrop(); // late or repeated packet: Ogg granules only go forward
      return;
    }
    this.lastGranule = end;
    this.write(this.oggPage(0, end, [packet]));
  }
}

/** AAC frames (from any publisher) in, Opus packets (20 ms, 48 kHz) out. */
export class AacToOpusTranscoder extends SupervisedTranscoder {
  private header: Frame | null = null;
  private baseMs: number | null = null;
  private headerSent = false;

  constructor(
    opts: TranscoderOptions,
    /** `ms` is the caller-timeline time of the packet's first sample */
    private readonly onPacket: (packet: Buffer, ms: number) => void,
  ) {
    super(opts, 'aac-to-opus');
    this.ff.spawned.on((run) => {
      const reader = new OggReader((page) => this.onPage(page.granule, page.packets));
      run.stdout?.on('data', (d: Buffer) => {
        try {
          reader.push(d);
        } catch (e) {
          this.ff.kill(`bad Ogg output from ffmpeg (${(e as Error).message}); restarting it`);
        }
      });
    });
  }

  protected args(): string[] {
    return [
      ...COMMON_INPUT,
      '-f', 'flv', '-i', 'pipe:0',
      '-vn', '-c:a', 'libopus', '-b:a', '64k', '-ar', '48000', '-ac', '2', '-frame_duration', '20',
      '-page_duration', '20000', '-flush_packets', '1', '-f', 'ogg', 'pipe:1',
    ];
  }

  protected onStart(): void {
    this.baseMs = null;
    this.headerSent = false;
    this.write(flvFileHeader(false, true));
  }

  private onPage(granule: bigint, packets: Buffer[]): void {
    if (this.baseMs === null || granule < 0n) return;
    const media = packets.filter((p) => !isOpusHeader(p));
    let end = Number(granule);
    const starts: number[] = [];
    for (let i = media.length - 1; i >= 0; i--) {
      end -= opusPacketSamples(media[i]!);
      starts[i] = end;
    }
    for (let i = 0; i < media.length; i++) this.onPacket(media[i]!, this.baseMs + (starts[i]! * 1000) / OPUS_RATE);
  }

  /** An AAC frame or AudioSpecificConfig from the hub (other codecs are ignored). */
  push(f: Frame): void {
    if (f.type !== 'audio' || f.codec !== AudioCodec.AAC) return;
    if (f.header) {
      const changed = this.header !== null && !this.header.data.equals(f.data);
      this.header = f;
      if (changed && this.running) {
        // A new AudioSpecificConfig mid-stream (a republish with other settings): start a fresh FFmpeg.
        this.ff.restartNow();
        return;
      }
      this.start();
      return;
    }
    if (!this.header) return;
    this.start();
    if (!this.running) {
      this.countDrop();
      return;
    }
    if (this.baseMs === null) this.baseMs = f.dts;
    if (!this.headerSent) {
      this.headerSent = true;
      this.write(encodeFlvTag({ ...this.header, dts: 0, pts: 0 }));
    }
    const ts = Math.max(0, f.dts - this.baseMs);
    this.write(encodeFlvTag({ ...f, dts: ts, pts: ts }));
  }
}

function isOpusHeader(p: Buffer): boolean {
  return p.length >= 8 && (p.toString('latin1', 0, 8) === 'OpusHead' || p.toString('latin1', 0, 8) === 'OpusTags');
}
