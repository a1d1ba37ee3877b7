// A WHIP publisher (WebRTC -> hub): H.264 RTP is depacketized in-process into access units (AVCC frames,
// with an AVCDecoderConfigurationRecord whenever the SPS/PPS change), Opus goes to AAC through one FFmpeg
// transcoder, and both get millisecond timestamps from their RTP clocks anchored at their first packet's
// arrival. Keyframes are requested with PLI at the start, after an unrepaired loss, and for new viewers.
// Transport-wide CC feedback goes back every TWCC_FEEDBACK_MS, so that the browser's bandwidth estimate
// (and with it its encoder's bitrate and frame rate) can grow.
import type { MediaStreamTrack, RTCRtpReceiver, RTCRtpTransceiver, RtcpPacket, RtpPacket } from 'werift';
import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { NalUnitType, annexBToAvcc, buildAvcDecoderConfig } from '../../codecs/h264.js';
import { H264Depacketizer, type H264AccessUnit } from '../../codecs/rtp/h264-depacketizer.js';
import { TimestampUnwrapper } from '../../codecs/rtp/rtp-packet.js';
import { TwccRecorder } from '../../codecs/rtp/twcc.js';
import type { Hub } from '../../hub/hub.js';
import type { Publisher } from '../../hub/publisher.js';
import type { Stream } from '../../hub/stream.js';
import type { StreamUrl } from '../../hub/stream-url.js';
import type { MediaHooks, SessionInfo } from '../ports.js';
import type { PublishGate } from '../publish-gate.js';
import { OpusToAacTranscoder } from './audio-transcoder.js';
import { takeOverTwcc } from './peer.js';
import { RtcSession, type SessionContext } from './session.js';

/** PLIs are sent at most this often */
const PLI_MIN_INTERVAL_MS = 500;
/** how often transport-wide CC feedback is sent (libwebrtc's receivers send it every 50-250 ms) */
const TWCC_FEEDBACK_MS = 100;

export interface PublisherContext extends SessionContext {
  hub: Hub;
  hooks: MediaHooks;
  ffmpegPath?: string;
  /** ask for a keyframe when the last one is this old, ms (0: only when needed) */
  pliIntervalMs: number;
}

/** An RTP clock mapped to the session's millisecond timeline at its first packet's arrival. */
class RtpClock {
  private readonly unwrap = new TimestampUnwrapper();
  private baseRtp: number | null = null;
  private baseMs = 0;

  constructor(private readonly khz: number) {}

  ms(rtpTimestamp: number, arrivalMs: number): number {
    const u = this.unwrap.unwrap(rtpTimestamp);
    if (this.baseRtp === null) {
      this.baseRtp = u;
      this.baseMs = arrivalMs;
    }
    return this.baseMs + (u - this.baseRtp) / this.khz;
  }
}

export class WhipSession extends RtcSession {
  readonly type = 'rtc-publish' as const;
  readonly publish = true;
  stream: Stream | null = null;
  /** the publish gate the server opened for this session; closing the session closes it */
  gate: PublishGate<never> | null = null;
  private publisher: Publisher | null = null;
  /** PLIs sent, for stats and tests */
  pliCount = 0;
  readonly depacketizer: H264Depacketizer;
  private readonly epoch = Date.now();
  private videoReceiver: RTCRtpReceiver | null = null;
  private videoSsrc: number | null = null;
  private readonly videoClock = new RtpClock(90);
  private readonly audioClock = new RtpClock(48);
  private lastVideoDts = 0;
  private sps: Buffer | null = null;
  private pps: Buffer | null = null;
  private transcoder: OpusToAacTranscoder | null = null;
  private audioHeader: Buffer | null = null;
  private lastPli = 0;
  /** a keyframe request waiting for the PLI interval to pass */
  private pliTimer: NodeJS.Timeout | null = null;
  private lastKeyframeAt = 0;
  /** arrivals of the video packets' transport-wide sequence numbers, for the feedback */
  readonly twcc = new TwccRecorder();
  private twccTimer: NodeJS.Timeout | null = null;

  constructor(
    ip: string,
    url: StreamUrl,
    requestUrl: string,
    private readonly pctx: PublisherContext,
  ) {
    super(ip, url, requestUrl, pctx);
    this.depacketizer = new H264Depacketizer({
      onAccessUnit: (au) => this.onAccessUnit(au),
      onKeyframeNeeded: () => this.requestKeyframe(),
    });
    // werift fires onTrack while applying the offer, so listen from the start.
    this.pc.onTrack.subscribe((track) => this.onTrack(track));
  }

  sessionInfo(): SessionInfo {
    return { clientId: this.id, ip: this.ip, type: this.type, url: this.url, requestUrl: this.requestUrl };
  }

  protected configureTransceiver(t: RTCRtpTransceiver): void {
    t.setDirection('recvonly');
    if (t.kind === 'video') {
      const receiver = t.receiver;
      this.videoReceiver = receiver;
      takeOverTwcc(receiver, (seq) => this.twcc.record(seq, performance.now() * 1000));
      this.twccTimer = setInterval(() => this.sendTwcc(receiver), TWCC_FEEDBACK_MS);
      this.twccTimer.unref();
    }
  }

  private sendTwcc(receiver: RTCRtpReceiver): void {
    if (!this.connected || this.closed) return;
    const packets = this.twcc.take(receiver.rtcpSsrc, this.videoSsrc ?? 0);
    if (packets.length === 0) return;
    // werift's sendRtcp concatenates packet.serialize() of each and encrypts that (transport/dtls.js).
    const rtcp = packets.map((b) => ({ serialize: () => b })) as unknown as RtcpPacket[];
    receiver.dtlsTransport.sendRtcp(rtcp).catch(() => {});
  }

  /** The stream is ours: media flows into it from now on. */
  begin(publisher: Publisher): void {
    this.publisher = publisher;
    this.stream = publisher.stream;
  }

  protected onConnected(): void {
    this.requestKeyframe();
  }

  private onTrack(track: MediaStreamTrack): void {
    if (track.kind === 'video') track.onReceiveRtp.subscribe((rtp) => this.onVideoRtp(rtp));
    else if (track.kind === 'audio') track.onReceiveRtp.subscribe((rtp) => this.onAudioRtp(rtp));
  }

  private now(): number {
    return Date.now() - this.epoch;
  }

  private onVideoRtp(rtp: RtpPacket): void {
    if (!this.stream || this.closed) return;
    this.videoSsrc = rtp.header.ssrc;
    const h = rtp.header;
    this.depacketizer.push({ sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, payload: rtp.payload }, Date.now());
  }

  private onAccessUnit(au: H264AccessUnit): void {
    const stream = this.publisher;
    if (!stream) return;
    let sps: Buffer | null = null;
    let pps: Buffer | null = null;
    const media: Buffer[] = [];
    for (const n of au.nalus) {
      const t = n[0]! & 0x1f;
      if (t === NalUnitType.SPS) sps = n;
      else if (t === NalUnitType.PPS) pps = n;
      else if (t !== NalUnitType.AUD) media.push(n);
    }
    const ms = Math.max(this.lastVideoDts, Math.round(this.videoClock.ms(au.timestamp, this.now())));
    this.lastVideoDts = ms;
    if (sps && pps && (!this.sps || !this.pps || !sps.equals(this.sps) || !pps.equals(this.pps))) {
      let record: Buffer;
      try {
        record = buildAvcDecoderConfig([sps], [pps]);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'whip: unusable SPS/PPS; waiting for the next keyframe');
        this.requestKeyframe();
        return;
      }
      this.sps = sps;
      this.pps = pps;
      stream.publish({ type: 'video', codec: VideoCodec.H264, dts: ms, pts: ms, keyframe: true, header: true, data: record });
    }
    if (!this.sps) {
      this.requestKeyframe(); // an IDR without parameter sets: ask for one with them
      return;
    }
    if (media.length === 0) return;
    // Browsers send keyframes only when asked; RTMP/FLV/HLS viewers and segments need regular GOPs.
    const now = Date.now();
    if (au.keyframe) {
      this.lastKeyframeAt = now;
      this.cancelPli();
    } else if (this.pctx.pliIntervalMs > 0 && now - this.lastKeyframeAt >= this.pctx.pliIntervalMs) this.requestKeyframe();
    const f: Frame = {
      type: 'video',
      codec: VideoCodec.H264,
      dts: ms,
      pts: ms,
      keyframe: au.keyframe,
      header: false,
      data: annexBToAvcc(media),
    };
    stream.publish(f);
  }

  private onAudioRtp(rtp: RtpPacket): void {
    if (!this.stream || this.closed || rtp.payload.length === 0) return;
    if (!this.transcoder) {
      this.transcoder = new OpusToAacTranscoder(
        { logger: this.log, ffmpegPath: this.pctx.ffmpegPath, name: this.stream.path },
        (f) => this.onAac(f),
      );
    }
    this.transcoder.push(rtp.payload, this.audioClock.ms(rtp.header.timestamp, this.now()));
  }

  private onAac(f: Frame): void {
    const stream = this.publisher;
    if (!stream || this.closed || f.codec !== AudioCodec.AAC) return;
    if (f.header) {
      if (this.audioHeader && this.audioHeader.equals(f.data)) return; // the same config from a restarted FFmpeg
      this.audioHeader = f.data;
    } else if (!this.audioHeader) {
      return;
    }
    f.dts = Math.round(f.dts);
    f.pts = Math.round(f.pts);
    stream.publish(f);
  }

  /**
   * Sends a PLI to the browser: a new viewer or a loss needs a keyframe. At most one PLI goes out every
   * PLI_MIN_INTERVAL_MS; a request inside that time is sent when it ends, unless a keyframe arrives first
   * (a viewer that began waiting before that keyframe starts with it). Dropping it instead would leave a viewer
   * who joined just after a PLI waiting for the next periodic keyframe, or for good with RTC_PLI_INTERVAL_MS=0.
   */
  requestKeyframe(): void {
    const r = this.videoReceiver;
    if (!r || this.videoSsrc === null || !this.connected || this.closed) return;
    const now = Date.now();
    const wait = this.lastPli + PLI_MIN_INTERVAL_MS - now;
    if (wait > 0) {
      if (!this.pliTimer) {
        this.pliTimer = setTimeout(() => {
          this.pliTimer = null;
          this.requestKeyframe();
        }, wait);
        this.pliTimer.unref();
      }
      return;
    }
    this.lastPli = now;
    this.pliCount++;
    r.sendRtcpPLI(this.videoSsrc).catch(() => {});
  }

  /** Called every second by the server. */
  tick(): void {
    if (this.connected && this.depacketizer.waitingForKeyframe) this.requestKeyframe();
  }

  private cancelPli(): void {
    if (this.pliTimer) clearTimeout(this.pliTimer);
    this.pliTimer = null;
  }

  protected onClose(): void {
    this.cancelPli();
    if (this.twccTimer) clearInterval(this.twccTimer);
    this.twccTimer = null;
    if (this.transcoder) this.pctx.track(this.transcoder.stop());
    this.transcoder = null;
    this.stream = null;
    this.publisher = null;
    this.gate?.close({ plis: this.pliCount, ...this.depacketizer.stats });
    this.gate = null;
  }
}
