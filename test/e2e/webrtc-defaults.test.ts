// WebRTC with every default, as a user runs it: `node dist/src/main.js` with HOST unset (0.0.0.0) and only
// free ports and a temp DATA_DIR given. Headless Chromium on the same machine publishes with WHIP and plays
// with WHEP at http://localhost:<port>; its checks come from the machine's interface address, so the answer
// must offer host candidates the browser can complete ICE with (the interface addresses, 127.0.0.1 last).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, randomName, run, sleep, tempDir, waitFor, withTimeout, type Proc } from './helpers.js';
import type { Page } from 'playwright-core';
import { rtcPages, rtcStats, whep, whip, type RtcPages, type RtcStats } from './webrtc-util.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** The host candidates of the answer's first media section (BUNDLE: the others repeat them), highest priority first. */
function candidates(answer: string): { ip: string; port: number; priority: number }[] {
  const first = answer.split(/\r?\nm=/)[1] ?? '';
  const out = [...first.matchAll(/a=candidate:\S+ 1 udp (\d+) (\S+) (\d+) typ host/g)].map((m) => ({
    priority: Number(m[1]),
    ip: m[2]!,
    port: Number(m[3]),
  }));
  return out.sort((a, b) => b.priority - a.priority);
}

function interfaceIPv4(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}

/** Starts the server as `npm start` would, with the defaults apart from free ports and a temp DATA_DIR. */
async function startDefaults(): Promise<{ p: Proc; http: number; rtc: number }> {
  const http = await freePort();
  const env = {
    HTTP_PORT: String(http),
    RTMP_PORT: String(await freePort()),
    HTTPS_PORT: String(await freePort()),
    RTMPS_PORT: '0',
    RTC_PORT: '0',
    SRT_PORT: '0',
    DATA_DIR: tempDir('srs-node-defaults-'),
  };
  // Unset whatever of ours the test runner's environment may carry, so the defaults are the defaults.
  const unset = ['HOST', 'CANDIDATE', 'REDIS_URL', 'SRS_PLATFORM_SECRET', 'MGMT_PASSWORD', 'HLS_FRAGMENT', 'HLS_WINDOW'].flatMap((k) => ['-u', k]);
  const p = run('env', [...unset, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, main]);
  const line = await waitFor(
    () => p.stdout().toString().split('\n').find((l) => l.includes('server ready')),
    20000,
    'server ready',
  ).catch((e: Error) => {
    p.kill();
    throw new Error(`${e.message}\n${p.stderr()}`);
  });
  const ready = JSON.parse(line) as { rtcPort: number };
  return { p, http, rtc: ready.rtcPort };
}

/** The publish secret, got the way a new user does: set a password, then read the secret. */
async function publishSecret(http: number): Promise<string> {
  const base = `http://localhost:${http}/terraform/v1`;
  const init = await fetch(`${base}/mgmt/init`, { method: 'POST', body: JSON.stringify({ password: 'defaults-test-pw' }) });
  const bearer = ((await init.json()) as { data: { bearer: string } }).data.bearer;
  const q = await fetch(`${base}/hooks/srs/secret/query`, { method: 'POST', headers: { Authorization: `Bearer ${bearer}` }, body: '{}' });
  return ((await q.json()) as { data: { publish: string } }).data.publish;
}

/** Waits for ICE to connect and `ready`; on failure says what ICE did (states, checks sent and answered). */
async function connected(page: Page, ready: (s: RtcStats) => boolean, what: string): Promise<RtcStats> {
  let sent = 0;
  let answered = 0;
  try {
    return await waitFor(async () => {
      const s = await rtcStats(page);
      sent = Math.max(sent, s.checksSent);
      answered = Math.max(answered, s.checksAnswered);
      return s.iceMs > 0 && ready(s) ? s : null;
    }, 20000, what);
  } catch (e) {
    const s = await rtcStats(page);
    throw new Error(`${(e as Error).message}; ICE ${s.iceState}, ${sent} checks sent, ${answered} answered`);
  }
}

test('Chromium WHIP publish and WHEP play against a server started with every default (HOST 0.0.0.0)', { timeout: 120_000 }, async (t) => {
  let server: { p: Proc; http: number; rtc: number } | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startDefaults();
    const { http, rtc } = server;
    const secret = await publishSecret(http);
    const name = randomName('defaults');
    pages = await rtcPages();

    const pub = await pages.open();
    const r = await whip(pub, `http://localhost:${http}/rtc/v1/whip/?app=live&stream=${name}&secret=${secret}`);
    assert.equal(r.status, 201);
    const offered = candidates(r.answer);
    t.diagnostic(`WHIP answer candidates: ${offered.map((c) => `${c.ip}:${c.port}`).join(', ')}`);
    assert.ok(offered.every((c) => c.port === rtc), 'every candidate is the shared RTC port');
    assert.deepEqual(
      offered.map((c) => c.ip),
      [...interfaceIPv4(), '127.0.0.1'],
      'the interface addresses, then 127.0.0.1 last',
    );

    const ps = await connected(pub, (s) => s.framesSent > 10, 'WHIP ICE to connect and video to flow');
    t.diagnostic(`WHIP: ICE connected in ${ps.iceMs.toFixed(0)} ms over ${ps.pair} (${ps.checksSent} checks sent, ${ps.checksAnswered} answered)`);

    // The WHIP stream is live: it plays as HTTP-FLV.
    await waitFor(async () => {
      const flv = await fetch(`http://localhost:${http}/live/${name}.flv`);
      const reader = flv.body?.getReader();
      const first = reader ? await reader.read() : null;
      await reader?.cancel();
      return flv.status === 200 && first?.value && first.value.length > 0;
    }, 20000, 'the WHIP stream to play as HTTP-FLV');

    const viewer = await pages.open();
    const rv = await whep(viewer, `http://localhost:${http}/rtc/v1/whep/?app=live&stream=${name}`);
    assert.equal(rv.status, 201);
    assert.deepEqual(candidates(rv.answer).map((c) => c.ip), [...interfaceIPv4(), '127.0.0.1']);
    const vs = await connected(viewer, (s) => s.framesDecoded > 10, 'the WHEP viewer to connect and decode');
    await sleep(1500);
    const vs2 = await rtcStats(viewer);
    t.diagnostic(`WHEP: ICE connected in ${vs.iceMs.toFixed(0)} ms over ${vs.pair}; ${vs.framesDecoded} -> ${vs2.framesDecoded} frames decoded`);
    assert.ok(vs2.framesDecoded > vs.framesDecoded, 'the WHEP viewer keeps decoding');
  } finally {
    await pages?.close();
    if (server) {
      server.p.child.kill('SIGTERM');
      await withTimeout(server.p.exited, 15000, () => server?.p.kill()).catch(() => server?.p.kill());
    }
  }
});
