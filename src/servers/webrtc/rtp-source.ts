// hub -> WebRTC, once per stream: a FrameSink that packetizes each H.264 access unit into RTP payloads once
// (RFC 6184: STAP-A parameter sets before keyframes, FU-A for large NAL units) and runs one AAC -> Opus
// FFmpeg transcoder, then hands the same payloads to every WHEP viewer of the stream. It keeps the last
// VIDEO_HISTORY video payloads once for all viewers, so that a viewer's NACK for an older packet can be
// answered (a viewer maps its own sequence numbers to the stream-wide packet index). It exists while the
// stream has WebRTC viewers: created with the first, stopped (transcoder included) after the last leaves.
import type { Logger } from 'pino';
import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { parseAvcDecoderConfig, splitAvcc } from '../../codecs/h264.js';
import { isBPicture, packetizeH264, type RtpPayload } from '../../codecs/rtp/h264-packetizer.js';
import type { FrameSink, Stream } from '../../hub/stream.js';
import { AacToOpusTranscoder } from './audio-transcoder.js';

/** How many of a stream's latest video packets can be resent after a NACK (about 9 s at 1 Mbps). */
export const VIDEO_HISTORY = 1024;

/** One access unit, packetized: the same objects go to every viewer. */
export interface VideoUnit {
  /** RTP timestamp, 90 kHz (the frame's pts) */
  timestamp: number;
  keyframe: boolean;
  payloads: RtpPayload[];
  /** stream-wide index of payloads[0]: the source numbers every video packet it makes, 0, 1, 2, ... */
  first: number;
}

/** A video packet from the stream's history. */
export interface HistoryPacket {
  payload: RtpPayload;
  /** RTP timestamp, 90 kHz */
  timestamp: number;
}

/** What the source needs of a viewer. */
export interface RtpViewer {
  readonly connected: boolean;
  sendVideo(u: VideoUnit): void;
  /** `timestamp` is the RTP timestamp, 48 kHz */
  sendAudio(packet: Buffer, timestamp: number): void;
  /** the next video sent must be a keyframe (a new publish began) */
  needKeyframe(): void;
  close(reason: string): void;
}

export interface RtpSourceOptions {
  logger: Logger;
  ffmpegPath?: string;
  /** ask the stream's publisher for a keyframe (PLI to a WebRTC publisher; nothing for RTMP/SRT) */
  requestKeyframe(): void;
  /** the last viewer left and the source stopped */
  onStopped(src: RtpStreamSource): void;
  /** a child process is ending: shutdown waits for it */
  track(exited: Promise<void>): void;
}

export class RtpStreamSource implements FrameSink {
  readonly viewers = new Set<RtpViewer>();
  /** access units packetized, for stats and tests */
  unitsPacketized = 0;
  /** B pictures left out (browsers do not decode them over WebRTC) */
  bPicturesDropped = 0;
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  private transcoder: AacToOpusTranscoder | null = null;
  private warned = new Set<string>();
  private stopped = false;
  private streamClosed = false;
  /** the last VIDEO_HISTORY video payloads and their RTP timestamps, by stream-wide index % VIDEO_HISTORY */
  private readonly history: (RtpPayload | undefined)[] = new Array<RtpPayload | undefined>(VIDEO_HISTORY);
  private readonly historyTs = new Uint32Array(VIDEO_HISTORY);
  /** video packets made so far: the index of the next one */
  private packets = 0;

  constructor(
    readonly stream: Stream,
    private readonly opts: RtpSourceOptions,
  ) {}

  /** Joins the stream (which replays its headers and GOP to us at once). */
  start(): void {
    this.stream.addSink(this);
  }

  addViewer(v: RtpViewer): void {
    this.viewers.add(v);
  }

  removeViewer(v: RtpViewer): void {
    this.viewers.delete(v);
    if (this.viewers.size === 0) this.stop();
  }

  requestKeyframe(): void {
    this.opts.requestKeyframe();
  }

  onFrame(f: Frame): void {
    if (this.stopped) return;
    if (f.type === 'video') this.onVideo(f);
    else if (f.type === 'audio') this.onAudio(f);
  }

  private onVideo(f: Frame): void {
    if (f.codec !== VideoCodec.H264) {
      this.warnOnce('video', `WHEP carries H.264 only; the ${f.codec === VideoCodec.H265 ? 'H.265' : 'non-H.264'} video of this stream is not sent`);
      return;
    }
    if (f.header) {
      try {
        const c = parseAvcDecoderConfig(f.data);
        this.sps = c.sps;
        this.pps = c.pps;
      } catch (e) {
        this.warnOnce('avcc', `bad AVCDecoderConfigurationRecord: ${(e as Error).message}`);
      }
      return;
    }
    let ready = false;
    for (const v of this.viewers) if (v.connected) ready = true;
    if (!ready) return; // nobody can receive yet: do not packetize for nothing
    let nalus: Buffer[];
    try {
      nalus = splitAvcc(f.data, 4);
    } catch {
      return;
    }
    if (!f.keyframe && isBPicture(nalus)) {
      this.bPicturesDropped++;
      this.warnOnce('bframes', 'the stream has B-frames, which browsers do not decode over WebRTC: WHEP viewers get its I and P frames only (publish with x264 -bf 0, or OBS with B-frames 0, for the full frame rate)');
      return;
    }
    const payloads = packetizeH264(nalus, { keyframe: f.keyframe, sps: this.sps, pps: this.pps });
    if (payloads.length === 0) return;
    this.unitsPacketized++;
    const unit: VideoUnit = { timestamp: Math.round(f.pts * 90) >>> 0, keyframe: f.keyframe, payloads, first: this.packets };
    for (const p of payloads) {
      const slot = this.packets % VIDEO_HISTORY;
      this.history[slot] = p;
      this.historyTs[slot] = unit.timestamp;
      this.packets++;
    }
    for (const v of this.viewers) v.sendVideo(unit);
  }

  /** The video packet with stream-wide index `index`, while the history still holds it. */
  videoPacket(index: number): HistoryPacket | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.packets || index < this.packets - VIDEO_HISTORY) return undefined;
    const slot = index % VIDEO_HISTORY;
    const payload = this.history[slot];
    return payload ? { payload, timestamp: this.historyTs[slot]! } : undefined;
  }

  private onAudio(f: Frame): void {
    if (f.codec !== AudioCodec.AAC) {
      this.warnOnce('audio', 'WHEP audio is transcoded from AAC; the audio of this stream is not AAC and is not sent');
      return;
    }
    if (!this.transcoder) {
      this.transcoder = new AacToOpusTranscoder(
        { logger: this.opts.logger, ffmpegPath: this.opts.ffmpegPath, name: this.stream.path },
        (packet, ms) => {
          const ts = Math.round(ms * 48) >>> 0;
          for (const v of this.viewers) v.sendAudio(packet, ts);
        },
      );
    }
    this.transcoder.push(f);
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn({ url: this.stream.path }, msg);
  }

  onPublish(): void {
    for (const v of this.viewers) v.needKeyframe();
  }

  onClose(): void {
    this.streamClosed = true;
    for (const v of [...this.viewers]) v.close('the stream ended');
    this.stop();
  }

  /** Leaves the stream and stops the transcoder. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.transcoder) this.opts.track(this.transcoder.stop());
    this.transcoder = null;
    this.history.fill(undefined);
    if (!this.streamClosed) this.stream.removeSink(this);
    this.opts.onStopped(this);
  }
}
