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

/** The HLS settings of SRS Stack's console (mgmt/hlsll, mgmt/hphls), as the HLS server applies them. */
export interface HlsSettings {
  /** low-latency HLS: 2 s fragments and a 16 s window instead of 10 s and 60 s */
  lowLatency: boolean;
  /** no per-viewer hls_ctx sessions: plain, cacheable playlists (SRS `hls_ctx off; hls_ts_ctx off`) */
  noHlsCtx: boolean;
}

/** Where the control plane pushes the HLS settings (at start, on change, after Redis reconnects). */
export interface HlsSettingsPort {
  applyHlsSettings(s: HlsSettings): void;
}

/** One rendition of an ABR group: a stream of ours (with its own HLS playlist) and its nominal bitrate. */
export interface HlsVariantRef {
  stream: StreamUrl;
  /** bits per second the rendition is encoded at (video + audio), for BANDWIDTH when it is not measured yet */
  bandwidth: number;
}

/**
 * Where transcoders declare ABR groups: `url` (e.g. live/S_abr) then serves a multivariant playlist (url.m3u8)
 * listing the renditions that are live. null removes the group.
 */
export interface HlsVariantsPort {
  setVariants(url: StreamUrl, variants: HlsVariantRef[] | null): void;
}
