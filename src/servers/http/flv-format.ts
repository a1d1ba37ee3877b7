// hub -> FLV: each frame becomes one complete FLV tag (header + body + PreviousTagSize), built once per stream.
import type { Frame } from '../../core/frame.js';
import { encodeFlvTag, flvFileHeader } from '../../codecs/flv.js';
import type { FormatMuxer, MuxContext, OutputFormat } from '../../hub/channel.js';

class FlvMuxer implements FormatMuxer {
  constructor(private readonly ctx: MuxContext) {}

  fileHeader(): Buffer {
    return flvFileHeader(this.ctx.hasVideo(), this.ctx.hasAudio());
  }

  mux(f: Frame): Buffer {
    return encodeFlvTag(f);
  }
}

export const flvFormat: OutputFormat = {
  name: 'flv',
  createMuxer: (ctx) => new FlvMuxer(ctx),
};
