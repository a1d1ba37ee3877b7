// The "ideal fan-out" floor: the least work a Node process can do to serve N HTTP-FLV viewers. It reads the
// source file itself (no publisher, no parsing of input), and every <interval> ms writes one prebuilt Buffer
// (the tags now due, framed as one HTTP chunk) to every socket with socket.write, skipping a socket with more
// than 2 MiB unsent. Nothing else: no per-viewer state, no GOP cache, no logging. Interval 0 writes each tag
// at its own time (tags due at the same millisecond together): the floor of a server without merged writes.
// argv: <httpPort> <source.flv> <intervalMs>
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { FLV_FILE_HEADER, scanTags } from './flv-file.js';
import type { KeysMessage } from './common.js';

const [portArg, source, intervalArg] = process.argv.slice(2);
if (!portArg || !source || !intervalArg) {
  console.error('usage: ideal.js <httpPort> <source.flv> <intervalMs>');
  process.exit(2);
}
const interval = Math.max(0, Number(intervalArg));
const QUEUE_BYTES = 2 * 1024 * 1024;

const file = readFileSync(source);
const { headers, media, loopMs } = scanTags(file);
const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-cache\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n',
  'latin1',
);

function chunk(body: Buffer): Buffer {
  const size = Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([size, body, Buffer.from('\r\n', 'latin1')]);
}
const JOIN = Buffer.concat([HEAD, chunk(Buffer.concat([FLV_FILE_HEADER, ...headers]))]);

const sockets = new Set<Socket>();
const keys: [number, number][] = [];
let sentPayload = 0;

const server = createServer((s) => {
  let head = '';
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
  s.setNoDelay(true);
  const onData = (d: Buffer) => {
    head += d.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    s.off('data', onData);
    s.write(JOIN);
    sockets.add(s);
  };
  s.on('data', onData);
});
server.listen(Number(portArg), '127.0.0.1');

// Media tags with their loop's timestamp offset written in; the same tag Buffers are rewritten each loop.
const start = performance.now();
let loop = 0;
let index = 0;

function due(nowMs: number): Buffer | null {
  const parts: Buffer[] = [];
  for (;;) {
    if (index >= media.length) {
      loop++;
      index = 0;
    }
    const t = media[index]!;
    const ts = t.ts + loop * loopMs;
    if (ts > nowMs) break;
    const tag = t.tag;
    tag[4] = (ts >> 16) & 0xff;
    tag[5] = (ts >> 8) & 0xff;
    tag[6] = ts & 0xff;
    tag[7] = (ts >>> 24) & 0xff;
    if (t.key) keys.push([ts, sentPayload]);
    sentPayload += t.payload;
    parts.push(tag); // copied by the concat below, before the next rewrite
    index++;
  }
  return parts.length ? chunk(Buffer.concat(parts)) : null;
}

function writeDue(): void {
  const buf = due(performance.now() - start);
  if (!buf) return;
  for (const s of sockets) if (s.writableLength <= QUEUE_BYTES) s.write(buf);
}

/** ms from now until the next tag is due */
function untilNext(): number {
  const i = index >= media.length ? 0 : index;
  const ts = media[i]!.ts + (index >= media.length ? loop + 1 : loop) * loopMs;
  return Math.max(0, ts - (performance.now() - start));
}

if (interval > 0) setInterval(writeDue, interval);
else {
  const each = () => {
    writeDue();
    setTimeout(each, untilNext());
  };
  each();
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'keys') process.send?.({ type: 'keys', keys } satisfies KeysMessage);
});
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
