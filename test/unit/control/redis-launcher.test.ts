// The embedded Redis: REDIS_URL unset -> the control plane runs redis-server itself in DATA_DIR/redis (AOF on,
// unix socket only), restarts it when it dies, stops it on close, and replaces a leftover from a hard-killed run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { EmbeddedRedis } from '../../../src/control/redis/launcher.js';
import { call, cleanupAll, startPlane, tempDir, waitFor } from './helpers.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function captureLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('embedded redis-server', () => {
  const started: EmbeddedRedis[] = [];
  after(async () => {
    for (const r of started) await r.stop();
    cleanupAll();
  });

  it('REDIS_URL unset: spawns redis-server under DATA_DIR/redis with AOF, and close() stops it', async () => {
    const dataDir = tempDir('srs-node-embedded-');
    const p = await startPlane({ DATA_DIR: dataDir });
    let pid = 0;
    try {
      assert.equal(p.cp.redisUrl, `unix://${join(dataDir, 'redis', 'redis.sock')}`);
      pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
      assert.ok(alive(pid));
      const bearer = p.cp.platformSecret;
      const u = await call(p.base, 'POST', '/terraform/v1/mgmt/limits/update', { bearer, body: { vlive: 77, camera: 88 } });
      assert.equal(u.status, 200, u.text);
      const files = readdirSync(join(dataDir, 'redis'));
      assert.ok(files.includes('appendonlydir') || files.some((f) => f.endsWith('.aof')), `AOF files in ${files.join(', ')}`);
    } finally {
      await p.close();
    }
    assert.equal(alive(pid), false, 'close() stopped redis-server');
    // The data is on disk: a new server on the same DATA_DIR has it.
    const q = await startPlane({ DATA_DIR: dataDir });
    try {
      const r = await call(q.base, 'POST', '/terraform/v1/mgmt/limits/query', { bearer: q.cp.platformSecret });
      assert.deepEqual(r.json.data, { vlive: 77, camera: 88 });
    } finally {
      await q.close();
    }
  });

  it('restarts redis-server with a clear log line when it dies', async () => {
    const dir = join(tempDir('srs-node-embedded-'), 'redis');
    const { logger, lines } = captureLogger();
    const r = new EmbeddedRedis({ dir, logger });
    started.push(r);
    await r.start();
    const first = r.pid!;
    process.kill(first, 'SIGKILL');
    await waitFor('a new redis-server', () => r.pid !== null && r.pid !== first && lines.some((l) => l.includes('running again')));
    assert.ok(lines.some((l) => /the embedded redis-server \(pid \d+\) died \(SIGKILL\); restarting it in \d+ ms/.test(l)), lines.join('\n'));
    assert.ok(alive(r.pid!));
    const second = r.pid!;
    await r.stop();
    assert.equal(alive(second), false);
  });

  it('replaces a redis-server left over from a run that was killed hard', async () => {
    const dir = join(tempDir('srs-node-embedded-'), 'redis');
    mkdirSync(dir, { recursive: true });
    const sock = join(dir, 'redis.sock');
    const pidFile = join(dir, 'redis.pid');
    const stale = spawn('/usr/bin/redis-server', ['--port', '0', '--unixsocket', sock, '--pidfile', pidFile, '--dir', dir, '--save', ''], {
      stdio: 'ignore',
    });
    try {
      await waitFor('the leftover redis-server', () => existsSync(pidFile) && existsSync(sock));
      const { logger, lines } = captureLogger();
      const r = new EmbeddedRedis({ dir, logger });
      started.push(r);
      await r.start();
      assert.notEqual(r.pid, stale.pid);
      await waitFor('the leftover to exit', () => stale.exitCode !== null || stale.signalCode !== null);
      assert.ok(lines.some((l) => l.includes('left over from a previous run')));
      await r.stop();
    } finally {
      stale.kill('SIGKILL');
    }
  });

  it('does not outlive a server that is SIGKILLed (the kernel sends it SIGTERM: it flushes its AOF)', async () => {
    const dir = join(tempDir('srs-node-embedded-'), 'redis');
    const script = fileURLToPath(new URL('./redis-orphan-child.js', import.meta.url));
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let pid = 0;
    try {
      await waitFor('the redis pid from the child', () => (pid = Number(/redis pid (\d+)/.exec(out)?.[1] ?? 0)) > 0);
      assert.ok(alive(pid));
      child.kill('SIGKILL');
      const zombie = (): boolean => {
        try {
          return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return true;
        }
      };
      await waitFor('redis-server to exit', () => !alive(pid) || zombie(), 3000);
    } finally {
      child.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('a missing binary fails with a message that says what to do', async () => {
    const r = new EmbeddedRedis({ dir: join(tempDir(), 'redis'), logger: pino({ level: 'silent' }), binary: '/nonexistent/redis-server' });
    await assert.rejects(r.start(), /install redis-server .* or set REDIS_URL/);
  });
});
