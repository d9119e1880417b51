/**
 * Marks that shell steps append to one file as they run (`start`, `tick` every 100 ms, `end`), each
 * naming the run, step, attempt and the worker process (bash's parent), with the time in µs. From
 * them: whether any step ran beside another attempt of itself (a mark of an earlier attempt
 * written after a later attempt started, or one attempt started twice), and which attempts a
 * killed worker cut short.
 */
import { existsSync, readFileSync } from 'node:fs';

/** A step script (bash) writing the marks to $MARKS, ticking $TICKS times. */
export const MARKING_SCRIPT = `mark() { printf '%s %s %s %s %s %s\\n' "$1" "$CHATOPS_RUN_ID" "$CHATOPS_STEP_ID" "$CHATOPS_ATTEMPT" "$PPID" "$EPOCHREALTIME" >> "$MARKS"; }
mark start
i=0
while [ "$i" -lt "$TICKS" ]; do sleep 0.1; mark tick; i=$((i+1)); done
echo "$CHATOPS_STEP_ID attempt $CHATOPS_ATTEMPT: $i ticks"
mark end
`;

export interface Attempt {
  runId: string;
  stepId: string;
  attempt: number;
  /** Pid of the worker process that ran it. */
  workerPid: number;
  /** Times in ms (epoch, fractional). */
  start: number;
  last: number;
  ended: boolean;
  /** How many `start` marks it has (more than one: the same attempt ran twice). */
  starts: number;
}

export function readAttempts(file: string): Attempt[] {
  if (!existsSync(file)) return [];
  const byKey = new Map<string, Attempt>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [phase, runId, stepId, attempt, pid, at] = line.split(' ');
    if (!phase || !runId || !stepId || !attempt || !pid || !at) continue;
    const t = Number(at) * 1000;
    const key = `${runId}.${stepId}.${attempt}`;
    let a = byKey.get(key);
    if (!a) byKey.set(key, (a = { runId, stepId, attempt: Number(attempt), workerPid: Number(pid), start: t, last: t, ended: false, starts: 0 }));
    if (phase === 'start') {
      a.starts++;
      a.start = Math.min(a.start, t);
    }
    a.last = Math.max(a.last, t);
    if (phase === 'end') a.ended = true;
  }
  return [...byKey.values()];
}

export interface Overlap {
  runId: string;
  stepId: string;
  earlier: number;
  later: number;
  /** How long the earlier attempt went on after the later one started (ms; 0 for a double start). */
  ms: number;
}

/** Every pair of attempts of one step that ran at the same time, and every attempt started twice. */
export function overlaps(attempts: readonly Attempt[]): Overlap[] {
  const bySteps = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const key = `${a.runId}.${a.stepId}`;
    bySteps.set(key, [...(bySteps.get(key) ?? []), a]);
  }
  const found: Overlap[] = [];
  for (const list of bySteps.values()) {
    for (const a of list) if (a.starts > 1) found.push({ runId: a.runId, stepId: a.stepId, earlier: a.attempt, later: a.attempt, ms: 0 });
    for (const a of list)
      for (const b of list) if (a.attempt < b.attempt && a.last >= b.start) found.push({ runId: a.runId, stepId: a.stepId, earlier: a.attempt, later: b.attempt, ms: a.last - b.start });
  }
  return found;
}

/** The attempt of the same step that started next after `a` (an attempt claimed but killed before its script started leaves no marks), if any. */
export function nextAttempt(attempts: readonly Attempt[], a: Attempt): Attempt | undefined {
  const later = attempts.filter((b) => b.runId === a.runId && b.stepId === a.stepId && b.attempt > a.attempt);
  return later.sort((x, y) => x.attempt - y.attempt)[0];
}
