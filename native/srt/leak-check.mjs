// Exercises the SRT addon briefly for a leak checker. Run after building the
// addon and the TypeScript (npx tsc -p tsconfig.json):
//   valgrind --leak-check=full node native/srt/leak-check.mjs
// Covers accept, data both ways, close from each side, a rejected connect,
// shutdownSrt() and restart, and ends with sockets open so the environment
// cleanup hook (not shutdownSrt) has to stop the reactor thread.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { SrtServer, connectSrt, shutdownSrt } = await import(pathToFileURL(join(root, 'dist', 'native', 'srt', 'index.js')).href);

const MESSAGES = Number(process.env.MESSAGES ?? 300);

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

async function exchange(server, port, streamId) {
  const accepted = once(server, 'connection');
  const client = await connectSrt('127.0.0.1', port, { streamId });
  const [serverSide] = await accepted;
  let received = 0;
  const all = new Promise((resolve) => serverSide.on('data', () => { if (++received === MESSAGES) resolve(); }));
  let echoed = 0;
  const back = new Promise((resolve) => client.on('data', () => { if (++echoed === 10) resolve(); }));
  for (let i = 0; i < MESSAGES; i++) {
    while (!client.write(Buffer.alloc(1316, i & 0xff))) await new Promise((r) => setTimeout(r, 5));
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await all;
  for (let i = 0; i < 10; i++) serverSide.write(Buffer.alloc(1316, 0x47));
  await back;
  return { client, serverSide };
}

const server = new SrtServer({ latency: 80 });
const { port } = await server.listen(0, '127.0.0.1');

const a = await exchange(server, port, '#!::r=live/a,m=publish');
const closedA = once(a.serverSide, 'close');
a.client.close();
await closedA;

const b = await exchange(server, port, 'b');
console.log('client pktSentTotal', b.client.stats().pktSentTotal);
const closedB = once(b.client, 'close');
b.serverSide.close();
await closedB;

try {
  await connectSrt('127.0.0.1', port, { streamId: '#!::broken' });
} catch (error) {
  console.log('rejected as expected:', error.code, error.rejectReason);
}

shutdownSrt();

// Again after a restart, then leave it open for the cleanup hook.
const server2 = new SrtServer();
const { port: port2 } = await server2.listen(0, '127.0.0.1');
const c = await exchange(server2, port2, 'c');
console.log('restart ok', c.client.closed === false);
console.log('leaving sockets open; exiting');
process.exit(0);
