// The job manager with a toy kind (tests only) on a real redis-server: a task whose target refuses is retried
// with a growing delay and shows "retrying" with the reason, then runs with counters; shutdown stops it and a new
// manager on the same Redis (a server restart) restores it; Redis coming back empty gets the task back; a kind
// that gives up shows "failed"; limits, disabled configs and one-shot tasks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JobFailedError, JobRefusedError, type JobKind, type JobRun } from '../../../src/control/jobs/job-kind.js';
import { JobManager } from '../../../src/control/jobs/job-manager.js';
import { Store } from '../../../src/control/redis/store.js';
import { cleanupAll, logger, sleep, startRedis, waitFor, type TestRedis } from './helpers.js';

interface ToyConfig {
  target: string;
  enabled: boolean;
}

/** A toy kind: "connects" to a target unless told it refuses, then counts frames until it is stopped. */
class Toy implements JobKind<ToyConfig> {
  readonly backoff = { initialMs: 100, factor: 2, maxMs: 1000, resetAfterMs: 60000 };
  refusing = false;
  giveUp = false;
  attempts: { at: number; restored: boolean; uuid: string }[] = [];
  stopped = 0;

  constructor(
    readonly name = 'toy',
    readonly limit?: number,
    readonly once = false,
  ) {}

  decode(text: string): ToyConfig | null {
    const v = JSON.parse(text) as Partial<ToyConfig>;
    return typeof v.target === 'string' ? { target: v.target, enabled: v.enabled !== false } : null;
  }

  runs(c: ToyConfig): boolean {
    return c.enabled;
  }

  describe(c: ToyConfig): Record<string, unknown> {
    return { platform: 'toy', output: c.target };
  }

  async run(job: JobRun<ToyConfig>): Promise<void> {
    this.attempts.push({ at: Date.now(), restored: job.restored, uuid: job.uuid });
    await sleep(5);
    if (this.giveUp) throw new JobFailedError(`${job.config.target} says this stream key is banned`);
    if (this.refusing) throw new Error(`connection refused by ${job.config.target}`);
    job.running();
    job.log(`connected to ${job.config.target}`);
    if (this.once || job.signal.aborted) return;
    const iv = setInterval(() => job.count(1, 1250), 10);
    await new Promise((r) => job.signal.addEventListener('abort', r, { once: true }));
    clearInterval(iv);
    this.stopped++;
  }
}

describe('job manager (toy kind, real Redis)', () => {
  let redis: TestRedis;
  const stores: Store[] = [];
  const managers: JobManager[] = [];

  async function manager(): Promise<{ jobs: JobManager; store: Store }> {
    const store = await Store.connect({ url: redis.url }, logger, { commandTimeoutMs: 500 });
    stores.push(store);
    const jobs = new JobManager({ store, logger, options: { sampleMs: 100, stopTimeoutMs: 2000 } });
    managers.push(jobs);
    return { jobs, store };
  }

  async function stored(store: Store, key: string, field: string): Promise<Record<string, unknown> | null> {
    const v = await store.hget(key, field);
    return v === null ? null : (JSON.parse(v) as Record<string, unknown>);
  }

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const m of managers) await m.close();
    for (const s of stores) await s.close();
    await redis.kill();
    cleanupAll();
  });

  test('refused: retried with a growing delay, "retrying" with the reason; restart restores it; shutdown stops it', async () => {
    const a = await manager();
    const toy = new Toy();
    toy.refusing = true;
    assert.deepEqual(await a.jobs.register(toy), []);
    const task = await a.jobs.start(toy, { target: 'rtmp://toy.example/live', enabled: true }, { id: 'toy-1' });
    assert.deepEqual(JSON.parse((await a.store.hget('SRS_TOY_CONFIG', 'toy-1'))!), { target: 'rtmp://toy.example/live', enabled: true });

    await waitFor('four attempts', () => toy.attempts.length >= 4);
    const s = task.status();
    assert.equal(s.state, 'retrying');
    assert.match(s.reason, /connection refused by rtmp:\/\/toy\.example\/live/);
    assert.ok(s.attempts >= 4, `attempts ${s.attempts}`);
    const announced = s.log.filter((l) => l.includes('retrying in')).map((l) => Number(/retrying in ([\d.]+) s/.exec(l)![1]));
    assert.deepEqual(announced.slice(0, 3), [0.1, 0.2, 0.4], s.log.join('\n'));
    const gaps = toy.attempts.slice(1, 4).map((x, i) => x.at - toy.attempts[i]!.at);
    gaps.forEach((g, i) => assert.ok(g >= announced[i]! * 1000 - 5, `gap ${i} ${g} ms, announced ${announced[i]} s`));
    const r = await stored(a.store, 'SRS_TOY_TASK', task.uuid);
    assert.equal(r?.state, 'retrying');
    assert.match(String(r?.reason), /connection refused/);
    assert.equal(r?.platform, 'toy', "the kind's SRS Stack fields are stored too");
    assert.equal(r?.id, 'toy-1');

    // The target accepts: running, with counters and a bitrate.
    toy.refusing = false;
    await waitFor('running', () => task.state === 'running', 5000);
    await waitFor('a bitrate sample', () => task.status().kbps > 0 && task.status().frames > 5, 5000);
    await waitFor('running in Redis', async () => (await stored(a.store, 'SRS_TOY_TASK', task.uuid))?.state === 'running');
    assert.ok(task.status().uptime >= 0 && task.status().runningSince !== '');
    assert.ok(task.status().log.some((l) => l.endsWith('connected to rtmp://toy.example/live')));

    // Shutdown: the task sees the abort; its config stays for the next start.
    await a.jobs.close();
    assert.equal(toy.stopped, 1);
    assert.equal(task.state, 'stopped');
    assert.equal(task.status().reason, 'the server is shutting down');
    assert.equal((await stored(a.store, 'SRS_TOY_TASK', task.uuid))?.state, 'stopped');
    assert.ok(await a.store.hget('SRS_TOY_CONFIG', 'toy-1'));
    const attemptsBefore = toy.attempts.length;
    await sleep(300);
    assert.equal(toy.attempts.length, attemptsBefore, 'nothing runs after shutdown');

    // A restart: a new manager on the same Redis restores it, with the same uuid.
    const b = await manager();
    const toy2 = new Toy();
    const restored = await b.jobs.register(toy2);
    assert.equal(restored.length, 1);
    assert.equal(restored[0]!.uuid, task.uuid);
    assert.equal(restored[0]!.id, 'toy-1');
    await waitFor('the restored task running', () => restored[0]!.state === 'running', 5000);
    assert.equal(toy2.attempts[0]!.restored, true);

    // Redis loses everything and comes back: the manager writes the config and state again.
    await redis.kill();
    await redis.start();
    await waitFor('the config back in Redis', async () => (await b.store.hget('SRS_TOY_CONFIG', 'toy-1').catch(() => null)) !== null, 15000);
    await waitFor('the state back in Redis', async () => (await stored(b.store, 'SRS_TOY_TASK', task.uuid).catch(() => null))?.state === 'running', 5000);

    // Remove: stopped, and gone from Redis.
    await b.jobs.remove(toy2, task.uuid);
    assert.equal(toy2.stopped, 1);
    assert.equal(await b.store.hget('SRS_TOY_CONFIG', 'toy-1'), null);
    assert.equal(await b.store.hget('SRS_TOY_TASK', task.uuid), null);
    assert.equal(b.jobs.list(toy2).length, 0);
    await b.jobs.close();
  });

  test('a kind that gives up: "failed" with the reason, not retried; limits; disabled configs; one-shot tasks', async () => {
    const { jobs, store } = await manager();
    const toy = new Toy('toyb', 2);
    await jobs.register(toy);
    toy.giveUp = true;
    const t = await jobs.start(toy, { target: 'srt://banned', enabled: true });
    await waitFor('failed', () => t.state === 'failed');
    await sleep(300);
    assert.equal(toy.attempts.length, 1, 'not retried');
    assert.match(t.status().reason, /this stream key is banned/);
    assert.equal((await stored(store, 'SRS_TOYB_TASK', t.uuid))?.state, 'failed');

    // An update starts it again.
    toy.giveUp = false;
    await jobs.update(toy, t.uuid, { target: 'srt://ok', enabled: true });
    await waitFor('running after the update', () => t.state === 'running');
    // Limit 2: a second runs, a third is refused with a clear error.
    await jobs.start(toy, { target: 'srt://two', enabled: true });
    await assert.rejects(jobs.start(toy, { target: 'srt://three', enabled: true }), (e: unknown) => e instanceof JobRefusedError && /at most 2 toyb tasks/.test(e.message));
    // Taken id.
    await assert.rejects(jobs.start(toy, { target: 'x', enabled: true }, { id: t.id }), JobRefusedError);

    // Disabled: stored, not run, and not counted against the limit.
    const off = await jobs.start(toy, { target: 'srt://off', enabled: false }, { id: 'off' });
    assert.equal(off.state, 'stopped');
    assert.equal((await stored(store, 'SRS_TOYB_TASK', off.uuid))?.state, 'stopped');
    await jobs.close();

    // Restore: the enabled ones run; disabled ones do not; a broken config is skipped.
    const again = await manager();
    const toy2 = new Toy('toyb', 5);
    await again.store.hset('SRS_TOYB_CONFIG', { disabled: JSON.stringify({ target: 'srt://disabled', enabled: false }), broken: '{"nope":1}' });
    const back = await again.jobs.register(toy2);
    assert.deepEqual(back.map((x) => x.config.target).sort(), ['srt://disabled', 'srt://off', 'srt://ok', 'srt://two']);
    await waitFor('two running', () => back.filter((x) => x.state === 'running').length === 2);
    await sleep(200);
    assert.equal(toy2.attempts.length, 2);
    for (const id of ['off', 'disabled']) assert.equal(back.find((x) => x.id === id)?.state, 'stopped', id);

    // A one-shot kind: the finished task is removed from Redis.
    const once = new Toy('toyonce', undefined, true);
    await again.jobs.register(once);
    const o = await again.jobs.start(once, { target: 'file', enabled: true });
    await waitFor('removed when finished', async () => again.jobs.list(once).length === 0 && (await again.store.hget('SRS_TOYONCE_TASK', o.uuid)) === null);
    assert.equal(await again.store.hget('SRS_TOYONCE_CONFIG', o.uuid), null);
    await again.jobs.close();
  });
});
