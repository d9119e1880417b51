/**
 * Queue health read from Redis when Prometheus scrapes a front: the step jobs waiting, active,
 * delayed and prioritized, how long the oldest waiting one has been ready, workflow timeouts that
 * should have fired, parked approvals, and the workers whose heartbeat is fresh. These figures
 * are the same whichever front is asked (aggregate them with max, not sum). One probe (a handful
 * of commands, each bounded) serves every gauge of a scrape; when Redis is not ready or slow the
 * gauges are left out of that scrape and chatops_queue_probe_ok is 0, so /metrics itself answers.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Engine } from '../engine/engine.js';
import { parseExpiryMember } from '../engine/keys.js';

/** Until pools exist (issue 14) every worker takes jobs from the one queue, pool `default`. */
const POOL = 'default';
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized'] as const;
const PROBE_TIMEOUT_MS = 2000;
/** A workflow timeout job whose time came this long ago without being taken means its run is past its timeout. */
const TIMER_GRACE_MS = 60_000;
/** At most this many parked steps and overdue timers are looked at per scrape. */
const SCAN_LIMIT = 1000;
/** Delayed job scores are the due time in ms times 0x1000 plus a counter (BullMQ's getDelayedScore). */
const DELAYED_SCORE_FACTOR = 0x1000;

export interface QueueSnapshot {
  counts: Record<(typeof JOB_STATES)[number], number>;
  oldestWaitingSeconds: number;
  runsPastTimeout: number;
  approvalsWaiting: number;
  workersLive: number;
}

/** Reads the queue's health from Redis (a few bounded commands). */
export async function probeQueue(engine: Engine, now = Date.now()): Promise<QueueSnapshot> {
  const { queue, redis, keys } = engine;
  const [rawCounts, oldestId, overdue, parked, workersLive] = await Promise.all([
    queue.getJobCounts(...JOB_STATES),
    redis.lindex(queue.toKey('wait'), -1),
    redis.zrangebyscore(queue.toKey('delayed'), 0, (now - TIMER_GRACE_MS) * DELAYED_SCORE_FACTOR, 'LIMIT', 0, SCAN_LIMIT),
    redis.zrange(keys.expiry, '0', String(SCAN_LIMIT - 1)),
    engine.workerCount(),
  ]);
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, rawCounts[s] ?? 0])) as QueueSnapshot['counts'];
  let oldestWaitingSeconds = 0;
  if (oldestId) {
    const [timestamp, opts, processedOn] = await redis.hmget(queue.toKey(oldestId), 'timestamp', 'opts', 'processedOn');
    // Ready since it was added plus its delay, or since it was last taken (a job put back to wait).
    const delay = Number((JSON.parse(opts ?? '{}') as { delay?: number }).delay ?? 0);
    const readySince = Math.max(Number(timestamp ?? now) + delay, Number(processedOn ?? 0));
    oldestWaitingSeconds = Math.max(0, now - readySince) / 1000;
  }
  let approvalsWaiting = 0;
  if (parked.length > 0) {
    const pipe = redis.pipeline();
    for (const member of parked) {
      const e = parseExpiryMember(member);
      if (e) pipe.hexists(keys.appr(e.runId), e.stepId);
    }
    for (const [err, exists] of (await pipe.exec()) ?? []) if (!err && exists === 1) approvalsWaiting++;
  }
  return { counts, oldestWaitingSeconds, runsPastTimeout: overdue.filter((id) => id.endsWith('.timeout')).length, approvalsWaiting, workersLive };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`queue probe: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Registers the queue gauges on a front's registry; each scrape probes Redis at most once. */
export function registerQueueMetrics(registry: Registry, engine: Engine): void {
  let current: { at: number; snap: Promise<QueueSnapshot | undefined> } | undefined;
  const snapshot = (): Promise<QueueSnapshot | undefined> => {
    const now = Date.now();
    if (current && now - current.at < 1000) return current.snap;
    const snap = engine.redis.status !== 'ready' ? Promise.resolve(undefined) : withTimeout(probeQueue(engine, now), PROBE_TIMEOUT_MS).catch(() => undefined);
    current = { at: now, snap };
    return snap;
  };
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], set: (g: Gauge, s: QueueSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        const s = await snapshot();
        if (s) set(this, s);
      },
    });
  new Gauge({
    name: 'chatops_queue_probe_ok',
    help: 'Whether this scrape could read the queue figures from Redis (1) or not (0: Redis not ready or slow).',
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  gauge('chatops_step_queue_jobs', 'Jobs of the step queue (step attempts and workflow timers) by pool and state: waiting, active, delayed, prioritized.', ['pool', 'state'], (g, s) => {
    for (const state of JOB_STATES) g.set({ pool: POOL, state }, s.counts[state]);
  });
  gauge('chatops_step_queue_oldest_waiting_seconds', 'How long the oldest waiting job of the step queue has been ready to run, by pool (0 when none waits).', ['pool'], (g, s) => g.set({ pool: POOL }, s.oldestWaitingSeconds));
  gauge('chatops_workers_live', 'Workers whose heartbeat in Redis is fresh (under 10 s old), by pool.', ['pool'], (g, s) => g.set({ pool: POOL }, s.workersLive));
  gauge('chatops_runs_past_timeout', 'Runs whose workflow timeout came over a minute ago but was not acted on (its timer job still waits).', [], (g, s) => g.set(s.runsPastTimeout));
  gauge('chatops_approvals_waiting', 'Approval steps parked waiting for a decision (counted up to 1000).', [], (g, s) => g.set(s.approvalsWaiting));
}
