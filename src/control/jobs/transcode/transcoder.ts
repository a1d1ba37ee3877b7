// The "transcode" job kind (SRS Stack's transcode scenario, and per-stream ABR ladders): each task runs one
// FFmpeg that reads the input stream from us over a pipe (FlvPipeSink: the hub's Frames as FLV on its stdin,
// keyframe-aware backpressure) and writes every rendition as FLV on its own pipe (FlvPipeSource), which goes
// out through a StreamOutput: a stream of ours published in-process ('transcode-publish'), or a target platform.
// In-process pipes rather than loopback RTMP: no extra sockets, handshakes or publish secrets for the input, the
// input starts on a keyframe from the GOP cache, and a stalled FFmpeg costs dropped frames, not our memory.
// The task shows FFmpeg's progress (fps, speed, bitrate, frames), each rendition's figures, and its log. Two or
// more renditions of ours make an ABR group: `<app>/<stream>_abr.m3u8` lists them (HlsVariantsPort).
import type { Logger } from 'pino';
import type { Hub } from '../../../hub/hub.js';
import type { Stream, FrameSink } from '../../../hub/stream.js';
import { DEFAULT_VHOST, isValidName, streamPath, type StreamUrl } from '../../../hub/stream-url.js';
import { FfmpegSupervisor, ffmpegOutputFd } from '../../../servers/ffmpeg/ffmpeg-supervisor.js';
import { FlvPipeSink } from '../../../servers/ffmpeg/flv-pipe-sink.js';
import { FlvPipeSource } from '../../../servers/ffmpeg/flv-pipe-source.js';
import type { FfmpegProgress } from '../../../servers/ffmpeg/progress.js';
import type { HlsVariantsPort, MediaHooks } from '../../../servers/ports.js';
import { StreamOutput, localStreamOf, type LocalPorts } from '../../../servers/stream-output.js';
import { errorMessage } from '../../errors.js';
import type { PublishSecrets } from '../../hooks/publish-secret.js';
import { JobFailedError, JobRefusedError, type JobKind, type JobRun } from '../job-kind.js';
import type { JobManager } from '../job-manager.js';
import type { JobStatus } from '../job-task.js';
import { rfc3339, type JobTask } from '../job-task.js';
import {
  EMPTY_GLOBAL,
  GLOBAL_ID,
  configErrorOf,
  decodeTranscodeConfig,
  encodeTranscodeConfig,
  globalProfile,
  transcodeArgs,
  type GlobalTranscodeConfig,
  type StreamTranscodeConfig,
  type TranscodeConfig,
  type TranscodeProfile,
} from './profile.js';

export interface TranscoderDeps {
  hub: Hub;
  hooks: MediaHooks;
  secrets: PublishSecrets;
  jobs: JobManager;
  logger: Logger;
  /** our listening ports now (an output to our RTMP port is published in-process) */
  ports(): LocalPorts;
  /** where ABR groups are declared (null: no HLS server, e.g. in unit tests) */
  hls: HlsVariantsPort | null;
  /** most transcodes running at once */
  limit: number;
  /** the ffmpeg executable (default on PATH) */
  ffmpegPath?: string;
  /** no output frame for this long while the input flows: FFmpeg is killed and restarted (ms, default 20000) */
  stallMs?: number;
}

/** One rendition as the API shows it. */
export interface RenditionState {
  name: string;
  /** where it goes: app/stream of ours, or the target URL without its query (the key) */
  output: string;
  /** a stream of ours */
  local: boolean;
  frames: number;
  bytes: number;
  /** over the last 2 s */
  kbps: number;
  width: number;
  height: number;
}

/** What a task is doing now, beyond the job manager's state. */
export interface TranscodeLive {
  /** the input stream (app/stream) while FFmpeg runs, else '' */
  input: string;
  /** what it waits for, while there is no input ('' otherwise) */
  waiting: string;
  pid: number | null;
  /** FFmpeg's last progress report */
  progress: FfmpegProgress | null;
  /** RFC 3339 time of the last progress report ('' before it) */
  progressAt: string;
  /** input frames dropped because FFmpeg did not keep up */
  drops: number;
  renditions: RenditionState[];
}

/** SRS Stack's /ffmpeg/transcode/task answer, with ours after its fields. */
export interface GlobalTaskView {
  uuid: string;
  enabled: boolean;
  input: string;
  output: string;
  frame: { log: string; update: string };
  status: JobStatus | null;
  live: TranscodeLive;
}

/** One per-stream transcode as the API lists it. */
export interface StreamTranscodeView extends StreamTranscodeConfig {
  id: string;
  /** the ABR playlist path (e.g. /live/S_abr.m3u8) when two or more renditions are ours, else '' */
  abr: string;
  status: JobStatus;
  live: TranscodeLive;
}

/** A request the current tasks do not allow (the API answers 400/404 with the message). */
export class TranscodeError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'TranscodeError';
  }
}

function emptyLive(): TranscodeLive {
  return { input: '', waiting: '', pid: null, progress: null, progressAt: '', drops: 0, renditions: [] };
}

/** The output stream name of a rendition of ours. */
export function renditionStream(input: string, profile: string): string {
  return `${input}_${profile}`;
}

/** The ABR group's stream name (its playlist is <app>/<name>.m3u8). */
export function abrStream(input: string): string {
  return `${input}_abr`;
}

/** app/stream -> a StreamUrl of the default vhost; null when it is not app/stream. */
export function parseStreamPath(path: string): StreamUrl | null {
  const m = /^\/?([\w.~-]{1,128})\/([\w.~-]{1,256})$/.exec(path.trim());
  if (!m || !isValidName(m[1]!) || !isValidName(m[2]!)) return null;
  return { vhost: DEFAULT_VHOST, app: m[1]!, stream: m[2]!, param: '' };
}

function progressLine(p: FfmpegProgress): string {
  const f = (v: number | null, d = 1) => (v === null ? 'N/A' : v.toFixed(d));
  const t = p.outTimeMs === null ? 'N/A' : new Date(p.outTimeMs).toISOString().slice(11, 22);
  return `frame=${p.frame} fps=${f(p.fps)} time=${t} bitrate=${f(p.bitrateKbps)}kbits/s speed=${f(p.speed, 2)}x`;
}

export class Transcoder {
  readonly kind: JobKind<TranscodeConfig>;
  private readonly live = new Map<string, TranscodeLive>();
  private readonly log: Logger;

  private constructor(private readonly deps: TranscoderDeps) {
    this.log = deps.logger.child({ module: 'transcode' });
    this.kind = {
      name: 'transcode',
      decode: decodeTranscodeConfig,
      encode: encodeTranscodeConfig,
      runs: (c) => (c.kind === 'global' ? c.global.all : c.stream.enabled),
      describe: (c) =>
        c.kind === 'global'
          ? { platform: GLOBAL_ID, output: globalProfile(c.global).target }
          : { stream: c.stream.stream, label: c.stream.label, profiles: c.stream.profiles.map((p) => p.name) },
      run: (job) => this.run(job),
      limit: deps.limit,
      backoff: { initialMs: 1000, factor: 2, maxMs: 30000, resetAfterMs: 30000 },
    };
  }

  /** Registers the kind: the stored transcodes start again (a restart, or a crash of the server). */
  static async start(deps: TranscoderDeps): Promise<Transcoder> {
    const t = new Transcoder(deps);
    await deps.jobs.register(t.kind);
    return t;
  }

  // ---- the API ----

  private globalTask() {
    return this.deps.jobs.list(this.kind).find((t) => t.id === GLOBAL_ID);
  }

  /** SRS Stack's transcode/query: the stored global config (zero values when none). */
  query(): GlobalTranscodeConfig {
    const t = this.globalTask();
    return t && t.config.kind === 'global' ? { ...t.config.global } : { ...EMPTY_GLOBAL };
  }

  /** SRS Stack's transcode/apply: stores the global config and restarts its task (or stops it when !all). */
  async apply(g: GlobalTranscodeConfig): Promise<void> {
    const config: TranscodeConfig = { kind: 'global', global: g };
    const t = this.globalTask();
    try {
      if (t) await this.deps.jobs.update(this.kind, t.uuid, config);
      else await this.deps.jobs.start(this.kind, config, { id: GLOBAL_ID });
    } catch (e) {
      if (e instanceof JobRefusedError) throw new TranscodeError(e.message);
      throw e;
    }
    this.log.info({ all: g.all, vcodec: g.vcodec, vbitrate: g.vbitrate }, `global transcode ${g.all ? 'applied' : 'turned off'}`);
  }

  /** SRS Stack's transcode/task, with the state, progress and log. */
  task(): GlobalTaskView {
    const t = this.globalTask();
    const live = (t && this.live.get(t.uuid)) ?? emptyLive();
    const status = t ? this.deps.jobs.stored(t as unknown as JobTask<unknown>) : null;
    const running = live.input !== '';
    const g = t && t.config.kind === 'global' ? t.config.global : EMPTY_GLOBAL;
    return {
      uuid: t?.uuid ?? '',
      enabled: g.all,
      input: running ? live.input : '',
      output: running ? globalProfile(g).target : '',
      frame: running && live.progress ? { log: progressLine(live.progress), update: live.progressAt } : { log: '', update: '' },
      status,
      live,
    };
  }

  /** Every per-stream transcode, by input stream. */
  list(): StreamTranscodeView[] {
    const out: StreamTranscodeView[] = [];
    for (const t of this.deps.jobs.list(this.kind)) {
      if (t.config.kind !== 'stream') continue;
      const c = t.config.stream;
      out.push({ id: t.id, ...c, abr: this.abrPath(c), status: this.deps.jobs.stored(t as unknown as JobTask<unknown>), live: this.live.get(t.uuid) ?? emptyLive() });
    }
    return out.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.id < b.id ? -1 : 1));
  }

  private abrPath(c: StreamTranscodeConfig): string {
    const ours = c.profiles.filter((p) => !p.target);
    const u = parseStreamPath(c.stream);
    return ours.length >= 2 && u ? `/${u.app}/${abrStream(u.stream)}.m3u8` : '';
  }

  /** Creates (no id) or replaces a per-stream transcode; returns its id. */
  async update(id: string | undefined, c: StreamTranscodeConfig): Promise<string> {
    const config: TranscodeConfig = { kind: 'stream', stream: c };
    const input = parseStreamPath(c.stream);
    if (!input) throw new TranscodeError(`field "stream" must be app/stream, e.g. live/livestream, got ${JSON.stringify(c.stream)}`);
    const names = new Set<string>();
    for (const p of c.profiles) {
      if (names.has(p.name)) throw new TranscodeError(`two profiles are named ${p.name}: each rendition needs its own name (it is part of the output stream live/S_<name>)`);
      names.add(p.name);
    }
    // Another transcode of ours writing the same output stream would fight over it.
    for (const other of this.list()) {
      if (other.id === id || other.stream !== c.stream) continue;
      const clash = other.profiles.find((p) => !p.target && names.has(p.name) && c.profiles.some((q) => q.name === p.name && !q.target));
      if (clash) throw new TranscodeError(`the transcode ${other.id} of ${other.stream} already writes ${renditionStream(c.stream, clash.name)}; give this profile another name`);
    }
    try {
      if (id) {
        const t = this.deps.jobs.list(this.kind).find((x) => x.id === id && x.config.kind === 'stream');
        if (!t) throw new TranscodeError(`no transcode ${id}; list them with /terraform/v1/ffmpeg/transcode/streams/list`, 404);
        await this.deps.jobs.update(this.kind, t.uuid, config);
        return t.id;
      }
      const t = await this.deps.jobs.start(this.kind, config);
      this.log.info({ id: t.id, stream: c.stream, profiles: c.profiles.map((p) => p.name) }, 'transcode added');
      return t.id;
    } catch (e) {
      if (e instanceof JobRefusedError) throw new TranscodeError(e.message);
      throw e;
    }
  }

  /** Stops and deletes a per-stream transcode. */
  async remove(id: string): Promise<void> {
    const t = this.deps.jobs.list(this.kind).find((x) => x.id === id && x.config.kind === 'stream');
    if (!t) throw new TranscodeError(`no transcode ${id}; list them with /terraform/v1/ffmpeg/transcode/streams/list`, 404);
    await this.deps.jobs.remove(this.kind, t.uuid);
    this.live.delete(t.uuid);
  }

  // ---- one attempt ----

  /**
   * The input: for the global task the most recently published stream that is not a transcode's output (SRS
   * Stack compares against its own output URL; here every transcoder output is left out, so a transcode never
   * transcodes a transcode); for ours the named stream.
   */
  private pickInput(c: TranscodeConfig): Stream | null {
    if (c.kind === 'stream') {
      const u = parseStreamPath(c.stream.stream);
      const s = u ? this.deps.hub.get(u) : undefined;
      return s?.active && s.publisher?.type !== 'transcode-publish' ? s : null;
    }
    // Its own output, compared as SRS Stack does (the URL path, the query ignored); read now, as the ports may
    // have been bound since the task started.
    const own = localStreamOf(globalProfile(c.global).target, this.deps.ports());
    let best: Stream | null = null;
    for (const s of this.deps.hub.list()) {
      if (!s.active || s.publisher?.type === 'transcode-publish') continue;
      if (own && own.vhost === s.url.vhost && own.app === s.url.app && own.stream === s.url.stream) continue;
      if (!best || s.publishedAt > best.publishedAt) best = s;
    }
    return best;
  }

  /** Waits for an input stream to publish; null when the job was stopped first. */
  private async waitInput(job: JobRun<TranscodeConfig>, live: TranscodeLive): Promise<Stream | null> {
    const first = this.pickInput(job.config);
    if (first) return first;
    live.waiting = job.config.kind === 'stream' ? `waiting for ${job.config.stream.stream} to be published` : 'waiting for a stream to be published';
    job.log(live.waiting);
    return new Promise<Stream | null>((resolve) => {
      const done = (s: Stream | null) => {
        off();
        job.signal.removeEventListener('abort', onAbort);
        resolve(s);
      };
      const off = this.deps.hub.published.on(() => {
        // The publisher is set before `published`; pick on the next tick, when its type is known to the gate too.
        setImmediate(() => {
          const s = this.pickInput(job.config);
          if (s) done(s);
        });
      });
      const onAbort = () => done(null);
      if (job.signal.aborted) return done(null);
      job.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async outputUrl(p: TranscodeProfile, input: StreamUrl): Promise<string> {
    if (p.target) return p.target;
    const { state } = await this.deps.secrets.current();
    const q = state.pubSecret ? `?secret=${encodeURIComponent(state.pubSecret)}` : '';
    return `rtmp://127.0.0.1:${this.deps.ports().rtmp}/${input.app}/${renditionStream(input.stream, p.name)}${q}`;
  }

  private async run(job: JobRun<TranscodeConfig>): Promise<void> {
    const live = emptyLive();
    this.live.set(job.uuid, live);
    const c = job.config;
    const profiles = c.kind === 'global' ? [globalProfile(c.global)] : c.stream.profiles;
    if (profiles.length === 0) throw new JobFailedError('the transcode has no profile: add at least one rendition');
    if (c.kind === 'global' && !profiles[0]!.target) {
      throw new JobFailedError('the global transcode has no output: set "server" (e.g. rtmp://localhost/live/) and "secret" (e.g. livestream-trans?secret=<publish secret>)');
    }
    const stream = await this.waitInput(job, live);
    if (!stream) return;
    live.waiting = '';
    const input = stream.url;
    const inputPath = streamPath(input).slice(1);
    job.log(`input ${inputPath}`);

    // The outputs first: a refused one (the stream is busy, the target refuses) fails the attempt before FFmpeg runs.
    const outputs: StreamOutput[] = [];
    const urls = await Promise.all(profiles.map((p) => this.outputUrl(p, input)));
    try {
      for (let i = 0; i < profiles.length; i++) {
        const o = new StreamOutput(urls[i]!, 'transcode-publish', `transcode of ${inputPath} (${profiles[i]!.name})`, {
          hub: this.deps.hub,
          hooks: this.deps.hooks,
          logger: this.log,
          ports: this.deps.ports,
          streamOptions: this.deps.hub.opts,
        });
        outputs.push(o);
        await o.open();
      }
    } catch (e) {
      await Promise.all(outputs.map((o) => o.close('the transcode could not start')));
      throw new Error(`cannot open output ${profiles[outputs.length - 1]?.name ?? ''} (${urls[outputs.length - 1]?.replace(/\?.*$/, '')}): ${errorMessage(e)}`);
    }
    live.renditions = profiles.map((p, i) => ({
      name: p.name,
      output: outputs[i]!.local ? streamPath(outputs[i]!.local!).slice(1) : urls[i]!.replace(/\?.*$/, ''),
      local: outputs[i]!.local !== null,
      frames: 0,
      bytes: 0,
      kbps: 0,
      width: 0,
      height: 0,
    }));
    const abrUrl: StreamUrl = { ...input, stream: abrStream(input.stream), param: '' };
    const ours = profiles.map((p, i) => ({ p, o: outputs[i]! })).filter((x) => x.o.local !== null);
    const abr = c.kind === 'stream' && ours.length >= 2 && this.deps.hls !== null;
    if (abr) this.deps.hls!.setVariants(abrUrl, ours.map((x) => ({ stream: x.o.local!, bandwidth: (x.p.vbitrate + x.p.abitrate) * 1000 })));

    const fds = profiles.map((_, i) => ffmpegOutputFd(i));
    const ff = new FfmpegSupervisor({
      args: transcodeArgs(profiles, fds),
      ffmpegPath: this.deps.ffmpegPath,
      stdin: true,
      stdout: true,
      outputPipes: profiles.length - 1,
      restart: false, // the job manager retries, with its backoff and its state
      stopSignal: 'SIGKILL', // a live output: nothing to finish
      maxPendingInput: 64 * 1024 * 1024, // never reached: FlvPipeSink drops whole GOPs first
      logLines: 30,
    });
    let lastOutputAt = Date.now();
    let outFrames = 0;
    const sources = outputs.map(
      (o, i) =>
        new FlvPipeSource(ff, {
          fd: fds[i],
          onFrame: (f) => {
            o.push(f);
            const r = live.renditions[i]!;
            if (!f.header && f.type !== 'script') {
              r.frames++;
              r.bytes += f.data.length;
              outFrames++;
              lastOutputAt = Date.now();
              job.count(1, f.data.length);
              if (outFrames === 1) job.running();
            }
          },
        }),
    );
    const sink = new FlvPipeSink(ff, { maxQueuedBytes: 4 * 1024 * 1024 });
    const offLine = ff.line.on((l) => job.log(`ffmpeg: ${l}`));
    const offProgress = ff.progressed.on((p) => {
      live.progress = p;
      live.progressAt = rfc3339();
    });
    const sampled = live.renditions.map(() => 0);
    const sampler = setInterval(() => {
      live.renditions.forEach((r, i) => {
        r.kbps = Math.round(((r.bytes - sampled[i]!) * 8) / 2000);
        sampled[i] = r.bytes;
        const s = outputs[i]!.local ? this.deps.hub.get(outputs[i]!.local!) : undefined;
        if (s?.video) {
          r.width = s.video.width;
          r.height = s.video.height;
        }
      });
      live.drops = sink.drops;
    }, 2000);

    type Outcome = { why: 'aborted' } | { why: 'exit'; reason: string; failed: boolean } | { why: 'input' } | { why: 'output'; reason: string } | { why: 'stall' };
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (settle = r));
    const onAbort = () => settle({ why: 'aborted' });
    job.signal.addEventListener('abort', onAbort, { once: true });
    const offState = ff.stateChanged.on((s) => {
      if (s.state === 'failed' || s.state === 'stopped') settle({ why: 'exit', reason: s.reason ?? 'FFmpeg exited', failed: s.state === 'failed' });
    });
    const watch: FrameSink = {
      onFrame: (f) => sink.onFrame(f),
      onUnpublish: () => settle({ why: 'input' }),
      onClose: () => settle({ why: 'input' }),
    };
    const offOutputs = outputs.map((o, i) => o.ended.on((reason) => settle({ why: 'output', reason: `${profiles[i]!.name}: ${reason}` })));
    const stallMs = this.deps.stallMs ?? 20000;
    const watchdog = setInterval(() => {
      if (Date.now() - lastOutputAt > stallMs) settle({ why: 'stall' });
    }, 1000);
    let result: Outcome;
    try {
      ff.start();
      live.pid = ff.run?.pid ?? null;
      live.input = inputPath;
      this.log.info({ uuid: job.uuid, input: inputPath, pid: live.pid, outputs: live.renditions.map((r) => r.output) }, 'transcode: FFmpeg started');
      job.log(`FFmpeg started (pid ${live.pid ?? '?'}): ${live.renditions.map((r) => `${r.name} -> ${r.output}`).join(', ')}`);
      if (job.signal.aborted) settle({ why: 'aborted' });
      stream.addSink(watch);
      result = await outcome;
    } finally {
      job.signal.removeEventListener('abort', onAbort);
      clearInterval(watchdog);
      clearInterval(sampler);
      if (stream.sinks.has(watch)) stream.removeSink(watch);
      sink.close();
      for (const s of sources) s.close();
      for (const off of [offLine, offProgress, offState, ...offOutputs]) off();
      await ff.stop();
      if (abr) this.deps.hls!.setVariants(abrUrl, null);
      await Promise.all(outputs.map((o) => o.close('the transcode ended')));
      live.input = '';
      live.pid = null;
    }
    switch (result.why) {
      case 'aborted':
        return;
      case 'input':
        throw new Error(`the input ${inputPath} stopped publishing; the transcode starts again when a stream is published`);
      case 'output':
        throw new Error(`output ${result.reason}`);
      case 'stall':
        throw new Error(`FFmpeg wrote nothing for ${Math.round(stallMs / 1000)} s; restarting it`);
      case 'exit': {
        const bad = outFrames === 0 ? configErrorOf(ff.log) : null;
        if (bad || /not installed/.test(result.reason)) {
          const which = profiles.map((p) => `${p.name}: ${p.vcodec}/${p.acodec}`).join(', ');
          throw new JobFailedError(
            `FFmpeg cannot run this transcode: ${bad ?? result.reason}. Fix the profile (${which}): vcodec and acodec must be FFmpeg encoders ` +
              '(ffmpeg -encoders lists them, e.g. libx264, aac), vprofile and vpreset values that encoder knows; then save it again',
          );
        }
        throw new Error(result.reason);
      }
    }
  }
}
