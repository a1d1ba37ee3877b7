// The byte sink of an HTTP-FLV/HTTP-TS viewer: the response head goes out through Node's ServerResponse, then
// each merged batch is written straight to the socket as one HTTP/1.1 chunk (RFC 9112 7.1). The framed chunk
// is built once per batch and the same Buffer is written to every viewer that gets that batch: one
// socket.write per viewer per flush, with none of ServerResponse.write's per-call work (a chunk-size string,
// three buffers corked and uncorked on the next tick, a writev).
import type { Socket } from 'node:net';
import type { ByteSink } from '../../hub/channel.js';

const CRLF = 0x0d0a;

/**
 * Frames bodies as HTTP/1.1 chunks, remembering the last one: viewers are written one after another with the
 * same batch Buffer, so it is framed once per flush, not once per viewer. One per HTTP media handler.
 */
export class ChunkFramer {
  private lastBody: Buffer | null = null;
  private lastChunk: Buffer | null = null;

  /** `body` as one chunk: size in hex, CRLF, body, CRLF. */
  frame(body: Buffer): Buffer {
    if (body === this.lastBody && this.lastChunk) return this.lastChunk;
    const size = body.length.toString(16);
    const out = Buffer.allocUnsafe(size.length + 2 + body.length + 2);
    out.write(size, 0, 'latin1');
    out.writeUInt16BE(CRLF, size.length);
    body.copy(out, size.length + 2);
    out.writeUInt16BE(CRLF, out.length - 2);
    this.lastBody = body;
    this.lastChunk = out;
    return out;
  }
}

export class HttpStreamSink implements ByteSink {
  /**
   * @param chunked whether the response uses chunked transfer coding (HTTP/1.1); HTTP/1.0 gets the body as is,
   *   delimited by the connection's close
   */
  constructor(
    private readonly socket: Socket,
    private readonly chunked: boolean,
    private readonly framer: ChunkFramer,
  ) {}

  get writableLength(): number {
    return this.socket.writableLength;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  write(buf: Buffer): boolean {
    if (this.socket.destroyed || buf.length === 0) return false;
    return this.socket.write(this.chunked ? this.framer.frame(buf) : buf);
  }
}
