// SRT fan-out benchmark: one ffmpeg SRT publisher and N SRT viewers (our libsrt binding, counting bytes);
// reports the server's CPU (from /proc/<pid>/stat) and RSS (from /proc/<pid>/status).
// Usage: node dist/bench/srt.js [--viewers 50] [--seconds 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTicks, rssKb, sleep, runMain } from './common.js';
import { freePort } from './procs.js';
import { connectSrt, shutdownSrt, type SrtConnection } from '../native/srt/index.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const VIEWERS = arg('viewers', 50);
const SECONDS = arg('seconds', 20);
const BEARER = `srs-v2-${'be7c'.repeat(8)}`;
const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-srt-'));
  const [http, rtmp, srt] = [await freePort(), await freePort(), await freePort()];
  const env = { ...process.env, HTTP_PORT: String(http), RTMP_PORT: String(rtmp), SRT_PORT: String(srt), RTC_PORT: '0', HTTPS_PORT: '0', RTMPS_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SRS_PLATFORM_SECRET: BEARER, LOG_LEVEL: 'warn' };
  const server = spawn('taskset', ['-c', '0', process.execPath, main], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(server);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${http}/api/v1/versions`)).ok) break;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  const q = await fetch(`http://127.0.0.1:${http}/terraform/v1/hooks/srs/secret/query`, { method: 'POST', headers: { Authorization: `Bearer ${BEARER}` }, body: '{}' });
  const secret = ((await q.json()) as { data: { publish: string } }).data.publish;
  const pub = spawn('taskset', ['-c', '1', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1000k', '-g', '50', '-c:a', 'aac', '-f', 'mpegts', `srt://127.0.0.1:${srt}?streamid=#!::r=live/bench?secret=${secret},m=publish&latency=120000&pkt_size=1316`], { stdio: 'ignore' });
  children.push(pub);
  await sleep(3000);
  const pid = server.pid!;
  const rss0 = rssKb(pid);
  const conns: SrtConnection[] = [];
  let bytes = 0;
  for (let i = 0; i < VIEWERS; i++) {
    const c = await connectSrt('127.0.0.1', srt, { streamId: '#!::r=live/bench,m=request', latency: 120 });
    c.on('data', (d) => (bytes += d.length));
    conns.push(c);
  }
  await sleep(2000);
  const t0 = cpuTicks(pid);
  const b0 = bytes;
  const start = Date.now();
  await sleep(SECONDS * 1000);
  const elapsed = (Date.now() - start) / 1000;
  const cpu = (cpuTicks(pid) - t0) / elapsed; // ticks/s = percent of one core
  const perViewerKbps = ((bytes - b0) * 8) / 1000 / elapsed / VIEWERS;
  const rss1 = rssKb(pid);
  const result = {
    viewers: VIEWERS,
    seconds: Math.round(elapsed),
    serverCpuPercentOfOneCore: Number(cpu.toFixed(1)),
    rssMbBefore: Number((rss0 / 1024).toFixed(1)),
    rssMbWithViewers: Number((rss1 / 1024).toFixed(1)),
    rssKbPerViewer: Number(((rss1 - rss0) / VIEWERS).toFixed(1)),
    kbpsPerViewer: Number(perViewerKbps.toFixed(0)),
  };
  console.log(JSON.stringify(result));
  console.log(`\n| SRT viewers | server CPU (% of one core) | RSS before / with viewers (MB) | RSS per viewer (KB) | kbps per viewer |\n|---|---|---|---|---|\n| ${VIEWERS} | ${result.serverCpuPercentOfOneCore} | ${result.rssMbBefore} / ${result.rssMbWithViewers} | ${result.rssKbPerViewer} | ${result.kbpsPerViewer} |`);
  for (const c of conns) c.close();
  shutdownSrt();
  pub.kill('SIGKILL');
  server.kill('SIGTERM');
  await sleep(1000);
  rmSync(dir, { recursive: true, force: true });
}

runMain(run);
