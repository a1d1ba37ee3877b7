// The input of a forward: follows one hub stream at a time and hands its Frames on with timestamps rebased onto
// one continuous timeline, so the target sees a single publish while the input moves from the main stream to the
// backup and back. A switch attaches the new stream as a sink and keeps the old one flowing until the new one
// gives a video keyframe that lands after the last frame sent (its cached GOP when the gap allows it, else its
// next keyframe); then the old stream is left, the new one's sequence headers are sent, and its frames follow.
// The new stream's timestamps are mapped onto the wall clock since the last frame sent, so a switch neither
// jumps ahead nor goes back, and per track the timestamps never decrease.
import type { Frame } from '../../../core/frame.js';
import type { FrameSink, Stream } from '../../../hub/stream.js';

interface Attached {
  stream: Stream;
  sink: FrameSink;
  /** added to the stream's timestamps; null until the first media frame decides it */
  offset: number | null;
  /** the newest timestamp of the stream when it was attached (its GOP is sent at once and is that much older) */
  newestAtAttach: number | null;
  headers: { video: Frame | null; audio: Frame | null; script: Frame | null };
}

export interface InputSwitchOptions {
  /** the clock, ms (tests) */
  now?: () => number;
}

export class InputSwitch {
  /** the stream frames come from now */
  private cur: Attached | null = null;
  /** the stream being switched to, until its first usable keyframe */
  private next: Attached | null = null;
  /** last timestamp sent (any track), and when */
  private lastDts: number | null = null;
  private lastAt = 0;
  private readonly lastTrack = { video: -Infinity, audio: -Infinity };
  private sentScript = false;
  /** when the current stream last gave a media frame, ms */
  lastFrameAt = 0;
  /** completed switches from one stream to another */
  switches = 0;
  /** frames sent on */
  frames = 0;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly out: (f: Frame) => void,
    opts: InputSwitchOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** the stream frames come from now (null before the first) */
  get current(): Stream | null {
    return this.cur?.stream ?? null;
  }

  /** the stream being switched to, waiting for its keyframe */
  get pending(): Stream | null {
    return this.next?.stream ?? null;
  }

  /** The stream to follow (its GOP or next keyframe starts it); the current one if it is already followed. */
  follow(s: Stream): void {
    if (this.closed) return;
    if (this.cur?.stream === s) {
      this.cancelPending();
      return;
    }
    if (this.next?.stream === s) return;
    this.cancelPending();
    const a = this.attachment(s);
    this.next = a;
    s.addSink(a.sink); // headers and GOP come now, synchronously
  }

  /** Stops a switch in progress (the stream to switch to went away). */
  cancelPending(): void {
    const n = this.next;
    this.next = null;
    if (n) n.stream.removeSink(n.sink);
  }

  /** Leaves every stream. */
  close(): void {
    this.closed = true;
    this.cancelPending();
    const c = this.cur;
    this.cur = null;
    if (c) c.stream.removeSink(c.sink);
  }

  private attachment(s: Stream): Attached {
    const newest = s.gop.length > 0 ? s.gop[s.gop.length - 1]!.dts : null;
    const a: Attached = { stream: s, offset: null, newestAtAttach: newest, headers: { video: null, audio: null, script: null }, sink: null as unknown as FrameSink };
    a.sink = {
      onFrame: (f) => this.onFrame(a, f),
      // The stream's publisher came back: its frames need a keyframe and a new mapping onto our timeline.
      onPublish: (republish) => {
        if (republish && this.cur === a && !this.next) {
          this.cur = null;
          a.offset = null;
          a.newestAtAttach = null;
          this.next = a;
        }
      },
      onClose: () => {
        if (this.cur === a) this.cur = null;
        if (this.next === a) this.next = null;
      },
    };
    return a;
  }

  /** Our timeline now: where the last frame sent is, plus the wall time since. */
  private timelineNow(): number {
    return this.lastDts === null ? 0 : this.lastDts + (this.now() - this.lastAt);
  }

  private onFrame(a: Attached, f: Frame): void {
    if (this.closed) return;
    if (f.header || f.type === 'script') {
      if (f.type === 'script') a.headers.script = f;
      else if (f.type === 'video') a.headers.video = f;
      else a.headers.audio = f;
      if (a === this.cur) this.send(f, this.lastDts ?? 0, true);
      return;
    }
    if (a === this.cur) {
      this.lastFrameAt = this.now();
      this.send(f, f.dts + (a.offset ?? 0), false);
      return;
    }
    if (a !== this.next) return;
    // Waiting to start this stream.
    if (a.offset === null) {
      const newest = a.newestAtAttach ?? f.dts;
      a.offset = this.lastDts === null ? -f.dts : this.timelineNow() - newest;
    }
    if (a.stream.videoHeader === null && a.stream.audioHeader === null) return; // nothing a decoder could start from
    const hasVideo = a.stream.videoHeader !== null;
    const at = f.dts + a.offset;
    const starts = hasVideo ? f.type === 'video' && f.keyframe : true;
    if (!starts) return;
    let start = at;
    if (this.lastDts !== null && at <= this.lastDts) {
      // A frame of its cached GOP that would go back: wait for a later keyframe. A live frame (the clocks of the
      // two publishers differ by a few ms) is moved just after the last frame sent.
      const live = a.newestAtAttach === null || f.dts > a.newestAtAttach;
      if (!live) return;
      a.offset += this.lastDts + 1 - at;
      start = this.lastDts + 1;
    }
    this.commit(a);
    this.lastFrameAt = this.now();
    this.send(f, start, false);
  }

  private commit(a: Attached): void {
    const old = this.cur;
    this.cur = a;
    this.next = null;
    if (old && old !== a) {
      old.stream.removeSink(old.sink);
      this.switches++;
    }
    const at = this.lastDts ?? 0;
    if (a.headers.script && !this.sentScript) this.send(a.headers.script, at, true);
    if (a.headers.video) this.send(a.headers.video, at, true);
    if (a.headers.audio) this.send(a.headers.audio, at, true);
  }

  private send(f: Frame, dts: number, header: boolean): void {
    if (f.type === 'script') {
      if (this.sentScript && !header) return;
      this.sentScript = true;
      this.out({ ...f, dts, pts: dts });
      return;
    }
    if (header) {
      this.out({ ...f, dts, pts: dts });
      return;
    }
    const track = f.type === 'video' ? 'video' : 'audio';
    let d = Math.round(dts);
    if (d < this.lastTrack[track]) d = this.lastTrack[track];
    this.lastTrack[track] = d;
    const pts = d + (f.pts - f.dts);
    if (this.lastDts === null || d > this.lastDts) {
      this.lastDts = d;
      this.lastAt = this.now();
    }
    this.frames++;
    this.out({ ...f, dts: d, pts });
  }
}
