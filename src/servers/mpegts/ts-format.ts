// hub -> MPEG-TS: each frame becomes 188-byte packets, built once per stream (HTTP-TS and SRT play). The TS
// muxer follows the stream's tracks and codec changes by itself.
import { TsMuxer } from '../../codecs/mpegts/mux.js';
import type { OutputFormat } from '../../hub/channel.js';

export const tsFormat: OutputFormat = {
  name: 'ts',
  createMuxer: () => {
    const ts = new TsMuxer();
    return { fileHeader: () => null, mux: (f) => ts.mux(f) };
  },
};
