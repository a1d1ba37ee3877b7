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
  /** a play token given outside the stream's query (WHEP's Authorization: Bearer) */
  token?: string;
  /** the page the player runs in, where known (RTMP pageUrl, HTTP Referer) */
  pageUrl?: string;
}

/**
 * Why a play is refused: `no-token` (play authentication is on and no token came: HTTP 401), `bad-token`
 * (expired, for another stream or IP, or not ours: 403) or `refused` (the on_play callback said no: 403).
 */
export interface PlayRefusal {
  why: 'no-token' | 'bad-token' | 'refused';
  /** what went wrong and what to do */
  message: string;
}

/** The HTTP status of a play refusal. */
export function playRefusalStatus(r: PlayRefusal): 401 | 403 {
  return r.why === 'no-token' ? 401 : 403;
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
  /**
   * Decides whether a play may start (play token when play authentication covers the stream, then the
   * on_play callback). Once per viewer, at its start; null to allow. `tokenOnly`: check the token but send
   * no callback (an HLS segment asked for outside an hls_ctx session).
   */
  onPlay(s: SessionInfo, opts?: { tokenOnly?: boolean }): Promise<PlayRefusal | null>;
  /** A play that was allowed ended (fire and forget: the on_stop callback). */
  onStop(s: SessionInfo): void;
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
