// SRS Stack's /terraform/v1 paths that are not built here (SRS-STACK-API.md), registered so a client gets a 501
// with the reason and where it is tracked, never a 404 or a hang. README's table of SRS Stack paths lists
// these and the built ones; test/unit/control/api-paths.test.ts keeps it in step with the route registry.
import type { ApiRoutes } from '../../router.js';

/** Why a group of paths is not built, and where it is tracked. */
export interface NotBuiltGroup {
  reason: string;
  paths: string[];
}

const T = '/terraform/v1';

export const NOT_BUILT: readonly NotBuiltGroup[] = [
  {
    reason: 'deliberately not built: downloading from YouTube and other sites needs youtube-dl and their terms; download the file yourself and upload it (ffmpeg/vlive/upload) or name it on the server (ffmpeg/vlive/server)',
    paths: [`${T}/ffmpeg/vlive/ytdl`],
  },
  {
    reason: 'the burned-in subtitle stream (overlay) and its original HLS are not built yet (issue #17): the WebVTT subtitles are, at ai/transcript/hls/webvtt/<uuid>/index.m3u8',
    paths: ['hls/overlay/*rest', 'hls/original/*rest'].map((p) => `${T}/ai/transcript/${p}`),
  },
  {
    reason: 'the AI assistant of live rooms is planned in issue #18',
    paths: [
      ...['stage/start', 'stage/conversation', 'stage/upload', 'stage/query', 'stage/verify', 'stage/hello-voices/*rest'],
      ...['subscribe/start', 'subscribe/query', 'subscribe/tts', 'subscribe/remove', 'user/query', 'user/update'],
    ].map((p) => `${T}/ai-talk/${p}`),
  },
  {
    reason: 'AI dubbing (VoD translation) is not planned in any issue yet',
    paths: ['source', 'create', 'list', 'query', 'remove', 'update', 'task-start', 'task-query', 'task-rephrase', 'task-merge', 'export', 'play', 'task-tts'].map(
      (p) => `${T}/dubbing/${p}`,
    ),
  },
  {
    reason: 'AI OCR of live streams is not planned in any issue yet',
    paths: ['query', 'apply', 'check', 'reset', 'live-queue', 'ocr-queue', 'callback-queue', 'cleanup-queue', 'image/*rest'].map((p) => `${T}/ai/ocr/${p}`),
  },
  {
    reason:
      'deliberately not built: recording to Tencent Cloud COS and VoD needs a Tencent Cloud account and SDK, and SRS Stack itself deprecated it; ' +
      'record locally and upload to any S3-compatible storage instead (hooks/record/post-processing with "s3")',
    paths: [
      `${T}/tencent/cam/secret`,
      ...['query', 'apply', 'files', 'hls/*rest'].map((p) => `${T}/hooks/dvr/${p}`),
      ...['query', 'apply', 'files', 'hls/*rest'].map((p) => `${T}/hooks/vod/${p}`),
    ],
  },
  {
    reason:
      'deliberately not built: a cached proxy of bilibili.com video metadata, which only SRS Stack\'s console used for its virtual-live page; ' +
      'it ties the server to one third-party site',
    paths: [`${T}/mgmt/bilibili`],
  },
  {
    reason:
      'deliberately not built: the media server is in this process, so no SRS calls back; publishes are checked in-process ' +
      '(hooks/srs/secret/*) and HTTP callbacks go to your target (mgmt/hooks/apply)',
    paths: [`${T}/hooks/srs/verify`, `${T}/hooks/srs/hls`],
  },
  {
    reason: 'deliberately not built: SRS Stack\'s release service for its self-upgrade; this server is upgraded by its package (mgmt/status shows the version)',
    paths: [`${T}/releases`],
  },
  {
    reason: 'deliberately not built: a dump of Go goroutines; for Node use --inspect or LOG_LEVEL=debug',
    paths: [`${T}/debug/goroutines`],
  },
];

export function registerNotBuilt(r: ApiRoutes): void {
  for (const g of NOT_BUILT) for (const path of g.paths) r.notBuilt(path, g.reason);
}
