// The typed API client: one function per call, each with its request and response type. Errors carry the
// server's message (our JSON {code, message}, or SRS Stack's plain-text body); a 401 on an authenticated call
// ends the session.
import { PATHS } from './paths';
import { loadSession, sessionRejected } from './session';
import type * as T from './types';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readError(r: Response): Promise<string> {
  const text = await r.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { message?: string };
    if (j && typeof j.message === 'string') return j.message;
  } catch {
    /* plain text */
  }
  return text.trim() || `HTTP ${r.status} ${r.statusText}`;
}

interface CallOptions { auth?: boolean; method?: 'GET' | 'POST' | 'DELETE' }

async function request(path: string, body: unknown, o: CallOptions): Promise<Response> {
  const headers: Record<string, string> = {};
  const auth = o.auth ?? true;
  if (auth) {
    const s = loadSession();
    if (s) headers.Authorization = `Bearer ${s.token}`;
  }
  const method = o.method ?? (body === undefined ? 'GET' : 'POST');
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  let r: Response;
  try {
    r = await fetch(path, { method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${(e as Error).message}); check that it is running`);
  }
  if (!r.ok) {
    const msg = await readError(r);
    if (r.status === 401 && auth) sessionRejected(msg);
    throw new ApiError(r.status, msg);
  }
  return r;
}

/** SRS Stack's envelope {code, data}. */
async function stack<R>(path: string, body: unknown = {}, o: CallOptions = {}): Promise<R> {
  const r = await request(path, body, o);
  const j = (await r.json()) as { code: number; data: R };
  return j.data;
}

/** SRS's envelope: the fields are at the top level. */
async function srs<R>(path: string, o: CallOptions = {}): Promise<R> {
  const r = await request(path, undefined, { method: 'GET', ...o });
  return (await r.json()) as R;
}

export const api = {
  versions: () => stack<T.Versions>(PATHS.versions, undefined, { auth: false, method: 'GET' }),
  initStatus: () => stack<T.InitStatus>(PATHS.init, undefined, { auth: false, method: 'GET' }),
  init: (password: string, setupCode?: string) =>
    stack<T.LoginResult>(PATHS.init, setupCode ? { password, setupCode } : { password }, { auth: false }),
  login: (password: string) => stack<T.LoginResult>(PATHS.login, { password }, { auth: false }),
  changePassword: (oldPassword: string, password: string) => stack<null>(PATHS.password, { oldPassword, password }),
  envs: () => stack<T.Envs>(PATHS.envs, {}, { auth: false }),
  apiSecret: () => stack<string>(PATHS.apiSecret),
  beian: () => stack<T.Beian>(PATHS.beianQuery, undefined, { auth: false, method: 'GET' }),
  setBeian: (beian: string, text: string) => stack<null>(PATHS.beianUpdate, { beian, text }),
  limits: () => stack<T.Limits>(PATHS.limitsQuery),
  setLimits: (l: T.Limits) => stack<null>(PATHS.limitsUpdate, l),
  hphls: () => stack<{ noHlsCtx: boolean }>(PATHS.hphlsQuery),
  setHphls: (noHlsCtx: boolean) => stack<null>(PATHS.hphlsUpdate, { noHlsCtx }),
  hlsll: () => stack<{ hlsLowLatency: boolean }>(PATHS.hlsllQuery),
  setHlsll: (hlsLowLatency: boolean) => stack<null>(PATHS.hlsllUpdate, { hlsLowLatency }),
  openai: () => stack<T.OpenAiSettings>(PATHS.openaiQuery),
  setOpenai: (o: T.OpenAiSettings) => stack<null>(PATHS.openaiUpdate, o),
  hooks: () => stack<T.HooksSettings>(PATHS.hooksQuery),
  applyHooks: (h: { all: boolean; target: string; opaque: string }) => stack<null>(PATHS.hooksApply, h),
  testHooks: () => stack<T.HookTest>(PATHS.hooksTest),
  cert: () => stack<T.CertQuery>(PATHS.certQuery),
  uploadCert: (key: string, crt: string) => stack<null>(PATHS.ssl, { key, crt }),
  letsencrypt: (domain: string) => stack<null>(PATHS.letsencrypt, { domain }),
  selfSigned: () => stack<null>(PATHS.selfSigned),
  publishSecret: () => stack<T.PublishSecret>(PATHS.publishSecretQuery),
  setPublishSecret: (secret: string) => stack<null>(PATHS.publishSecretUpdate, { secret }),
  setPubNoAuth: (pubNoAuth: boolean) => stack<null>(PATHS.publishSecretDisable, { pubNoAuth }),
  record: () => stack<T.RecordSettings>(PATHS.recordQuery),
  applyRecord: (all: boolean) => stack<null>(PATHS.recordApply, { all }),
  recordGlobs: (globs: string[]) => stack<null>(PATHS.recordGlobs, { globs }),
  recordPostProcessing: (b: { postProcess: T.PostProcess; postCpDir?: string; s3?: T.S3Settings }) =>
    stack<null>(PATHS.recordPostProcessing, b),
  recordFiles: () => stack<T.RecordFile[] | null>(PATHS.recordFiles),
  recordEnd: (uuid: string) => stack<null>(PATHS.recordEnd, { uuid }),
  recordRemove: (uuid: string) => stack<null>(PATHS.recordRemove, { uuid }),
  recordS3Check: (s3?: T.S3Settings) => stack<T.S3Check>(PATHS.recordS3Check, s3 ? { s3 } : {}),
  transcode: () => stack<T.GlobalTranscode>(PATHS.transcodeQuery),
  applyTranscode: (g: T.GlobalTranscode) => stack<null>(PATHS.transcodeApply, g),
  transcodeTask: () => stack<T.GlobalTranscodeTask>(PATHS.transcodeTask),
  transcodes: () => stack<T.StreamTranscode[]>(PATHS.transcodeList),
  saveTranscode: (b: { id?: string; stream: string; enabled: boolean; label: string; profiles: T.TranscodeProfile[] }) =>
    stack<{ id: string }>(PATHS.transcodeUpdate, b),
  removeTranscode: (id: string) => stack<null>(PATHS.transcodeRemove, { id }),
  forwardConfigs: () => stack<Record<string, T.ForwardConfig> | null>(PATHS.forwardSecret),
  forwardUpdate: (c: T.ForwardConfig) => stack<null>(PATHS.forwardSecret, { action: 'update', ...c }),
  forwardStreams: () => stack<T.ForwardStream[] | null>(PATHS.forwardStreams),
  cameraStreamUrl: (url: string) => stack<{ name: string; uuid: string; target: string }>(PATHS.cameraStreamUrl, { url }),
  cameraSource: (platform: string, files: T.CameraFile[]) => stack<{ platform: string; files: T.CameraFile[] }>(PATHS.cameraSource, { platform, files }),
  cameraUpdate: (c: T.CameraConfig) => stack<null>(PATHS.cameraSecret, { action: 'update', ...c }),
  cameraStreams: () => stack<T.CameraStream[] | null>(PATHS.cameraStreams),
  cameraRemove: (platform: string) => stack<null>(PATHS.cameraRemove, { platform }),
  rooms: async () => (await stack<{ rooms: T.LiveRoom[] | null }>(PATHS.roomList)).rooms ?? [],
  room: (uuid: string) => stack<T.LiveRoom>(PATHS.roomQuery, { uuid }),
  createRoom: (title: string) => stack<T.LiveRoom>(PATHS.roomCreate, { title }),
  updateRoom: (room: T.LiveRoom) => stack<T.LiveRoom>(PATHS.roomUpdate, room),
  removeRoom: (uuid: string) => stack<null>(PATHS.roomRemove, { uuid }),
  publicRoom: (uuid: string) => stack<T.PublicRoom>(`${PATHS.roomPublic}?uuid=${encodeURIComponent(uuid)}`, undefined, { auth: false, method: 'GET' }),
  playAuth: () => stack<T.PlayAuthSettings>(PATHS.playQuery),
  applyPlayAuth: (b: { all?: boolean; apps?: string[]; rotateKey?: boolean }) => stack<null>(PATHS.playApply, b),
  playToken: (b: { streams: string; expires: number; ip?: string }) => stack<T.PlayToken>(PATHS.playToken, b),
  vliveServer: (file: string) => stack<T.VliveSource>(PATHS.vliveServer, { file }),
  vliveStreamUrl: (url: string) => stack<T.VliveSource>(PATHS.vliveStreamUrl, { url }),
  vliveSource: (platform: string, files: T.VliveSource[]) => stack<{ platform: string; files: T.VliveSource[] }>(PATHS.vliveSource, { platform, files }),
  vliveConfigs: () => stack<Record<string, T.VliveConfig>>(PATHS.vliveSecret, {}),
  vliveUpdate: (c: T.VliveConfig) => stack<null>(PATHS.vliveSecret, { action: 'update', ...c }),
  vliveStreams: () => stack<T.VliveStream[]>(PATHS.vliveStreams),
  vliveRemove: (platform: string) => stack<null>(PATHS.vliveRemove, { platform }),
  summaries: () => srs<T.SrsSummaries>(PATHS.summaries),
  streams: () => srs<{ streams: T.SrsStream[] }>(`${PATHS.streams}?count=100`),
  clients: () => srs<{ clients: T.SrsClient[] }>(`${PATHS.clients}?count=500`),
  kick: (id: string) => srs<unknown>(PATHS.client.replace('{id}', encodeURIComponent(id)), { method: 'DELETE' }),
  /** a read-only call for the OpenAPI page's try-it buttons: the raw JSON text */
  tryGet: async (path: string, method: 'GET' | 'POST') => (await request(path, method === 'POST' ? {} : undefined, { method })).text(),
};

export function recordMp4Url(uuid: string): string {
  return PATHS.recordMp4.replace('{uuid}', encodeURIComponent(uuid));
}

/** The HLS playlist of a recording (plays while it records). */
export function recordHlsUrl(uuid: string): string {
  return PATHS.recordHls.replace('{uuid}', encodeURIComponent(uuid));
}

/**
 * Uploads a file for virtual live as multipart/form-data (XMLHttpRequest: fetch cannot report upload
 * progress); `progress` gets 0..1. Resolves with the source the server probed.
 */
export function vliveUpload(file: File, progress: (f: number) => void): Promise<T.VliveSource> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', PATHS.vliveUpload.replace('{filename}', encodeURIComponent(file.name)));
    const s = loadSession();
    if (s) xhr.setRequestHeader('Authorization', `Bearer ${s.token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed: the connection to the server broke'));
    xhr.onload = () => {
      let j: { code?: number; data?: T.VliveSource; message?: string } = {};
      try { j = JSON.parse(xhr.responseText) as typeof j; } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300 && j.data) resolve(j.data);
      else {
        if (xhr.status === 401) sessionRejected(j.message ?? 'unauthorized');
        reject(new ApiError(xhr.status, j.message ?? (xhr.responseText.trim() || `HTTP ${xhr.status}`)));
      }
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
