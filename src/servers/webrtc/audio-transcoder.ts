// Per-stream FFmpeg audio transcoders for the WebRTC bridge, over pipes (never blocking the event loop):
// - Opus -> AAC for WHIP publishers: Opus packets go in as Ogg/Opus (RFC 7845) on stdin, AAC comes back as
//   FLV on stdout (so each AAC frame has its timestamp and the AudioSpecificConfig comes first).
// - AAC -> Opus for WHEP viewers: AAC frames go in as FLV on stdin, Opus comes back as Ogg on stdout (one
//   20 ms packet per page; the granule positions give the timestamps).
// Timestamps are kept in the caller's millisecond timeline: each FFmpeg run (a generation) remembers the
// time of its first input and adds it to what comes out. A process that dies is restarted (a few times a
// minute at most) with fresh headers; a stalled one has its input dropped rather than queued without bound.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { AudioCodec, type Frame } from '../../core/frame.js';
import { FlvDemuxer, encodeFlvTag, flvFileHeader } from '../../codecs/flv.js';
import { OggHeaderType, OggReader, opusHead, opusPacketSamples, opusTags, writeOggPage } from '../../codecs/rtp/ogg-opus.js';

/** unsent input above this many bytes means FFmpeg is stuck: input is dropped until it catches up */
const MAX_PENDING_INPUT = 512 * 1024;
const RESTART_DELAY_MS = 1000;
const MAX_RESTARTS_PER_MINUTE = 5;
const STDERR_TAIL = 4096;
const OPUS_RATE = 48000;

export interface TranscoderOptions {
  logger: Logger;
  /** the ffmpeg executable (default "ffmpeg" on PATH) */
  ffmpegPath?: string;
  /** what the log calls this transcoder, e.g. the stream path */
  name: string;
}

type Proc = ChildProcessByStdio<Writable, Readable, Readable>;

/** Spawning, restarting and stopping one FFmpeg child with stdin/stdout pipes. */
abstract class FfmpegPipe {
  /** input units dropped because FFmpeg was not keeping up or not running */
  dropped = 0;
  protected proc: Proc | null = null;
  private stopped = false;
  private restarts: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private stderr = '';
  private readonly log: Logger;

  constructor(
    protected readonly opts: TranscoderOptions,
    kind: string,
  ) {
    this.log = opts.logger.child({ transcoder: kind, stream: opts.name });
  }

  protected abstract args(): string[];
  /** a new process is starting: reset the per-generation state */
  protected abstract onStart(): void;
  protected abstract onStdout(chunk: Buffer): void;

  get running(): boolean {
    return this.proc !== null;
  }

  protected start(): void {
    if (this.stopped || this.proc) return;
    let proc: Proc;
    try {
      proc = spawn(this.opts.ffmpegPath ?? 'ffmpeg', this.args(), { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'cannot start ffmpeg for WebRTC audio; install ffmpeg');
      this.stopped = true;
      return;
    }
    this.proc = proc;
    this.stderr = '';
    this.onStart();
    proc.stdin.on('error', () => {}); // EPIPE when ffmpeg exits: handled by 'exit'
    proc.stdout.on('data', (d: Buffer) => {
      if (this.proc !== proc) return;
      try {
        this.onStdout(d);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'bad output from ffmpeg; restarting it');
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL);
    });
    proc.on('error', (e) => {
      this.log.error({ err: e.message }, 'ffmpeg for WebRTC audio failed to run; is ffmpeg installed? audio is disabled for this stream');
      this.stopped = true;
    });
    proc.on('exit', (code, signal) => {
      if (this.proc === proc) this.proc = null;
      if (this.stopped) return;
      this.log.warn({ code, signal, stderr: this.stderr.trim().slice(-500) }, 'ffmpeg audio transcoder exited; restarting');
      this.scheduleRestart();
    });
    this.log.debug({ pid: proc.pid }, 'ffmpeg audio transcoder started');
  }

  private scheduleRestart(): void {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      this.log.error(`ffmpeg audio transcoder failed ${MAX_RESTARTS_PER_MINUTE} times in a minute; audio is disabled for this stream`);
      this.stopped = true;
      return;
    }
    this.restarts.push(now);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, RESTART_DELAY_MS);
    this.restartTimer.unref();
  }

  /** Writes to FFmpeg's stdin; false (and counted) when it is not running or too far behind. */
  protected write(buf: Buffer): boolean {
    const p = this.proc;
    if (!p || p.stdin.destroyed || p.stdin.writableLength > MAX_PENDING_INPUT) {
      this.dropped++;
      return false;
    }
    p.stdin.write(buf);
    return true;
  }

  /** Ends the process for good; resolves when it has exited (so a shutdown leaves no child behind). */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.stdin.destroy();
    p.kill('SIGKILL');
    return exited;
  }
}

const COMMON_INPUT = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', '+nobuffer', '-probesize', '32', '-analyzeduration', '0'];

/** Opus packets (from a WHIP publisher) in, AAC frames out. */
export class OpusToAacTranscoder extends FfmpegPipe {
  private serial = 0;
  private page = 0;
  /** caller ms of the first packet of this generation, and the last granule written */
  private baseMs: number | null = null;
  private lastGranule = -1n;
  private demuxer: FlvDemuxer | null = null;

  constructor(
    opts: TranscoderOptions,
    private readonly onFrame: (f: Frame) => void,
    private readonly channels = 2,
  ) {
    super(opts, 'opus-to-aac');
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
    const demuxer = new FlvDemuxer({
      onFrame: (f) => {
        if (f.type !== 'audio' || this.baseMs === null) return;
        f.dts += this.baseMs;
        f.pts += this.baseMs;
        this.onFrame(f);
      },
    });
    this.demuxer = demuxer;
    this.write(this.oggPage(OggHeaderType.FirstPage, 0n, [opusHead(this.channels, 0)]));
    this.write(this.oggPage(0, 0n, [opusTags('srs-node')]));
  }

  protected onStdout(chunk: Buffer): void {
    this.demuxer?.push(chunk);
  }

  private oggPage(headerType: number, granule: bigint, packets: Buffer[]): Buffer {
    return writeOggPage({ headerType, granule, serial: this.serial, sequence: this.page++, packets });
  }

  /** One Opus packet whose first sample is at `ms` in the caller's timeline. */
  push(packet: Buffer, ms: number): void {
    if (!this.running || packet.length === 0) {
      this.dropped++;
      return;
    }
    if (this.baseMs === null) this.baseMs = ms;
    const start = BigInt(Math.max(0, Math.round((ms - this.baseMs) * (OPUS_RATE / 1000))));
    const end = start + BigInt(opusPacketSamples(packet));
    if (end <= this.lastGranule) {
      this.dropped++; // late or repeated packet: Ogg granules only go forward
      return;
    }
    this.lastGranule = end;
    this.write(this.oggPage(0, end, [packet]));
  }
}

/** AAC frames (from any publisher) in, Opus packets (20 ms, 48 kHz) out. */
export class AacToOpusTranscoder extends FfmpegPipe {
  private header: Frame | null = null;
  private baseMs: number | null = null;
  private reader: OggReader | null = null;
  private headerSent = false;

  constructor(
    opts: TranscoderOptions,
    /** `ms` is the caller-timeline time of the packet's first sample */
    private readonly onPacket: (packet: Buffer, ms: number) => void,
  ) {
    super(opts, 'aac-to-opus');
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
    this.reader = new OggReader((page) => this.onPage(page.granule, page.packets));
    this.write(flvFileHeader(false, true));
  }

  protected onStdout(chunk: Buffer): void {
    this.reader?.push(chunk);
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
        this.restartNow();
        return;
      }
      this.start();
      return;
    }
    if (!this.header) return;
    this.start();
    if (!this.running) {
      this.dropped++;
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

  private restartNow(): void {
    const p = this.proc;
    this.proc = null;
    if (p) {
      p.removeAllListeners('exit');
      p.stdin.destroy();
      p.kill('SIGKILL');
    }
    this.start();
  }
}

function isOpusHeader(p: Buffer): boolean {
  return p.length >= 8 && (p.toString('latin1', 0, 8) === 'OpusHead' || p.toString('latin1', 0, 8) === 'OpusTags');
}
