// RTSP 1.0 messages, RFC 2326 sections 6-7: requests written by a client, and a reader for what comes back on
// the connection: responses, requests from the server (GET_PARAMETER, ANNOUNCE, ...) and, interleaved between
// them, binary RTP/RTCP frames ("$", channel, 16-bit length; 10.12). Pure: bytes in, objects out; limits on
// header and body sizes so a broken or hostile peer cannot grow memory.

export class RtspError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtspError';
  }
}

/** Header fields in order, names as written; look them up with header()/headers(). */
export type RtspHeaders = [name: string, value: string][];

export interface RtspRequest {
  method: string;
  url: string;
  headers: RtspHeaders;
  body?: Buffer;
}

export interface RtspResponse {
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Buffer;
}

/** The first value of a header (case-insensitive), or undefined. */
export function header(m: { headers: RtspHeaders }, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of m.headers) if (k.toLowerCase() === n) return v;
  return undefined;
}

/** Every value of a header (WWW-Authenticate may come several times). */
export function headers(m: { headers: RtspHeaders }, name: string): string[] {
  const n = name.toLowerCase();
  return m.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** Writes a request; Content-Length is added when there is a body. CR or LF in a field is refused. */
export function serializeRequest(r: RtspRequest): Buffer {
  const bad = (s: string) => /[\r\n]/.test(s);
  if (!/^[A-Z_]+$/.test(r.method)) throw new RtspError(`RTSP method ${JSON.stringify(r.method)} is not a token`);
  if (bad(r.url) || /\s/.test(r.url)) throw new RtspError('an RTSP URL cannot hold white space or line breaks');
  let head = `${r.method} ${r.url} RTSP/1.0\r\n`;
  for (const [k, v] of r.headers) {
    if (bad(k) || bad(v) || !/^[A-Za-z0-9-]+$/.test(k)) throw new RtspError(`RTSP header ${JSON.stringify(k)} cannot be written`);
    head += `${k}: ${v}\r\n`;
  }
  if (r.body && r.body.length > 0) head += `Content-Length: ${r.body.length}\r\n`;
  head += '\r\n';
  return r.body && r.body.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), r.body]) : Buffer.from(head, 'latin1');
}

/** Writes a response (for the server's requests to us, e.g. a 200 to its GET_PARAMETER keepalive). */
export function serializeResponse(status: number, reason: string, hdrs: RtspHeaders): Buffer {
  let head = `RTSP/1.0 ${status} ${reason}\r\n`;
  for (const [k, v] of hdrs) head += `${k}: ${v}\r\n`;
  return Buffer.from(head + '\r\n', 'latin1');
}

/** One interleaved frame: the channel (RTP on even, RTCP on odd, by SETUP) and the packet. */
export interface InterleavedFrame {
  channel: number;
  data: Buffer;
}

/** Writes one interleaved frame. */
export function interleave(channel: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new RtspError(`an interleaved frame holds at most 65535 bytes, not ${data.length}`);
  const h = Buffer.allocUnsafe(4);
  h[0] = 0x24;
  h[1] = channel & 0xff;
  h.writeUInt16BE(data.length, 2);
  return Buffer.concat([h, data]);
}

export interface RtspReaderHandlers {
  onResponse(r: RtspResponse): void;
  onRequest?(r: RtspRequest): void;
  onFrame?(f: InterleavedFrame): void;
}

export interface RtspReaderLimits {
  /** the most bytes of a status line and its headers (default 64 KiB) */
  maxHeaderBytes?: number;
  /** the most bytes of a body (default 1 MiB: an SDP is a few KiB) */
  maxBodyBytes?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Reads the byte stream of an RTSP connection. push() any number of bytes; messages and frames come out
 * through the handlers. A malformed message throws RtspError (the connection should then be closed).
 */
export class RtspReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxHeader: number;
  private readonly maxBody: number;
  private failed: RtspError | null = null;

  constructor(
    private readonly h: RtspReaderHandlers,
    limits: RtspReaderLimits = {},
  ) {
    this.maxHeader = limits.maxHeaderBytes ?? 64 * 1024;
    this.maxBody = limits.maxBodyBytes ?? 1024 * 1024;
  }

  push(data: Buffer): void {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    try {
      while (this.buf.length > 0 && this.next());
    } catch (e) {
      this.failed = e instanceof RtspError ? e : new RtspError(String(e));
      this.buf = Buffer.alloc(0);
      throw this.failed;
    }
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Reads one item; false when more bytes are needed. */
  private next(): boolean {
    const b = this.buf;
    if (b[0] === 0x24) {
      if (b.length < 4) return false;
      const len = b.readUInt16BE(2);
      if (b.length < 4 + len) return false;
      const f = { channel: b[1]!, data: b.subarray(4, 4 + len) };
      this.buf = b.subarray(4 + len);
      this.h.onFrame?.(f);
      return true;
    }
    // Some servers end a message with stray line breaks: skip them.
    if (b[0] === 0x0d || b[0] === 0x0a) {
      this.buf = b.subarray(1);
      return true;
    }
    const end = b.indexOf(HEADER_END);
    if (end < 0) {
      if (b.length > this.maxHeader) throw new RtspError(`an RTSP message header is longer than ${this.maxHeader} bytes`);
      if (!/^[A-Z_]/.test(String.fromCharCode(b[0]!)) && !b.subarray(0, 5).toString('latin1').startsWith('RTSP')) {
        throw new RtspError(`the peer sent bytes that are neither RTSP nor an interleaved frame (0x${b[0]!.toString(16).padStart(2, '0')})`);
      }
      return false;
    }
    if (end > this.maxHeader) throw new RtspError(`an RTSP message header is longer than ${this.maxHeader} bytes`);
    const lines = b.subarray(0, end).toString('latin1').split('\r\n');
    const first = lines.shift()!;
    const hdrs: RtspHeaders = [];
    for (const l of lines) {
      if (/^[ \t]/.test(l) && hdrs.length > 0) {
        hdrs[hdrs.length - 1]![1] += ' ' + l.trim(); // folded continuation line
        continue;
      }
      const c = l.indexOf(':');
      if (c <= 0) throw new RtspError(`an RTSP header line has no name: ${JSON.stringify(l.slice(0, 80))}`);
      hdrs.push([l.slice(0, c).trim(), l.slice(c + 1).trim()]);
    }
    const cl = header({ headers: hdrs }, 'content-length');
    let bodyLen = 0;
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new RtspError(`RTSP Content-Length ${JSON.stringify(cl)} is not a number`);
      bodyLen = Number(cl);
      if (bodyLen > this.maxBody) throw new RtspError(`an RTSP body of ${bodyLen} bytes is more than the ${this.maxBody} accepted`);
    }
    const total = end + 4 + bodyLen;
    if (b.length < total) return false;
    const body = Buffer.from(b.subarray(end + 4, total));
    this.buf = b.subarray(total);
    const status = /^RTSP\/(\d)\.(\d)\s+(\d{3})(?:\s+(.*))?$/.exec(first);
    if (status) {
      this.h.onResponse({ status: Number(status[3]), reason: status[4] ?? '', headers: hdrs, body });
      return true;
    }
    const req = /^([A-Z_]+)\s+(\S+)\s+RTSP\/\d\.\d$/.exec(first);
    if (req) {
      this.h.onRequest?.({ method: req[1]!, url: req[2]!, headers: hdrs, body });
      return true;
    }
    throw new RtspError(`not an RTSP status or request line: ${JSON.stringify(first.slice(0, 80))}`);
  }
}
