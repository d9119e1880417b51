/**
 * The engine as fronts and workers see it: implements RunsApi over Redis and one BullMQ queue.
 *
 * Design (see keys.ts for the data, lua/scripts.ts for each atomic change):
 * - Starting a run snapshots the workflow into the run hash, seals secret values (seal.ts), and in
 *   one Lua call checks the idempotency key, takes or queues for the concurrency lock and marks the
 *   first ready steps `queued`; their jobs are then added with deterministic ids
 *   (`runId.stepId.attempt`), so adding one twice is a no-op.
 * - Readiness is ours, not BullMQ flows': each step result is recorded by one Lua call that also
 *   advances the graph, looking only at the steps that need this one (O(its dependents)), and
 *   returns the steps it queued; a crash before the jobs are added is repaired when the step job is
 *   retried (a replayed end, and begin(), return every queued step).
 * - A run ends when advance() reports its outcome: workflow outputs are evaluated, the run is
 *   finished atomically (state, run.finished, expiry after the retention, lock release), the next
 *   run queued for the lock is promoted, and a parent run's `workflow:` step is settled.
 * - Cancel and timeout set an abort flag atomically and publish the run id; workers abort the steps
 *   they hold (worker.ts). Approvals and sub-workflows park: no job, no slot (step-runner.ts).
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, waitUnlessAway } from '../lib/redis-connect.js';
import type { Logger } from '../lib/logger.js';
import type { Policy } from '../config/policy.js';
import { approvalRuleFor, policyLocked, principalOf } from '../config/policy.js';
import { EnvSecretSource, type SecretSource } from '../config/secret-source.js';
import { interpolate } from '../workflow/expressions.js';
import { parseDuration } from '../workflow/duration.js';
import { DEFAULT_POOL, stepPool, type Workflow } from '../workflow/schema.js';
import { EngineError } from './errors.js';
import { baseContext } from './expression-context.js';
import { newRunId, RUN_ID_PATTERN } from './ids.js';
import { expiryMember, Keys } from './keys.js';
import { PoolQueues } from './pool-queues.js';
import { WORKER_ALIVE_MS } from './worker-registry.js';
import { EventReader } from './event-reader.js';
import { readRunRecord, readStepRecord, storedStepJson } from './records.js';
import { parseAdvance, Scripts, type ReadyStep } from './redis-scripts.js';
import { RepairMarks } from './repair-marks.js';
import { RunContexts, runLogFields, type RunContext, type RunMeta } from './run-context.js';
import { resolveSecretKey } from './seal.js';
import { freshRecord, prepareRun } from './prepare-run.js';
import { SnapshotCache } from './snapshot-cache.js';
import { loadSnapshot } from './snapshot-store.js';
import { findStep, snapshotBase, type ApprovalDefaults } from './snapshot.js';
import { DEFAULT_OUTPUT_BUDGET, type OutputBudget } from './output-buffer.js';
import { NO_OBSERVER, type EngineObserver } from './observer.js';
import { EventRelay } from './observer-relay.js';
import { renderTranscript } from './transcript.js';
import type {
  ApprovalState,
  DecideRequest,
  DecideResult,
  Identity,
  ReadEventsManyOptions,
  ReadEventsOptions,
  RunEvent,
  RunRecord,
  RunsApi,
  RunState,
  StartRunRequest,
  StartRunResult,
  StepRecord,
  StepState,
} from './types.js';

/** What the engine needs of a loaded project (src/config/load-project.ts's Project fits). */
export interface EngineProject {
  workflows: ReadonlyMap<string, Workflow>;
  policy?: Policy;
}

export interface EngineOptions {
  redisUrl: string;
  /** Key prefix of everything in Redis (CHATOPS_PREFIX). */
  prefix: string;
  project: EngineProject;
  log: Logger;
  /** Approval rule for steps that do not say; default: the policy's (approvalRuleFor). */
  approvalDefaults?: (workflow: string) => ApprovalDefaults;
  /** Key sealing secret values in Redis; default $CHATOPS_SECRET_KEY or a key file (seal.ts). */
  secretKey?: string;
  /** How long finished runs (record, events, transcript) are kept; default 30 days. */
  retentionMs?: number;
  /** MAXLEN (approximate) of a run's event stream; default 10,000 entries. */
  eventsMaxLen?: number;
  /** Lease of a concurrency lock, renewed by live workers while its run is live; default 60 s. */
  lockLeaseMs?: number;
  /** Where workers read `${{ secrets.NAME }}`; default CHATOPS_SECRET_<NAME> and $CHATOPS_SECRETS_DIR. */
  secrets?: SecretSource;
  /** A worker's lease on the steps it runs (step-lease.ts; CHATOPS_STEP_LEASE); default 30 s. */
  stepLeaseMs?: number;
  /** Most step output kept in Redis per step and per run (output-buffer.ts); default 1 MiB / 8 MiB. */
  outputBudget?: Partial<OutputBudget>;
  /** Told of run and step events (Prometheus metrics: src/server/engine-metrics.ts); default none. */
  observer?: EngineObserver;
  /** With no observer: this process serves no /metrics, so its events go to one that does (observer-relay.ts). */
  relayEvents?: boolean;
}

export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;
/** A run a front was changing is repaired by workers when the change is not confirmed done by then. */
export const REPAIR_AFTER_MS = 10_000;

export interface StepJobData {
  runId: string;
  stepId: string;
  attempt: number;
}

/** A step's end as the runner reports it; the engine masks and records it. */
export interface StepResult {
  state: StepState;
  outputs: Record<string, string>;
  exitCode?: number;
  error?: string;
  startedAt?: number;
  output?: StepRecord['output'];
  childRunId?: string;
  /** For an approval step: how its approval ended (for the observer's approval wait time). */
  approvalOutcome?: ApprovalState['outcome'];
}

/** The fields of a partial settings object that are set (so `undefined` never hides a default). */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const BAD_STATES: readonly StepState[] = ['failed', 'timed_out', 'lost', 'cancelled'];

export class Engine implements RunsApi {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly scripts: Scripts;
  /** The default pool's step queue (`steps`); other pools' queues and the timers are in `pools`. */
  readonly queue: Queue;
  readonly pools: PoolQueues;
  readonly contexts: RunContexts;
  readonly log: Logger;
  readonly retentionMs: number;
  readonly maxlen: number;
  readonly leaseMs: number;
  /** Read by workers only, when a step runs (step-secrets.ts). */
  readonly secrets: SecretSource;
  readonly outputBudget: OutputBudget;
  readonly observer: EngineObserver;
  /** Events relayed by processes that serve no /metrics, for this one to count if it does. */
  readonly relay: EventRelay;
  private readonly secretKey: Buffer;
  private readonly queueConnection: Redis;
  private readonly events: EventReader;
  private readonly repairMarks: RepairMarks;
  private closed = false;

  constructor(readonly opts: EngineOptions) {
    this.log = opts.log;
    this.keys = new Keys(opts.prefix);
    this.redis = connectRedis(opts.redisUrl, this.log);
    this.queueConnection = connectRedis(opts.redisUrl, this.log);
    this.scripts = new Scripts(this.redis);
    this.pools = new PoolQueues(this.queueConnection, this.redis, this.keys, this.log);
    this.queue = this.pools.queue(DEFAULT_POOL);
    this.secretKey = resolveSecretKey(opts.secretKey);
    this.contexts = new RunContexts(this.redis, this.keys, this.secretKey, this.log);
    this.events = new EventReader(this.redis, opts.redisUrl, this.keys, this.log);
    this.repairMarks = new RepairMarks(this.scripts, this.keys.repair, this.log);
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxlen = opts.eventsMaxLen ?? 10_000;
    this.leaseMs = opts.lockLeaseMs ?? 60_000;
    this.secrets = opts.secrets ?? new EnvSecretSource();
    this.outputBudget = { ...DEFAULT_OUTPUT_BUDGET, ...definedOnly(opts.outputBudget) };
    this.relay = new EventRelay(this.redis, this.keys.metricsRelay, this.log);
    this.observer = opts.observer ?? (opts.relayEvents ? this.relay.sender() : NO_OBSERVER);
  }

  workflows(): ReadonlyMap<string, Workflow> {
    return this.opts.project.workflows;
  }

  private approvalDefaults(workflow: string): ApprovalDefaults {
    return this.opts.approvalDefaults?.(workflow) ?? approvalRuleFor(this.opts.project.policy, workflow);
  }

  // ── starting ────────────────────────────────────────────────────────────────────────────────

  /**
   * internal.calls: the workflows the starting run pinned (a `workflow:` step's child, parking.ts):
   * the workflow and its own callees come from there instead of the project in force.
   */
  async startRun(req: StartRunRequest, internal: { mask?: string[]; calls?: ReadonlyMap<string, Workflow> } = {}): Promise<StartRunResult> {
    this.refuseWhenPolicyLocked('no run starts');
    const workflows = internal.calls ?? this.opts.project.workflows;
    const workflow = workflows.get(req.workflow);
    if (workflow === undefined) {
      const known = [...workflows.keys()].sort();
      throw new EngineError('UNKNOWN_WORKFLOW', `unknown workflow "${req.workflow}"; known: ${known.join(', ') || '(none)'}`, { workflow: req.workflow });
    }
    if (req.runId !== undefined && !RUN_ID_PATTERN.test(req.runId)) {
      throw new EngineError('BAD_RUN_ID', `run id "${req.runId}" is not valid: it must look like r-1a2b3c ("r-" and six of 0-9 a-z); leave it out to get a fresh one`, { runId: req.runId });
    }
    if (req.idempotencyKey !== undefined) {
      const existing = await this.redis.get(this.keys.idem(req.idempotencyKey));
      const run = existing ? await this.getRun(existing) : null;
      if (run) return { run, existing: true };
    }
    const snap = this.snapshots.get(workflow, this.approvalDefaults(workflow.name), workflows);
    const now = Date.now();
    const prep = prepareRun(workflow, req, snap, { mask: internal.mask, secretKey: this.secretKey, now, log: this.log });
    const { lockKey, lockLabel } = prep.meta;
    // The snapshot's JSON is sent only while this process has not seen it written (see create).
    let sendSnapshot = !this.writtenSnapshots.has(snap.sha);
    const repairAt = now + REPAIR_AFTER_MS;
    for (let tries = 0; tries < 8; tries++) {
      // A caller-chosen id is reserved by the create script itself (it refuses an id whose run
      // exists), so two starts racing for one id cannot both win.
      const runId = req.runId ?? newRunId();
      const meta: RunMeta = { ...prep.meta, id: runId };
      const fields = { meta: JSON.stringify(meta), wf: snap.sha, sealed: prep.sealedText, createdAt: String(now) };
      const created: RunEvent = { ts: now, runId, type: 'run.created', workflow: workflow.name, trigger: meta.trigger, inputs: meta.inputs };
      const reply = await this.scripts.call(
        'create',
        [
          ...this.keys.runKeys(runId),
          this.keys.runs,
          meta.trigger.channel ? this.keys.channel(meta.trigger.channel) : this.keys.runs,
          req.idempotencyKey !== undefined ? this.keys.idem(req.idempotencyKey) : '',
          lockKey !== undefined ? this.keys.lock(lockKey) : '',
          lockKey !== undefined ? this.keys.lockQueue(lockKey) : '',
          this.keys.locks,
          this.keys.repair,
          this.keys.workflow(snap.sha),
        ],
        [runId, now, this.maxlen, this.retentionMs, this.leaseMs, this.keys.prefix, lockKey ?? '', workflow.concurrency?.mode ?? 'queue', JSON.stringify(fields), snap.stJson, snap.rootsJson, snap.apprJson, JSON.stringify(created), repairAt, sendSnapshot ? snap.defJson : '', sendSnapshot ? snap.graphJson : '', sendSnapshot ? snap.callsJson : '', lockLabel ?? ''],
      );
      const tag = reply[0];
      if (tag === 'no-snapshot') {
        // Gone since we wrote it (expired with its last run, or Redis was flushed): write it again.
        this.writtenSnapshots.delete(snap.sha);
        sendSnapshot = true;
        continue;
      }
      if (tag === 'collision') {
        if (req.runId !== undefined) throw new EngineError('RUN_ID_TAKEN', `run id ${req.runId} is already taken by another run; start again with a fresh id (or none)`, { runId: req.runId });
        continue;
      }
      if (tag === 'existing') {
        const run = await this.getRun(reply[1] ?? '');
        if (run) return { run, existing: true };
        continue;
      }
      if (tag === 'held') {
        const holderId = reply[1] ?? '';
        this.observer.concurrencyWait(workflow.name, 'refused');
        const holder = holderId ? await this.getRun(holderId) : null;
        const who = holder ? ` (run ${holder.id} of ${holder.workflow}, started by ${holder.trigger.requester})` : holderId ? ` (run ${holderId})` : '';
        throw new EngineError('CONCURRENCY_HELD', `${workflow.name} is already running for "${lockLabel ?? ''}"${who}; try again when it ends`, { key: lockLabel, holder: holderId });
      }
      this.rememberSnapshot(snap.sha);
      this.contexts.put(runId, { meta, def: workflow, graph: snap.graph, calls: snap.calls, inputs: prep.inputs, sealed: prep.sealed, masker: prep.masker, log: this.log.child(runLogFields(runId, meta)) });
      this.log.info({ ...runLogFields(runId, meta), requester: meta.trigger.requester, state: tag }, 'run created');
      let adv = { done: '', ready: [] as ReadyStep[] };
      if (tag === 'started') {
        this.observer.runStarted(workflow.name, meta.trigger.kind);
        adv = parseAdvance(reply, 1);
        await this.onBegun(runId);
        await this.afterAdvance(runId, adv);
      } else if (tag === 'queued' && lockKey !== undefined) {
        this.observer.concurrencyWait(workflow.name, 'queued');
        // The lock may have been freed between our check and now by a run that found no waiter.
        await this.promoteLock(lockKey);
      }
      this.repairMarks.clear(runId, repairAt);
      // What we just wrote, without reading it back (the common case); read it when it moved on.
      const queue = tag === 'queued' && lockLabel !== undefined ? { key: lockLabel, position: Number(reply[1]), holder: reply[2] || undefined } : undefined;
      const run = adv.done === '' && (tag === 'started' || tag === 'queued') ? freshRecord(meta, workflow, snap, tag === 'started' ? 'running' : 'queued', adv.ready, queue) : await this.getRun(runId);
      if (!run) throw new Error(`run ${runId} vanished right after it was created`);
      return { run, existing: false };
    }
    throw new Error('could not allocate a unique run id after 8 tries');
  }

  private readonly snapshots = new SnapshotCache();
  /** SHAs of snapshots this engine saw written in Redis (bounded: a long-lived front reloads workflows). */
  private readonly writtenSnapshots = new Set<string>();

  private rememberSnapshot(sha: string): void {
    if (this.writtenSnapshots.has(sha)) return;
    if (this.writtenSnapshots.size >= 1_000) this.writtenSnapshots.clear();
    this.writtenSnapshots.add(sha);
  }

  /** A run just started running: arm its workflow timeout. */
  async onBegun(runId: string): Promise<void> {
    const rc = await this.contexts.get(runId);
    const ms = rc?.def.timeout !== undefined ? parseDuration(rc.def.timeout) : undefined;
    if (ms === undefined) return;
    await this.pools.timers.add('timeout', { runId }, { jobId: `${runId}.timeout`, delay: ms, ...TIMER_JOB_OPTS });
  }

  /** Adds the jobs of steps that became ready, each to its pool's queue. */
  async enqueue(runId: string, ready: ReadyStep[]): Promise<void> {
    if (ready.length === 0) return;
    const now = Date.now();
    const rc = this.contexts.peek(runId) ?? (await this.contexts.get(runId));
    const byPool = new Map<string, ReadyStep[]>();
    for (const r of ready) {
      const step = rc ? findStep(rc.def, r.stepId)?.step : undefined;
      const pool = rc && step ? stepPool(rc.def, step) : DEFAULT_POOL;
      byPool.set(pool, [...(byPool.get(pool) ?? []), r]);
    }
    for (const [pool, steps] of byPool) {
      const jobs = steps.map((r) => ({
        name: 'step',
        data: { runId, stepId: r.stepId, attempt: r.attempt } satisfies StepJobData,
        opts: { jobId: `${runId}.${r.stepId}.${r.attempt}`, delay: Math.max(0, r.retryAt - now), ...STEP_JOB_OPTS },
      }));
      const queue = this.pools.queue(pool);
      // One job (the common case) is one script call; addBulk wraps even one in MULTI/EXEC.
      const [only] = jobs;
      if (jobs.length === 1 && only !== undefined) await queue.add(only.name, only.data, only.opts);
      else await queue.addBulk(jobs);
      if (rc && !(await this.pools.hasWorker(pool))) await this.tellNoWorker(rc, pool, steps);
    }
  }

  /**
   * Says in the run's stream that its steps wait for a pool nobody serves now (the chat line shows
   * it). A step with a timeout waits no longer than that: a deadline in P:expiry, swept by any
   * worker whatever its pools, ends it timed_out if it is still queued then (Parking.expire).
   */
  private async tellNoWorker(rc: RunContext, pool: string, steps: ReadyStep[]): Promise<void> {
    rc.log.warn({ pool, steps: steps.map((s) => s.stepId) }, 'steps wait for a worker of their pool, and none is running');
    for (const s of steps) {
      await this.appendEvent(rc, { ts: Date.now(), runId: rc.meta.id, type: 'step.no_worker', step: s.stepId, attempt: s.attempt, pool });
      const step = findStep(rc.def, s.stepId)?.step;
      const ms = step?.timeout !== undefined && step.approval === undefined && step.workflow === undefined ? parseDuration(step.timeout) : undefined;
      if (ms !== undefined) await this.redis.zadd(this.keys.expiry, 'NX', Math.max(Date.now(), s.retryAt) + ms, expiryMember(rc.meta.id, s.stepId));
    }
  }

  async afterAdvance(runId: string, adv: { done: string; ready: ReadyStep[] }): Promise<void> {
    await this.enqueue(runId, adv.ready);
    if (adv.done !== '') await this.finishRun(runId, adv.done as RunState);
  }

  /** Starts a run promoted to hold its lock (or repairs one whose start was cut short). */
  async begin(runId: string): Promise<void> {
    const rc = await this.contexts.get(runId);
    if (!rc) return;
    const lock = rc.meta.lockKey !== undefined ? this.keys.lock(rc.meta.lockKey) : '';
    const reply = await this.scripts.call('begin', [...this.keys.runKeys(runId), lock], [runId, Date.now(), this.maxlen]);
    if (reply[0] !== 'started' && reply[0] !== 'running') return;
    if (reply[0] === 'started') {
      rc.log.info('run started after waiting for its lock');
      this.observer.runStarted(rc.meta.workflow, rc.meta.trigger.kind);
      await this.onBegun(runId);
    }
    await this.afterAdvance(runId, parseAdvance(reply, 1));
  }

  /** Gives a free lock to the next queued run and starts it. */
  async promoteLock(lockKey: string): Promise<void> {
    const reply = await this.scripts.call('promote', [this.keys.lock(lockKey), this.keys.lockQueue(lockKey), this.keys.locks], [this.keys.prefix, this.leaseMs, lockKey]);
    if (reply[0] === 'promoted' && reply[1]) await this.begin(reply[1]);
  }

  // ── steps ───────────────────────────────────────────────────────────────────────────────────

  /** Records a step's end (masked) and moves the run on. `from`: the states it may end from. */
  async finishStep(rc: RunContext, stepId: string, attempt: number, res: StepResult, from: StepState[]): Promise<void> {
    const node = rc.graph.find((n) => n.id === stepId);
    const now = Date.now();
    const m = rc.masker;
    // A result that knows when its step started needs nothing stored; others read the record.
    const base = res.startedAt !== undefined ? snapshotBase(rc.def, stepId) : await this.stepBase(rc, stepId);
    // Only what the step produced is masked: ids, kind, state and the rest are the engine's and the
    // workflow's own words, which a short secret (`k` in `make`) must not rewrite.
    const shown = m.maskDeep({ outputs: res.outputs, error: res.error, output: res.output });
    const record: StepRecord = { ...base, state: res.state, attempt, startedAt: res.startedAt ?? base.startedAt, endedAt: now, exitCode: res.exitCode, ...shown, childRunId: res.childRunId ?? base.childRunId };
    const startedAt = record.startedAt ?? now;
    const event: RunEvent = { ts: now, runId: rc.meta.id, type: 'step.finished', step: stepId, state: res.state, durationMs: now - startedAt, outputs: record.outputs, exitCode: res.exitCode, error: record.error };
    const failing = BAD_STATES.includes(res.state) && node?.coe !== true;
    const failure = failing ? JSON.stringify({ step: stepId, error: record.error ?? res.state }) : '';
    // A run ending as succeeded is finished by the same call when nothing must be done first in
    // JS (workflow outputs to evaluate, a parent to mark for repair): see finishStep in scripts.ts.
    const lockKey = rc.meta.lockKey;
    const inline = Object.keys(rc.def.outputs ?? {}).length === 0 && rc.meta.trigger.parent === undefined;
    const reply = await this.scripts.call(
      'finishStep',
      [...this.keys.runKeys(rc.meta.id), lockKey !== undefined ? this.keys.lock(lockKey) : '', lockKey !== undefined ? this.keys.lockQueue(lockKey) : ''],
      [rc.meta.id, stepId, attempt, res.state, from.join(','), storedStepJson(record, snapshotBase(rc.def, stepId)), JSON.stringify(event), failure, now, this.maxlen, inline ? this.retentionMs : ''],
    );
    if (reply[0] === 'gone') return;
    if (reply[0] === 'recorded') {
      rc.log.info({ stepId: stepId, attempt, state: res.state, error: record.error }, 'step finished');
      const seconds = record.startedAt !== undefined ? (now - record.startedAt) / 1000 : undefined;
      this.observer.stepFinished(rc.meta.workflow, record.kind, res.state, seconds);
      if (res.approvalOutcome !== undefined) this.observer.approvalSettled(rc.meta.workflow, res.approvalOutcome, seconds ?? 0);
    }
    const adv = parseAdvance(reply, 2);
    if (reply[1] !== 'finished') return this.afterAdvance(rc.meta.id, adv);
    await this.enqueue(rc.meta.id, adv.ready);
    await this.afterFinished(rc, 'succeeded', '');
  }

  /** The stored record of a step (for fields set at start: name, kind, startedAt, childRunId). */
  async stepBase(rc: RunContext, stepId: string): Promise<StepRecord> {
    const raw = await this.redis.hget(this.keys.steps(rc.meta.id), stepId);
    const base = snapshotBase(rc.def, stepId);
    return raw ? readStepRecord(base, raw) : base;
  }

  /**
   * Adds an event to a live run's stream (not charged to its output budget); nothing when the run
   * vanished. The caller masks the text a step produced in it (a notify's text): the event's type,
   * step id and other fields are the engine's own, which masking could rewrite.
   */
  async appendEvent(rc: RunContext, event: RunEvent): Promise<void> {
    await this.scripts.call('appendEvent', this.keys.runKeys(rc.meta.id), [this.maxlen, this.outputBudget.runBytes, 0, JSON.stringify(event)]);
  }

  /** An approval that has an outcome ends its (waiting) step. */
  async settleApproval(rc: RunContext, stepId: string, approval: ApprovalState): Promise<void> {
    if (approval.outcome === undefined) return;
    const attempt = Number((await this.redis.hget(this.keys.st(rc.meta.id), `${stepId}#a`)) ?? 1);
    const approvers = approval.decisions.filter((d) => d.counted && d.decision === 'approve').map((d) => d.user);
    const denier = approval.decisions.find((d) => d.counted && d.decision === 'deny');
    const res: StepResult =
      approval.outcome === 'approved'
        ? { state: 'succeeded', outputs: { approved_by: approvers.join(',') } }
        : approval.outcome === 'denied'
          ? { state: 'failed', outputs: { denied_by: denier?.user ?? '' }, error: `approval denied by ${denier?.user ?? 'someone'}` }
          : { state: 'failed', outputs: {}, error: 'approval expired: nobody decided in time' };
    await this.finishStep(rc, stepId, attempt, { ...res, approvalOutcome: approval.outcome }, ['waiting']);
    if (approval.outcome !== 'expired') await this.redis.zrem(this.keys.expiry, expiryMember(rc.meta.id, stepId));
  }

  /** A child run ended: its status and outputs become the parent's `workflow:` step result. */
  async settleChild(parentRunId: string, stepId: string, child: RunRecord): Promise<void> {
    const rc = await this.contexts.get(parentRunId);
    if (!rc) return;
    const attempt = Number((await this.redis.hget(this.keys.st(parentRunId), `${stepId}#a`)) ?? 1);
    const state: StepState = child.state === 'succeeded' ? 'succeeded' : child.state === 'cancelled' ? 'cancelled' : child.state === 'timed_out' ? 'timed_out' : 'failed';
    const error = state === 'succeeded' ? undefined : `sub-workflow ${child.workflow} (run ${child.id}) ${child.state}${child.error ? `: ${child.error}` : ''}`;
    await this.finishStep(rc, stepId, attempt, { state, outputs: child.outputs, error, childRunId: child.id }, ['waiting']);
    // Only a step with a timeout had a deadline armed (parking.ts): no round trip for the others.
    if (findStep(rc.def, stepId)?.step.timeout !== undefined) await this.redis.zrem(this.keys.expiry, expiryMember(parentRunId, stepId));
  }

  // ── ending ──────────────────────────────────────────────────────────────────────────────────

  async finishRun(runId: string, outcome: RunState): Promise<void> {
    const rc = await this.contexts.get(runId);
    if (!rc) return;
    const [failureRaw, abortRaw] = outcome === 'succeeded' ? [null, null] : await this.redis.hmget(this.keys.run(runId), 'failure', 'abortFailure');
    const failure = failureRaw ? (JSON.parse(failureRaw) as { step?: string; error?: string }) : undefined;
    const aborted = abortRaw ? (JSON.parse(abortRaw) as { error?: string }) : undefined;
    const outputs: Record<string, string> = {};
    const templates = Object.entries(rc.def.outputs ?? {});
    const steps = templates.length > 0 ? ((await this.getRun(runId))?.steps ?? []) : [];
    const ctx = baseContext(rc, steps, { failure, status: { failed: outcome === 'failed' || outcome === 'timed_out', cancelled: outcome === 'cancelled' } });
    for (const [k, template] of templates) {
      try {
        outputs[k] = interpolate(template, ctx);
      } catch (err) {
        outputs[k] = '';
        rc.log.warn({ output: k, err: rc.masker.mask((err as Error).message) }, 'workflow output could not be evaluated');
      }
    }
    // Made of the step id, errors masked when they were stored (finishStep) and abort's own words
    // (abortRun): masking it whole would rewrite the step id too.
    let error = '';
    if (outcome === 'failed') error = failure?.step ? `step ${failure.step} failed: ${failure.error ?? 'failed'}` : (failure?.error ?? 'a step failed');
    else if (outcome === 'timed_out' || outcome === 'cancelled') error = aborted?.error ?? failure?.error ?? outcome;
    const lockKey = rc.meta.lockKey;
    const parent = rc.meta.trigger.parent;
    // The parent's step is settled after this run ends: if we die in between, a worker repairs it.
    if (parent !== undefined) await this.redis.zadd(this.keys.repair, Date.now() + REPAIR_AFTER_MS, parent.runId);
    const reply = await this.scripts.call(
      'finishRun',
      [...this.keys.runKeys(runId), lockKey !== undefined ? this.keys.lock(lockKey) : '', lockKey !== undefined ? this.keys.lockQueue(lockKey) : ''],
      [runId, outcome, JSON.stringify(rc.masker.maskDeep(outputs)), error, Date.now(), this.maxlen, this.retentionMs],
    );
    if (reply[0] !== 'finished') return;
    await this.afterFinished(rc, outcome, error);
  }

  /** What follows a run's end in Redis: its timeout job removed, its lock's next run started, its parent's step settled. */
  private async afterFinished(rc: RunContext, outcome: RunState, error: string): Promise<void> {
    const runId = rc.meta.id;
    const lockKey = rc.meta.lockKey;
    const parent = rc.meta.trigger.parent;
    rc.log.info({ state: outcome, error: rc.masker.mask(error) || undefined }, 'run finished');
    this.observer.runFinished(rc.meta.workflow, rc.meta.trigger.kind, outcome, Math.max(0, Date.now() - rc.meta.createdAt) / 1000);
    if (rc.def.timeout !== undefined) await this.pools.timers.remove(`${runId}.timeout`).catch(() => 0);
    if (lockKey !== undefined) await this.promoteLock(lockKey);
    if (parent !== undefined) {
      const child = await this.getRun(runId);
      if (child) await this.settleChild(parent.runId, parent.stepId, child);
      await this.redis.zrem(this.keys.repair, parent.runId);
    }
  }

  /** Cancel (kind cancelled) or workflow timeout (kind timed_out), from any process. */
  /**
   * Runs a change a front makes to a run (cancel, decision) with a safety net: the run is marked
   * for repair first and unmarked when the follow-up (enqueue, finish) is done, so a crash in
   * between is repaired by a worker (worker.ts) instead of leaving the run hanging.
   */
  private async guarded<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    await this.redis.zadd(this.keys.repair, Date.now() + REPAIR_AFTER_MS, runId);
    const result = await fn();
    await this.redis.zrem(this.keys.repair, runId);
    return result;
  }

  /**
   * Brings a run whose follow-up may have been cut short back in line: adds the jobs of its
   * queued steps, settles parked steps that were decided or whose child ended, finishes it when
   * nothing is left. Idempotent; a no-op for a healthy run.
   */
  async repair(runId: string): Promise<void> {
    const rc = await this.contexts.get(runId);
    if (!rc) return;
    await this.begin(runId);
    const run = await this.getRun(runId);
    if (!run) return;
    for (const step of run.steps) {
      if (step.state !== 'waiting') continue;
      if (step.approval?.outcome !== undefined) await this.settleApproval(rc, step.id, step.approval);
      else if (step.childRunId) {
        const child = await this.getRun(step.childRunId);
        if (child && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(child.state)) await this.settleChild(runId, step.id, child);
      }
    }
  }

  /**
   * Cancels or times out a run. `failure` is stored as given, unmasked: the engine's own words
   * (a workflow timeout), never text a step or person produced.
   */
  async abortRun(runId: string, kind: 'cancelled' | 'timed_out', by: Identity, failure?: { step?: string; error: string }): Promise<string> {
    return this.guarded(runId, () => this.abortUnguarded(runId, kind, by, failure));
  }

  private async abortUnguarded(runId: string, kind: 'cancelled' | 'timed_out', by: Identity, failure?: { step?: string; error: string }): Promise<string> {
    const rc = await this.contexts.get(runId);
    if (!rc) throw new EngineError('UNKNOWN_RUN', `no run ${runId} (it may have expired)`, { runId });
    const lockQueue = rc.meta.lockKey !== undefined ? this.keys.lockQueue(rc.meta.lockKey) : '';
    const fail = failure ?? (kind === 'cancelled' ? { error: `cancelled by ${by}` } : { error: 'workflow timed out' });
    // Neither is masked: `by` is an identity (shown, like the requester, as the policy names it)
    // and the error the engine's own words; a short secret would rewrite both.
    const reply = await this.scripts.call('abort', [...this.keys.runKeys(runId), lockQueue], [runId, kind, by, Date.now(), this.maxlen, JSON.stringify(fail)]);
    if (reply[0] !== 'aborting') return reply[0] ?? '';
    rc.log.info({ kind, by }, kind === 'cancelled' ? 'run cancelling' : 'run timed out');
    await this.redis.publish(this.keys.cancelChannel, `${runId} ${kind}`);
    const waiting = JSON.parse(reply[1] ?? '[]') as string[];
    for (const stepId of waiting) {
      const base = await this.stepBase(rc, stepId);
      if (base.childRunId) await this.cancel(base.childRunId, `workflow:${runId}`).catch(() => undefined);
      await this.redis.zrem(this.keys.expiry, expiryMember(runId, stepId));
    }
    await this.afterAdvance(runId, parseAdvance(reply, 2));
    return 'aborting';
  }

  async cancel(runId: string, by: Identity): Promise<RunRecord> {
    await this.abortRun(runId, 'cancelled', by);
    const run = await this.getRun(runId);
    if (!run) throw new EngineError('UNKNOWN_RUN', `no run ${runId} (it may have expired)`, { runId });
    return run;
  }

  /**
   * A policy file that exists but cannot be used (errors, misnamed, a dangling link) locks the
   * engine too: approval rules come from it, so a run started or decided now would fall open.
   */
  private refuseWhenPolicyLocked(what: string): void {
    if (policyLocked(this.opts.project.policy))
      throw new EngineError('POLICY_LOCKED', `the policy file cannot be used (run \`chatops validate\` to see why); ${what} until it is fixed`);
  }

  // ── approvals ───────────────────────────────────────────────────────────────────────────────

  async decide(req: DecideRequest): Promise<DecideResult> {
    this.refuseWhenPolicyLocked('no approval decision counts');
    const rc = await this.contexts.get(req.runId);
    if (!rc) throw new EngineError('UNKNOWN_RUN', `no run ${req.runId} (it may have expired)`, { runId: req.runId });
    return this.guarded(req.runId, () => this.decideUnguarded(rc, req));
  }

  private async decideUnguarded(rc: RunContext, req: DecideRequest): Promise<DecideResult> {
    const stepId = req.stepId ?? (await this.openApproval(req.runId));
    // People, not accounts: policy's people: says which accounts are one person (the policy in
    // force now, so a mapping added mid-run applies to the decisions still to come).
    const policy = this.opts.project.policy;
    const person = principalOf(policy, req.user);
    const requesterPerson = principalOf(policy, rc.meta.trigger.requester);
    const reply = await this.scripts.call('decide', this.keys.runKeys(req.runId), [req.runId, stepId, req.user, JSON.stringify(req.roles), req.decision, Date.now(), this.maxlen, person, requesterPerson]);
    if (reply[0] === 'not-approval') throw new EngineError('NOT_AN_APPROVAL', `step ${stepId} of run ${req.runId} is not an approval step`, { runId: req.runId, stepId });
    const approval = JSON.parse(reply[2] ?? '{}') as ApprovalState;
    approval.decisions = Array.isArray(approval.decisions) ? approval.decisions : [];
    approval.roles = Array.isArray(approval.roles) ? approval.roles : [];
    const counted = reply[0] === '1';
    rc.log.info({ stepId: stepId, user: req.user, decision: req.decision, counted, reason: reply[1] || undefined, outcome: approval.outcome }, 'approval decision');
    if (approval.outcome !== undefined && reply[3] === 'waiting') await this.settleApproval(rc, stepId, approval);
    return { counted, reason: reply[1] || undefined, approval };
  }

  /** The approval step a decision without a step id is for: the waiting one, else one parking. */
  private async openApproval(runId: string): Promise<string> {
    const [ids, st] = await Promise.all([this.redis.hkeys(this.keys.appr(runId)), this.redis.hgetall(this.keys.st(runId))]);
    const byState = (s: string) => ids.filter((id) => st[id] === s);
    const pick = byState('waiting')[0] ?? byState('running')[0] ?? byState('queued')[0];
    if (pick === undefined) throw new EngineError('NO_WAITING_APPROVAL', `run ${runId} has no approval waiting for a decision`, { runId });
    return pick;
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────────

  async getRun(runId: string): Promise<RunRecord | null> {
    return readRunRecord(this.redis, this.keys, runId);
  }

  /** The workflow as a run was started (its stored snapshot), or undefined once that expired. */
  async runWorkflow(runId: string): Promise<Workflow | undefined> {
    const sha = await this.redis.hget(this.keys.run(runId), 'wf');
    return sha ? (await loadSnapshot(this.redis, this.keys, sha))?.def : undefined;
  }

  async listRuns(opts: { channel?: string; limit?: number }): Promise<RunRecord[]> {
    const index = opts.channel ? this.keys.channel(opts.channel) : this.keys.runs;
    const limit = Math.max(1, Math.min(opts.limit ?? 20, 500));
    const ids = await this.redis.zrevrange(index, 0, limit - 1);
    const runs: RunRecord[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const run = await this.getRun(id);
      if (run) runs.push(run);
      else gone.push(id);
    }
    // Runs past their retention expire on their own; forget them in the index too.
    if (gone.length > 0) await this.redis.zrem(index, ...gone);
    return runs;
  }

  async readEvents(runId: string, opts: ReadEventsOptions = {}): Promise<RunEvent[]> {
    const read = await this.events.readMany(new Map([[runId, opts.after ?? '0']]), { blockMs: opts.blockMs, count: opts.count });
    return read.get(runId) ?? [];
  }

  async readEventsMany(cursors: ReadonlyMap<string, string>, opts: ReadEventsManyOptions = {}): Promise<Map<string, RunEvent[]>> {
    return this.events.readMany(cursors, opts);
  }

  async transcript(runId: string): Promise<string> {
    const run = await this.getRun(runId);
    if (!run) throw new EngineError('UNKNOWN_RUN', `no run ${runId} (it may have expired)`, { runId });
    const events: RunEvent[] = [];
    let after = '0';
    for (;;) {
      const batch = await this.readEvents(runId, { after, count: 5000 });
      if (batch.length === 0) break;
      events.push(...batch);
      after = batch[batch.length - 1]?.id ?? after;
    }
    return renderTranscript(run, events);
  }

  /** Live workers: all of them, or those serving one pool. */
  async workerCount(pool?: string): Promise<number> {
    return this.redis.zcount(pool === undefined ? this.keys.workers : this.keys.pool(pool), Date.now() - WORKER_ALIVE_MS, '+inf');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.repairMarks.flush();
    await waitUnlessAway(Promise.all(this.pools.all().map((q) => q.close())), this.redis);
    this.events.close();
    // The relay's last events go on this.redis: sent before it closes (a `chatops run` exits next).
    await this.relay.close();
    await closeRedis(this.queueConnection);
    await closeRedis(this.redis);
  }
}

/** Timers (workflow timeout, approval expiry): retried on engine errors so a run never waits forever. */
export const TIMER_JOB_OPTS: JobsOptions = { removeOnComplete: true, removeOnFail: true, attempts: 5, backoff: { type: 'exponential', delay: 1000 } };

/** Step jobs: removed when done; BullMQ retries them only for engine errors (the step's own retry is ours). */
export const STEP_JOB_OPTS: JobsOptions = { removeOnComplete: true, removeOnFail: true, attempts: 3, backoff: { type: 'fixed', delay: 1000 } };


