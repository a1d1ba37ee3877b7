// SRT addon (native/srt): loopback server and client through the TypeScript
// API, ffmpeg/ffprobe as real SRT peers, clean exit, and the build script's
// missing-header message.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  SrtError,
  SrtServer,
  connectSrt,
  shutdownSrt,
  srtVersion,
  type SrtConnection,
} from '../../../native/srt/index.js';
import { requireTool } from '../../support.js';

const REJ_BADSECRET = 10; // SRT_REJ_BADSECRET
const REJX_BAD_REQUEST = 1400; // SRT_REJX_BAD_REQUEST
const TS_PACKET = 188;
const TS_SYNC = 0x47;

const here = dirname(fileURLToPath(import.meta.url));
function repoRoot(): string {
  let dir = here;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + here);
    dir = parent;
  }
  return dir;
}
const root = repoRoot();

const children = new Set<ChildProcess>();
const servers = new Set<SrtServer>();
const tempDirs: string[] = [];

after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const server of servers) server.close();
  shutdownSrt();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function streamName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function nextConnection(server: SrtServer): Promise<SrtConnection> {
  return new Promise((resolve) => server.once('connection', resolve));
}

function closed(connection: SrtConnection): Promise<string> {
  if (connection.closed) return Promise.resolve(connection.closeReason ?? 'unknown');
  return new Promise((resolve) => connection.once('close', (reason) => resolve(reason)));
}

async function startServer(options: ConstructorParameters<typeof SrtServer>[0] = {}): Promise<{ server: SrtServer; port: number }> {
  const server = new SrtServer(options);
  servers.add(server);
  server.once('close', () => servers.delete(server));
  const address = await server.listen(0, '127.0.0.1');
  assert.ok(address.port > 0, 'port 0 resolved through srt_getsockname');
  return { server, port: address.port };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Sends `count` numbered messages, backing off briefly when libsrt's send
// buffer is full (write() returns false and drops, as live media does).
async function sendNumbered(connection: SrtConnection, count: number, tag: number, size = 1316): Promise<number> {
  let retries = 0;
  for (let i = 0; i < count; i++) {
    const message = Buffer.alloc(size, i & 0xff);
    message.writeUInt32BE(i, 0);
    message.writeUInt32BE(tag, 4);
    while (!connection.write(message)) {
      retries++;
      await delay(5);
    }
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  return retries;
}

function collect(connection: SrtConnection, count: number): Promise<Buffer[]> {
  const messages: Buffer[] = [];
  return new Promise((resolve) => {
    connection.on('data', (message) => {
      messages.push(message);
      if (messages.length === count) resolve(messages);
    });
  });
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

const noAddon = requireTool('srt-addon');
const noFfmpeg = requireTool('srt-addon', 'ffmpeg-srt', 'ffprobe');

describe('SRT addon over loopback', { skip: noAddon }, () => {
  test('loads libsrt', () => {
    assert.match(srtVersion(), /^1\.\d+\.\d+/);
  });

  test('a client sends 2000 messages; the server gets them all, in order, with the stream id', async () => {
    const { server, port } = await startServer({ latency: 120 });
    const streamId = `#!::r=live/${streamName('order')},m=publish`;
    const accepted = nextConnection(server);
    const client = await withTimeout(connectSrt('127.0.0.1', port, { streamId }), 5000, 'connect');
    const serverSide = await withTimeout(accepted, 5000, 'accept');
    assert.equal(serverSide.streamId, streamId);
    assert.equal(client.streamId, streamId);
    assert.equal(serverSide.remoteAddress, '127.0.0.1');
    assert.ok(serverSide.remotePort > 0);

    const received = collect(serverSide, 2000);
    await sendNumbered(client, 2000, 1);
    const messages = await withTimeout(received, 20000, '2000 messages');
    messages.forEach((message, i) => {
      assert.equal(message.length, 1316);
      assert.equal(message.readUInt32BE(0), i, `message ${i} in order`);
    });
    const sent = client.stats();
    const got = serverSide.stats();
    assert.ok(sent.pktSentTotal >= 2000, `pktSentTotal ${sent.pktSentTotal}`);
    assert.ok(got.pktRecvTotal >= 2000, `pktRecvTotal ${got.pktRecvTotal}`);
    assert.ok(got.byteRecvTotal >= 2000 * 1316);
    for (const key of ['pktSent', 'pktRecv', 'pktSndLoss', 'pktRcvLoss', 'pktRetrans', 'msRTT', 'mbpsSendRate', 'mbpsRecvRate', 'byteSent', 'byteRecv'] as const) {
      assert.equal(typeof sent[key], 'number', key);
    }
    assert.equal(client.getOption('SRTO_LATENCY'), 120);
    client.close();
    await withTimeout(closed(serverSide), 5000, 'server side close');
    server.close();
  });

  test('write() splits a large buffer into messages of at most 1316 bytes', async () => {
    const { server, port } = await startServer();
    const accepted = nextConnection(server);
    const client = await connectSrt('127.0.0.1', port, { streamId: streamName('split') });
    const serverSide = await accepted;
    const received = collect(serverSide, 4);
    const payload = randomBytes(3 * 1316 + 1052);
    assert.equal(client.write(payload), true);
    const messages = await withTimeout(received, 5000, 'split messages');
    assert.deepEqual(
      messages.map((m) => m.length),
      [1316, 1316, 1316, 1052],
    );
    assert.deepEqual(Buffer.concat(messages), payload);
    client.close();
    server.close();
  });

  test('two concurrent connections keep their own streams', async () => {
    const { server, port } = await startServer();
    const seen = new Map<string, SrtConnection>();
    const bothAccepted = new Promise<void>((resolve) => {
      server.on('connection', (c) => {
        seen.set(c.streamId, c);
        if (seen.size === 2) resolve();
      });
    });
    const [a, b] = await Promise.all([
      connectSrt('127.0.0.1', port, { streamId: 'stream-a' }),
      connectSrt('127.0.0.1', port, { streamId: 'stream-b' }),
    ]);
    await withTimeout(bothAccepted, 5000, 'two accepts');
    assert.equal(server.connections.size, 2);
    const serverA = seen.get('stream-a');
    const serverB = seen.get('stream-b');
    assert.ok(serverA && serverB);
    const gotA = collect(serverA, 300);
    const gotB = collect(serverB, 300);
    await Promise.all([sendNumbered(a, 300, 0xa), sendNumbered(b, 300, 0xb)]);
    const [messagesA, messagesB] = await withTimeout(Promise.all([gotA, gotB]), 10000, 'both streams');
    messagesA.forEach((m, i) => {
      assert.equal(m.readUInt32BE(4), 0xa);
      assert.equal(m.readUInt32BE(0), i);
    });
    messagesB.forEach((m, i) => {
      assert.equal(m.readUInt32BE(4), 0xb);
      assert.equal(m.readUInt32BE(0), i);
    });
    a.close();
    b.close();
    server.close();
  });

  test('closing from the client emits close on both sides', async () => {
    const { server, port } = await startServer();
    const accepted = nextConnection(server);
    const client = await connectSrt('127.0.0.1', port, { streamId: streamName('close-c') });
    const serverSide = await accepted;
    const clientClosed = closed(client);
    const serverClosed = closed(serverSide);
    client.close();
    assert.equal(await clientClosed, 'local');
    assert.equal(await withTimeout(serverClosed, 5000, 'server sees close'), 'remote');
    assert.equal(server.connections.size, 0);
    server.close();
  });

  test('closing from the server emits close on the client', async () => {
    const { server, port } = await startServer();
    const accepted = nextConnection(server);
    const client = await connectSrt('127.0.0.1', port, { streamId: streamName('close-s') });
    const serverSide = await accepted;
    const clientClosed = closed(client);
    serverSide.close();
    assert.equal(await withTimeout(clientClosed, 5000, 'client sees close'), 'remote');
    assert.equal(client.write(Buffer.alloc(188, TS_SYNC)), false);
    server.close();
  });

  test('a wrong passphrase fails to connect with SRT_REJECTED', async () => {
    const { server, port } = await startServer({ passphrase: 'correct horse battery' });
    const accepted: string[] = [];
    server.on('connection', (connection) => accepted.push(connection.streamId));
    await assert.rejects(
      connectSrt('127.0.0.1', port, { streamId: 'wrong-pass', passphrase: 'wrong horse battery', connectTimeout: 2000 }),
      (error: unknown) => {
        assert.ok(error instanceof SrtError);
        assert.equal(error.code, 'SRT_REJECTED');
        assert.equal(error.rejectReason, REJ_BADSECRET);
        assert.match(error.message, /passphrase|password|secret/i);
        return true;
      },
    );
    const goodAccepted = nextConnection(server);
    const good = await connectSrt('127.0.0.1', port, { streamId: 'right-pass', passphrase: 'correct horse battery' });
    await withTimeout(goodAccepted, 5000, 'the right passphrase is accepted');
    good.close();
    // The caller with the wrong passphrase never became a connection; the right one did, once.
    assert.deepEqual(accepted, ['right-pass']);
    server.close();
  });

  test('a malformed "#!::" stream id is rejected during the handshake', async () => {
    const { server, port } = await startServer();
    await assert.rejects(connectSrt('127.0.0.1', port, { streamId: '#!::no-equals-sign' }), (error: unknown) => {
      assert.ok(error instanceof SrtError);
      assert.equal(error.code, 'SRT_REJECTED');
      assert.equal(error.rejectReason, REJX_BAD_REQUEST);
      return true;
    });
    server.close();
  });

  test('the accept policy closes refused callers before any connection event', async () => {
    const { server, port } = await startServer({ accept: (peer) => (peer.streamId === 'allowed' ? true : 1403) });
    const rejected = new Promise<string>((resolve) => server.once('rejected', (peer) => resolve(peer.streamId)));
    let connections = 0;
    server.on('connection', () => connections++);
    // The caller either sees its connect fail or the new connection close,
    // depending on whether the close overtook the end of its handshake.
    const outcome = connectSrt('127.0.0.1', port, { streamId: 'refused' }).then(
      (connection) => closed(connection),
      (error: unknown) => (error instanceof SrtError ? error.code : 'unexpected'),
    );
    assert.equal(await withTimeout(rejected, 5000, 'rejected'), 'refused');
    assert.match(await withTimeout(outcome, 5000, 'refused caller'), /^(remote|SRT_CONNECT_FAILED|SRT_REJECTED)$/);
    const allowed = await connectSrt('127.0.0.1', port, { streamId: 'allowed' });
    await delay(50);
    assert.equal(connections, 1);
    allowed.close();
    server.close();
  });

  test('playerOptions size the buffers of callers whose stream id does not mention publish', async () => {
    const player = { flowWindow: 32, rcvBuf: 32 * 1472, sndBuf: 2000 * 1472 };
    const { server, port } = await startServer({ latency: 120, flowWindow: 30000, rcvBuf: 9000 * 1472, playerOptions: player });
    const ids = ['#!::r=live/a,m=request', 'live/a', '#!::r=live/a,m=publish', 'live/a?m=PUBLISH'];
    const accepted = new Map<string, SrtConnection>();
    server.on('connection', (c) => accepted.set(c.streamId, c));
    const clients: SrtConnection[] = [];
    for (const streamId of ids) clients.push(await withTimeout(connectSrt('127.0.0.1', port, { streamId }), 5000, streamId));
    for (let i = 0; i < 100 && accepted.size < ids.length; i++) await delay(10);
    const sizes = (c: SrtConnection) => [c.getOption('SRTO_FC'), c.getOption('SRTO_RCVBUF'), c.getOption('SRTO_SNDBUF')];
    for (const id of ids.slice(0, 2)) assert.deepEqual(sizes(accepted.get(id)!), [32, 32 * 1472, 2000 * 1472], id);
    // Publishers keep the listener's values (SRTO_SNDBUF: libsrt's default).
    for (const id of ids.slice(2)) assert.deepEqual(sizes(accepted.get(id)!), [30000, 9000 * 1472, 8192 * 1472], id);
    // The small window was in the handshake: a player's peer may send at most 32 packets in flight,
    // a publisher's the listener's receive buffer.
    assert.ok(clients[0]!.stats().pktFlowWindow <= 32, 'player peer window');
    assert.ok(clients[2]!.stats().pktFlowWindow > 8000, 'publisher peer window');
    // A player still streams to its peer, and a publisher to us.
    const toPlayer = collect(clients[0]!, 500);
    await sendNumbered(accepted.get(ids[0]!)!, 500, 7);
    assert.equal((await withTimeout(toPlayer, 10000, 'player gets 500 messages')).length, 500);
    const fromPublisher = collect(accepted.get(ids[2]!)!, 500);
    await sendNumbered(clients[2]!, 500, 8);
    assert.equal((await withTimeout(fromPublisher, 10000, 'server gets 500 messages')).length, 500);
    for (const c of clients) c.close();
    server.close();
  });

  test('invalid buffer options are refused', async () => {
    await assert.rejects(connectSrt('127.0.0.1', 9, { flowWindow: 16 }), /flowWindow must be an integer >= 32/);
    await assert.rejects(connectSrt('127.0.0.1', 9, { rcvBuf: 0 }), /rcvBuf must be a positive integer/);
    const server = new SrtServer({ playerOptions: { flowWindow: 8 } });
    await assert.rejects(server.listen(0, '127.0.0.1'), /flowWindow must be an integer >= 32/);
  });

  test('connecting to a port nobody listens on fails with SRT_CONNECT_FAILED', async () => {
    const { server, port } = await startServer();
    server.close();
    await assert.rejects(connectSrt('127.0.0.1', port, { connectTimeout: 500 }), (error: unknown) => {
      assert.ok(error instanceof SrtError);
      assert.equal(error.code, 'SRT_CONNECT_FAILED');
      return true;
    });
  });

  test('invalid options are refused with a clear error', async () => {
    await assert.rejects(connectSrt('127.0.0.1', 9, { passphrase: 'short' }), /10 to 79 characters/);
  });

  test('shutdownSrt closes everything and SRT works again afterwards', async () => {
    const { server, port } = await startServer();
    const accepted = nextConnection(server);
    const client = await connectSrt('127.0.0.1', port, { streamId: streamName('shutdown') });
    const serverSide = await accepted;
    const reasons = Promise.all([closed(client), closed(serverSide)]);
    const serverClosed = new Promise<void>((resolve) => server.once('close', resolve));
    shutdownSrt();
    assert.deepEqual(await reasons, ['shutdown', 'shutdown']);
    await serverClosed;
    const again = await startServer();
    const c2 = await connectSrt('127.0.0.1', again.port, { streamId: 'after-shutdown' });
    c2.close();
    again.server.close();
  });
});

describe('SRT process lifetime', { skip: noAddon }, () => {
  const indexUrl = pathToFileURL(join(root, 'dist', 'native', 'srt', 'index.js')).href;

  function runScript(source: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return run(process.execPath, ['--input-type=module', '-e', source], timeoutMs);
  }

  test('the process exits on its own once every socket is closed (no shutdown call)', async () => {
    const script = `
      import { SrtServer, connectSrt } from ${JSON.stringify(indexUrl)};
      const server = new SrtServer();
      const { port } = await server.listen(0, '127.0.0.1');
      server.on('connection', (c) => c.on('data', () => { c.close(); server.close(); console.log('done'); }));
      const client = await connectSrt('127.0.0.1', port, { streamId: 'exit-test' });
      client.write(Buffer.alloc(1316, 0x47));
      client.on('close', () => console.log('client closed'));
    `;
    const started = Date.now();
    const result = await runScript(script, 15000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /done/);
    assert.match(result.stdout, /client closed/);
    assert.ok(Date.now() - started < 10000, 'exited promptly');
  });

  test('process.exit() with sockets open exits cleanly', async () => {
    const script = `
      import { SrtServer, connectSrt } from ${JSON.stringify(indexUrl)};
      const server = new SrtServer();
      const { port } = await server.listen(0, '127.0.0.1');
      const client = await connectSrt('127.0.0.1', port, { streamId: 'exit-open' });
      client.write(Buffer.alloc(1316, 0x47));
      setTimeout(() => process.exit(0), 50);
    `;
    const result = await runScript(script, 15000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  // With only a listener subscribed the reactor thread sleeps (up to 1 s at a
  // time) and the listen callback wakes it when a handshake concludes; a
  // caller in another process does not wake it any other way.
  test('a caller that comes long after listen is accepted at once', async () => {
    const { server, port } = await startServer();
    await delay(6000);
    let acceptedAt = 0;
    const accepted = new Promise<SrtConnection>((resolve) =>
      server.once('connection', (connection) => {
        acceptedAt = Date.now();
        resolve(connection);
      }),
    );
    const script = `
      import { connectSrt } from ${JSON.stringify(indexUrl)};
      const client = await connectSrt('127.0.0.1', ${port}, { streamId: 'late-caller' });
      console.log('connected at ' + Date.now());
      client.close();
      process.exit(0);
    `;
    const child = runScript(script, 15000);
    const serverSide = await withTimeout(accepted, 10000, 'accept');
    // Open until the caller is done: closed at once, on a busy machine it
    // could reach the caller before its reactor saw the connection, and the
    // caller would report a failed connect ("Unknown or erroneous").
    const result = await child;
    serverSide.close();
    assert.equal(result.code, 0, result.stderr);
    const connectedAt = Number(/connected at (\d+)/.exec(result.stdout)?.[1]);
    assert.ok(connectedAt > 0, result.stdout);
    // Woken by the handshake: within a few ms of the caller's connect, not
    // after the reactor's 1 s safety timeout.
    assert.ok(acceptedAt - connectedAt < 250, `accepted ${acceptedAt - connectedAt} ms after the caller connected`);
    server.close();
  });

  test('an open listener keeps the process alive', async () => {
    const script = `
      import { SrtServer } from ${JSON.stringify(indexUrl)};
      const server = new SrtServer();
      await server.listen(0, '127.0.0.1');
      console.log('listening on ' + server.address().port);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    try {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // First the listener is up (the script got past listen())...
      const listening = new Promise<boolean>((resolve) => {
        const onData = () => {
          if (/listening on [1-9]\d*/.test(stdout)) resolve(true);
        };
        child.stdout!.on('data', onData);
      });
      const up = await Promise.race([listening, exited.then(() => false), delay(10000).then(() => false)]);
      assert.equal(up, true, `the script never printed "listening on <port>": ${stdout} ${stderr}`);
      // ...then, with nothing else to do, the process stays alive because of it.
      const alive = await Promise.race([exited.then(() => false), delay(1500).then(() => true)]);
      assert.equal(alive, true, `a listening server holds the event loop (exited: ${stderr})`);
    } finally {
      child.kill('SIGKILL');
      children.delete(child);
    }
  });
});

describe('SRT build script', () => {
  test('names the Debian package when libsrt headers are missing', () => {
    const result = spawnSync(process.execPath, [join(root, 'native', 'srt', 'build.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, SRT_HEADER: '/nonexistent/srt/srt.h' },
    });
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr.trim(),
      'SRT: missing libsrt headers; install the Debian package libsrt-openssl-dev (apt-get install libsrt-openssl-dev)',
    );
  });
});

describe('SRT with ffmpeg as the peer', { skip: noFfmpeg }, () => {
  test('ffmpeg publishes MPEG-TS over SRT to our server', async () => {
    const { server, port } = await startServer();
    const streamId = `#!::r=live/${streamName('ffpub')},m=publish`;
    const chunks: Buffer[] = [];
    const done = new Promise<{ connection: SrtConnection }>((resolve) => {
      server.once('connection', (connection) => {
        connection.on('data', (message) => chunks.push(message));
        connection.once('close', () => resolve({ connection }));
      });
    });
    const ffmpeg = run(
      'ffmpeg',
      [
        '-hide_banner', '-loglevel', 'error', '-re',
        '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
        '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25',
        '-f', 'mpegts', `srt://127.0.0.1:${port}?streamid=${streamId}&pkt_size=1316`,
      ],
      20000,
    );
    const { connection } = await withTimeout(done, 20000, 'ffmpeg publish');
    const result = await ffmpeg;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(connection.streamId, streamId);
    const ts = Buffer.concat(chunks);
    assert.ok(ts.length >= 20 * 1024, `received ${ts.length} bytes`);
    assert.equal(ts[0], TS_SYNC);
    assert.equal(ts.length % TS_PACKET, 0);
    for (let offset = 0; offset < ts.length; offset += TS_PACKET) assert.equal(ts[offset], TS_SYNC);
    assert.ok(chunks.every((c) => c.length <= 1316));
    server.close();
  });

  test('ffprobe reads H.264 from our server over SRT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srt-test-'));
    tempDirs.push(dir);
    const file = join(dir, 'in.ts');
    const made = await run(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '3',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-f', 'mpegts', '-y', file],
      20000,
    );
    assert.equal(made.code, 0, made.stderr);
    const ts = readFileSync(file);
    const chunk = 7 * TS_PACKET;

    const { server, port } = await startServer();
    const streamId = `#!::r=live/${streamName('ffplay')},m=request`;
    const timers = new Set<NodeJS.Timeout>();
    server.on('connection', (connection) => {
      // Play the file in a loop at about 4x real time until the reader leaves.
      let offset = 0;
      const timer = setInterval(() => {
        for (let i = 0; i < 4; i++) {
          if (offset >= ts.length) offset = 0;
          connection.write(ts.subarray(offset, Math.min(offset + chunk, ts.length)));
          offset += chunk;
        }
      }, 5);
      timers.add(timer);
      connection.once('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    });
    try {
      const probe = await run(
        'ffprobe',
        ['-v', 'error', '-show_streams', '-of', 'json', `srt://127.0.0.1:${port}?streamid=${streamId}`],
        20000,
      );
      assert.equal(probe.code, 0, probe.stderr);
      const parsed = JSON.parse(probe.stdout) as { streams?: { codec_name?: string; width?: number }[] };
      const video = parsed.streams?.find((s) => s.codec_name === 'h264');
      assert.ok(video, `h264 stream in ${probe.stdout}`);
      assert.equal(video.width, 320);
    } finally {
      for (const timer of timers) clearInterval(timer);
      server.close();
    }
  });
});
