// The generic process supervisor on small shell commands: backoff that grows and resets after a healthy
// run, giving up, SIGKILL after the grace period, ready checks, restartNow, a missing command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessSupervisor, type ProcessSupervisorOptions } from '../../../src/core/process-supervisor.js';
import { running as alive, untilState as until } from './process-helpers.js';

function sh(script: string, opts: Partial<ProcessSupervisorOptions> = {}): ProcessSupervisor {
  return new ProcessSupervisor({ command: 'sh', args: ['-c', script], ...opts });
}

test('process supervisor: a failing command is retried with a growing, capped delay, then given up', async () => {
  const sup = sh('echo "it broke: $$" >&2; exit 3', { restart: { initialDelayMs: 50, maxDelayMs: 200, maxFailures: 5 } });
  const delays: number[] = [];
  sup.stateChanged.on((s) => {
    if (s.state === 'retrying') delays.push(s.retryAt! - Date.now());
  });
  sup.start();
  const end = await until(sup, (s) => s.state === 'failed');
  // 50, 100, 200, 200, 200 (the clock moved a little between the state and the reading)
  assert.equal(delays.length, 5);
  for (const [i, want] of [50, 100, 200, 200, 200].entries()) assert.ok(delays[i]! <= want && delays[i]! > want - 30, `delay ${i}: ${delays}`);
  assert.match(end.reason!, /^sh exited with code 3: it broke: \d+ \(gave up after 5 failures in a row\)$/);
  const sum = sup.summary();
  assert.equal(sum.restarts, 5);
  assert.equal(sum.failures, 6);
  assert.equal(sum.log.length, 6);
  await sup.stop();
  assert.equal(sup.state.state, 'failed', 'stop keeps the reason it failed');
});

test('process supervisor: a healthy run resets the delay', async () => {
  const sup = sh('sleep 0.3; exit 1', { restart: { initialDelayMs: 40, maxDelayMs: 1000, healthyAfterMs: 200 } });
  const delays: number[] = [];
  sup.stateChanged.on((s) => {
    if (s.state === 'retrying') delays.push(s.retryAt! - Date.now());
  });
  sup.start();
  await until(sup, () => delays.length >= 3);
  await sup.stop();
  assert.equal(sup.state.state, 'stopped');
  assert.ok(delays.every((d) => d <= 40), `every delay is the first one: ${delays}`);
});

test('process supervisor: stop() sends SIGTERM, then SIGKILL after the grace period, and awaits the exit', async () => {
  const sup = sh('trap "" TERM; echo ready; while :; do sleep 0.05; done', { stdout: 'log', stopGraceMs: 300 });
  const exits: (NodeJS.Signals | null)[] = [];
  sup.exited.on((e) => exits.push(e.signal));
  sup.start();
  await sup.whenRunning();
  const pid = sup.run!.pid;
  while (!sup.log.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  await sup.stop();
  const took = Date.now() - t0;
  assert.equal(alive(pid), false);
  assert.deepEqual(exits, ['SIGKILL']);
  assert.ok(took >= 280, `stop waited for the grace period (${took} ms)`);
  assert.equal(sup.state.state, 'stopped');
  assert.equal(sup.state.reason, null);
  sup.start();
  assert.equal(sup.state.state, 'stopped', 'not restartable after stop');
});

test('process supervisor: a ready check that times out kills the run; the first start can be made to fail fast', async () => {
  const sup = sh('sleep 30', { ready: () => new Promise(() => {}), readyTimeoutMs: 200, retryFirstStart: false });
  sup.start();
  assert.equal(sup.state.state, 'starting');
  const pid = sup.run!.pid;
  await assert.rejects(sup.whenRunning(), /^Error: sh did not become ready within 200 ms$/);
  assert.equal(sup.state.state, 'failed');
  assert.equal(alive(pid), false);
});

test('process supervisor: restartNow replaces the run without counting a failure; stdin writes', async () => {
  const sup = sh('cat >&2', { stdin: true });
  sup.start();
  await sup.whenRunning();
  const first = sup.run!.pid;
  assert.equal(sup.write(Buffer.from('hello\n')), true);
  while (!sup.log.includes('hello')) await new Promise((r) => setTimeout(r, 20));
  sup.restartNow();
  assert.notEqual(sup.run!.pid, first);
  assert.equal(sup.state.state, 'running');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sup.summary().failures, 0);
  assert.equal(sup.summary().restarts, 1);
  assert.equal(alive(first), false);
  await sup.stop();
  assert.equal(sup.write(Buffer.from('late')), false);
  assert.equal(sup.dropped, 1);
});

test('process supervisor: a missing command fails with what to do; without a restart policy exit 0 is stopped', async () => {
  const missing = new ProcessSupervisor({ command: 'no-such-binary-srs', args: [], installHint: 'install it with apt-get' });
  missing.start();
  assert.equal(missing.state.state, 'failed');
  assert.equal(missing.state.reason, 'cannot run no-such-binary-srs: it is not installed (not found on PATH); install it with apt-get');
  await assert.rejects(missing.whenRunning(), /not installed/);

  const once = sh('echo done >&2', { restart: false });
  once.start();
  const s = await until(once, (x) => x.state === 'stopped');
  assert.equal(s.reason, 'sh exited with code 0: done');
  const bad = sh('exit 2', { restart: false });
  bad.start();
  assert.equal((await until(bad, (x) => x.state === 'failed')).reason, 'sh exited with code 2');
});
