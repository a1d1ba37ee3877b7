// Forward (SRS Stack's restream scenario, in-process: no FFmpeg): the "forward" job kind, one task per target
// (SRS_FORWARD_CONFIG[<platform>] / SRS_FORWARD_TASK). A task waits until its input is live (a named stream, or
// the stream being published), then pushes it to the target with a TargetPush (RTMP, RTMPS or SRT) from a
// private relay stream fed by an InputSwitch: when the input stops the switch moves to the backup stream (or,
// without a named input, to the next live one) without the target seeing an unpublish, and back to the main
// stream when it returns. A target that refuses or drops the connection makes the attempt fail with what the
// target did; the job manager retries with backoff. With no input at all for a while the target is closed and
// the task waits for the input again.
import type { Logger } from 'pino';
import type { Frame } from '../../../core/frame.js';
import { ServerSideClient } from '../../../hub/client.js';
import type { Hub } from '../../../hub/hub.js';
import { Stream, type StreamOptions } from '../../../hub/stream.js';
import { checkTargetUrl, createTargetPush, describeTargetError, maskTargetUrl, targetStreamUrl, type TargetPush } from '../../../servers/target-push.js';
import { errorMessage } from '../../errors.js';
import { JobFailedError, JobRefusedError, type JobKind, type JobRun } from '../job-kind.js';
import type { JobManager } from '../job-manager.js';
import type { JobTask } from '../job-task.js';
import { forwardOutputUrl, parseForwardConfig, type ForwardConfig } from './config.js';
import { InputSwitch } from './input-switch.js';

export interface ForwarderOptions {
  /** with no input live this long, the target is closed and the task waits for its input, ms (default 10000) */
  inputGraceMs?: number;
  /** an input that gave no frame this long counts as stopped when another is live, ms (default 3000) */
  stallMs?: number;
  /** how often inputs are checked and counters taken, ms (default 500) */
  tickMs?: number;
}

export interface ForwarderDeps {
  hub: Hub;
  jobs: JobManager;
  logger: Logger;
  /** most enabled targets at once (SRS_FORWARD_LIMIT) */
  limit: number;
  options?: ForwarderOptions;
}

/** What a task is doing, beside the job state (for the streams API and the console). */
interface Runtime {
  /** the input stream followed now (app/stream), '' when none */
  input: string;
  /** the stream being switched to, '' when none */
  pending: string;
  /** why it is not forwarding yet, e.g. waiting for the input */
  waiting: string;
  switches: number;
  drops: number;
  /** SRS Stack's progress line and its time */
  frameLog: string;
  frameUpdate: string;
}

/** One entry of ffmpeg/forward/streams: SRS Stack's fields, then ours. */
export interface ForwardStream {
  platform: string;
  enabled: boolean;
  custom: boolean;
  label: string;
  /** SRS Stack: the input stream URL while it runs (e.g. live/livestream) */
  stream?: string;
  start?: string;
  ready?: string;
  frame?: { log: string; update: string };
  uuid: string;
  /** the configured input ('' = the stream being published) and backup */
  input: string;
  backup: string;
  /** the target URL with the key hidden */
  target: string;
  state: string;
  reason: string;
  retryInMs: number;
  attempts: number;
  uptime: number;
  frames: number;
  bytes: number;
  kbps: number;
  drops: number;
  switches: number;
  /** the stream being switched to while a switch waits for its keyframe */
  switching: string;
  log: string[];
  update: string;
}

/** merged writes to an RTMP target: a platform's ingest does not need each frame within the millisecond */
const FLUSH_MS = 100;

const STREAM_OPTIONS: StreamOptions = { gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 0, queueBytes: 4 << 20 };

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether a hub stream is the one a stream reference (name, app/stream, vhost/app/stream) names. */
export function streamMatches(s: Stream, ref: string): boolean {
  const r = ref.replace(/^\/+/, '');
  const parts = r.split('/');
  if (parts.length === 1) return s.url.stream === r;
  if (parts.length === 2) return s.url.app === parts[0] && s.url.stream === parts[1];
  return s.url.vhost === parts[0] && s.url.app === parts[1] && s.url.stream === parts[2];
}

function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}.00`;
}

export class Forwarder {
  readonly kind: JobKind<ForwardConfig>;
  private readonly runtime = new Map<string, Runtime>();
  /** per stream: its frame count when last seen changing, and when (stall detection) */
  private readonly seen = new WeakMap<Stream, { frames: number; at: number }>();
  private readonly opts: Required<ForwarderOptions>;
  private readonly log: Logger;

  private constructor(private readonly deps: ForwarderDeps) {
    this.opts = { inputGraceMs: 10000, stallMs: 3000, tickMs: 500, ...deps.options };
    this.log = deps.logger.child({ module: 'forward' });
    this.kind = {
      name: 'forward',
      limit: deps.limit,
      decode: (text) => parseForwardConfig(text),
      runs: (c) => c.enabled,
      describe: (c) => ({ platform: c.platform, input: c.stream, output: forwardOutputUrl(c) }),
      backoff: { initialMs: 1000, factor: 2, maxMs: 10000, resetAfterMs: 30000 },
      run: (job) => this.run(job),
    };
  }

  /** Registers the kind: the stored targets that are enabled start again. */
  static async start(deps: ForwarderDeps): Promise<Forwarder> {
    const f = new Forwarder(deps);
    await deps.jobs.register(f.kind);
    return f;
  }

  private tasks(): JobTask<ForwardConfig>[] {
    return this.deps.jobs.list(this.kind);
  }

  /** SRS Stack's forward/secret query: platform -> config. */
  configs(): Record<string, ForwardConfig> {
    const out: Record<string, ForwardConfig> = {};
    for (const t of this.tasks().sort((a, b) => a.id.localeCompare(b.id))) out[t.id] = { ...t.config };
    return out;
  }

  /**
   * Stores a target's config (created if absent, else overwritten) and starts, restarts or stops its task.
   * Throws JobRefusedError when enabling it would go over the limit.
   */
  async update(c: ForwardConfig): Promise<void> {
    const all = this.tasks();
    const task = all.find((t) => t.id === c.platform);
    if (c.enabled) {
      const others = all.filter((t) => t.id !== c.platform && t.config.enabled).length;
      if (others >= this.deps.limit) {
        throw new JobRefusedError(`at most ${this.deps.limit} forward targets can be enabled at once (SRS_FORWARD_LIMIT); disable one first`);
      }
    }
    if (task) await this.deps.jobs.update(this.kind, task.uuid, c);
    else await this.deps.jobs.start(this.kind, c, { id: c.platform });
  }

  /** SRS Stack's forward/streams: every target with its state, sorted by platform. */
  streams(): ForwardStream[] {
    const now = Date.now();
    return this.tasks()
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((t) => {
        const c = t.config;
        const st = t.status(now);
        const rt = this.runtime.get(t.uuid);
        const running = st.state === 'running';
        let target = '';
        try {
          target = maskTargetUrl(forwardOutputUrl(c));
        } catch {
          target = '';
        }
        return {
          platform: c.platform,
          enabled: c.enabled,
          custom: c.custom,
          label: c.label,
          ...(running && rt
            ? { stream: rt.input, start: st.runningSince, ready: st.runningSince, frame: { log: rt.frameLog, update: rt.frameUpdate } }
            : {}),
          uuid: t.uuid,
          input: c.stream,
          backup: c.backup,
          target,
          state: st.state,
          reason: !c.enabled && st.state === 'stopped' ? 'disabled' : st.reason || (st.state === 'starting' ? (rt?.waiting ?? '') : ''),
          retryInMs: st.retryInMs,
          attempts: st.attempts,
          uptime: st.uptime,
          frames: st.frames,
          bytes: st.bytes,
          kbps: st.kbps,
          drops: rt?.drops ?? 0,
          switches: rt?.switches ?? 0,
          switching: rt?.pending ?? '',
          log: st.log,
          update: st.update,
        };
      });
  }

  // ---- choosing the input ----

  private stalled(s: Stream, now: number): boolean {
    const e = this.seen.get(s);
    if (!e || e.frames !== s.frames) {
      this.seen.set(s, { frames: s.frames, at: now });
      return false;
    }
    return now - e.at > this.opts.stallMs;
  }

  /** The stream to follow now: the main one while it is live (and flowing), else the backup, else none. */
  private choose(c: ForwardConfig, current: Stream | null): Stream | null {
    const now = Date.now();
    // live, with its sequence headers (a publish that just began has none yet: the target would get frames it cannot decode)
    const live = this.deps.hub.list().filter((s) => s.active && (s.videoHeader !== null || s.audioHeader !== null));
    const newest = (list: Stream[]) => list.sort((a, b) => b.publishedAt - a.publishedAt)[0] ?? null;
    const backup = c.backup ? newest(live.filter((s) => streamMatches(s, c.backup))) : null;
    let main: Stream | null;
    if (c.stream) main = newest(live.filter((s) => streamMatches(s, c.stream)));
    else {
      // SRS Stack's "the stream being published": keep the one followed while it is live, else the newest.
      const others = live.filter((s) => s !== backup && !(c.backup && streamMatches(s, c.backup)));
      main = current && others.includes(current) && !this.stalled(current, now) ? current : newest(others.filter((s) => !this.stalled(s, now)));
    }
    if (main && !this.stalled(main, now)) return main;
    if (backup && !this.stalled(backup, now)) return backup;
    return main ?? backup;
  }

  private describeInput(c: ForwardConfig): string {
    const main = c.stream ? `stream ${c.stream}` : 'any stream';
    return c.backup ? `${main} (or the backup ${c.backup})` : main;
  }

  /** Resolves with a live input, or null when aborted. */
  private waitInput(c: ForwardConfig, signal: AbortSignal): Promise<Stream | null> {
    return new Promise((resolve) => {
      const check = () => {
        const s = this.choose(c, null);
        if (s) done(s);
      };
      const offPub = this.deps.hub.published.on(() => setImmediate(check));
      const timer = setInterval(check, this.opts.tickMs);
      const onAbort = () => done(null);
      signal.addEventListener('abort', onAbort, { once: true });
      function done(s: Stream | null) {
        offPub();
        clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(s);
      }
    });
  }

  // ---- one attempt ----

  private async run(job: JobRun<ForwardConfig>): Promise<void> {
    const c = job.config;
    const url = forwardOutputUrl(c);
    try {
      checkTargetUrl(url);
    } catch (e) {
      throw new JobFailedError(`${errorMessage(e)}; fix the target's server and key`);
    }
    const masked = maskTargetUrl(url);
    const rt: Runtime = { input: '', pending: '', waiting: '', switches: 0, drops: 0, frameLog: '', frameUpdate: '' };
    this.runtime.set(job.uuid, rt);
    let input = this.choose(c, null);
    if (!input) {
      rt.waiting = `waiting for ${this.describeInput(c)} to be published`;
      job.log(rt.waiting);
      input = await this.waitInput(c, job.signal);
      if (!input) return;
    }
    rt.waiting = `connecting to ${masked}`;
    const relay = new Stream(targetStreamUrl(url), STREAM_OPTIONS, () => {});
    relay.startPublish(new ServerSideClient('pull-publish', relay.url, `forward ${c.platform}`, () => {}));
    const sw = new InputSwitch((f: Frame) => relay.publish(f));
    sw.follow(input);
    const push: TargetPush = createTargetPush(relay, url, { insecureSkipTlsVerify: true, flushMs: FLUSH_MS });
    const close = () => {
      sw.close();
      relay.close();
    };
    const onAbort = () => void push.stop('stopped');
    job.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await push.start();
    } catch (e) {
      close();
      job.signal.removeEventListener('abort', onAbort);
      if (job.signal.aborted) return;
      throw new Error(describeTargetError(e).message);
    }
    job.signal.removeEventListener('abort', onAbort);
    if (job.signal.aborted) {
      await push.stop('stopped');
      close();
      return;
    }
    rt.waiting = '';
    rt.input = input.path.slice(1);
    job.running();
    job.log(`forwarding ${input.path.slice(1)} to ${masked}`);
    this.log.info({ platform: c.platform, input: input.path, target: masked }, 'forward start');
    await this.follow(job, c, rt, sw, push, relay);
  }

  /** The running attempt: follows the inputs until stopped (resolves) or the target or the input is lost (rejects). */
  private follow(job: JobRun<ForwardConfig>, c: ForwardConfig, rt: Runtime, sw: InputSwitch, push: TargetPush, relay: Stream): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ended = false;
      let counted = { frames: 0, bytes: 0 };
      let lostAt = 0;
      const startedAt = Date.now();
      let lastInput = sw.current?.path ?? '';
      const count = () => {
        job.count(push.frames - counted.frames, push.bytes - counted.bytes);
        counted = { frames: push.frames, bytes: push.bytes };
        rt.input = (sw.current?.path ?? '').slice(1);
        rt.pending = (sw.pending?.path ?? '').slice(1);
        rt.switches = sw.switches;
        rt.drops = push.drops;
        const secs = (Date.now() - startedAt) / 1000;
        rt.frameLog = `frame=${push.frames} fps=${secs > 0 ? Math.round(sw.frames / secs) : 0} size=${Math.round(push.bytes / 1024)}kB time=${hms(Date.now() - startedAt)} bitrate=${secs > 0 ? Math.round((push.bytes * 8) / 1000 / secs) : 0}kbits/s drop=${push.drops}`;
        rt.frameUpdate = rfc3339(Date.now());
        const now = sw.current?.path ?? '';
        if (now && now !== lastInput) {
          job.log(`input switched from ${lastInput.slice(1) || '(none)'} to ${now.slice(1)}`);
          this.log.info({ platform: c.platform, from: lastInput, to: now }, 'forward input switched');
          lastInput = now;
        }
      };
      const evaluate = () => {
        if (ended) return;
        const want = this.choose(c, sw.current);
        if (want) {
          lostAt = 0;
          sw.follow(want);
        } else {
          sw.cancelPending();
          lostAt ||= Date.now();
        }
        count();
        if (lostAt && Date.now() - lostAt >= this.opts.inputGraceMs) {
          finish(`no input: ${this.describeInput(c)} stopped ${Math.round(this.opts.inputGraceMs / 1000)} s ago; the target is closed until it is published again`);
        }
      };
      const soon = () => setImmediate(evaluate);
      const offPub = this.deps.hub.published.on(soon);
      const offUnpub = this.deps.hub.unpublished.on(soon);
      const timer = setInterval(evaluate, this.opts.tickMs);
      const finish = (failure: string | null) => {
        if (ended) return;
        ended = true;
        offPub();
        offUnpub();
        clearInterval(timer);
        job.signal.removeEventListener('abort', onAbort);
        count();
        sw.close();
        void push.stop(failure ? 'no input' : 'stopped').then(() => {
          relay.close();
          if (failure) reject(new Error(failure));
          else resolve();
        });
      };
      const onAbort = () => finish(null);
      job.signal.addEventListener('abort', onAbort, { once: true });
      push.closed.on((reason) => {
        if (ended) return;
        finish(describeTargetError(reason).message);
      });
      if (job.signal.aborted) finish(null);
      else if (!push.running) finish(describeTargetError('the remote closed the connection').message);
    });
  }
}
