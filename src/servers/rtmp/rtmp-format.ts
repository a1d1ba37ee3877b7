// hub -> RTMP: each frame becomes one chunked RTMP message (fmt 0 + fmt 3 chunks), built once per stream
// with one chunk size for every player, so the same Buffer goes to all of them.
import type { Frame } from '../../core/frame.js';
import { writeFlvBodyPrefix } from '../../codecs/flv.js';
import { ChunkEncoder } from '../../codecs/rtmp/chunk.js';
import { MessageType } from '../../codecs/rtmp/messages.js';
import type { FormatMuxer, OutputFormat } from '../../hub/channel.js';

/** The chunk size we announce to players before any media (SRS uses 60000). */
export const PLAY_CHUNK_SIZE = 60000;
/** The message stream id createStream hands out; every player uses it. */
export const PLAY_STREAM_ID = 1;

export const enum PlayCsid {
  Data = 5,
  Video = 6,
  Audio = 7,
}

class RtmpMuxer implements FormatMuxer {
  private readonly enc = new ChunkEncoder();
  private readonly prefix = Buffer.alloc(16);

  constructor() {
    this.enc.chunkSize = PLAY_CHUNK_SIZE;
  }

  fileHeader(): null {
    return null;
  }

  mux(f: Frame): Buffer {
    const n = writeFlvBodyPrefix(f, this.prefix, 0);
    const type = f.type === 'video' ? MessageType.Video : f.type === 'audio' ? MessageType.Audio : MessageType.DataAmf0;
    const csid = f.type === 'video' ? PlayCsid.Video : f.type === 'audio' ? PlayCsid.Audio : PlayCsid.Data;
    return this.enc.encodeWithPrefix(csid, type, PLAY_STREAM_ID, f.dts, this.prefix, n, f.data);
  }
}

export const rtmpFormat: OutputFormat = {
  name: 'rtmp',
  createMuxer: () => new RtmpMuxer(),
};

