// The composition root: the only module that wires the hub, the servers and the control plane together.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { Hub } from './hub/hub.js';
import { RtmpServer } from './servers/rtmp/server.js';
import { HttpMediaHandler } from './servers/http/media.js';
import { applyCommonHeaders } from './servers/http/common-headers.js';
import { StaticConsole } from './servers/http/static-console.js';
import { HlsServer } from './servers/hls/hls.js';
import { WebRtcServer } from './servers/webrtc/server.js';
import { SrtMediaServer } from './servers/srt/server.js';
import { srtAvailable } from '../native/srt/index.js';
import type { MediaHooks } from './servers/ports.js';
import { createControlPlane } from './control/index.js';
import { VERSION } from './version.js';

/** The operations endpoints (health, readiness, Prometheus), with or without a query. */
const OPS_PATH = /^\/(healthz|readyz|metrics)(\?|$)/;

export interface App {
  readonly config: Config;
  readonly hub: Hub;
  readonly logger: Logger;
  readonly httpPort: number;
  readonly rtmpPort: number;
  /** the RTMPS port, or 0 when RTMPS_PORT=off */
  readonly rtmpsPort: number;
  /** authorization and callbacks of publishes: what server-side sources (pulls, jobs) publish through */
  readonly hooks: MediaHooks;
  readonly httpsPort: number;
  /** the shared WebRTC UDP port */
  readonly rtcPort: number;
  /** the SRT UDP port, or 0 when SRT is unavailable (addon not built) */
  readonly srtPort: number;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
}

function listenHttp(server: Server, port: number, host: string, env = 'HTTP_PORT'): Promise<number> {
  return new Promise((resolve, reject) => {
    const what = env === 'HTTP_PORT' ? 'HTTP' : env === 'HTTPS_PORT' ? 'HTTPS' : 'the ACME challenge listener';
    const onError = (e: Error) => reject(new Error(`${what} cannot listen on ${host}:${port}: ${e.message}; set ${env} to a free port`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { pid: process.pid } });
  mkdirSync(config.dataDir, { recursive: true });
  const hub = new Hub({
    gopCache: config.gopCache,
    gopMaxFrames: 3000,
    mwLatencyMs: config.mwLatencyMs,
    queueBytes: config.viewerQueueBytes,
    republishGraceMs: config.republishGraceMs,
  });
  const hls = new HlsServer(hub, {
    fragment: config.hlsFragment,
    window: config.hlsWindow,
    fmp4: config.hlsFmp4,
    lowLatency: config.hlsLowLatency,
    partMs: config.hlsPartMs,
  });
  const control = await createControlPlane({ config, hub, logger, version: VERSION, hls });
  const hooks: MediaHooks = control.hooks;
  const media = new HttpMediaHandler({ hub, hls, hooks, logger });
  const rtc = new WebRtcServer({
    hub,
    hooks,
    logger,
    candidate: config.candidate,
    sessionTimeoutMs: config.rtcSessionTimeoutMs,
    pliIntervalMs: config.rtcPliIntervalMs,
  });
  const serverName = `srs-node/${VERSION}`;
  // The console's build output, beside dist/ (this file runs as dist/src/app.js).
  const consoleFiles = new StaticConsole({ dir: fileURLToPath(new URL('../../console/dist', import.meta.url)) });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (applyCommonHeaders(req, res, serverName)) return;
    if (control.https.answerChallenge(req, res)) return;
    // The API's own space goes to the API even when a path ends like a media URL (a recording's .m3u8).
    // So do the operations endpoints (/healthz, /readyz, /metrics), which the console would otherwise answer.
    const url = req.url ?? '';
    if (url.startsWith('/terraform/') || OPS_PATH.test(url)) return control.handle(req, res);
    if (!rtc.handle(req, res) && !media.handle(req, res) && !consoleFiles.handle(req, res)) control.handle(req, res);
  };
  const http = createServer(handler);
  http.keepAliveTimeout = 5000;
  // The same handler over TLS (WHIP from a browser needs a secure page on anything but localhost).
  // The certificate comes from the control plane (self-signed, uploaded, Let's Encrypt); a new one is swapped in
  // for new handshakes, while connections in flight keep theirs.
  const cert = control.https.current();
  const https = createHttpsServer({ key: cert.key, cert: cert.cert }, handler);
  https.keepAliveTimeout = 5000;
  // ACME_HTTP_PORT (e.g. 80): a plain-HTTP listener for the CA's HTTP-01 challenge only.
  const acmeHttp = config.acmeHttpPort
    ? createServer((req, res) => {
        if (control.https.answerChallenge(req, res)) return;
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('this port (ACME_HTTP_PORT) answers only ACME challenges (/.well-known/acme-challenge/); the console and the API are on HTTP_PORT and HTTPS_PORT\n');
      })
    : null;
  const rtmp = new RtmpServer({ hub, hooks, logger, maxMessageSize: config.rtmpMaxMessage, idleTimeoutMs: config.rtmpIdleTimeoutMs });
  // From here on every new certificate (a renewal may finish while we are still starting) goes to both.
  control.https.onChange((c) => {
    https.setSecureContext({ key: c.key, cert: c.cert });
    rtmp.setCertificate(c);
  });

  const httpPort = await listenHttp(http, config.httpPort, config.host);
  const httpsPort = await listenHttp(https, config.httpsPort, config.host, 'HTTPS_PORT');
  if (acmeHttp) await listenHttp(acmeHttp, config.acmeHttpPort, config.host, 'ACME_HTTP_PORT');
  const rtmpPort = await rtmp.listen(config.rtmpPort, config.host);
  const rtmpsPort = config.rtmpsPort === null ? 0 : await rtmp.listenTls(config.rtmpsPort, config.host, control.https.current());
  const rtcPort = await rtc.listen(config.rtcPort, config.host);
  let srt: SrtMediaServer | null = null;
  let srtPort = 0;
  if (srtAvailable()) {
    srt = new SrtMediaServer({ hub, hooks, logger, latencyMs: config.srtLatencyMs, passphrase: config.srtPassphrase, maxBw: config.srtMaxBw });
    srtPort = await srt.listen(config.srtPort, config.host);
  } else {
    logger.error('SRT is disabled: the native addon is not built; install libsrt-openssl-dev and run npm run build:srt');
  }
  control.setListenPorts({ http: httpPort, rtmp: rtmpPort, srt: srtPort, rtc: rtcPort });
  logger.info({ version: VERSION, httpPort, rtmpPort, rtmpsPort, rtcPort, srtPort, dataDir: config.dataDir }, `server ready: console at http://localhost:${httpPort}/ ${consoleFiles.available ? '' : '(not built: run npm start) '}API at http://localhost:${httpPort}/terraform/v1 and /api/v1, publish to rtmp://localhost:${rtmpPort}/live/<stream>?secret=<publish secret> (set a password with POST /terraform/v1/mgmt/init, then read the secret with /terraform/v1/hooks/srs/secret/query; see README)`);

  let closed = false;
  return {
    config,
    hub,
    logger,
    httpPort,
    rtmpPort,
    rtmpsPort,
    hooks,
    httpsPort,
    rtcPort,
    srtPort,
    async close() {
      if (closed) return;
      closed = true;
      // Graceful: /readyz says 503, the listeners stop accepting, the publishers are ended (RTMP, SRT, WebRTC
      // sessions closed; server-side sources stop with their jobs), and the recordings they fed are finalized,
      // within about half of SHUTDOWN_TIMEOUT_MS (main.ts exits by force at the whole of it).
      control.drain();
      const t0 = Date.now();
      const httpClosed = new Promise<void>((r) => http.close(() => r()));
      const httpsClosed = new Promise<void>((r) => https.close(() => r()));
      acmeHttp?.close();
      acmeHttp?.closeAllConnections();
      await rtmp.close();
      await rtc.close();
      srt?.close();
      await control.finalize(Math.max(0, config.shutdownTimeoutMs / 2 - (Date.now() - t0)));
      hub.closeAll();
      hls.close();
      http.closeAllConnections();
      https.closeAllConnections();
      await httpClosed;
      await httpsClosed;
      await control.close();
      logger.info('server stopped');
    },
  };
}
