// The RTMP listener (TCP, default port 1935): one RtmpSession per connection.
import { createServer, type Server, type Socket } from 'node:net';
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

  /** Stops accepting and ends every session. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sessions) s.close('server shutdown');
      for (const s of this.sockets) s.destroy();
    });
  }
}
