// What a job reads its media from (a stream URL pulled over RTMP/SRT/HTTP-FLV/HLS/HTTP-TS, an RTSP camera, a
// file looped, an FFmpeg process): Frames with timestamps in ms, continuous for as long as the source runs.
// Each kind of source implements it once; jobs (vlive, camera, transcode) then send the Frames to a
// StreamOutput (src/servers/stream-output.ts).
import type { TypedEvent } from '../core/event.js';
import type { Frame } from '../core/frame.js';

export interface FrameSource {
  /** the source ended by itself (the remote closed, the file could not be read, a timeout), with the reason */
  readonly ended: TypedEvent<[string]>;
  /** what it reads from, for logs and the API (the URL without credentials, the file's name) */
  readonly label: string;
  /**
   * Starts reading: resolves once the source is connected/opened (its first frames may already have come),
   * rejects with a reason the user can act on (refused, not found, 401 with the wrong password, no H.264).
   */
  start(onFrame: (f: Frame) => void): Promise<void>;
  /** Stops reading (idempotent); `ended` does not fire for a stop. */
  stop(reason?: string): Promise<void>;
}

/** A URL as logs and the API show it: the user:password@ of any scheme's URL becomes ***@. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@');
}
