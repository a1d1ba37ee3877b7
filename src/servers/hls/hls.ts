// HLS output: one segmenter per published stream, attached as a hub frame sink, served from memory.
import type { Hub } from '../../hub/hub.js';
import type { Stream } from '../../hub/stream.js';
import { HlsSegmenter } from './segmenter.js';

export interface HlsOptions {
  fragment: number;
  window: number;
}

export class HlsServer {
  private readonly byKey = new Map<string, HlsSegmenter>();

  constructor(
    private readonly hub: Hub,
    private readonly opts: HlsOptions,
  ) {
    hub.published.on((s) => this.attach(s));
  }

  private attach(s: Stream): void {
    if (this.byKey.has(s.key)) return;
    const seg = new HlsSegmenter({ fragment: this.opts.fragment, window: this.opts.window, name: s.url.stream.split('/').pop()! });
    const key = s.key;
    seg.onClose = () => {
      if (this.byKey.get(key) === seg) this.byKey.delete(key);
    };
    this.byKey.set(key, seg);
    s.addSink(seg);
    // addSink replays the GOP, which is fine: the segmenter starts at its keyframe.
  }

  get(streamKey: string): HlsSegmenter | undefined {
    return this.byKey.get(streamKey);
  }

  get memoryBytes(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.bytes;
    return n;
  }
}
