// What the supervisor tests share: waiting for a state, and whether a pid still runs.
import { readFileSync } from 'node:fs';
import type { ProcessState, ProcessSupervisor } from '../../../src/core/process-supervisor.js';

/** Resolves with the first state (the current one included) that `pred` accepts; rejects after `ms`. */
export function untilState(sup: ProcessSupervisor, pred: (s: ProcessState) => boolean, ms = 20000): Promise<ProcessState> {
  return new Promise((resolve, reject) => {
    if (pred(sup.state)) return resolve(sup.state);
    const t = setTimeout(() => reject(new Error(`state stayed ${JSON.stringify(sup.state)}; log: ${sup.log.join(' | ')}`)), ms);
    const off = sup.stateChanged.on((s) => {
      if (!pred(s)) return;
      clearTimeout(t);
      off();
      resolve(s);
    });
  });
}

/** False when the pid is gone or a zombie nobody reaped yet (a container's init may not reap). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
