/**
 * Queue health read from Redis when Prometheus scrapes a front, per worker pool (the default pool
 * and every pool a workflow's `runs_on` names): the step jobs waiting, active, delayed and
 * prioritized, the active ones stalled (their worker stopped renewing the job lock, and no worker has
 * put them back yet), how long the oldest waiting one has been ready, and the workers whose heartbeat
 * is fresh; and for all pools, workflow timeouts that should have fired, parked approvals and how
 * long the oldest has waited. These figures
 * are the same whichever front is asked (aggregate them with max, not sum). One probe (a handful
 * of commands, each bounded) serves every gauge of a scrape; when Redis is not ready or slow the
 * gauges are left out of that scrape and chatops_queue_probe_ok is 0, so /metrics itself answers.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Engine } from '../engine/engine.js';
import { parseExpiryMember } from '../engine/keys.js';
import { DEFAULT_POOL, workflowPools } from '../workflow/schema.js';
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized'] as const;
const PROBE_TIMEOUT_MS = 2000;
/** A workflow timeout job whose time came this long ago without being taken means its run is past its timeout. */
const TIMER_GRACE_MS = 60_000;
/** At most this many parked steps and overdue timers are looked at per scrape. */
const SCAN_LIMIT = 1000;
/** Delayed job scores are the due time in ms times 0x1000 plus a counter (BullMQ's getDelayedScore). */
const DELAYED_SCORE_FACTOR = 0x1000;

export interface PoolSnapshot {
  counts: Record<(typeof JOB_STATES)[number] | 'stalled', number>;
  oldestWaitingSeconds: number;
  workersLive: number;
}

export interface QueueSnapshot {
  pools: Map<string, PoolSnapshot>;
  runsPastTimeout: number;
  approvalsWaiting: number;
  /** Seconds the longest parked approval has waited (0 when none waits). */
  oldestApprovalSeconds: number;
}

/** One pool's queue: job counts, the oldest waiting job's age, its live workers. */
async function probePool(engine: Engine, pool: string, now: number): Promise<PoolSnapshot> {
  const queue = engine.pools.queue(pool);
  const [rawCounts, oldestId, workersLive, stalled] = await Promise.all([queue.getJobCounts(...JOB_STATES), engine.redis.lindex(queue.toKey('wait'), -1), engine.workerCount(pool), stalledJobs(engine, queue)]);
  const counts = { ...(Object.fromEntries(JOB_STATES.map((s) => [s, rawCounts[s] ?? 0])) as Record<(typeof JOB_STATES)[number], number>), stalled };
  let oldestWaitingSeconds = 0;
  if (oldestId) {
    const [timestamp, opts, processedOn] = await engine.redis.hmget(queue.toKey(oldestId), 'timestamp', 'opts', 'processedOn');
    // Ready since it was added plus its delay, or since it was last taken (a job put back to wait).
    const delay = Number((JSON.parse(opts ?? '{}') as { delay?: number }).delay ?? 0);
    const readySince = Math.max(Number(timestamp ?? now) + delay, Number(processedOn ?? 0));
    oldestWaitingSeconds = Math.max(0, now - readySince) / 1000;
  }
  return { counts, oldestWaitingSeconds, workersLive };
}

/** Active jobs (the first SCAN_LIMIT) whose job lock is gone: BullMQ's own test (moveStalledJobsToWait). */
async function stalledJobs(engine: Engine, queue: Queue): Promise<number> {
  const active = await engine.redis.lrange(queue.toKey('active'), 0, SCAN_LIMIT - 1);
  if (active.length === 0) return 0;
  const pipe = engine.redis.pipeline();
  for (const id of active) pipe.exists(`${queue.toKey(id)}:lock`);
  return ((await pipe.exec()) ?? []).filter(([err, exists]) => !err && exists === 0).length;
}

/** Timer jobs whose time came over the grace ago (`RUN.timeout` ids) in a queue's delayed set. */
function overdueTimers(engine: Engine, queue: Queue, now: number): Promise<string[]> {
  return engine.redis.zrangebyscore(queue.toKey('delayed'), 0, (now - TIMER_GRACE_MS) * DELAYED_SCORE_FACTOR, 'LIMIT', 0, SCAN_LIMIT);
}

/** Reads the queues' health from Redis (a few bounded commands per pool). */
export async function probeQueue(engine: Engine, now = Date.now()): Promise<QueueSnapshot> {
  const { redis, keys } = engine;
  const names = [...new Set([DEFAULT_POOL, ...workflowPools(engine.workflows().values())])].sort();
  // Timers live in their own queue; ones armed before pools existed wait in the default pool's.
  const [pools, overdueNow, overdueOld, parked] = await Promise.all([
    Promise.all(names.map(async (pool) => [pool, await probePool(engine, pool, now)] as const)),
    overdueTimers(engine, engine.pools.timers, now),
    overdueTimers(engine, engine.queue, now),
    redis.zrange(keys.expiry, '0', String(SCAN_LIMIT - 1)),
  ]);
  let approvalsWaiting = 0;
  let oldestApprovalSeconds = 0;
  if (parked.length > 0) {
    // Per parked step: is it an approval, and its record (when it started: when the approval was asked).
    const pipe = redis.pipeline();
    for (const member of parked) {
      const e = parseExpiryMember(member);
      if (e) pipe.hexists(keys.appr(e.runId), e.stepId).hget(keys.steps(e.runId), e.stepId);
    }
    const replies = (await pipe.exec()) ?? [];
    for (let i = 0; i + 1 < replies.length; i += 2) {
      const [err, exists] = replies[i] ?? [];
      if (err || exists !== 1) continue;
      approvalsWaiting++;
      const startedAt = stepStartedAt(replies[i + 1]?.[1]);
      if (startedAt !== undefined) oldestApprovalSeconds = Math.max(oldestApprovalSeconds, Math.max(0, now - startedAt) / 1000);
    }
  }
  return { pools: new Map(pools), runsPastTimeout: [...overdueNow, ...overdueOld].filter((id) => id.endsWith('.timeout')).length, approvalsWaiting, oldestApprovalSeconds };
}

/** `startedAt` of a stored step record (JSON), when it has one. */
function stepStartedAt(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const at = (JSON.parse(raw) as { startedAt?: unknown }).startedAt;
    return typeof at === 'number' ? at : undefined;
  } catch {
    return undefined;
  }
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
  gauge('chatops_step_queue_jobs', 'Step jobs (attempts) of each worker pool\'s queue by state: waiting, active, delayed, prioritized, and stalled (active, its job lock gone, not yet put back).', ['pool', 'state'], (g, s) => {
    for (const [pool, p] of s.pools) for (const state of [...JOB_STATES, 'stalled'] as const) g.set({ pool, state }, p.counts[state]);
  });
  gauge('chatops_step_queue_oldest_waiting_seconds', 'How long the oldest waiting job of the step queue has been ready to run, by pool (0 when none waits).', ['pool'], (g, s) => {
    for (const [pool, p] of s.pools) g.set({ pool }, p.oldestWaitingSeconds);
  });
  gauge('chatops_workers_live', 'Workers whose heartbeat in Redis is fresh (under 10 s old), by pool (a worker serving two pools counts in both).', ['pool'], (g, s) => {
    for (const [pool, p] of s.pools) g.set({ pool }, p.workersLive);
  });
  gauge('chatops_runs_past_timeout', 'Runs whose workflow timeout came over a minute ago but was not acted on (its timer job still waits).', [], (g, s) => g.set(s.runsPastTimeout));
  gauge('chatops_approvals_waiting', 'Approval steps parked waiting for a decision (counted up to 1000).', [], (g, s) => g.set(s.approvalsWaiting));
  gauge('chatops_approval_oldest_waiting_seconds', 'How long the approval waiting longest has waited for its decision (0 when none waits).', [], (g, s) => g.set(s.oldestApprovalSeconds));
}
