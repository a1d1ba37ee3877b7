// What play authentication costs: N HTTP-FLV viewers (default 1000) of one 1.1 Mbit/s stream, on this server
// pinned to one core, first with play authentication off, then on for every stream with each viewer giving a
// play token (?token=<JWT>). The token is checked once, when a viewer starts (a Redis read and an HS256
// verification), never per packet: the server CPU while the viewers watch should be the same, and only the
// join costs a little more. Also checks that, with it on, viewers without a token are refused.
// Usage: npm run bench:play-auth [-- --viewers 1000 --window 10]
import { performance } from 'node:perf_hooks';
import { TICKS_PER_SECOND, cpuTimes, round, sleep, type ClientReply, type Target } from './common.js';
import { LoadClient, startPublisher, startServer, type Publisher, type ServerUnderTest } from './procs.js';
import { ensureSource } from './source.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const VIEWERS = arg('viewers', 1000);
const WINDOW_S = arg('window', 10);
const CLIENTS = 2;
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function api<T>(s: ServerUnderTest, path: string, body: unknown): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${s.httpPort}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.apiSecret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const j = (await r.json()) as { data: T; message?: string };
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${j.message}`);
  return j.data;
}

interface Run {
  mode: 'off' | 'on';
  connected: number;
  failed: number;
  /** wall time for all viewers to start playing, ms */
  joinMs: number;
  /** server CPU while they joined, ms */
  joinCpuMs: number;
  /** server CPU while they watch, % of one core */
  watchCpuPct: number;
  refusedWithoutToken?: number;
}

function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

async function run(mode: 'off' | 'on', source: string): Promise<Run> {
  let srv: ServerUnderTest | null = null;
  let pub: Publisher | null = null;
  const clients: LoadClient[] = [];
  try {
    srv = await startServer({ kind: 'ours', cpu: '0', source, logName: `play-auth-${mode}` });
    const s = srv;
    let query = '';
    if (mode === 'on') {
      await api(s, '/terraform/v1/hooks/play/apply', { all: true });
      query = `?token=${(await api<{ token: string }>(s, '/terraform/v1/hooks/play/token', { streams: '/live/*', expires: 3600 })).token}`;
    }
    pub = await startPublisher(`rtmp://127.0.0.1:${s.rtmpPort}/live/bench${s.publishQuery}`, source);
    await sleep(5000); // a GOP in the cache, JIT warm
    const target: Target = { proto: 'flv', host: '127.0.0.1', port: s.httpPort, app: 'live', stream: 'bench', query };
    for (let i = 0; i < CLIENTS; i++) clients.push(new LoadClient(target));
    await Promise.all(clients.map((c) => c.ready));
    let refusedWithoutToken: number | undefined;
    if (mode === 'on') {
      const bare = new LoadClient({ ...target, query: '' });
      await bare.ready;
      const r = await bare.send('add', { n: 10 });
      refusedWithoutToken = r.failed ?? 0;
      await bare.stop();
    }
    const c0 = cpuTimes(s.pid);
    const t0 = performance.now();
    const replies: ClientReply[] = await Promise.all(split(VIEWERS, CLIENTS).map((k, i) => clients[i]!.send('add', { n: k })));
    const joinMs = performance.now() - t0;
    const c1 = cpuTimes(s.pid);
    await sleep(5000);
    const w0 = cpuTimes(s.pid);
    const wt0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const w1 = cpuTimes(s.pid);
    const secs = (performance.now() - wt0) / 1000;
    return {
      mode,
      connected: replies.reduce((a, r) => a + (r.connected ?? 0), 0),
      failed: replies.reduce((a, r) => a + (r.failed ?? 0), 0),
      joinMs: Math.round(joinMs),
      joinCpuMs: Math.round(((c1.user + c1.sys - c0.user - c0.sys) / TICKS_PER_SECOND) * 1000),
      watchCpuPct: round(((w1.user + w1.sys - w0.user - w0.sys) / TICKS_PER_SECOND / secs) * 100, 1)!,
      ...(refusedWithoutToken !== undefined ? { refusedWithoutToken } : {}),
    };
  } finally {
    for (const c of clients) await c.stop().catch(() => undefined);
    await pub?.stop().catch(() => undefined);
    await srv?.stop();
  }
}

async function main(): Promise<void> {
  const source = ensureSource(log);
  log(`play auth cost: ${VIEWERS} HTTP-FLV viewers of ${source.path}, server on core 0, clients on core 1`);
  const results: Run[] = [];
  for (const mode of ['off', 'on'] as const) {
    const r = await run(mode, source.path);
    results.push(r);
    log(
      `play auth ${mode}: ${r.connected} viewers playing (${r.failed} failed) in ${r.joinMs} ms, ` +
        `server CPU while joining ${r.joinCpuMs} ms, while watching ${r.watchCpuPct}% of one core` +
        (r.refusedWithoutToken !== undefined ? `; ${r.refusedWithoutToken}/10 viewers without a token refused` : ''),
    );
  }
  const [off, on] = results as [Run, Run];
  console.log(
    `RESULT: ${VIEWERS} HTTP-FLV viewers: watching costs ${off.watchCpuPct}% of a core with play auth off and ${on.watchCpuPct}% with it on; ` +
      `joining took ${off.joinMs} ms / ${on.joinMs} ms and ${off.joinCpuMs} ms / ${on.joinCpuMs} ms of server CPU ` +
      `(${(((on.joinCpuMs - off.joinCpuMs) * 1000) / VIEWERS).toFixed(0)} us per viewer for the token check)`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
