/**
 * The engine's events as Prometheus metrics (an EngineObserver over prom-client). Each process
 * counts the events it made happen (src/engine/observer.ts), so summing a metric over every front
 * and worker counts each event once. Labels: workflow name, trigger kind (chat, alert, cli,
 * workflow), step kind and final state; never run, step or user ids. A scraped process also counts
 * the events relayed by processes that serve no /metrics (`chatops run`, `cancel`, `approve`…;
 * src/engine/observer-relay.ts): each scrape first takes what is pending, so a terminal's run
 * counts like a chat one.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EngineObserver } from '../engine/observer.js';
import type { EventRelay } from '../engine/observer-relay.js';

/** Runs last from seconds (a no-op) to hours (approvals, long deploys). */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const APPROVAL_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400];

/** How long a scrape waits for the relayed events (what comes later is counted all the same, on the next scrape). */
const RELAY_WAIT_MS = 1000;

export interface EngineMetricsOptions {
  /** The relay whose pending events each scrape takes (a getter: the engine may be created after these metrics). */
  relayed?: () => EventRelay | undefined;
}

export function createEngineMetrics(registry: Registry, opts: EngineMetricsOptions = {}): EngineObserver {
  const registers = [registry];
  let taking: Promise<void> | undefined;
  // Every metric of a scrape awaits the same take, so they all show the relayed events it told.
  const collect = (): Promise<void> => {
    const relay = opts.relayed?.();
    if (!relay?.ready()) return Promise.resolve();
    taking ??= (async () => {
      const take = relay.drainInto(observer).then(
        () => undefined,
        () => undefined,
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([take, new Promise<void>((resolve) => (timer = setTimeout(resolve, RELAY_WAIT_MS)))]);
      clearTimeout(timer);
    })().finally(() => {
      taking = undefined;
    });
    return taking;
  };
  const runsStarted = new Counter({ name: 'chatops_runs_started_total', help: 'Runs that started running (at once or after waiting for their concurrency key), by workflow and trigger kind.', labelNames: ['workflow', 'trigger'] as const, registers, collect });
  const runsFinished = new Counter({ name: 'chatops_runs_finished_total', help: 'Runs that reached a final state, by workflow, trigger kind and state.', labelNames: ['workflow', 'trigger', 'state'] as const, registers, collect });
  const runDuration = new Histogram({ name: 'chatops_run_duration_seconds', help: 'Time from a run being created to its final state, by workflow, trigger kind and state.', labelNames: ['workflow', 'trigger', 'state'] as const, buckets: RUN_BUCKETS, registers, collect });
  const concurrency = new Counter({ name: 'chatops_concurrency_waits_total', help: 'Runs that found their concurrency key held: queued behind the holder or refused, by workflow.', labelNames: ['workflow', 'outcome'] as const, registers, collect });
  const stepsStarted = new Counter({ name: 'chatops_steps_started_total', help: 'Step attempts claimed by a worker (retries included), by workflow and step kind.', labelNames: ['workflow', 'kind'] as const, registers, collect });
  const stepsFinished = new Counter({ name: 'chatops_steps_finished_total', help: 'Steps whose end was recorded, by workflow, step kind and final state (timed_out and lost included).', labelNames: ['workflow', 'kind', 'state'] as const, registers, collect });
  const stepDuration = new Histogram({ name: 'chatops_step_duration_seconds', help: 'Time from a step starting to its end being recorded (its last attempt), by workflow, step kind and state.', labelNames: ['workflow', 'kind', 'state'] as const, buckets: STEP_BUCKETS, registers, collect });
  const retries = new Counter({ name: 'chatops_step_retries_total', help: 'Step attempts that ended badly and were retried, by workflow and why (failed, timed_out, lost).', labelNames: ['workflow', 'reason'] as const, registers, collect });
  const approvalWait = new Histogram({ name: 'chatops_approval_wait_seconds', help: 'Time an approval step waited for its outcome (approved, denied, expired), by workflow.', labelNames: ['workflow', 'outcome'] as const, buckets: APPROVAL_BUCKETS, registers, collect });
  const stalled = new Counter({ name: 'chatops_step_jobs_stalled_total', help: 'Step jobs found stalled (their worker stopped renewing the job lock) and queued again.', registers, collect });
  const observer: EngineObserver = {
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
  return observer;
}
