// IP cameras (SRS Stack's /terraform/v1/ffmpeg/camera/*): check a camera URL (stream-url), probe it and bind it
// to a platform (source), read and change the configs (secret), and the tasks' state (streams). Ours besides
// SRS Stack's: camera/remove (SRS Stack has no delete) and `transport` (RTSP over tcp or udp).
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { badRequest } from '../../../errors.js';
import { JobRefusedError } from '../../../jobs/job-kind.js';
import { validCameraPlatform, type CameraConfig } from '../../../jobs/camera/config.js';
import { empty } from '../../schema.js';
import { cameraRemoveBody, cameraSecretBody, cameraSourceBody, cameraStreamUrlBody } from './schema.js';

const BASE = '/terraform/v1/ffmpeg/camera';

/** SRS Stack's stream-url check (shared with virtual live): the URL's scheme, and an HTTP path's extension. */
export function checkStreamUrl(url: string): { name: string; uuid: string; target: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badRequest(`invalid url ${url}: give a full URL such as rtsp://user:password@192.168.1.10:554/stream1`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!['rtmp', 'srt', 'rtsp', 'http', 'https'].includes(scheme)) throw badRequest(`invalid url scheme ${scheme}: use rtsp, rtmp, srt, http or https`);
  if ((scheme === 'http' || scheme === 'https') && !/\.(flv|m3u8|ts)$/i.test(u.pathname)) {
    throw badRequest(`invalid url path ${u.pathname}: an HTTP stream URL must end with .flv, .m3u8 or .ts`);
  }
  const name = u.pathname.split('/').filter(Boolean).pop() ?? u.hostname;
  return { name, uuid: randomUUID(), target: url };
}

const refused = (e: unknown): never => {
  throw e instanceof JobRefusedError ? badRequest(e.message) : e;
};

export function registerCamera(r: ApiRoutes, d: ApiDeps): void {
  const methods: ('GET' | 'POST')[] = ['GET', 'POST'];
  const cams = d.cameras;

  r.add({
    path: `${BASE}/stream-url`,
    methods,
    auth: true,
    schema: cameraStreamUrlBody,
    summary: 'checks a camera URL (rtsp, rtmp, srt, http(s) .flv/.m3u8/.ts) and gives it a uuid: {name, uuid, target}',
    handler: ({ body }) => checkStreamUrl(body.url),
  });

  r.add({
    path: `${BASE}/source`,
    methods,
    auth: true,
    schema: cameraSourceBody,
    summary: 'probes the camera (codecs, size, bitrate against SRS_SYS_LIMITS.camera) and binds it to the platform: {platform, files}',
    async handler({ body }) {
      const files = body.files ?? [];
      if (files.length === 0) throw badRequest('no files: give the camera as files:[{name, uuid, target, type:"stream"}] (from camera/stream-url)');
      for (const f of files) {
        if (!f.target) throw badRequest('no target: each file needs the camera URL in "target"');
        if (f.type !== 'stream') throw badRequest(`invalid target ${f.target} type ${f.type}: a camera source is a stream URL (type "stream")`);
      }
      const platform = body.platform ?? '';
      if (!platform) throw badRequest('no platform: give the camera slot, e.g. "camera-1-abc123"');
      if (!validCameraPlatform(platform)) throw badRequest(`invalid platform ${platform}: use wx, bilibili, kuaishou or a name containing "camera-"`);
      const cur = cams.configs()[platform];
      const probed = [];
      for (const f of files) {
        try {
          probed.push(await cams.probe(f, { transport: cur?.transport, extraAudio: cur?.extraAudio }));
        } catch (e) {
          throw badRequest(`cannot read the camera ${f.target.replace(/^(\w+:\/\/)[^@/]*@/, '$1')}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      await cams.setFiles(platform, probed).catch(refused);
      return { platform, files: probed };
    },
  });

  r.add({
    path: `${BASE}/secret`,
    methods,
    auth: true,
    schema: cameraSecretBody,
    summary: 'without action: every camera config by platform; action "update": stores one (platform, server, secret, enabled, extraAudio, files, transport) and restarts it',
    async handler({ body }) {
      if (body.action === undefined || body.action === '') return cams.configs();
      if (body.action !== 'update') throw badRequest(`invalid action=${body.action}: use "update", or leave it out to read the configs`);
      const platform = body.platform ?? '';
      if (!platform) throw badRequest('no platform: give the camera slot, e.g. "camera-1-abc123"');
      if (!validCameraPlatform(platform)) throw badRequest(`invalid platform ${platform}: use wx, bilibili, kuaishou or a name containing "camera-"`);
      if (!body.server) throw badRequest('no server: give the output, e.g. "rtmp://localhost/live/" for a stream of ours, or a platform\'s RTMP server');
      const files = body.files ?? cams.configs()[platform]?.files ?? [];
      if (files.length === 0) throw badRequest('no files: set the camera first (camera/source)');
      const config: CameraConfig = {
        platform,
        server: body.server,
        secret: body.secret ?? '',
        enabled: body.enabled ?? false,
        custom: body.custom ?? false,
        label: body.label ?? '',
        extraAudio: body.extraAudio ?? '',
        files,
        transport: body.transport ?? cams.configs()[platform]?.transport ?? 'tcp',
      };
      await cams.update(config).catch(refused);
      return null;
    },
  });

  r.add({
    path: `${BASE}/streams`,
    methods,
    auth: true,
    schema: empty,
    summary: 'every camera with its state: SRS Stack\'s fields (platform, enabled, label, extraAudio, files, source, start, frame) and task (state, reason, retryInMs, frames, kbps, log)',
    handler: () => cams.streams(),
  });

  r.add({
    path: `${BASE}/remove`,
    methods,
    auth: true,
    schema: cameraRemoveBody,
    summary: 'stops a camera and deletes its config (not in SRS Stack)',
    async handler({ body }) {
      await cams.remove(body.platform).catch(refused);
      return null;
    },
  });
}
