// What the API resources are given (no globals): built once by the control plane.
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Hub } from '../../hub/hub.js';
import type { Auth } from '../auth/auth.js';
import type { SetupCode } from '../auth/setup-code.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Callbacks } from '../hooks/callbacks.js';
import type { PlayAuth } from '../hooks/play-auth.js';
import type { PublishSecrets } from '../hooks/publish-secret.js';
import type { LiveRooms } from '../rooms/rooms.js';
import type { HlsSettingsSync } from '../hls-settings.js';
import type { HttpsCertificates } from '../https/manager.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { Forwarder } from '../jobs/forward/forwarder.js';
import type { Cameras } from '../jobs/camera/cameras.js';
import type { Recorder } from '../jobs/record/recorder.js';
import type { Transcoder } from '../jobs/transcode/transcoder.js';
import type { VirtualLive } from '../jobs/vlive/vlive.js';
import type { Transcriber } from '../jobs/transcript/transcriber.js';
import type { Store } from '../redis/store.js';
import type { TrafficStats } from './stats.js';
import type { SystemStats } from './system-stats.js';

/** The ports the servers listen on: the configured ones until the app reports the bound ones (0 = any free). */
export interface ListenPorts {
  http: number;
  rtmp: number;
  srt: number;
  rtc: number;
}

export interface Readiness {
  bound: boolean;
  draining: boolean;
}

export interface ApiDeps {
  config: Config;
  /** the bound ports (mgmt/envs reports them) */
  ports: ListenPorts;
  hub: Hub;
  store: Store;
  auth: Auth;
  throttle: LoginThrottle;
  /** the first-run setup code (mgmt/init from another machine) */
  setupCode: SetupCode;
  secrets: PublishSecrets;
  /** play tokens: where they are needed, the signing key, minting */
  playAuth: PlayAuth;
  /** live rooms */
  rooms: LiveRooms;
  callbacks: Callbacks;
  stats: TrafficStats;
  /** host and process figures sampled from /proc */
  system: SystemStats;
  /** recording */
  recorder: Recorder;
  /** transcoding (the global task and the per-stream ones) */
  transcoder: Transcoder;
  /** forward (restream) targets */
  forward: Forwarder;
  /** IP cameras (camera jobs) */
  cameras: Cameras;
  /** virtual live */
  vlive: VirtualLive;
  /** AI subtitles */
  transcriber: Transcriber;
  /** pushes the HLS settings (hphls, hlsll) to the HLS server */
  hlsSettings: HlsSettingsSync;
  /** the HTTPS certificate (self-signed, uploaded, Let's Encrypt) */
  https: HttpsCertificates;
  /** the job manager (its tasks feed /metrics) */
  jobs: JobManager;
  /** for /readyz: whether the app has bound every listener, and whether it is shutting down */
  readiness: Readiness;
  logger: Logger;
  /** the server's version, e.g. 0.1.0 */
  version: string;
  /** SRS's server id (vid-xxxxxxx), one per run */
  serverId: string;
  /** SRS's service id, one per run */
  serviceId: string;
  startedAt: number;
}
