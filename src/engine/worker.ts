/**
 * A worker process: a BullMQ worker on the step queue of each pool it serves (`steps` for the
 * default pool, `steps-POOL` for `runs_on: POOL`) and one on the `timers` queue, which every worker
 * serves whatever its pools (a workflow timeout never waits for a pool's worker), plus the
 * housekeeping that keeps runs honest when processes die (all of it pool-blind too):
 * - stall detection tuned to seconds (lock 10 s, checked every 5 s by default): the job of a
 *   worker killed mid-step returns to the queue and the next worker finds the step `running`
 *   (step-runner.ts waits out the holder's step lease, then decides retry or `lost`);
 * - the step lease (step-lease.ts), renewed on a connection of its own: losing it kills the steps
 *   claimed under it, so a stalled or cut-off worker never runs a step beside its next attempt;
 * - a heartbeat announcing the worker (worker-registry.ts: pools, concurrency, version, the steps it
 *   holds), so `chatops run` and chat can say when no worker of a pool is running, and
 *   `chatops workers` can list them;
 * - pub/sub on P:cancel (+ a 1 s poll) to abort the steps it holds when their run is cancelled;
 * - lock maintenance: renews the leases of locks whose holder run is live, reclaims locks whose
 *   holder ended or vanished (lease expired), and starts the next queued run;
 * - run repair: a front that died between changing a run and adding its jobs (or finishing it)
 *   left the run in P:repair; it is brought back in line here;
 * - approval expiry: every second, approvals due in P:expiry are claimed (claimDue: leased for
 *   30 s, so a worker dying mid-expiry leaves them to the next sweep) and denied. One sorted-set
 *   entry per parked approval (~100 bytes) instead of a delayed BullMQ job (~900 bytes); expiry
 *   fires within about a second of its time while any worker runs, and survives restarts (it
 *   lives in Redis). With no worker running nothing expires, as with delayed jobs.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker, type Processor } from 'bullmq';
import { closeRedis, connectRedis, waitUnlessAway } from '../lib/redis-connect.js';
import { isConnectionError } from '../lib/redis-outage.js';
import { ActiveSteps } from './active-steps.js';
import { Engine, type EngineOptions, type StepJobData } from './engine.js';
import { RUN_ID_PATTERN } from './ids.js';
import { parseExpiryMember, queueName, TIMER_QUEUE_NAME } from './keys.js';
import { announce, withdraw } from './worker-registry.js';
import { DEFAULT_POOL } from '../workflow/schema.js';
import { packageVersion } from '../lib/package-info.js';
import { leaseTiming, StepLease } from './step-lease.js';
import { StepRunner } from './step-runner.js';
import { setGuardDeadline } from '../actions/orphan-guard.js';
import { sweepStepDirs } from '../actions/outputs-file.js';

export interface WorkerOptions extends EngineOptions {
  /** Steps run at once, per pool served. */
  concurrency: number;
  /** The pools whose steps this worker runs; default: the default pool only. */
  pools?: readonly string[];
  /** BullMQ stall detection; shorten in tests. */
  stall?: { lockDurationMs?: number; stalledIntervalMs?: number; maxStalledCount?: number };
  heartbeatMs?: number;
  /** The project version in force, announced with each heartbeat (src/reload/). */
  projectVersion?: () => string;
  /** How often locks are renewed and reclaimed; default a third of the lease, at most 5 s. */
  maintenanceMs?: number;
}

export interface WorkerHandle {
  id: string;
  pools: readonly string[];
  engine: Engine;
  /** Steps running in this process now. */
  activeSteps(): number;
  /** Writes a heartbeat now (after a reload, so `chatops workers` shows the new project version). */
  announce(): Promise<void>;
  /** Stops taking jobs, waits for running steps, disconnects. Idempotent. */
  close(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const engine = new Engine(opts);
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = opts.log.child({ worker: id });
  const active = new ActiveSteps();
  // Its own connection: renewals must not queue behind step traffic, and time out on their own.
  const leaseConnection = connectRedis(opts.redisUrl, log);
  const lease = new StepLease(leaseConnection, engine.keys, id, leaseTiming(opts.stepLeaseMs), (leaseId, why) => active.abortLease(leaseId, why), log, setGuardDeadline);
  await lease.start();
  const runner = new StepRunner(engine, active, lease);
  // Step folders left by a worker of this machine that was killed (they may hold output values).
  void sweepStepDirs().then(
    (n) => n > 0 && log.info({ removed: n }, 'removed step folders left by dead workers'),
    (err: unknown) => log.warn({ err: String(err) }, 'could not sweep old step folders'),
  );

  const subscriber = connectRedis(opts.redisUrl, log);
  subscriber.on('message', (_channel: string, message: string) => {
    const [runId, kind] = message.split(' ');
    if (runId) active.abortRun(runId, kind ?? 'cancelled');
  });
  await subscriber.subscribe(engine.keys.cancelChannel);

  const pools = [...new Set(opts.pools && opts.pools.length > 0 ? opts.pools : [DEFAULT_POOL])].sort();
  const concurrency = Math.max(1, opts.concurrency);
  // A BullMQ worker holds a blocking connection of its own: one per queue served.
  const workerConnections: ReturnType<typeof connectRedis>[] = [];
  const serve = (queue: string, n: number): Worker => {
    const connection = connectRedis(opts.redisUrl, log);
    workerConnections.push(connection);
    const processor: Processor = (job, token) => runner.process(job, token);
    const worker = new Worker(queue, processor, {
      connection,
      prefix: engine.keys.queuePrefix,
      concurrency: n,
      lockDuration: opts.stall?.lockDurationMs ?? 10_000,
      stalledInterval: opts.stall?.stalledIntervalMs ?? 5_000,
      maxStalledCount: opts.stall?.maxStalledCount ?? 2,
    });
    // Connection errors are the outage's, logged once (redis-outage.ts); others are worth a line.
    worker.on('error', (err) => {
      if (!isConnectionError(err)) log.error({ err: err.message, queue }, 'worker error');
    });
    worker.on('stalled', (jobId) => {
      engine.observer.jobStalled();
      log.warn({ ...jobIds(jobId), job: jobId, queue }, 'job stalled: its worker stopped renewing the job lock; it is queued again');
    });
    worker.on('failed', (job, err) => {
      if (job === undefined) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError' || /stalled more than/.test(err.message);
      log.error({ ...jobIds(job.id ?? ''), job: job.id, name: job.name, queue, attemptsMade: job.attemptsMade, err: err.message, final }, 'job failed');
      if (final && job.name === 'step') void runner.giveUp(job.data as StepJobData, err.message).catch((e: unknown) => log.error({ err: String(e) }, 'could not end the step of a failed job'));
    });
    return worker;
  };
  const workers = [...pools.map((pool) => serve(queueName(pool), concurrency)), serve(TIMER_QUEUE_NAME, TIMER_CONCURRENCY)];

  const startedAt = Date.now();
  const version = packageVersion();
  const project = opts.projectVersion;
  const beat = () => announce(engine.redis, engine.keys, { id, pools, concurrency, version, ...(project ? { project: project() } : {}), host: hostname(), pid: process.pid, startedAt, beatAt: Date.now(), held: active.held() });
  await beat();
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => Promise<void>, what: string) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((err: unknown) => log.warn({ err: String(err) }, `${what} failed`))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    timers.push(t);
  };
  every(opts.heartbeatMs ?? 2_000, beat, 'heartbeat');
  every(1_000, () => active.poll(engine.redis, engine.keys), 'abort poll');
  every(opts.maintenanceMs ?? Math.min(5_000, Math.max(200, Math.floor(engine.leaseMs / 3))), () => maintainLocks(engine), 'lock maintenance');
  every(opts.maintenanceMs ?? 2_000, () => repairRuns(engine), 'run repair');
  every(EXPIRY_SWEEP_MS, () => sweepExpiries(engine, runner), 'approval expiry sweep');

  log.info({ concurrency, pools }, 'worker started');
  let closing: Promise<void> | undefined;
  return {
    id,
    pools,
    engine,
    activeSteps: () => active.size,
    announce: beat,
    close() {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        // BullMQ's close waits for its blocking read, which never ends while Redis is away: once no
        // step runs here and Redis is unreachable, there is nothing left to wait for.
        if (!(await waitUnlessAway(Promise.all(workers.map((w) => w.close())), engine.redis, () => active.size === 0))) {
          log.warn('no step is running and Redis is unreachable: stopping without it');
        }
        await lease.close();
        await closeRedis(leaseConnection);
        if (engine.redis.status === 'ready') await withdraw(engine.redis, engine.keys, id, pools).catch(() => undefined);
        await closeRedis(subscriber);
        for (const c of workerConnections) await closeRedis(c);
        await engine.close();
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}

/** Timer jobs (workflow timeouts) only flag the run and publish: a few at once is plenty. */
const TIMER_CONCURRENCY = 4;
/** The run and step a job id names (`RUN.STEP.ATTEMPT` for steps, `RUN.timeout` for timers), for log lines. */
function jobIds(jobId: string): { runId?: string; stepId?: string } {
  const [runId, stepId, attempt] = jobId.split('.');
  if (runId === undefined || !RUN_ID_PATTERN.test(runId)) return {};
  return attempt !== undefined ? { runId, stepId } : { runId };
}

const EXPIRY_SWEEP_MS = 1_000;
/** A claimed expiry not done by then (its worker died or Redis failed) is claimed again. */
const EXPIRY_CLAIM_LEASE_MS = 30_000;
const EXPIRY_BATCH = 200;

/** Denies the approvals whose expiry time has come (P:expiry), a batch at a time until none is due. */
export async function sweepExpiries(engine: Engine, runner: StepRunner): Promise<void> {
  for (;;) {
    const due = await engine.scripts.call('claimDue', [engine.keys.expiry], [Date.now(), EXPIRY_CLAIM_LEASE_MS, EXPIRY_BATCH]);
    for (const member of due) {
      const entry = parseExpiryMember(member);
      try {
        if (entry) await runner.expire(entry);
      } catch (err) {
        // Left claimed: tried again once the claim's lease ends. The rest of the batch goes on.
        engine.log.warn({ runId: entry?.runId, stepId: entry?.stepId, err: String(err) }, 'approval expiry failed; retrying later');
        continue;
      }
      await engine.redis.zrem(engine.keys.expiry, member);
    }
    if (due.length < EXPIRY_BATCH) return;
  }
}

/** Repairs runs whose front-side follow-up was cut short (see Engine.repair). */
export async function repairRuns(engine: Engine): Promise<void> {
  const due = await engine.redis.zrangebyscore(engine.keys.repair, '-inf', Date.now(), 'LIMIT', 0, 100);
  for (const runId of due) {
    await engine.repair(runId);
    await engine.redis.zrem(engine.keys.repair, runId);
  }
}

/** Renews live holders' leases; frees locks of ended or vanished holders and starts the next run. */
export async function maintainLocks(engine: Engine): Promise<void> {
  const names = await engine.redis.smembers(engine.keys.locks);
  for (const name of names) {
    const reply = await engine.scripts.call('renew', [engine.keys.lock(name)], [engine.keys.prefix, engine.leaseMs]);
    if (reply[0] === 'free') await engine.promoteLock(name);
    else if (reply[2] === 'queued' && reply[1]) await engine.begin(reply[1]); // promoted, but its start was cut short
  }
}
