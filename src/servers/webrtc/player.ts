// A WHEP player (hub -> WebRTC): one viewer of a stream's RtpStreamSource. It starts video at a keyframe
// (asking a WebRTC publisher for one), numbers its own RTP sequence so every viewer's stream is contiguous,
// and lets werift's sender answer NACKs from its packet history and report PLIs, which go to the publisher.
import { RtpHeader, RtpPacket, type RTCRtpSender, type RTCRtpTransceiver } from 'werift';
import { randomInt } from 'node:crypto';
import type { RtpStreamSource, RtpViewer, VideoUnit } from './rtp-source.js';
import { RtcSession, type SessionContext } from './session.js';
import type { StreamUrl } from '../../hub/stream-url.js';

export class WhepSession extends RtcSession implements RtpViewer {
  readonly type = 'rtc-play' as const;
  readonly publish = false;
  source: RtpStreamSource | null = null;
  /** media sent, for stats and tests */
  videoPackets = 0;
  audioPackets = 0;
  keyframeRequests = 0;
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
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      this.videoPackets++;
      sender.sendRtp(new RtpPacket(header, p.payload)).catch(() => {});
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
    const src = this.source;
    this.source = null;
    src?.removeViewer(this);
  }
}
