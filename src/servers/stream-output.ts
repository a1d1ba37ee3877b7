// Where a job's media goes (virtual live, an IP camera, a transcoder): SRS Stack's output URL, `server` +
// `secret`. When it names a stream of ours (our RTMP port on this host, or our SRT port with a publish stream
// id), the Frames are published in-process through a ServerSource (hooks, claim, listed in the API), no socket
// in between. Anything else is a target platform (rtmp://, rtmps:// or srt://): the Frames go into a private
// Stream (not in the hub, so no one plays it here) that a TargetPush to the target subscribes to, getting the
// sequence headers and GOP first.
import { networkInterfaces } from 'node:os';
import { TypedEvent } from '../core/event.js';
import type { Frame } from '../core/frame.js';
import { Stream } from '../hub/stream.js';
import { parseRtmpUrl, type StreamUrl } from '../hub/stream-url.js';
import { ServerSideClient } from '../hub/client.js';
import { parseRtmpTarget } from './rtmp/client.js';
import { checkTargetUrl, createTargetPush, targetStreamUrl, type TargetPush } from './target-push.js';
import { parseSrtStreamId } from './srt/server.js';
import { ServerSource, type ServerSourceDeps, type ServerSourceType } from './server-source.js';

export interface LocalPorts {
  rtmp: number;
  srt: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

function isThisHost(host: string): boolean {
  if (LOOPBACK.has(host.toLowerCase())) return true;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.address === host) return true;
  return false;
}

/** The stream of ours an output URL publishes to, or null when it is somewhere else (a target platform). */
export function localStreamOf(url: string, ports: LocalPorts): StreamUrl | null {
  if (/^rtmp:\/\//i.test(url)) {
    let t;
    try {
      t = parseRtmpTarget(url.replace(/\?.*$/, ''));
    } catch {
      return null;
    }
    if (t.port !== ports.rtmp || !isThisHost(t.host)) return null;
    const q = url.indexOf('?');
    return parseRtmpUrl(t.tcUrl, t.app, t.stream + (q < 0 ? '' : url.slice(q)));
  }
  if (/^srt:\/\//i.test(url) && ports.srt > 0) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    if (Number(u.port) !== ports.srt || !isThisHost(u.hostname)) return null;
    const sid = parseSrtStreamId(decodeURIComponent(u.searchParams.get('streamid') ?? ''));
    return sid?.publish ? sid.url : null;
  }
  return null;
}

export interface StreamOutputDeps extends ServerSourceDeps {
  /** our listening ports now (an output to one of them is published in-process) */
  ports(): LocalPorts;
  /** the private stream's options for a target push (GOP cache on, so the push starts at a keyframe) */
  streamOptions: ConstructorParameters<typeof Stream>[1];
}

/**
 * One output of a job. open() starts it (rejects with the reason when our hooks refuse the stream or the target
 * refuses the connection); push() every Frame; close() ends it. `ended` fires when it ends by itself (kicked
 * from the API, the target closed), with the reason: the job then retries.
 */
export class StreamOutput {
  readonly ended = new TypedEvent<[string]>();
  /** the stream of ours it publishes, or null for a target platform */
  readonly local: StreamUrl | null;
  private source: ServerSource | null = null;
  private push_: TargetPush | null = null;
  private stream: Stream | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly type: ServerSourceType,
    /** what the API shows as the publish's request URL (the file, the camera) */
    private readonly from: string,
    private readonly deps: StreamOutputDeps,
  ) {
    this.local = localStreamOf(url, deps.ports());
    if (!this.local) {
      try {
        checkTargetUrl(url);
      } catch (e) {
        throw new Error(`output ${url}: ${e instanceof Error ? e.message : String(e)} (or a stream of ours)`);
      }
    }
  }

  /** media frames pushed */
  get frames(): number {
    return this.source?.frames ?? this.push_?.frames ?? 0;
  }

  async open(): Promise<void> {
    if (this.local) {
      this.source = new ServerSource(this.type, this.local, this.from, this.deps, (reason) => this.finish(reason));
      const out = await this.source.open();
      if (!out.ok) throw new Error(out.message);
      return;
    }
    this.stream = new Stream(targetStreamUrl(this.url), this.deps.streamOptions, () => {});
    this.stream.startPublish(new ServerSideClient(this.type, this.stream.url, this.from, (reason) => this.finish(reason)));
    this.push_ = createTargetPush(this.stream, this.url, { insecureSkipTlsVerify: true });
    this.push_.closed.on((reason) => this.finish(`the target ${reason}`));
    await this.push_.start();
  }

  push(f: Frame): void {
    if (this.source) this.source.push(f);
    else this.stream?.publish(f);
  }

  async close(reason = 'stopped'): Promise<void> {
    this.closed = true;
    this.source?.end(reason);
    await this.push_?.stop(reason);
    this.stream?.close();
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    void this.close(reason).then(() => this.ended.emit(reason));
  }
}
