// Virtual live (SRS Stack's /terraform/v1/ffmpeg/vlive/*): get a source (upload a file, name a file on the
// server, give a stream URL), bind it to a platform (probed, checked), set the output and turn it on, list
// the tasks with their state and logs. Unlike SRS Stack the upload needs the API's authentication and has a
// size limit (VLIVE_UPLOAD_MAX_MB); the multipart body is streamed to disk (busboy), never held in memory.
import busboy from 'busboy';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { ApiError, badRequest, notFound } from '../../../errors.js';
import { JobRefusedError } from '../../../jobs/job-kind.js';
import { SourceError, UploadTooLargeError, type UploadResult } from '../../../jobs/vlive/vlive.js';
import { empty } from '../../schema.js';
import { vliveRemoveBody, vliveSecretBody, vliveServerBody, vliveSourceBody, vliveStreamUrlBody } from './schema.js';

const BASE = '/terraform/v1/ffmpeg/vlive';

function tooLarge(e: UploadTooLargeError): ApiError {
  return new ApiError(413, 413, e.message, { Connection: 'close' });
}

/** SourceError -> 400, a job limit -> 409, the rest as it is. */
async function user<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UploadTooLargeError) throw tooLarge(e);
    if (e instanceof SourceError) throw badRequest(e.message);
    if (e instanceof JobRefusedError) throw new ApiError(409, 409, e.message);
    throw e;
  }
}

export function registerVlive(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];
  const vlive = d.vlive;

  r.add({
    path: `${BASE}/upload/:filename`,
    methods, // SRS Stack checks no method; anything but a multipart POST is answered 400
    auth: true,
    streamBody: true,
    schema: empty,
    summary: 'upload a file (multipart/form-data, one part whose filename is :filename), streamed to DATA_DIR/upload; needs auth, size limit VLIVE_UPLOAD_MAX_MB',
    handler: async ({ params, ctx }) => {
      const name = params.filename ?? '';
      const limit = d.config.vliveUploadMaxBytes;
      const declared = Number(ctx.get('content-length') || NaN);
      if (Number.isFinite(declared) && declared > limit + 64 * 1024) throw tooLarge(new UploadTooLargeError(limit));
      if (!/^multipart\/form-data/i.test(ctx.get('content-type'))) {
        throw badRequest('the upload must be multipart/form-data with one file part, e.g. curl -F "file=@movie.mp4" .../vlive/upload/movie.mp4');
      }
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: limit, fields: 20 } });
      } catch (e) {
        throw badRequest(`the multipart body cannot be read: ${(e as Error).message}`);
      }
      const result = await new Promise<UploadResult>((resolve, reject) => {
        let got: Promise<UploadResult> | null = null;
        bb.on('file', (_field, stream, info) => {
          if (got) {
            stream.resume();
            return;
          }
          if (info.filename !== name) {
            stream.resume();
            got = Promise.reject(new SourceError(`filename=${info.filename} mismatch ${name}: the part's filename must be the name in the URL`));
          } else got = vlive.upload(name, stream, () => stream.truncated === true);
          got.catch(() => undefined); // handled when the body has been read (close)
        });
        bb.on('error', (e: Error) => reject(badRequest(`the multipart body cannot be read: ${e.message}`)));
        bb.on('close', () => {
          if (!got) reject(badRequest('the multipart body has no file part; send the file as a part with filename=' + name));
          else got.then(resolve, reject);
        });
        ctx.req.on('aborted', () => reject(badRequest('the upload was aborted before it finished')));
        ctx.req.pipe(bb);
      }).catch((e: unknown) => user(() => Promise.reject(e)));
      return result;
    },
  });

  r.add({
    path: `${BASE}/server`,
    methods,
    auth: true,
    schema: vliveServerBody,
    summary: 'a file on the server (under DATA_DIR or VLIVE_FILE_DIRS; ".." and symlinks out refused) as a source',
    handler: ({ body }) => user(() => vlive.serverFile(body.file)),
  });

  for (const p of ['stream-url', 'streamUrl']) {
    r.add({
      path: `${BASE}/${p}`,
      methods,
      auth: true,
      schema: vliveStreamUrlBody,
      summary: 'a stream URL (rtmp, rtmps, srt, rtsp, http(s) .flv/.m3u8/.ts) as a source',
      handler: ({ body }) => user(() => vlive.streamUrl(body.url)),
    });
  }

  r.add({
    path: `${BASE}/source`,
    methods,
    auth: true,
    schema: vliveSourceBody,
    summary: 'bind sources to a platform: each is probed (H.264/H.265 + AAC/MP3, bitrate within mgmt/limits), uploads move to DATA_DIR/vlive',
    handler: ({ body }) => user(() => vlive.bind(body.platform, body.files)),
  });

  r.add({
    path: `${BASE}/secret`,
    methods,
    auth: true,
    schema: vliveSecretBody,
    summary: 'without action: every config by platform; with action "update": store {platform, server, secret, enabled, custom, label, files} and (re)start',
    handler: ({ body }) =>
      user(async () => {
        if (body.action === undefined || body.action === '') return vlive.configs();
        if (body.action !== 'update') throw new SourceError(`invalid action=${body.action}: use "update", or no action to read the configs`);
        await vlive.update({
          platform: body.platform ?? '',
          server: body.server ?? '',
          secret: body.secret ?? '',
          enabled: body.enabled ?? false,
          custom: body.custom ?? false,
          label: body.label ?? '',
          files: body.files,
        });
        return null;
      }),
  });

  r.add({
    path: `${BASE}/streams`,
    methods,
    auth: true,
    schema: empty,
    summary: 'every virtual live task: config, source, output and state (starting, running with frames/kbps/uptime, retrying with the reason, stopped, failed), last log lines',
    handler: () => vlive.streams(),
  });

  r.add({
    path: `${BASE}/remove`,
    methods,
    auth: true,
    schema: vliveRemoveBody,
    summary: 'ours: stop a platform\'s virtual live and delete its config and uploaded files',
    handler: async ({ body }) => {
      if (!(await vlive.remove(body.platform))) throw notFound(`no virtual live for platform ${body.platform}; list them with POST ${BASE}/streams`);
      return null;
    },
  });
}
