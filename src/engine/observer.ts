/**
 * What the engine tells whoever watches it (src/server/engine-metrics.ts turns it into Prometheus
 * metrics). Each call is made by the one process that made the change in Redis (the script reply
 * that says so), so the fronts' and workers' figures added together count every event once:
 * - a run starts where it is created (a front, `chatops run`) or promoted to its lock (any
 *   process that frees the lock), and ends where its last step ends or where it is cancelled;
 * - a step starts, is retried and is lost on the worker that claimed it; it ends where its end is
 *   recorded (the worker, or the front that settled an approval).
 * Labels stay bounded: workflow names and trigger kinds, never run, step or user ids.
 */
import type { RunState, StepRecord, StepState, Trigger } from './types.js';

export type TriggerKind = Trigger['kind'];

export interface EngineObserver {
  /** A run moved to running (now, or after waiting for its concurrency key). */
  runStarted(workflow: string, trigger: TriggerKind): void;
  /** A run reached its final state; seconds from its creation. */
  runFinished(workflow: string, trigger: TriggerKind, state: RunState, seconds: number): void;
  /** A run could not start at once for its concurrency key: queued behind the holder, or refused. */
  concurrencyWait(workflow: string, outcome: 'queued' | 'refused'): void;
  /** A worker claimed a step attempt and starts its action (or parks it). */
  stepStarted(workflow: string, kind: StepRecord['kind']): void;
  /** A step's end was recorded; seconds from its start (undefined when it never started, e.g. skipped). */
  stepFinished(workflow: string, kind: StepRecord['kind'], state: StepState, seconds: number | undefined): void;
  /** A failed, timed out or lost attempt is retried. */
  stepRetried(workflow: string, reason: 'failed' | 'timed_out' | 'lost'): void;
  /** An approval got its outcome; seconds it waited. */
  approvalSettled(workflow: string, outcome: 'approved' | 'denied' | 'expired', seconds: number): void;
  /** BullMQ found a step job whose worker stopped renewing its lock and put it back (the worker that found it). */
  jobStalled(): void;
}

/** Watches nothing: the default of an engine nobody scrapes (`chatops run`, tests). */
export const NO_OBSERVER: EngineObserver = {
  runStarted() {},
  runFinished() {},
  concurrencyWait() {},
  stepStarted() {},
  stepFinished() {},
  stepRetried() {},
  approvalSettled() {},
  jobStalled() {},
};
