/**
 * The engine's events as Prometheus metrics (an EngineObserver over prom-client). Each process
 * counts the events it made happen (src/engine/observer.ts), so summing a metric over every front
 * and worker counts each event once. Labels: workflow name, trigger kind (chat, alert, cli,
 * workflow), step kind and final state; never run, step or user ids.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EngineObserver } from '../engine/observer.js';

/** Runs last from seconds (a no-op) to hours (approvals, long deploys). */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const APPROVAL_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400];

export function createEngineMetrics(registry: Registry): EngineObserver {
  const registers = [registry];
  const runsStarted = new Counter({ name: 'chatops_runs_started_total', help: 'Runs that started running (at once or after waiting for their concurrency key), by workflow and trigger kind.', labelNames: ['workflow', 'trigger'] as const, registers });
  const runsFinished = new Counter({ name: 'chatops_runs_finished_total', help: 'Runs that reached a final state, by workflow, trigger kind and state.', labelNames: ['workflow', 'trigger', 'state'] as const, registers });
  const runDuration = new Histogram({ name: 'chatops_run_duration_seconds', help: 'Time from a run being created to its final state, by workflow, trigger kind and state.', labelNames: ['workflow', 'trigger', 'state'] as const, buckets: RUN_BUCKETS, registers });
  const concurrency = new Counter({ name: 'chatops_concurrency_waits_total', help: 'Runs that found their concurrency key held: queued behind the holder or refused, by workflow.', labelNames: ['workflow', 'outcome'] as const, registers });
  const stepsStarted = new Counter({ name: 'chatops_steps_started_total', help: 'Step attempts claimed by a worker (retries included), by workflow and step kind.', labelNames: ['workflow', 'kind'] as const, registers });
  const stepsFinished = new Counter({ name: 'chatops_steps_finished_total', help: 'Steps whose end was recorded, by workflow, step kind and final state (timed_out and lost included).', labelNames: ['workflow', 'kind', 'state'] as const, registers });
  const stepDuration = new Histogram({ name: 'chatops_step_duration_seconds', help: 'Time from a step starting to its end being recorded (its last attempt), by workflow, step kind and state.', labelNames: ['workflow', 'kind', 'state'] as const, buckets: STEP_BUCKETS, registers });
  const retries = new Counter({ name: 'chatops_step_retries_total', help: 'Step attempts that ended badly and were retried, by workflow and why (failed, timed_out, lost).', labelNames: ['workflow', 'reason'] as const, registers });
  const approvalWait = new Histogram({ name: 'chatops_approval_wait_seconds', help: 'Time an approval step waited for its outcome (approved, denied, expired), by workflow.', labelNames: ['workflow', 'outcome'] as const, buckets: APPROVAL_BUCKETS, registers });
  const stalled = new Counter({ name: 'chatops_step_jobs_stalled_total', help: 'Step jobs found stalled (their worker stopped renewing the job lock) and queued again.', registers });
  return {
    runStarted: (workflow, trigger) => runsStarted.inc({ workflow, trigger }),
    runFinished(workflow, trigger, state, seconds) {
      runsFinished.inc({ workflow, trigger, state });
      runDuration.observe({ workflow, trigger, state }, seconds);
    },
    concurrencyWait: (workflow, outcome) => concurrency.inc({ workflow, outcome }),
    stepStarted: (workflow, kind) => stepsStarted.inc({ workflow, kind }),
    stepFinished(workflow, kind, state, seconds) {
      stepsFinished.inc({ workflow, kind, state });
      if (seconds !== undefined) stepDuration.observe({ workflow, kind, state }, seconds);
    },
    stepRetried: (workflow, reason) => retries.inc({ workflow, reason }),
    approvalSettled: (workflow, outcome, seconds) => approvalWait.observe({ workflow, outcome }, seconds),
    jobStalled: () => stalled.inc(),
  };
}
