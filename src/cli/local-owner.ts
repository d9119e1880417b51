/**
 * Runs started by `chatops run --local` whose process died: their steps ran in that process, so
 * with no `chatops worker` nothing finishes them and they would show `running` forever. Seen
 * from the same machine (a pid means nothing elsewhere), `chatops status` says so and how to
 * repair it: any worker (`chatops worker`, or the in-process one of another `chatops run --local`)
 * finds the dead process's step job stalled and ends the step as lost (or retries it when
 * safe_to_retry), as for any worker that died.
 */
import { hostname } from 'node:os';
import { FINAL_RUN_STATES, type RunRecord } from '../engine/types.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The dead local process a run still depends on, when this machine can tell. */
export function deadLocalOwner(run: RunRecord): { host: string; pid: number } | undefined {
  const owner = run.trigger.local;
  if (owner === undefined || FINAL_RUN_STATES.includes(run.state)) return undefined;
  if (owner.host !== hostname() || owner.pid === process.pid || alive(owner.pid)) return undefined;
  return owner;
}

export function localOwner(): { host: string; pid: number } {
  return { host: hostname(), pid: process.pid };
}
