// The small interfaces servers are given by the composition root (src/app.ts): servers never import the
// control plane; the control plane implements these.
import type { StreamUrl } from '../hub/stream-url.js';
import type { ClientType } from '../hub/client.js';

/** What a server knows of a publish or play attempt. */
export interface SessionInfo {
  clientId: string;
  ip: string;
  type: ClientType;
  url: StreamUrl;
  /** the URL as the client gave it (tcUrl/stream, srt streamid, HTTP URL) */
  requestUrl: string;
}

/** Authorization and HTTP callbacks for media sessions. */
export interface MediaHooks {
  /**
   * Decides whether a publish may start (publish secret, on_publish callback).
   * Resolves null to allow, or a message that says why it is refused and what to do.
   */
  onPublish(s: SessionInfo): Promise<string | null>;
  /** A publish ended (fire and forget). */
  onUnpublish(s: SessionInfo): void;
}
