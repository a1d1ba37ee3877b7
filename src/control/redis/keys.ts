// Redis key names: SRS Stack's (Oryx) names wherever the meaning is the same, so existing data and scripts carry over.

export const Keys = {
  /** hash: token = the API bearer secret (when not given by SRS_PLATFORM_SECRET) */
  PLATFORM_SECRET: 'SRS_PLATFORM_SECRET',
  /** hash: pubSecret, pubNoAuth ("true"/"false"), room-pub-<stream> = per-room publish secret */
  AUTH_SECRET: 'SRS_AUTH_SECRET',
  /** string: a copy of the publish secret (SRS Stack keeps it for older consumers) */
  SECRET_PUBLISH: 'SRS_SECRET_PUBLISH',
  /** string: the console password as a salted scrypt hash (ours: SRS Stack kept it in a .env file) */
  MGMT_PASSWORD: 'SRS_MGMT_PASSWORD',
  /** string: the console's language, en, zh or un (mgmt/envs) */
  LOCALE: 'SRS_LOCALE',
  /** hash: upgrading "0"/"1" (SRS Stack's upgrade flag; nothing here upgrades itself) */
  UPGRADING: 'SRS_UPGRADING',
  /** hash: streamURL -> JSON {vhost, app, stream, param, server_id, client_id, update} */
  STREAM_ACTIVE: 'SRS_STREAM_ACTIVE',
  /** hash: publish, play counters */
  STAT_COUNTER: 'SRS_STAT_COUNTER',
  /** hash: target, opaque, all, host, req, res */
  HOOKS: 'SRS_HOOKS',
  /** hash: any name -> text (ICP filing shown in the console footer) */
  BEIAN: 'SRS_BEIAN',
  /** hash: vlive, camera (kbps limits) */
  SYS_LIMITS: 'SRS_SYS_LIMITS',
  /** hash: key, url, org */
  SYS_OPENAI: 'SRS_SYS_OPENAI',
  /** hash: noHlsCtx ("true"/"false") */
  HP_HLS: 'SRS_HP_HLS',
  /** hash: hlsLowLatency ("true"/"false") */
  LL_HLS: 'SRS_LL_HLS',
  /** hash: all ("true"/"false"), globs (JSON array), postProcess, post-cp-file (dir), s3 (JSON) */
  RECORD_PATTERNS: 'SRS_RECORD_PATTERNS',
  /** hash: recording uuid -> JSON of the recording (stream, state, duration, size, post-processing) */
  RECORD_M3U8_ARTIFACT: 'SRS_RECORD_M3U8_ARTIFACT',
  /** hash: room uuid -> the live room's JSON (SRS Stack's fields, plus playAuth) */
  LIVE_ROOM: 'SRS_LIVE_ROOM',
  /** hash (ours): key = the play-signing key, all ("true"/"false"), apps (JSON array), room-play-<stream> = "true" */
  PLAY_AUTH: 'SRS_PLAY_AUTH',
} as const;

/** The SRS_AUTH_SECRET field of a per-room publish secret. */
export function roomPublishField(stream: string): string {
  return `room-pub-${stream}`;
}

/** The SRS_PLAY_AUTH field that turns play tokens on for a live room's stream. */
export function roomPlayField(stream: string): string {
  return `room-play-${stream}`;
}

/** SRS Stack's stream key in SRS_STREAM_ACTIVE: app/stream for the default vhost, else vhost/app/stream. */
export function activeStreamField(u: { vhost: string; app: string; stream: string }): string {
  return u.vhost === '__defaultVhost__' ? `${u.app}/${u.stream}` : `${u.vhost}/${u.app}/${u.stream}`;
}

/**
 * The two hashes of a job kind (SRS Stack's pattern, e.g. SRS_FORWARD_CONFIG / SRS_FORWARD_TASK): config
 * field -> the kind's config JSON (what should run), task uuid -> the task's state JSON (what runs now).
 */
export function jobKeys(kind: string): { config: string; task: string } {
  const k = kind.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return { config: `SRS_${k}_CONFIG`, task: `SRS_${k}_TASK` };
}
