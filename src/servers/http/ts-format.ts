// hub -> MPEG-TS: each frame becomes 188-byte packets, built once per stream (HTTP-TS and SRT play).
import { AudioCodec, VideoCodec, type Frame } from '../../core/frame.js';
import { TsMuxer } from '../../codecs/mpegts/mux.js';
import type { FormatMuxer, MuxContext, OutputFormat } from '../../hub/channel.js';

class TsFormatMuxer implements FormatMuxer {
  private readonly ts = new TsMuxer();
  private video: VideoCodec | undefined;
  private audio: AudioCodec | undefined;

  constructor(private readonly ctx: MuxContext) {}

  fileHeader(): null {
    return null;
  }

  mux(f: Frame): Buffer | null {
    if (f.header || (f.type === 'audio' && this.audio === undefined)) {
      if (f.type === 'video' && this.video !== f.codec) {
        this.video = f.codec as VideoCodec;
        this.ts.setTracks({ video: this.video, audio: this.audio });
      } else if (f.type === 'audio' && this.audio !== f.codec) {
        this.audio = f.codec as AudioCodec;
        this.ts.setTracks({ video: this.video, audio: this.audio });
      }
    }
    return this.ts.mux(f);
  }
}

export const tsFormat: OutputFormat = {
  name: 'ts',
  createMuxer: (ctx) => new TsFormatMuxer(ctx),
};
