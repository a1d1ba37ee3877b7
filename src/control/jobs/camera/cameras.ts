// IP cameras (SRS Stack's /terraform/v1/ffmpeg/camera/*) as a kind of the job manager: each configured platform
// is one task that pulls its camera (files[0].target) in-process and sends the frames to its output, a stream
// of ours or a target platform (StreamOutput). A camera that is off, refuses or vanishes makes the attempt fail
// with its reason; the job manager retries with a growing delay (1 s doubling up to 10 s), so the task shows
// "retrying in N s: <reason>" and is running again soon after the camera is back. Tasks survive a restart
// (config in SRS_CAMERA_CONFIG, restored by the job manager).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Frame } from '../../../core/frame.js';
import type { StreamOptions } from '../../../hub/stream.js';
import type { FrameSource } from '../../../servers/frame-source.js';
import type { MediaHooks } from '../../../servers/ports.js';
import { StreamOutput, type LocalPorts } from '../../../servers/stream-output.js';
import type { Hub } from '../../../hub/hub.js';
import { redactUrl } from '../../../servers/frame-source.js';
import { errorMessage } from '../../errors.js';
import type { JobManager } from '../job-manager.js';
import { JobFailedError, JobRefusedError, type JobKind, type JobRun } from '../job-kind.js';
import type { JobStatus, JobTask } from '../job-task.js';
import { decodeCameraConfig, outputUrl, type CameraConfig, type CameraFile } from './config.js';
import { cameraSource, probeSource, type CameraSourceOptions } from './source.js';

export interface CamerasDeps {
  jobs: JobManager;
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
  /** our RTMP/SRT ports now (an output to one of them is published in-process) */
  ports(): LocalPorts;
  /** most camera tasks running at once (SRS_CAMERA_LIMIT) */
  limit: number;
  /** the camera bitrate limit, kbps (SRS_SYS_LIMITS.camera) */
  bitrateLimitKbps(): Promise<number>;
  /** knobs for tests */
  options?: { backoffMaxMs?: number; readTimeoutMs?: number; sourceTimeoutMs?: number };
}

/** What camera/streams shows of one camera: SRS Stack's fields, then the task's state. */
export interface CameraStream {
  platform: string;
  enabled: boolean;
  custom: boolean;
  label: string;
  extraAudio: string;
  transport: string;
  files: CameraFile[];
  /** while running (SRS Stack): the source's uuid, the start time, when the first frame came, the last progress */
  source?: string;
  start?: string;
  ready?: string;
  frame?: { log: string; update: string };
  /** the camera URL without credentials, and where it goes */
  input: string;
  output: string;
  task: JobStatus | null;
}

/** Frames held while the output opens (the sequence headers and the first GOP must not be lost). */
const MAX_HELD_FRAMES = 2000;

export class Cameras {
  readonly kind: JobKind<CameraConfig>;
  private readonly log: Logger;

  private constructor(private readonly deps: CamerasDeps) {
    this.log = deps.logger.child({ module: 'camera' });
    this.kind = {
      name: 'camera',
      decode: decodeCameraConfig,
      runs: (c) => c.enabled && c.files.length > 0 && c.server !== '',
      run: (job) => this.run(job),
      describe: (c) => ({ platform: c.platform, input: redactUrl(c.files[0]?.target ?? ''), output: outputUrl(c.server, c.secret) }),
      limit: deps.limit,
      backoff: { initialMs: 1000, factor: 2, maxMs: deps.options?.backoffMaxMs ?? 10000, resetAfterMs: 20000 },
    };
  }

  static async start(deps: CamerasDeps): Promise<Cameras> {
    const c = new Cameras(deps);
    await deps.jobs.register(c.kind);
    return c;
  }

  private task(platform: string): JobTask<CameraConfig> | undefined {
    return this.deps.jobs.list(this.kind).find((t) => t.id === platform);
  }

  /** Every config, by platform (camera/secret without action). */
  configs(): Record<string, CameraConfig> {
    const out: Record<string, CameraConfig> = {};
    for (const t of this.deps.jobs.list(this.kind)) out[t.id] = t.config;
    return out;
  }

  /** camera/streams: sorted by platform. */
  streams(): CameraStream[] {
    return this.deps.jobs
      .list(this.kind)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((t) => {
        const c = t.config;
        const st = t.status();
        const s: CameraStream = {
          platform: c.platform,
          enabled: c.enabled,
          custom: c.custom,
          label: c.label,
          extraAudio: c.extraAudio,
          transport: c.transport,
          files: c.files,
          input: redactUrl(c.files[0]?.target ?? ''),
          output: outputUrl(c.server, c.secret),
          task: st,
        };
        if (st.state === 'running') {
          s.source = c.files[0]?.uuid ?? '';
          s.start = st.runningSince;
          s.ready = st.runningSince;
          s.frame = { log: `frames=${st.frames} bytes=${st.bytes} kbps=${st.kbps} uptime=${st.uptime}s`, update: st.update };
        }
        return s;
      });
  }

  /** camera/secret action=update (and camera/source): stores the config, starts, restarts or stops the task. */
  async update(config: CameraConfig): Promise<void> {
    const t = this.task(config.platform);
    if (t) await this.deps.jobs.update(this.kind, t.uuid, config);
    else await this.deps.jobs.start(this.kind, config, { id: config.platform });
  }

  /** Sets a camera's source files (camera/source): kept fields of an existing config, or a new disabled one. */
  async setFiles(platform: string, files: CameraFile[]): Promise<void> {
    const cur = this.task(platform)?.config;
    const next: CameraConfig = cur
      ? { ...cur, files }
      : { platform, server: '', secret: '', enabled: false, custom: false, label: '', extraAudio: '', files, transport: 'tcp' };
    await this.update(next);
  }

  /** Stops and deletes a camera (ours: SRS Stack has no delete). */
  async remove(platform: string): Promise<void> {
    const t = this.task(platform);
    if (!t) throw new JobRefusedError(`no camera ${platform}`);
    await this.deps.jobs.remove(this.kind, t.uuid);
  }

  /** Probes a camera URL (camera/source): the FFprobeSource fields; rejects with the reason. */
  async probe(file: { name: string; size: number; uuid: string; target: string; type: string }, o: CameraSourceOptions = {}): Promise<CameraFile> {
    let src: FrameSource;
    try {
      src = cameraSource(file.target, { ...o, logger: this.log, timeoutMs: 8000 });
    } catch (e) {
      throw new JobRefusedError(errorMessage(e));
    }
    const r = await probeSource(src, 8000);
    const limit = await this.deps.bitrateLimitKbps();
    const kbps = Math.round(Number(r.format.bit_rate) / 1000);
    if (kbps > limit) {
      throw new JobRefusedError(`bitrate ${kbps}Kbps is too large, exceed ${limit}Kbps; lower the camera's bitrate or raise the camera limit (mgmt/limits/update)`);
    }
    return { name: file.name, path: file.target, size: file.size, uuid: file.uuid || randomUUID(), target: file.target, type: file.type, ...r };
  }

  // ---- one attempt ----

  private async run(job: JobRun<CameraConfig>): Promise<void> {
    const c = job.config;
    const url = c.files[0]?.target;
    if (!url) throw new JobFailedError('the camera has no source: set its URL (camera/source)');
    const out = outputUrl(c.server, c.secret);
    let source: FrameSource;
    let output: StreamOutput;
    try {
      source = cameraSource(url, {
        transport: c.transport,
        extraAudio: c.extraAudio,
        logger: job.logger,
        timeoutMs: this.deps.options?.sourceTimeoutMs,
      });
    } catch (e) {
      throw new JobFailedError(errorMessage(e));
    }
    try {
      output = new StreamOutput(out, 'pull-publish', source.label, {
        hub: this.deps.hub,
        hooks: this.deps.hooks,
        logger: job.logger,
        ports: this.deps.ports,
        streamOptions: this.deps.hub.opts as StreamOptions,
      });
    } catch (e) {
      throw new JobFailedError(errorMessage(e));
    }
    if (job.signal.aborted) return;
    let end: (why: string | null) => void = () => {};
    const ended = new Promise<string | null>((r) => (end = r));
    const onAbort = () => end(null);
    job.signal.addEventListener('abort', onAbort);
    const offSource = source.ended.on((why) => end(`the camera: ${why}`));
    const offOutput = output.ended.on((why) => end(`the output ${out}: ${why}`));
    // The same end, as a rejection, to race the connecting steps against (marked handled: it may never be raced).
    const endedError = ended.then((why) => Promise.reject(new Error(why ?? 'stopped')));
    endedError.catch(() => undefined);
    let held: Frame[] | null = [];
    let running = false;
    const onFrame = (f: Frame) => {
      if (held) {
        if (held.length < MAX_HELD_FRAMES) held.push(f);
        return;
      }
      output.push(f);
      if (!f.header) job.count(1, f.data.length);
      if (!running && !f.header) {
        running = true;
        job.running();
      }
    };
    try {
      job.log(`connecting to ${source.label}`);
      await Promise.race([source.start(onFrame), endedError]);
      if ('probe' in source) job.log(`camera: ${describeProbe((source as { probe: unknown }).probe)}`);
      job.log(`publishing to ${out.replace(/\?.*$/, '')}`); // not the ?secret=
      await Promise.race([output.open(), endedError]);
      const first = held;
      held = null;
      for (const f of first) onFrame(f);
      const why = await ended;
      if (why === null) return; // stopped
      job.log(why);
      throw new Error(why);
    } catch (e) {
      if (job.signal.aborted) return;
      throw e;
    } finally {
      job.signal.removeEventListener('abort', onAbort);
      offSource();
      offOutput();
      await Promise.allSettled([source.stop(job.signal.aborted ? 'stopped' : 'retrying'), output.close('the camera task stopped')]);
    }
  }
}

function describeProbe(p: unknown): string {
  const x = p as { transport?: string; video?: { codec: string } | null; audio?: { codec: string; silent?: boolean } | null; ignored?: string[] };
  const parts = [`transport ${x.transport ?? '?'}`, `video ${x.video?.codec ?? 'none'}`, `audio ${x.audio ? `${x.audio.codec}${x.audio.silent ? ' (silent)' : ''}` : 'none'}`];
  if (x.ignored?.length) parts.push(`ignored: ${x.ignored.join('; ')}`);
  return parts.join(', ');
}
