// Transcoding: SRS Stack's one global task (/terraform/v1/ffmpeg/transcode/{query,apply,task}: same paths and
// fields) and ours, per-stream transcodes with several renditions and an ABR playlist
// (/terraform/v1/ffmpeg/transcode/streams/{list,update,remove}).
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { ApiError } from '../../../errors.js';
import { TranscodeError } from '../../../jobs/transcode/transcoder.js';
import { empty } from '../../schema.js';
import { globalConfigOf, streamConfigOf, streamRemoveBody, streamUpdateBody, transcodeApplyBody } from './schema.js';

const BASE = '/terraform/v1/ffmpeg/transcode';

function asApiError(e: unknown): unknown {
  return e instanceof TranscodeError ? new ApiError(e.status, e.status, e.message) : e;
}

export function registerTranscode(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];
  const t = d.transcoder;

  r.add({
    path: `${BASE}/query`,
    methods,
    auth: true,
    schema: empty,
    summary: 'the global transcode config (SRS Stack): {all, vcodec, acodec, vbitrate, abitrate, vprofile, vpreset, achannels, server, secret}',
    handler: () => t.query(),
  });

  r.add({
    path: `${BASE}/apply`,
    methods,
    auth: true,
    schema: transcodeApplyBody,
    summary: 'stores the global transcode config and restarts its FFmpeg (all=false stops it)',
    async handler({ body }) {
      try {
        await t.apply(globalConfigOf(body));
      } catch (e) {
        throw asApiError(e);
      }
      return null;
    },
  });

  r.add({
    path: `${BASE}/task`,
    methods,
    auth: true,
    schema: empty,
    summary: 'the global transcode task (SRS Stack: uuid, enabled, input, output, frame) with its state, FFmpeg progress and log',
    handler: () => t.task(),
  });

  r.add({
    path: `${BASE}/streams/list`,
    methods,
    auth: true,
    schema: empty,
    summary: 'ours: every per-stream transcode with its renditions, state, FFmpeg progress, log and ABR playlist',
    handler: () => t.list(),
  });

  r.add({
    path: `${BASE}/streams/update`,
    methods,
    auth: true,
    schema: streamUpdateBody,
    summary: 'ours: adds (no id) or replaces a per-stream transcode {id, stream, enabled, label, profiles}; answers {id}',
    async handler({ body }) {
      try {
        return { id: await t.update(body.id || undefined, streamConfigOf(body)) };
      } catch (e) {
        throw asApiError(e);
      }
    },
  });

  r.add({
    path: `${BASE}/streams/remove`,
    methods,
    auth: true,
    schema: streamRemoveBody,
    summary: 'ours: stops and deletes a per-stream transcode',
    async handler({ body }) {
      try {
        await t.remove(body.id);
      } catch (e) {
        throw asApiError(e);
      }
      return null;
    },
  });
}
