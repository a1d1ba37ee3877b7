// Recording (SRS Stack's /terraform/v1/hooks/record/*): query and change the settings (on/off, glob filters,
// post-processing: none, copy to a directory, or S3 upload), list the recordings with their state, end or
// remove one, and serve a finished index.mp4 with HTTP Range so a browser can seek. The file URL needs no
// token (like SRS Stack's, so a <video> can play it): the unguessable uuid is the access key. So does the HLS
// view (index.m3u8, and SRS Stack's <uuid>.m3u8): fMP4 byte ranges of fragments.mp4, also while it records.
import { createReadStream } from 'node:fs';
import type { Context } from 'koa';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { badRequest, notFound } from '../../../errors.js';
import { FRAGMENTS_NAME, rangeStream } from '../../../jobs/record/hls-view.js';
import { RecordSettingsError } from '../../../jobs/record/recorder.js';
import { empty } from '../../schema.js';
import { recordApplyBody, recordEndBody, recordGlobsBody, recordPostProcessingBody, recordRemoveBody, recordS3CheckBody } from './schema.js';

const BASE = '/terraform/v1/hooks/record';

const kinds = { type: 'string', enum: ['ok', 'credentials', 'denied', 'no-bucket', 'unreachable', 'timeout', 'error'] };
const s3CheckResult = {
  type: 'object',
  required: ['ok', 'kind', 'message', 'target', 'steps'],
  properties: {
    ok: { type: 'boolean' },
    kind: kinds,
    message: { type: 'string' },
    target: { type: 'string', description: 's3://bucket/key of the test object' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: { step: { type: 'string', enum: ['bucket', 'write', 'delete'] }, ok: { type: 'boolean' }, ms: { type: 'number' }, kind: kinds, message: { type: 'string' } },
      },
    },
  },
};

export type ByteRange = { start: number; end: number };

/**
 * Reads a Range header (RFC 9110 14.2) for a file of `size` bytes: one range, null to send the whole file
 * (no header, or one we do not serve, such as several ranges), or 'unsatisfiable' (answer 416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function registerRecord(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];

  r.add({ path: `${BASE}/query`, methods, auth: true, schema: empty, handler: () => d.recorder.query() });

  r.add({
    path: `${BASE}/apply`,
    methods,
    auth: true,
    schema: recordApplyBody,
    async handler({ body }) {
      await d.recorder.apply(body.all);
      return null;
    },
  });

  r.add({
    path: `${BASE}/globs`,
    methods,
    auth: true,
    schema: recordGlobsBody,
    async handler({ body }) {
      await d.recorder.setGlobs(body.globs);
      return null;
    },
  });

  r.add({
    path: `${BASE}/post-processing`,
    methods,
    auth: true,
    schema: recordPostProcessingBody(d.config.dataDir),
    async handler({ body }) {
      try {
        await d.recorder.setPostProcessing(body);
      } catch (e) {
        throw e instanceof RecordSettingsError ? badRequest(e.message) : e;
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/s3/check`,
    methods,
    auth: true,
    schema: recordS3CheckBody,
    summary: 'test S3 settings (given, or the stored ones): writes and deletes a small object; ok, kind and message say what is wrong',
    response: s3CheckResult,
    async handler({ body }) {
      try {
        return await d.recorder.checkS3(body.s3);
      } catch (e) {
        throw e instanceof RecordSettingsError ? badRequest(e.message) : e;
      }
    },
  });

  r.add({
    path: `${BASE}/files`,
    methods,
    auth: true,
    schema: empty,
    handler: ({ ctx }) => d.recorder.files(`${ctx.protocol}://${ctx.host}`),
  });

  r.add({
    path: `${BASE}/end`,
    methods,
    auth: true,
    schema: recordEndBody,
    handler({ body }) {
      if (!d.recorder.end(body.uuid)) {
        throw notFound(`no recording in progress with uuid ${body.uuid}; list them with POST /terraform/v1/hooks/record/files`);
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/remove`,
    methods,
    auth: true,
    schema: recordRemoveBody,
    async handler({ body }) {
      if (!(await d.recorder.remove(body.uuid))) {
        throw notFound(`no recording with uuid ${body.uuid}; list them with POST /terraform/v1/hooks/record/files`);
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/hls/:uuid/index.mp4`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    async handler({ params, ctx }) {
      const file = await d.recorder.mp4Path(params.uuid ?? '');
      if ('missing' in file) throw notFound(file.missing);
      const range = parseRange(ctx.get('range') || undefined, file.size);
      const head = ctx.method === 'HEAD';
      ctx.set('Accept-Ranges', 'bytes');
      ctx.set('Last-Modified', new Date(file.mtimeMs).toUTCString());
      if (range === 'unsatisfiable') {
        ctx.body = '';
        ctx.status = 416;
        ctx.set('Content-Range', `bytes */${file.size}`);
        return;
      }
      const { start, end } = range ?? { start: 0, end: file.size - 1 };
      ctx.body = head ? '' : createReadStream(file.path, { start, end });
      ctx.type = 'video/mp4';
      ctx.status = range ? 206 : 200;
      if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${file.size}`);
      ctx.length = end - start + 1;
    },
  });

  const playlist = async (uuid: string, uri: string, ctx: Context) => {
    const p = await d.recorder.hls.playlist(uuid, uri);
    if ('missing' in p) throw notFound(p.missing);
    ctx.type = 'application/vnd.apple.mpegurl';
    ctx.set('Cache-Control', p.live ? 'no-cache' : 'max-age=10');
    ctx.body = ctx.method === 'HEAD' ? '' : p.text;
  };

  r.add({
    path: `${BASE}/hls/:uuid/index.m3u8`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'HLS playlist of a recording, also while it records (fMP4 byte ranges of fragments.mp4; no token: the uuid is the key)',
    handler: ({ params, ctx }) => playlist(params.uuid ?? '', FRAGMENTS_NAME, ctx),
  });

  r.add({
    path: `${BASE}/hls/:name`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: "SRS Stack's <uuid>.m3u8: the same playlist as <uuid>/index.m3u8",
    handler({ params, ctx }) {
      const m = /^(.+)\.m3u8$/.exec(params.name ?? '');
      if (!m) throw notFound(`no such recording file ${JSON.stringify((params.name ?? '').slice(0, 80))}: the paths are hls/<uuid>.m3u8, hls/<uuid>/index.m3u8 and hls/<uuid>/index.mp4`);
      return playlist(m[1]!, `${m[1]!}/${FRAGMENTS_NAME}`, ctx);
    },
  });

  r.add({
    path: `${BASE}/hls/:uuid/${FRAGMENTS_NAME}`,
    methods: ['GET'],
    auth: false,
    schema: empty,
    envelope: 'raw',
    summary: 'the fragmented MP4 the HLS playlist points into, with HTTP Range (grows while it records)',
    async handler({ params, ctx }) {
      const got = await d.recorder.hls.bytes(params.uuid ?? '');
      if ('missing' in got) throw notFound(got.missing);
      const size = got.source.size;
      const range = parseRange(ctx.get('range') || undefined, size);
      ctx.set('Accept-Ranges', 'bytes');
      if (range === 'unsatisfiable' || size === 0) {
        await got.close();
        ctx.body = '';
        ctx.status = 416;
        ctx.set('Content-Range', `bytes */${size}`);
        return;
      }
      const { start, end } = range ?? { start: 0, end: size - 1 };
      ctx.type = 'video/mp4';
      ctx.status = range ? 206 : 200;
      if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
      if (ctx.method === 'HEAD') {
        await got.close();
        ctx.body = '';
      } else {
        ctx.body = rangeStream(got.source, start, end, got.close);
      }
      ctx.length = end - start + 1;
    },
  });
}
