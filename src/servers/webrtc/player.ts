// A WHEP player (hub -> WebRTC): one viewer of a stream's RtpStreamSource. It starts video at a keyframe
// (asking a WebRTC publisher for one), numbers its own RTP sequence so every viewer's stream is contiguous,
// answers NACKs (RFC 4585 generic NACK) from a packet history, and passes PLIs on to the publisher.
// werift's sender resends the last 128 packets itself; this history reaches further back (about 5 s of
// 2 Mbps video), holding only the per-viewer headers: the payloads are the stream's shared Buffers.
import { RtpHeader, RtpPacket, type RTCRtpSender, type RTCRtpTransceiver } from 'werift';
import { randomInt } from 'node:crypto';
import type { RtpStreamSource, RtpViewer, VideoUnit } from './rtp-source.js';
import { RtcSession, type SessionContext } from './session.js';
import type { StreamUrl } from '../../hub/stream-url.js';

/** werift's own RTP history (rtpSender.ts RTP_HISTORY_SIZE): NACKs within it are answered by werift */
const WERIFT_HISTORY = 128;
/** how many video packets a viewer can have resent */
const VIDEO_HISTORY = 1024;

export class WhepSession extends RtcSession implements RtpViewer {
  readonly type = 'rtc-play' as const;
  readonly publish = false;
  source: RtpStreamSource | null = null;
  /** media sent, for stats and tests */
  videoPackets = 0;
  audioPackets = 0;
  keyframeRequests = 0;
  /** packets resent from our history after a NACK (werift counts its own) */
  retransmitted = 0;
  private readonly history: (RtpPacket | undefined)[] = new Array<RtpPacket | undefined>(VIDEO_HISTORY);
  private video: RTCRtpSender | null = null;
  private audio: RTCRtpSender | null = null;
  private videoSeq = randomInt(0x10000);
  private audioSeq = randomInt(0x10000);
  private waitKeyframe = true;

  constructor(ip: string, url: StreamUrl, requestUrl: string, ctx: SessionContext) {
    super(ip, url, requestUrl, ctx);
  }

  protected configureTransceiver(t: RTCRtpTransceiver): void {
    t.setDirection('sendonly');
    if (t.kind === 'video') {
      this.video = t.sender;
      t.sender.onPictureLossIndication.subscribe(() => {
        this.keyframeRequests++;
        this.source?.requestKeyframe();
      });
      t.sender.onGenericNack.subscribe((nack) => this.onNack(t.sender, nack.lost));
    } else if (t.kind === 'audio') {
      this.audio = t.sender;
    }
  }

  protected onConnected(): void {
    if (this.waitKeyframe) this.source?.requestKeyframe();
  }

  needKeyframe(): void {
    this.waitKeyframe = true;
    if (this.connected) this.source?.requestKeyframe();
  }

  sendVideo(u: VideoUnit): void {
    const sender = this.video;
    if (!sender || !this.connected || this.closed) return;
    if (this.waitKeyframe) {
      if (!u.keyframe) return;
      this.waitKeyframe = false;
    }
    for (const p of u.payloads) {
      // A header per viewer (werift's sender sets SSRC, payload type and extensions on it); the payload
      // Buffer is the one packetized for all viewers.
      const header = new RtpHeader({ sequenceNumber: this.videoSeq, timestamp: u.timestamp, marker: p.marker });
      const pkt = new RtpPacket(header, p.payload);
      this.history[this.videoSeq % VIDEO_HISTORY] = pkt;
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      this.videoPackets++;
      sender.sendRtp(pkt).catch(() => {});
    }
  }

  /** Resends what werift's short history no longer holds (werift has already resent the rest). */
  private onNack(sender: RTCRtpSender, lost: number[]): void {
    if (this.closed) return;
    const last = (this.videoSeq - 1) & 0xffff;
    for (const seq of lost) {
      const age = (last - seq) & 0xffff;
      if (age < WERIFT_HISTORY || age >= VIDEO_HISTORY) continue;
      const pkt = this.history[seq % VIDEO_HISTORY];
      // werift's sendRtp filled in this header (SSRC, payload type, extensions) when it first went out.
      if (!pkt || pkt.header.sequenceNumber !== seq) continue;
      this.retransmitted++;
      sender.dtlsTransport.sendRtp(pkt.payload, pkt.header).catch(() => {});
    }
  }

  sendAudio(packet: Buffer, timestamp: number): void {
    const sender = this.audio;
    if (!sender || !this.connected || this.closed) return;
    const header = new RtpHeader({ sequenceNumber: this.audioSeq, timestamp, marker: false });
    this.audioSeq = (this.audioSeq + 1) & 0xffff;
    this.audioPackets++;
    sender.sendRtp(new RtpPacket(header, packet)).catch(() => {});
  }

  protected onClose(): void {
    this.history.fill(undefined);
    const src = this.source;
    this.source = null;
    src?.removeViewer(this);
  }
}
