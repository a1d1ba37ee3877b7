// Exercises the SRT addon briefly for a leak checker. Run after building the
// addon and the TypeScript (npx tsc -p tsconfig.json):
//   valgrind --leak-check=full node native/srt/leak-check.mjs
// Covers accept, data both ways, close from each side, a rejected connect,
// shutdownSrt() and restart, then ends without shutdownSrt(): by itself once
// everything is closed (environment cleanup hook), or with
// EXIT_WITH_OPEN_SOCKETS=1 through process.exit() (the addon's atexit hook).
// Live mode drops late packets; under valgrind a round may report fewer
// messages than sent, which is expected and not a failure of the check.
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
  // Live mode drops what arrives too late; under valgrind that can happen, so
  // wait for all messages or a few seconds, whichever comes first.
  let received = 0;
  const all = Promise.race([
    new Promise((resolve) => serverSide.on('data', () => { if (++received === MESSAGES) resolve(); })),
    new Promise((resolve) => setTimeout(resolve, 10000).unref()),
  ]);
  let echoed = 0;
  const back = Promise.race([
    new Promise((resolve) => client.on('data', () => { if (++echoed === 10) resolve(); })),
    new Promise((resolve) => setTimeout(resolve, 10000).unref()),
  ]);
  for (let i = 0; i < MESSAGES; i++) {
    while (!client.write(Buffer.alloc(1316, i & 0xff))) await new Promise((r) => setTimeout(r, 5));
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await all;
  for (let i = 0; i < 10; i++) serverSide.write(Buffer.alloc(1316, 0x47));
  await back;
  console.log(`${streamId}: server got ${received}/${MESSAGES}, client got ${echoed}/10`);
  if (received < MESSAGES || echoed < 10) {
    const pick = (s) => ({ sent: s.pktSentTotal, recv: s.pktRecvTotal, sndLoss: s.pktSndLossTotal, rcvLoss: s.pktRcvLossTotal, retrans: s.pktRetransTotal, rcvDrop: s.pktRcvDropTotal, sndDrop: s.pktSndDropTotal, rcvBuf: s.pktRcvBuf, sndBuf: s.pktSndBuf, rtt: s.msRTT });
    console.log('  closed', client.closed, serverSide.closed);
    for (const [name, c] of [['client', client], ['server', serverSide]]) {
      if (!c.closed) console.log(`  ${name} SRTO_EVENT=${c.getOption('SRTO_EVENT')} SRTO_RCVDATA=${c.getOption('SRTO_RCVDATA')} SRTO_STATE=${c.getOption('SRTO_STATE')}`);
    }
    await new Promise((r) => setTimeout(r, 5000));
    console.log(`  5 s later: server got ${received}/${MESSAGES}, client got ${echoed}/10`);
    if (!client.closed) console.log('  client', JSON.stringify(pick(client.stats())));
    if (!serverSide.closed) console.log('  server', JSON.stringify(pick(serverSide.stats())));
  }
  return { client, serverSide };
}

const server = new SrtServer({ latency: 1000, playerOptions: { flowWindow: 32, rcvBuf: 32 * 1472 } });
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

if (!process.env.SKIP_SHUTDOWN) shutdownSrt();

// Again after a restart, then leave it open for the cleanup hook.
const server2 = new SrtServer({ latency: 1000 });
const { port: port2 } = await server2.listen(0, '127.0.0.1');
const c = await exchange(server2, port2, 'c');
console.log('restart ok', c.client.closed === false);
if (process.env.EXIT_WITH_OPEN_SOCKETS) {
  // process.exit() skips Node's cleanup hooks: the addon's atexit handler
  // must stop the reactor before libsrt's globals are destroyed.
  console.log('process.exit() with sockets open');
  process.exit(0);
}
// Otherwise close everything and let the event loop end by itself: the
// environment cleanup hook stops the reactor (no shutdownSrt() call).
const closedC = once(c.serverSide, 'close');
c.client.close();
await closedC;
server2.close();
console.log('all closed; the process should now exit on its own');
