// The RTMP listeners (TCP, default port 1935; RTMPS over TLS, default 1936): one RtmpSession per connection.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Hub } from '../../hub/hub.js';
import type { MediaHooks } from '../ports.js';
import { RtmpSession } from './session.js';

export interface RtmpServerOptions {
  hub: Hub;
  hooks: MediaHooks;
  logger: Logger;
  maxMessageSize: number;
  /** a connection that sends nothing this long before it plays is closed, ms (default 20000) */
  idleTimeoutMs?: number;
}

export class RtmpServer {
  private readonly server: Server;
  private tlsServer: TlsServer | null = null;
  private readonly sessions = new Set<RtmpSession>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: RtmpServerOptions) {
    this.server = createServer((socket) => this.onConnection(socket));
    this.server.on('error', (e) => opts.logger.error({ err: e.message }, 'rtmp server error'));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    const session = new RtmpSession(socket, {
      hub: this.opts.hub,
      hooks: this.opts.hooks,
      logger: this.opts.logger,
      maxMessageSize: this.opts.maxMessageSize,
      ...(this.opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.opts.idleTimeoutMs } : {}),
    });
    this.sessions.add(session);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.sessions.delete(session);
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(new Error(`RTMP cannot listen on ${host}:${port}: ${e.message}; set RTMP_PORT to a free port`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** Listens for RTMPS (RTMP inside TLS) with this certificate; the sessions are the same as on RTMP. */
  listenTls(port: number, host: string, cert: { key: string; cert: string }): Promise<number> {
    const server = createTlsServer({ key: cert.key, cert: cert.cert }, (socket) => this.onConnection(socket));
    // A client that fails the TLS handshake never becomes a session: log it, nothing else.
    server.on('tlsClientError', (e) => this.opts.logger.debug({ err: e.message }, 'rtmps handshake failed'));
    server.on('error', (e) => this.opts.logger.error({ err: e.message }, 'rtmps server error'));
    this.tlsServer = server;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(new Error(`RTMPS cannot listen on ${host}:${port}: ${e.message}; set RTMPS_PORT to a free port`));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** Swaps the RTMPS certificate: new handshakes use it, connections in flight keep theirs. */
  setCertificate(cert: { key: string; cert: string }): void {
    this.tlsServer?.setSecureContext({ key: cert.key, cert: cert.cert });
  }

  /** Stops accepting and ends every session. */
  close(): Promise<void> {
    const tls = this.tlsServer;
    const tlsClosed = tls ? new Promise<void>((resolve) => tls.close(() => resolve())) : Promise.resolve();
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sessions) s.close('server shutdown');
      for (const s of this.sockets) s.destroy();
    }).then(() => tlsClosed);
  }
}
