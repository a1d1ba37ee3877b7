// MPEG-TS -> hub: an ingest adapter that demuxes a TS byte stream (SRT publish, or any TS source) and hands
// its frames to a claimed Publisher. Demux errors are logged at debug level and never end the publish.
import type { Logger } from 'pino';
import { TsDemuxer } from '../../codecs/mpegts/demux.js';
import type { Publisher } from '../../hub/publisher.js';

export class TsIngest {
  private readonly demux: TsDemuxer;

  constructor(publisher: Publisher, log: Logger) {
    this.demux = new TsDemuxer({
      onFrame: (f) => publisher.publish(f),
      onError: (e) => log.debug({ err: e.message }, 'ts demux error'),
    });
  }

  /** Any number of bytes; packets may span calls. */
  push(data: Buffer): void {
    this.demux.push(data);
  }
}
