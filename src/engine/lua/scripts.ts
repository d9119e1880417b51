/**
 * The engine's atomic state changes, one Lua script each (run-, step-, approval- and
 * lock-scripts.ts hold them by concern; this file names them all). Every script takes the run's five keys
 * first (KEYS[1..5] = run, st, steps, appr, events; see keys.ts) and is idempotent: running it
 * twice (a crash between "record" and "enqueue" repaired by a job retry) changes nothing the
 * second time and returns the same set of queued steps, whose jobs are then added again (a
 * no-op for jobs that exist, thanks to deterministic job ids).
 *
 * Replies that carry an advance result end with: done ('' or final run state), then triples
 * step id, attempt, retry-at (ms, 0 = now) for the queued steps: every one for a start, a repair
 * (begin) or a replay; only those it queued for a step's first recorded end (run-progress.ts).
 */
import { claimDue, decide } from './approval-scripts.js';
import { appendEvent } from './event-scripts.js';
import { promote, renew } from './lock-scripts.js';
import { PRELUDE } from './prelude.js';
import { abort, begin, clearMarks, create, finishRun } from './run-scripts.js';
import { finishStep, parkStep, retryStep, startStep } from './step-scripts.js';

export type { ScriptDef } from './script-def.js';

export const SCRIPTS = { create, begin, startStep, finishStep, retryStep, parkStep, decide, abort, finishRun, promote, renew, claimDue, clearMarks, appendEvent } as const;
export type ScriptName = keyof typeof SCRIPTS;

export function scriptSource(name: ScriptName): string {
  return PRELUDE + SCRIPTS[name].lua;
}
