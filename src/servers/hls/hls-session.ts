// An HLS viewer, as SRS counts one: a session named by the `hls_ctx` query parameter that the first
// playlist request hands out. It is a client of the APIs (type hls-play) from its first request until it
// has asked for nothing for a while (SRS: twice the window), or until it is kicked, after which its
// requests are refused until it goes quiet.
import type { Client } from '../../hub/client.js';
import type { StreamUrl } from '../../hub/stream-url.js';

export class HlsSession implements Client {
  readonly type = 'hls-play' as const;
  readonly publish = false;
  readonly createdAt = Date.now();
  sendBytes = 0;
  recvBytes = 0;
  /** last request, ms since epoch */
  lastSeen = Date.now();
  /** kicked by the API: its requests are refused */
  kicked = false;

  constructor(
    /** the hls_ctx value */
    readonly id: string,
    readonly ip: string,
    readonly url: StreamUrl,
    readonly requestUrl: string,
    private readonly onKick: (s: HlsSession) => void,
  ) {}

  close(_reason: string): void {
    if (this.kicked) return;
    this.kicked = true;
    this.onKick(this);
  }
}
