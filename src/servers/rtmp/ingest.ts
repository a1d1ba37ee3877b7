// The RTMP ingest adapter: RTMP media messages (audio, video, AMF0/AMF3 data, aggregates; Adobe RTMP spec
// 7.1) -> Frames. Used by the server session (a publisher) and by the RTMP client (a pull). A message that
// cannot be read is counted and skipped: it never throws to the socket.
import type { Frame } from '../../core/frame.js';
import { flvBodyToFrame, FlvTagType } from '../../codecs/flv.js';
import type { RtmpMessage } from '../../codecs/rtmp/chunk.js';
import { MessageType, splitAggregate } from '../../codecs/rtmp/messages.js';

export class RtmpIngest {
  /** frames emitted */
  frames = 0;
  /** messages skipped because they could not be read (truncated, garbage) */
  errors = 0;
  /** why the last bad message was skipped */
  lastError: string | null = null;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  /**
   * Calls `each` for every single media message in `m`: the message itself, or the sub-messages of an
   * aggregate. A truncated aggregate is counted as an error and yields none of its sub-messages.
   */
  split(m: RtmpMessage, each: (sub: RtmpMessage) => void): void {
    if (m.type !== MessageType.Aggregate) return each(m);
    let subs: RtmpMessage[];
    try {
      subs = splitAggregate(m);
    } catch (e) {
      this.skip(e);
      return;
    }
    for (const s of subs) if (s.type !== MessageType.Aggregate) each(s);
  }

  /** Converts one media message (aggregates are split) and emits its frames. */
  push(m: RtmpMessage): void {
    if (m.type === MessageType.Aggregate) return this.split(m, (s) => this.one(s));
    this.one(m);
  }

  /** Converts one non-aggregate message; null when it carries no frame or cannot be read. */
  toFrame(m: RtmpMessage): Frame | null {
    let body = m.payload;
    let type: FlvTagType;
    if (m.type === MessageType.Audio) type = FlvTagType.Audio;
    else if (m.type === MessageType.Video) type = FlvTagType.Video;
    else if (m.type === MessageType.DataAmf0) type = FlvTagType.Script;
    else if (m.type === MessageType.DataAmf3) {
      type = FlvTagType.Script;
      // AMF3 data messages start with a format byte (0: the rest is AMF0), spec 7.1.2.
      if (body.length > 0 && body[0] === 0) body = body.subarray(1);
    } else return null;
    try {
      return flvBodyToFrame(type, m.timestamp, body);
    } catch (e) {
      this.skip(e);
      return null;
    }
  }

  private one(m: RtmpMessage): void {
    const f = this.toFrame(m);
    if (!f) return;
    this.frames++;
    this.onFrame(f);
  }

  private skip(e: unknown): void {
    this.errors++;
    this.lastError = e instanceof Error ? e.message : String(e);
  }
}
