// A WHEP player (hub -> WebRTC): one viewer of a stream's RtpStreamSource. It starts video at a keyframe
// (asking a WebRTC publisher for one), numbers its own RTP sequence so every viewer's stream is contiguous,
// answers NACKs (RFC 4585 generic NACK), and passes PLIs on to the publisher. A viewer keeps no packets:
// werift's own per-sender copy of the last 128 is turned off (peer.ts dropSenderRecords), and a NACKed
// video packet (up to VIDEO_HISTORY back) is taken from the stream's history, shared by all viewers, and
// resent with a header built on demand. The viewer only notes where its current run of sequence numbers
// began in the stream's packet index.
import {
  RTP_EXTENSION_URI,
  RtpHeader,
  RtpPacket,
  ntpTime,
  serializeAbsSendTime,
  serializeSdesMid,
  type Extension,
  type RTCRtpSender,
  type RTCRtpTransceiver,
} from 'werift';
import { randomInt } from 'node:crypto';
import { VIDEO_HISTORY, type RtpStreamSource, type RtpViewer, type VideoUnit } from './rtp-source.js';
import { dropSenderRecords } from './peer.js';
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
  /** video packets resent after a NACK */
  retransmitted = 0;
  private video: RTCRtpSender | null = null;
  private videoTransceiver: RTCRtpTransceiver | null = null;
  /** stream-wide index (VideoUnit.first) of the first video packet sent since the last wait for a keyframe */
  private runStart = -1;
  /** stream-wide index of the last video packet sent (its sequence number is videoSeq - 1) */
  private lastIndex = -1;
  private audio: RTCRtpSender | null = null;
  private videoSeq = randomInt(0x10000);
  private audioSeq = randomInt(0x10000);
  private waitKeyframe = true;

  constructor(ip: string, url: StreamUrl, requestUrl: string, ctx: SessionContext, id?: string) {
    super(ip, url, requestUrl, ctx, id);
  }

  protected configureTransceiver(t: RTCRtpTransceiver): void {
    t.setDirection('sendonly');
    // Audio is negotiated without NACK; video NACKs are answered from the stream's history.
    dropSenderRecords(t.sender);
    if (t.kind === 'video') {
      this.video = t.sender;
      this.videoTransceiver = t;
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
      this.runStart = u.first;
    }
    for (const p of u.payloads) {
      // A header per viewer (werift's sender sets SSRC, payload type and extensions on it, and lets go of
      // it once sent); the payload Buffer is the one packetized for all viewers.
      const header = new RtpHeader({ sequenceNumber: this.videoSeq, timestamp: u.timestamp, marker: p.marker });
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      this.videoPackets++;
      sender.sendRtp(new RtpPacket(header, p.payload)).catch(() => {});
    }
    this.lastIndex = u.first + u.payloads.length - 1;
  }

  /** Resends the NACKed video packets the stream's history still holds. */
  private onNack(sender: RTCRtpSender, lost: number[]): void {
    const src = this.source;
    if (this.closed || !src || this.runStart < 0) return;
    const last = (this.videoSeq - 1) & 0xffff;
    for (const seq of lost) {
      const age = (last - seq) & 0xffff;
      if (age >= VIDEO_HISTORY) continue;
      // This viewer's sequence numbers run in step with the stream's packet index since runStart.
      const index = this.lastIndex - age;
      if (index < this.runStart) continue;
      const pkt = src.videoPacket(index);
      if (!pkt) continue;
      const header = this.resendHeader(sender, seq, pkt.timestamp, pkt.payload.marker);
      if (!header) return;
      this.retransmitted++;
      sender.dtlsTransport.sendRtp(pkt.payload.payload, header).catch(() => {});
    }
  }

  /**
   * The header of a resent video packet, as werift's sendRtp makes it: this sender's SSRC and payload type,
   * the MID and abs-send-time extensions when negotiated (no transport-wide sequence number: the packet
   * is not counted again for congestion control). null before the sender has a codec.
   */
  private resendHeader(sender: RTCRtpSender, seq: number, timestamp: number, marker: boolean): RtpHeader | null {
    const payloadType = sender.codec?.payloadType;
    if (payloadType === undefined) return null;
    const extensions: Extension[] = [];
    const t = this.videoTransceiver;
    for (const ext of t?.headerExtensions ?? []) {
      if (ext.uri === RTP_EXTENSION_URI.sdesMid && t?.mid) extensions.push({ id: ext.id, payload: serializeSdesMid(t.mid) });
      else if (ext.uri === RTP_EXTENSION_URI.absSendTime) extensions.push({ id: ext.id, payload: serializeAbsSendTime(ntpTime()) });
    }
    extensions.sort((a, b) => a.id - b.id);
    return new RtpHeader({ sequenceNumber: seq, timestamp, marker, ssrc: sender.ssrc, payloadType, extensions });
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
