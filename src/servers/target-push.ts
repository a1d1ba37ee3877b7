// A push of one stream to a target platform, whatever its protocol: rtmp:// and rtmps:// (RtmpPush, FLV over
// RTMP) or srt:// (SrtPush, MPEG-TS over SRT as a caller). Forwards and job outputs (StreamOutput) use this one
// interface; describeTargetError turns what the target did (refused, no such host, TLS, closed, rejected,
// timed out) into a short kind and a message a user can act on.
import type { Stream } from '../hub/stream.js';
import type { StreamUrl } from '../hub/stream-url.js';
import type { TypedEvent } from '../core/event.js';
import { RtmpPush } from './rtmp/push.js';
import { parseRtmpTarget } from './rtmp/client.js';
import { SrtPush, parseSrtTarget } from './srt/push.js';

/** One push to a target: start() connects and subscribes to the stream, stop() ends it. */
export interface TargetPush {
  readonly url: string;
  /** the push ended by itself or by stop(): the reason */
  readonly closed: TypedEvent<[string]>;
  /** frames sent */
  readonly frames: number;
  /** media bytes sent */
  readonly bytes: number;
  /** frames dropped because the target did not keep up */
  readonly drops: number;
  readonly running: boolean;
  /** Connects (and publishes), then subscribes to the stream; rejects when the target refuses. */
  start(): Promise<void>;
  /** Ends the push (idempotent) and waits for the connection to close. */
  stop(reason?: string): Promise<void>;
}

export interface TargetPushOptions {
  /** rtmps://: accept any certificate, as SRS Stack's forwards do (default false: verified) */
  insecureSkipTlsVerify?: boolean;
  /** ms to wait for each connection step (default 10000 for RTMP, 3000 for the SRT handshake) */
  timeoutMs?: number;
  /** RTMP: merged writes, one socket write per this many ms (default 0: each frame at once) */
  flushMs?: number;
}

export type TargetProtocol = 'rtmp' | 'rtmps' | 'srt';

/** The protocol of a target URL, or null when it is none we push to. */
export function targetProtocol(url: string): TargetProtocol | null {
  const m = /^(rtmps?|srt):\/\//i.exec(url);
  return m ? (m[1]!.toLowerCase() as TargetProtocol) : null;
}

/** Checks a target URL; throws with what is wrong and the form expected. */
export function checkTargetUrl(url: string): TargetProtocol {
  const p = targetProtocol(url);
  if (!p) throw new Error(`unsupported target ${url.slice(0, 80)}: use rtmp://host[:port]/app/key, rtmps://host[:port]/app/key or srt://host:port?streamid=...`);
  if (p === 'srt') parseSrtTarget(url);
  else parseRtmpTarget(url);
  return p;
}

/** A name for the private stream a push plays from (logs only): the target's app and stream key, or srt/<host>. */
export function targetStreamUrl(url: string): StreamUrl {
  if (targetProtocol(url) === 'srt') {
    const t = parseSrtTarget(url);
    return { vhost: '__defaultVhost__', app: 'srt', stream: t.host, param: '' };
  }
  const t = parseRtmpTarget(url.replace(/\?.*$/, ''));
  return { vhost: '__defaultVhost__', app: t.app, stream: t.stream, param: '' };
}

/** Starts nothing: makes the push for the URL's protocol (throws on a bad URL). */
export function createTargetPush(stream: Stream, url: string, opts: TargetPushOptions = {}): TargetPush {
  const p = checkTargetUrl(url);
  if (p === 'srt') return new SrtPush(stream, url, opts.timeoutMs === undefined ? {} : { connectTimeoutMs: opts.timeoutMs });
  return new RtmpPush(stream, url, {
    insecureSkipTlsVerify: opts.insecureSkipTlsVerify ?? false,
    flushMs: opts.flushMs ?? 0,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
}

/** What went wrong with a target, as the task shows it. */
export type TargetFailureKind = 'refused' | 'dns' | 'tls' | 'closed' | 'rejected' | 'timeout' | 'unreachable' | 'error';

export interface TargetFailure {
  kind: TargetFailureKind;
  /** "<kind>: what happened; what to do" */
  message: string;
}

/** Reads an error or close reason of a push into its kind and a message that says what to check. */
export function describeTargetError(e: unknown): TargetFailure {
  const raw = e instanceof Error ? e.message : String(e);
  // OpenSSL's "809C...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/...:350:" -> its reason
  const m = raw
    .replace(/^Error: /, '')
    .replace(/\b[0-9A-F]{6,}:error:[0-9A-F]+:SSL routines:\w*:([^:]+):\S*/g, 'SSL: $1')
    .replace(/\\n|\n/g, ' ')
    .trim();
  const is = (re: RegExp) => re.test(m);
  if (is(/ENOTFOUND|EAI_AGAIN|getaddrinfo|cannot resolve host/i)) {
    return { kind: 'dns', message: `dns: the target's host name does not resolve (${m}); check the server address` };
  }
  if (is(/ECONNREFUSED/)) return { kind: 'refused', message: `refused: nothing listens at the target (${m}); check the server address and port, or that the platform is live` };
  if (is(/certificate|self[- ]signed|SSL|TLS|wrong version number|handshake failure|ERR_TLS/i)) {
    return { kind: 'tls', message: `tls: the TLS connection to the target failed (${m}); check the rtmps:// address and the server's certificate` };
  }
  if (is(/refused:|rejected|BadName|Unauthorized|NetStream\.Publish\.|NetConnection\.Connect\.(Rejected|Failed)|SRT_REJ|REJ_/i)) {
    return { kind: 'rejected', message: `rejected: the target refused the publish (${m}); check the stream key` };
  }
  if (is(/timed out|timeout|no answer within|ETIMEDOUT/i)) return { kind: 'timeout', message: `timeout: the target did not answer (${m}); check the address, port and firewall` };
  if (is(/EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/)) return { kind: 'unreachable', message: `unreachable: no route to the target (${m}); check the network` };
  if (is(/closed|ECONNRESET|EPIPE|socket hang up|connection setup failure|broken/i)) {
    return { kind: 'closed', message: `closed: the target closed the connection (${m}); it may have refused the stream key or gone down` };
  }
  return { kind: 'error', message: `error: ${m}` };
}

/** The URL with the stream key hidden (for logs and the API): rtmp://host/app/ab****, srt streamid kept short. */
export function maskTargetUrl(url: string): string {
  const p = targetProtocol(url);
  if (p === 'srt') return url.replace(/(streamid=)([^&]*)/i, (_a, k: string, v: string) => `${k}${v.length > 12 ? `${v.slice(0, 12)}****` : v}`).replace(/(passphrase=)[^&]*/i, '$1****');
  if (p) {
    return url.replace(/^(rtmps?:\/\/[^/]+\/.+\/)([^/]*)$/i, (_a, head: string, key: string) => `${head}${key.length > 4 ? `${key.slice(0, 2)}****` : key}`);
  }
  return url;
}
