// Clients: every publisher and viewer connection, whatever its protocol, as the APIs list them.
import { randomId } from '../core/ids.js';
import type { StreamUrl } from './stream-url.js';

/** SRS's client type names, plus ours for protocols SRS names differently. */
export type ClientType =
  | 'fmle-publish'
  | 'flash-publish'
  | 'rtmp-play'
  | 'flv-play'
  | 'ts-play'
  | 'hls-play'
  | 'srt-publish'
  | 'srt-play'
  | 'rtc-publish'
  | 'rtc-play'
  // server-side sources (no inbound socket): a pulled stream, a looped file, a transcoder's output
  | 'pull-publish'
  | 'file-publish'
  | 'transcode-publish';

/** What the hub and the APIs know of one connection. Servers keep the counters up to date. */
export interface Client {
  readonly id: string;
  readonly ip: string;
  readonly type: ClientType;
  readonly url: StreamUrl;
  /** the full URL the client asked for (tcUrl + stream, or the HTTP URL) */
  readonly requestUrl: string;
  readonly publish: boolean;
  readonly createdAt: number;
  sendBytes: number;
  recvBytes: number;
  /** Ends this connection; the reason is logged. */
  close(reason: string): void;
}

/** The registry of live clients, for the APIs (list, kick). */
export class ClientRegistry {
  private readonly byId = new Map<string, Client>();

  add(c: Client): void {
    this.byId.set(c.id, c);
  }

  remove(c: Client): void {
    if (this.byId.get(c.id) === c) this.byId.delete(c.id);
  }

  get(id: string): Client | undefined {
    return this.byId.get(id);
  }

  list(): Client[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

/** A publisher that lives inside the server (a pull, a file loop, a transcoder), listed like any client. */
export class ServerSideClient implements Client {
  readonly id = randomId(8);
  readonly ip = '127.0.0.1';
  readonly publish = true;
  readonly createdAt = Date.now();
  sendBytes = 0;
  recvBytes = 0;

  /** `onClose` ends the source (a kick from the API lands here). */
  constructor(
    readonly type: 'pull-publish' | 'file-publish' | 'transcode-publish',
    readonly url: StreamUrl,
    readonly requestUrl: string,
    private readonly onClose: (reason: string) => void,
  ) {}

  close(reason: string): void {
    this.onClose(reason);
  }
}
