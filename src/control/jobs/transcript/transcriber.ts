// AI subtitles (SRS Stack's "AI transcript"), the "transcript" job kind: per task, the audio of a live stream
// (one named stream, or SRS Stack's "the most recently published" for the global task) is cut in-process into
// segments (audio-cutter.ts) -> live queue; converted by FFmpeg to 16 kHz mono WAV for ASR -> asr queue;
// recognised by Whisper (any OpenAI-compatible server, verbose_json, the previous text as prompt; cue times put on
// the stream's timeline) -> fix queue, where the newest two stay editable (clear-subtitle); then -> overlay queue,
// which keeps the newest 9. Failed ASR calls are retried with a growing delay and shown on the segment and the
// task; a segment that keeps failing is skipped and marked, so the live stream and the next segments go on.
// Config in SRS_TRANSCRIPT_CONFIG (field `global`, or `<app>/<stream>` per stream), state in
// SRS_TRANSCRIPT_TASK[uuid] with SRS Stack's {uuid, input, live, asr, fix, overlay, pat}.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import type { Hub } from '../../../hub/hub.js';
import type { Stream } from '../../../hub/stream.js';
import { OpenAiClient, OpenAiError, mergeSettings, openAiDefaults, type AsrCue } from '../../ai/openai.js';
import { errorMessage } from '../../errors.js';
import type { Store } from '../../redis/store.js';
import type { JobKind, JobRun } from '../job-kind.js';
import type { JobManager } from '../job-manager.js';
import { AudioCutter, type AudioChunk } from './audio-cutter.js';

/** SRS Stack's config fields, and ours: which stream, the model, the segment length. */
export interface TranscriptConfig {
  all: boolean;
  secretKey: string;
  baseURL: string;
  organization: string;
  lang: string;
  forceStyle: string;
  videoCodecParams: string;
  overlayEnabled: boolean;
  webvttEnabled: boolean;
  /** `app/stream` to transcribe; '' follows the most recently published stream (SRS Stack's global task) */
  stream: string;
  /** the ASR model (default whisper-1) */
  model: string;
  /** seconds of audio per segment (default 10) */
  segmentSeconds: number;
}

export const DEFAULT_TRANSCRIPT: TranscriptConfig = {
  all: false,
  secretKey: '',
  baseURL: '',
  organization: '',
  lang: '',
  forceStyle: '',
  videoCodecParams: '',
  overlayEnabled: true,
  webvttEnabled: true,
  stream: '',
  model: 'whisper-1',
  segmentSeconds: 10,
};

export const GLOBAL_ID = 'global';

/** One segment, as it moves through the queues (each queue view shows SRS Stack's fields of its stage). */
export interface TranscriptSegment {
  /** the audio segment's id (SRS Stack: the audio tsid) */
  tsid: string;
  seqno: number;
  /** the stream this came from, app/stream */
  stream: string;
  /** stream time of its first audio frame, s */
  start: number;
  duration: number;
  /** bytes of the cut audio (ADTS) */
  size: number;
  /** the cut audio, under transcript/<task uuid>/ */
  url: string;
  /** the converted audio sent to ASR */
  audioUrl?: string;
  /** extract (convert) ms */
  eac?: number;
  /** the text, and its cues on the stream's timeline (s) */
  asr?: string;
  asrs?: AsrCue[];
  /** ASR ms */
  asrc?: number;
  /** the user cleared its subtitle */
  uca?: boolean;
  /** overlay ms (0: no burned-in video) */
  olc?: number;
  /** the last error of this segment's ASR, and the tries so far */
  error?: string;
  tries?: number;
  /** ASR gave up on it: it has no text */
  skipped?: boolean;
  /** not before this time, ms since epoch (retry backoff) */
  retryAt?: number;
}

/** Live state of a task; kept across its attempts, so a retry goes on with the queued segments. */
class TaskRuntime {
  input = '';
  /** the previous text, the next segment's prompt (SRS Stack: pat) */
  pat = '';
  live: TranscriptSegment[] = [];
  asr: TranscriptSegment[] = [];
  fix: TranscriptSegment[] = [];
  overlay: TranscriptSegment[] = [];
  /** the last error, '' when the last call worked */
  error = '';
  seq = 0;
  /** segments dropped because the live queue was full (ASR too slow or down) */
  dropped = 0;
  constructor(readonly dir: string) {}

  all(): TranscriptSegment[] {
    return [...this.overlay, ...this.fix, ...this.asr, ...this.live];
  }
}

/** Most segments in each queue (SRS Stack's 10), and in the overlay queue (9). */
const QUEUE_MAX = 10;
const OVERLAY_KEEP = 9;
/** fix holds more than this many before one moves on: the newest stay editable */
const EDITABLE = 2;
const MAX_TRIES = 5;

export interface TranscriberDeps {
  config: Config;
  hub: Hub;
  store: Store;
  jobs: JobManager;
  logger: Logger;
  options?: { tickMs?: number; ffmpegPath?: string; retryMaxMs?: number };
}

function run(cmd: string, args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-600)));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').pop() ?? ''}`))));
  });
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export class Transcriber {
  readonly kind: JobKind<TranscriptConfig>;
  readonly dir: string;
  private readonly runtimes = new Map<string, TaskRuntime>();
  private readonly tickMs: number;
  private readonly retryMaxMs: number;

  private constructor(private readonly deps: TranscriberDeps) {
    this.dir = join(deps.config.dataDir, 'transcript');
    this.tickMs = deps.options?.tickMs ?? 200;
    this.retryMaxMs = deps.options?.retryMaxMs ?? 16000;
    this.kind = {
      name: 'transcript',
      decode: (text) => {
        try {
          return { ...DEFAULT_TRANSCRIPT, ...(JSON.parse(text) as Partial<TranscriptConfig>) };
        } catch {
          return null;
        }
      },
      runs: (c) => c.all,
      run: (job) => this.run(job),
      describe: (c) => this.describe(c),
      backoff: { initialMs: 1000, maxMs: 10000 },
    };
  }

  static async start(deps: TranscriberDeps): Promise<Transcriber> {
    const t = new Transcriber(deps);
    await mkdir(t.dir, { recursive: true });
    const restored = await deps.jobs.register(t.kind);
    // SRS Stack always has the global task (off until applied), so query gives a uuid from the first start.
    if (!restored.some((x) => x.id === GLOBAL_ID)) await deps.jobs.start(t.kind, DEFAULT_TRANSCRIPT, { id: GLOBAL_ID });
    return t;
  }

  /** The task of a config id (`global` or `app/stream`). */
  task(id = GLOBAL_ID): { uuid: string; config: TranscriptConfig; state: string; reason: string } | null {
    const t = this.deps.jobs.list(this.kind).find((x) => x.id === id);
    if (!t) return null;
    const s = t.status();
    return { uuid: t.uuid, config: t.config, state: s.state, reason: s.reason ?? '' };
  }

  tasks(): { id: string; uuid: string }[] {
    return this.deps.jobs.list(this.kind).map((t) => ({ id: t.id, uuid: t.uuid }));
  }

  /** Stores a config and (re)starts its task; the uuid of the task. */
  async apply(config: TranscriptConfig, id = GLOBAL_ID): Promise<string> {
    const t = this.deps.jobs.list(this.kind).find((x) => x.id === id);
    if (t) {
      await this.deps.jobs.update(this.kind, t.uuid, config);
      return t.uuid;
    }
    return (await this.deps.jobs.start(this.kind, config, { id })).uuid;
  }

  /** Empties the queues (files too) and gives the task a new uuid; refused while it runs. */
  async reset(uuid: string): Promise<string | { refused: string }> {
    const t = this.deps.jobs.get(this.kind, uuid);
    if (!t) return { refused: `invalid uuid ${uuid}: no transcript task has it (query gives the uuid)` };
    if (t.config.all) return { refused: 'can not reset when running: turn the transcript off (apply with all=false) first' };
    const id = t.id;
    const config = t.config;
    await this.deps.jobs.remove(this.kind, uuid);
    this.runtimes.delete(uuid);
    await rm(join(this.dir, uuid), { recursive: true, force: true });
    return (await this.deps.jobs.start(this.kind, config, { id })).uuid;
  }

  /** Marks a segment of the fix queue so it gets no subtitle; false when no such segment is editable. */
  clearSubtitle(uuid: string, tsid: string): boolean {
    const seg = this.runtimes.get(uuid)?.fix.find((s) => s.tsid === tsid);
    if (!seg) return false;
    seg.uca = true;
    return true;
  }

  queues(uuid: string): TaskRuntime | null {
    return this.runtimes.get(uuid) ?? null;
  }

  /** The cues of a task's segments (fix + overlay), the cleared ones left out. */
  cues(uuid: string): TranscriptSegment[] {
    const r = this.runtimes.get(uuid);
    if (!r) return [];
    return [...r.overlay, ...r.fix].filter((s) => s.asrs !== undefined);
  }

  private describe(c: TranscriptConfig): Record<string, unknown> {
    const t = this.deps.jobs.list(this.kind).find((x) => x.config === c);
    const r = t ? this.runtimes.get(t.uuid) : undefined;
    const q = (a: TranscriptSegment[] | undefined): { segments: TranscriptSegment[] | null } => ({ segments: a && a.length > 0 ? a : null });
    return { input: r?.input ?? '', live: q(r?.live), asr: q(r?.asr), fix: q(r?.fix), overlay: q(r?.overlay), pat: r?.pat ?? '', error: r?.error ?? '' };
  }

  /** The stream this task takes its audio from now. */
  private pick(c: TranscriptConfig): Stream | null {
    if (c.stream) {
      const s = this.deps.hub.list().find((x) => x.path === `/${c.stream}` || x.key.endsWith(`/${c.stream}`));
      return s && s.publisher ? s : null;
    }
    let best: Stream | null = null;
    for (const s of this.deps.hub.list()) {
      if (!s.publisher || s.path.endsWith('-subtitled')) continue;
      if (!best || s.publishedAt > best.publishedAt) best = s;
    }
    return best;
  }

  private async run(job: JobRun<TranscriptConfig>): Promise<void> {
    let r = this.runtimes.get(job.uuid);
    if (!r) {
      r = new TaskRuntime(join(this.dir, job.uuid));
      this.runtimes.set(job.uuid, r);
    }
    const rt = r;
    await mkdir(rt.dir, { recursive: true });
    const c = job.config;
    const client = new OpenAiClient(mergeSettings(c, await openAiDefaults(this.deps.store)));
    let stream: Stream | null = null;
    let cutter: AudioCutter | null = null;
    const detach = (): void => {
      if (stream && cutter) stream.removeSink(cutter);
      stream = null;
      cutter = null;
    };
    let lastPick = 0;
    let announced = false;
    try {
      while (!job.signal.aborted) {
        const now = Date.now();
        if (now - lastPick >= 1000) {
          lastPick = now;
          const s = this.pick(c);
          if (s !== stream) {
            detach();
            if (s) {
              const name = s.path.replace(/^\//, '');
              cutter = new AudioCutter(Math.max(1, c.segmentSeconds) * 1000, (chunk) => this.onChunk(job, rt, name, chunk));
              stream = s;
              rt.input = `rtmp://localhost/${name}`;
              s.addSink(cutter);
              job.log(`transcribing ${name}`);
            }
          }
          if (!announced) {
            announced = true;
            job.running();
            if (!s) job.log(c.stream ? `waiting for ${c.stream} to be published` : 'waiting for a stream to be published');
          }
        }
        await this.step(job, rt, client);
        await sleep(this.tickMs, job.signal);
      }
    } finally {
      detach();
    }
  }

  private onChunk(job: JobRun<TranscriptConfig>, rt: TaskRuntime, stream: string, chunk: AudioChunk): void {
    const seqno = rt.seq++;
    const tsid = `${seqno}-audio-${job.uuid.slice(0, 8)}`;
    const url = join(rt.dir, `${tsid}.aac`);
    const seg: TranscriptSegment = { tsid, seqno, stream, start: chunk.startMs / 1000, duration: chunk.durationMs / 1000, size: chunk.data.length, url };
    rt.live.push(seg);
    while (rt.live.length > QUEUE_MAX) {
      const old = rt.live.shift()!;
      rt.dropped++;
      void rm(old.url, { force: true });
    }
    job.count(chunk.frames, chunk.data.length);
    this.deps.jobs.track(writeFile(url, chunk.data), `write the audio segment ${tsid}`);
  }

  /** Moves what it can one stage on. */
  private async step(job: JobRun<TranscriptConfig>, rt: TaskRuntime, client: OpenAiClient): Promise<void> {
    const ffmpeg = this.deps.options?.ffmpegPath ?? 'ffmpeg';
    // live -> asr: 16 kHz mono WAV, what Whisper servers take best.
    if (rt.live.length > 0 && rt.asr.length < QUEUE_MAX) {
      const seg = rt.live[0]!;
      const t0 = Date.now();
      const wav = join(rt.dir, `${seg.tsid}.wav`);
      try {
        await run(ffmpeg, ['-loglevel', 'error', '-y', '-i', seg.url, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', wav], job.signal);
        seg.audioUrl = wav;
        seg.eac = Date.now() - t0;
      } catch (e) {
        if (job.signal.aborted) return;
        seg.error = `cannot convert the audio for ASR: ${errorMessage(e)}`;
        seg.skipped = true;
      }
      rt.live.shift();
      rt.asr.push(seg);
    }
    // asr -> fix: Whisper.
    const head = rt.asr[0];
    if (head && rt.fix.length < QUEUE_MAX && (head.retryAt ?? 0) <= Date.now()) {
      if (head.skipped) {
        rt.asr.shift();
        rt.fix.push(head);
      } else {
        const t0 = Date.now();
        try {
          const audio = await readFile(head.audioUrl!);
          const res = await client.transcribe({ audio, fileName: `${head.tsid}.wav`, model: job.config.model || 'whisper-1', language: job.config.lang, prompt: rt.pat, signal: job.signal });
          head.asrc = Date.now() - t0;
          head.asr = res.text;
          head.asrs = res.cues.map((q) => ({ start: head.start + q.start, end: head.start + Math.min(q.end, head.duration + 0.5), text: q.text }));
          delete head.error;
          delete head.retryAt;
          if (res.text) rt.pat = res.text;
          if (rt.error) job.log('the AI server answers again');
          rt.error = '';
          rt.asr.shift();
          rt.fix.push(head);
        } catch (e) {
          if (job.signal.aborted) return;
          const msg = e instanceof OpenAiError ? e.message : errorMessage(e);
          head.tries = (head.tries ?? 0) + 1;
          head.error = msg;
          if (head.tries >= MAX_TRIES) {
            head.skipped = true;
            head.error = `skipped after ${head.tries} tries: ${msg}`;
            rt.asr.shift();
            rt.fix.push(head);
          } else {
            const delay = Math.min(this.retryMaxMs, 1000 * 2 ** (head.tries - 1));
            head.retryAt = Date.now() + delay;
            msg !== rt.error && job.logger.warn({ tsid: head.tsid, err: msg }, 'transcript: ASR failed; retrying');
            rt.error = `${msg} (segment ${head.seqno}, try ${head.tries} of ${MAX_TRIES}; next in ${Math.round(delay / 1000)} s)`;
            job.log(rt.error);
          }
        }
      }
    }
    // fix -> overlay: the newest EDITABLE stay in fix.
    while (rt.fix.length > EDITABLE && rt.overlay.length < QUEUE_MAX) {
      const seg = rt.fix.shift()!;
      seg.olc = 0;
      rt.overlay.push(seg);
    }
    while (rt.overlay.length > OVERLAY_KEEP) {
      const old = rt.overlay.shift()!;
      for (const f of [old.url, old.audioUrl]) if (f) void rm(f, { force: true });
    }
  }
}
