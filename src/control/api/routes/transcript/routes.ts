// AI subtitles (SRS Stack's /terraform/v1/ai/transcript/*): the settings of the global task (the most recently
// published stream) or of one stream's task, a check of the AI server, reset, clearing a subtitle, the four queues
// with per-segment text, timings and errors, and the WebVTT subtitles as HLS (no token, like SRS Stack's: the
// task uuid is the key).
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { badRequest, notFound } from '../../../errors.js';
import { OpenAiClient, OpenAiError, mergeSettings, openAiDefaults } from '../../../ai/openai.js';
import { DEFAULT_TRANSCRIPT, GLOBAL_ID, type TranscriptConfig, type TranscriptSegment } from '../../../jobs/transcript/transcriber.js';
import { webvttFile, webvttMaster, webvttPlaylist } from '../../../jobs/transcript/webvtt.js';
import { empty } from '../../schema.js';
import { transcriptApplyBody, transcriptCheckBody, transcriptClearBody, transcriptTaskBody, transcriptUuidBody } from './schema.js';

const BASE = '/terraform/v1/ai/transcript';

export function registerTranscript(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];
  const t = d.transcriber;

  /** The task a request names: by uuid, else by stream, else the global one. */
  const taskOf = (body: { uuid?: string; stream?: string }): { uuid: string; id: string } => {
    const all = t.tasks();
    if (body.uuid) {
      const f = all.find((x) => x.uuid === body.uuid);
      if (!f) throw badRequest(`invalid uuid ${body.uuid}: no transcript task has it (query gives the uuid)`);
      return f;
    }
    const id = body.stream || GLOBAL_ID;
    const f = all.find((x) => x.id === id);
    if (!f) throw notFound(`no transcript task for ${id}: apply one first`);
    return f;
  };

  r.add({
    path: `${BASE}/query`,
    methods,
    auth: true,
    schema: transcriptTaskBody,
    summary: "the task's config, its uuid, state and last error; `tasks` lists every task (global and per stream)",
    handler({ body }) {
      const task = t.task(body.stream || GLOBAL_ID);
      const config = task?.config ?? DEFAULT_TRANSCRIPT;
      const q = task ? t.queues(task.uuid) : null;
      return {
        config,
        task: { uuid: task?.uuid ?? '', state: task?.state ?? 'stopped', reason: task?.reason ?? '', error: q?.error ?? '', input: q?.input ?? '', dropped: q?.dropped ?? 0 },
        tasks: t.tasks(),
      };
    },
  });

  r.add({
    path: `${BASE}/apply`,
    methods,
    auth: true,
    schema: transcriptApplyBody,
    summary: 'stores the config (omitted booleans are false, as in SRS Stack) and restarts the task; `stream` makes a per-stream task',
    async handler({ body }) {
      const config: TranscriptConfig = {
        all: body.all ?? false,
        secretKey: body.secretKey ?? '',
        baseURL: body.baseURL ?? '',
        organization: body.organization ?? '',
        lang: body.lang ?? '',
        forceStyle: body.forceStyle ?? '',
        videoCodecParams: body.videoCodecParams ?? '',
        overlayEnabled: body.overlayEnabled ?? false,
        webvttEnabled: body.webvttEnabled ?? false,
        stream: body.stream ?? '',
        model: body.model || DEFAULT_TRANSCRIPT.model,
        segmentSeconds: body.segmentSeconds ?? DEFAULT_TRANSCRIPT.segmentSeconds,
      };
      if (body.baseURL && !/^https?:\/\/[^\s]+$/i.test(body.baseURL)) throw badRequest(`baseURL ${JSON.stringify(body.baseURL.slice(0, 80))} is not an http(s) URL: give e.g. https://api.openai.com/v1`);
      return { uuid: await t.apply(config, config.stream || GLOBAL_ID) };
    },
  });

  r.add({
    path: `${BASE}/check`,
    methods,
    auth: true,
    schema: transcriptCheckBody,
    summary: 'calls the AI server once (the ASR model): null, or what is wrong (key refused, unreachable, no such model)',
    async handler({ body }) {
      const s = mergeSettings(body, await openAiDefaults(d.store));
      try {
        await new OpenAiClient(s, { timeoutMs: 15000 }).check(body.model || DEFAULT_TRANSCRIPT.model);
      } catch (e) {
        throw badRequest(e instanceof OpenAiError ? e.message : String(e));
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/reset`,
    methods,
    auth: true,
    schema: transcriptUuidBody,
    summary: 'empties the queues and gives the task a new uuid (only when it is off)',
    async handler({ body }) {
      const res = await t.reset(body.uuid);
      if (typeof res !== 'string') throw badRequest(res.refused);
      return { uuid: res };
    },
  });

  r.add({
    path: `${BASE}/clear-subtitle`,
    methods,
    auth: true,
    schema: transcriptClearBody,
    summary: 'marks a segment of the fix queue (its audio tsid) so it gets no subtitle',
    handler({ body }) {
      taskOf({ uuid: body.uuid });
      if (!t.clearSubtitle(body.uuid, body.tsid)) throw badRequest(`no tsid ${body.tsid} in the fix queue: only the newest segments there can be cleared`);
      return { uuid: body.uuid };
    },
  });

  const view = (name: string, pick: (q: NonNullable<ReturnType<typeof t.queues>>) => TranscriptSegment[], shape: (s: TranscriptSegment) => Record<string, unknown>) =>
    r.add({
      path: `${BASE}/${name}`,
      methods,
      auth: true,
      schema: transcriptTaskBody,
      summary: `the ${name.replace('-', ' ')}: segments (SRS Stack's fields, plus start, error, tries, skipped) and count`,
      handler({ body }) {
        const q = t.queues(taskOf(body).uuid);
        const segs = q ? pick(q).map(shape) : [];
        return { segments: segs.length > 0 ? segs : null, count: segs.length };
      },
    });
  const base = (s: TranscriptSegment) => ({ tsid: s.tsid, seqno: s.seqno, url: s.url, duration: s.duration, size: s.size, start: s.start, stream: s.stream });
  const asr = (s: TranscriptSegment) => ({ ...base(s), url: s.audioUrl ?? '', stsid: s.tsid, eac: s.eac ?? 0, error: s.error ?? '', tries: s.tries ?? 0, skipped: s.skipped ?? false });
  const fix = (s: TranscriptSegment) => ({ ...asr(s), asr: s.asr ?? '', asrs: s.asrs ?? [], uca: s.uca ?? false, asrc: s.asrc ?? 0 });
  view('live-queue', (q) => q.live, base);
  view('asr-queue', (q) => q.asr, asr);
  view('fix-queue', (q) => q.fix, fix);
  view('overlay-queue', (q) => q.overlay, (s) => ({ ...fix(s), audio: s.tsid, olc: s.olc ?? 0 }));

  // WebVTT as HLS.
  const W = `${BASE}/hls/webvtt`;
  const need = (uuid: string) => {
    const f = t.tasks().find((x) => x.uuid === uuid);
    if (!f) throw notFound(`no transcript task ${uuid.slice(0, 64)}: query gives the uuid`);
    return f;
  };
  r.add({
    path: `${W}/:uuid/index.m3u8`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: "multivariant playlist: the stream's HLS (its own hls_ctx session) with the subtitle group (subtitles.m3u8)",
    handler({ params, ctx }) {
      const f = need(params.uuid ?? '');
      const q = t.queues(f.uuid);
      const stream = q?.all()[0]?.stream ?? (q?.input.replace(/^rtmp:\/\/localhost\//, '') || '');
      if (!stream) throw notFound('the transcript task has no stream yet: publish one (or wait for the first segment)');
      const task = t.task(f.id);
      ctx.type = 'application/vnd.apple.mpegurl';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = webvttMaster({ lang: task?.config.lang ?? '', videoUri: `/${stream}.m3u8?hls_ctx=${randomUUID().replace(/-/g, '').slice(0, 16)}`, subtitlesUri: 'subtitles.m3u8', bandwidth: 1_000_000 });
    },
  });
  r.add({
    path: `${W}/:uuid/subtitles.m3u8`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'the live subtitle playlist: one .vtt per transcribed segment',
    handler({ params, ctx }) {
      const f = need(params.uuid ?? '');
      ctx.type = 'application/vnd.apple.mpegurl';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = webvttPlaylist(t.cues(f.uuid), (s) => `${s.tsid}.vtt`);
    },
  });
  r.add({
    path: `${W}/:uuid/:name`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: "one segment's WebVTT cues, on the stream's timeline",
    handler({ params, ctx }) {
      const f = need(params.uuid ?? '');
      const m = /^(.+)\.vtt$/.exec(params.name ?? '');
      const seg = m ? t.cues(f.uuid).find((s) => s.tsid === m[1]) : undefined;
      if (!seg) throw notFound(`no subtitle segment ${JSON.stringify((params.name ?? '').slice(0, 80))}: the segments are listed in subtitles.m3u8`);
      ctx.type = 'text/vtt';
      ctx.body = webvttFile(seg);
    },
  });
}
