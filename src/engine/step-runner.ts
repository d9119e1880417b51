/**
 * What a worker does with one job of the `steps` queue.
 *
 * step:    evaluate `if` (skip), claim the step (queued -> running, atomically), run its action with
 *          an abort signal (step timeout, cancel, workflow timeout), then record the result or
 *          schedule the next attempt (exponential backoff with jitter, as a delayed job).
 *          Every claim is made under this worker's step lease (step-lease.ts). Finding the step
 *          already `running` means BullMQ handed us the job of a worker that stalled (its job lock
 *          expired): while that worker's lease lives it may still be running the step, so the job
 *          is put back, delayed until the lease could have expired plus the takeover margin. Once the
 *          lease is gone the holder has killed its attempt (or died): the step is retried, no sooner
 *          than the takeover margin, when its retry or safe_to_retry allows, else it ends `lost` and
 *          the run fails with that reason. A worker that loses its own lease kills the steps claimed
 *          under it and reports them the same way.
 *          approval and workflow steps park (state waiting, no job): the slot is free at once
 *          (parking.ts).
 *          sleep holds its slot (bounded by the step timeout): short sleeps are the common case and
 *          this keeps them exact; use an approval or a scheduled trigger to wait for hours.
 * expire:  a parked step's deadline came (approval expiry, workflow step timeout): parking.ts.
 *          Called by the workers' P:expiry sweep (worker.ts), not a BullMQ job.
 * timeout: the workflow timeout fired: the run is aborted as timed_out (on_failure steps still run).
 */
import { DelayedError, type Job } from 'bullmq';
import { runHttp } from '../actions/http.js';
import { runNotify } from '../actions/notify.js';
import { runShell } from '../actions/shell.js';
import { runSleep } from '../actions/sleep.js';
import type { ActionContext, ActionResult, ResolvedHttpSpec } from '../actions/types.js';
import { parseDuration } from '../workflow/duration.js';
import { conditionHasStatusFunction, conditionText, evaluateCondition, evaluateExpression, interpolate, stringifyValue, type ExpressionContext } from '../workflow/expressions.js';
import { interpolateUrl } from '../workflow/url-template.js';
import { actionOf, type Step } from '../workflow/schema.js';
import type { ActiveSteps } from './active-steps.js';
import { maxAttempts, retryDelayMs } from './backoff.js';
import type { Engine, StepJobData, StepResult } from './engine.js';
import { baseContext, processEnv, stepEnv } from './expression-context.js';
import { isEngineError } from './errors.js';
import { OutputBuffer } from './output-buffer.js';
import { Parking } from './parking.js';
import { readRunRecord, storedStepJson } from './records.js';
import type { RunContext } from './run-context.js';
import { findStep, snapshotBase } from './snapshot.js';
import { resolveStepSecrets } from './step-secrets.js';
import { LeaseLostError, type StepLease } from './step-lease.js';
import type { StepRecord, StepState } from './types.js';

/** The step's logger, made on first use. */
type StepLog = () => RunContext['log'];

/** A step that can be run again after its worker died, even without retries left, gets this many tries at most. */
const SAFE_TO_RETRY_MAX = 3;

/** Thrown when the step job must wait (another worker's lease may still be running the step): process() delays the job. */
class LookAgain extends Error {
  constructor(readonly afterMs: number) {
    super(`step held by another worker's lease; looking again in ${afterMs} ms`);
  }
}

export class StepRunner {
  private readonly parking: Parking;

  constructor(
    private readonly engine: Engine,
    private readonly active: ActiveSteps,
    private readonly lease: StepLease,
  ) {
    this.parking = new Parking(engine);
  }

  async process(job: Job, token?: string): Promise<void> {
    try {
      if (job.name === 'step') return await this.step(job.data as StepJobData);
      if (job.name === 'timeout') return await this.timeout(job.data as { runId: string });
    } catch (err) {
      if (!(err instanceof LookAgain) || token === undefined) throw err;
      await job.moveToDelayed(Date.now() + err.afterMs, token);
      throw new DelayedError(err.message);
    }
  }

  /** After BullMQ gave up on a step job (engine errors, repeated stalls): the step must still end. */
  async giveUp(data: StepJobData, reason: string): Promise<void> {
    const rc = await this.engine.contexts.get(data.runId);
    if (!rc) return;
    // A step another worker still holds under a live lease is not ours to end: keep a job watching it.
    const ttl = await this.holderTtl(data);
    if (ttl > 0) return this.engine.enqueue(data.runId, [{ stepId: data.stepId, attempt: data.attempt, retryAt: Date.now() + ttl + this.lease.timing.takeoverMarginMs }]);
    const error = `the engine could not run this step: ${rc.masker.mask(reason)}`;
    await this.engine.finishStep(rc, data.stepId, data.attempt, { state: 'lost', outputs: {}, error }, ['running', 'queued']);
  }

  /** True when the step is claimed under this worker's lease but this worker is not running it. */
  private async heldHereButNotRunning(runId: string, stepId: string, leaseId: string): Promise<boolean> {
    const holder = await this.engine.redis.hget(this.engine.keys.st(runId), `${stepId}#w`);
    return holder === leaseId && !this.active.held().some((s) => s.runId === runId && s.stepId === stepId);
  }

  /** What is left (ms) of the lease of the worker running this attempt of the step; 0 when none runs it. */
  private async holderTtl(data: StepJobData): Promise<number> {
    const keys = this.engine.keys;
    const [state, attempt, holder] = await this.engine.redis.hmget(keys.st(data.runId), data.stepId, `${data.stepId}#a`, `${data.stepId}#w`);
    if (state !== 'running' || Number(attempt ?? 1) !== data.attempt || !holder) return 0;
    return Math.max(0, await this.engine.redis.pttl(keys.lease(holder)));
  }

  private async context(rc: RunContext, step: Step, phase: 'main' | 'on_failure'): Promise<ExpressionContext> {
    // Reading every step's record costs a round trip: only steps that look at other steps pay it.
    const recs = step.if !== undefined || readsSteps(step) ? ((await readRunRecord(this.engine.redis, this.engine.keys, rc.meta.id))?.steps ?? []) : [];
    const failureRaw = phase === 'on_failure' ? await this.engine.redis.hget(this.engine.keys.run(rc.meta.id), 'failure') : null;
    const failure = failureRaw ? (JSON.parse(failureRaw) as { step?: string; error?: string }) : undefined;
    const needStates = step.needs.map((n) => recs.find((r) => r.id === n));
    const needFailed = needStates.some((r) => r !== undefined && (r.state === 'failed' || r.state === 'timed_out' || r.state === 'lost' || r.state === 'cancelled') && rc.graph.find((g) => g.id === r.id)?.coe !== true);
    const secrets = resolveStepSecrets(rc, step, this.engine.secrets);
    const ctx = baseContext(rc, recs, { failure, secrets, status: { failed: phase === 'on_failure' || needFailed, cancelled: false } });
    ctx.env = stepEnv(step, ctx);
    return ctx;
  }

  /** Whether the step's `if` lets it run. on_failure steps run unless their own condition says otherwise. */
  private shouldRun(step: Step, phase: 'main' | 'on_failure', ctx: ExpressionContext): boolean {
    if (phase === 'on_failure' && !conditionHasStatusFunction(step.if)) {
      if (step.if === undefined) return true;
      if (typeof step.if === 'boolean') return step.if;
      const v = evaluateExpression(conditionText(step.if), ctx);
      return v !== false && v !== null && v !== undefined && v !== '' && v !== 0;
    }
    return evaluateCondition(step.if, ctx);
  }

  private async step(data: StepJobData): Promise<void> {
    const { runId, stepId, attempt } = data;
    const engine = this.engine;
    const cached = engine.contexts.peek(runId);
    if (cached !== undefined) return this.stepOf(cached, data);
    // First contact with this run in this process: one call brings the run's context and, for a
    // step without a condition, claims it too (startStep's 'ctx' mode).
    const leaseId = await this.lease.valid();
    const now = Date.now();
    const reply = await engine.scripts.call('startStep', engine.keys.runKeys(runId), [runId, stepId, attempt, now, engine.maxlen, 'ctx', leaseId]);
    if (reply[0] === 'gone') return;
    const [meta, wf, sealed, ...claim] = reply;
    const rc = await engine.contexts.fromFields(runId, meta, wf, sealed);
    if (!rc) return; // the run's snapshot expired: nothing can be run
    if (claim[0] === 'context') return this.stepOf(rc, data);
    const found = this.find(rc, stepId);
    if (found) return this.afterClaim(rc, found.step, found.phase, attempt, now, leaseId, claim, this.stepLog(rc, stepId, attempt));
  }

  private find(rc: RunContext, stepId: string): { step: Step; phase: 'main' | 'on_failure' } | undefined {
    const found = findStep(rc.def, stepId);
    if (!found) rc.log.error({ stepId: stepId }, 'step job for a step the workflow snapshot does not have');
    return found;
  }

  /**
   * The step's logger, made on first use: building pino bindings for every step was a measurable
   * share of a no-op step's CPU, and most steps log nothing at the default level.
   */
  private stepLog(rc: RunContext, stepId: string, attempt: number): StepLog {
    let child: RunContext['log'] | undefined;
    return () => (child ??= rc.log.child({ stepId, attempt }));
  }

  /** A step job of a run whose context is known: evaluate its condition (if any), then claim and run it. */
  private async stepOf(rc: RunContext, data: StepJobData): Promise<void> {
    const { runId, stepId, attempt } = data;
    const engine = this.engine;
    const found = this.find(rc, stepId);
    if (!found) return;
    const { step, phase } = found;
    const log = this.stepLog(rc, stepId, attempt);
    let ctx: ExpressionContext | undefined;
    if (step.if !== undefined || phase === 'on_failure') {
      const st = await engine.redis.hmget(engine.keys.st(runId), stepId, `${stepId}#a`);
      if (st[0] !== 'queued' || st[1] !== String(attempt)) return this.claimAndRun(rc, step, phase, attempt, log);
      try {
        ctx = await this.context(rc, step, phase);
        if (!this.shouldRun(step, phase, ctx)) {
          await engine.finishStep(rc, stepId, attempt, { state: 'skipped', outputs: {} }, ['queued']);
          return;
        }
      } catch (err) {
        const error = isEngineError(err, 'SECRET_MISSING') ? err.message : `if: ${(err as Error).message}`;
        await engine.finishStep(rc, stepId, attempt, { state: 'failed', outputs: {}, error }, ['queued']);
        return;
      }
    }
    return this.claimAndRun(rc, step, phase, attempt, log, ctx);
  }

  private async claimAndRun(rc: RunContext, step: Step, phase: 'main' | 'on_failure', attempt: number, log: StepLog, ctxIn?: ExpressionContext): Promise<void> {
    const engine = this.engine;
    const leaseId = await this.lease.valid();
    const now = Date.now();
    const reply = await engine.scripts.call('startStep', engine.keys.runKeys(rc.meta.id), [rc.meta.id, step.id, attempt, now, engine.maxlen, '', leaseId]);
    return this.afterClaim(rc, step, phase, attempt, now, leaseId, reply, log, ctxIn);
  }

  /** What follows startStep's reply: run the claimed step, or settle why it could not be claimed. */
  private async afterClaim(rc: RunContext, step: Step, phase: 'main' | 'on_failure', attempt: number, now: number, leaseId: string, reply: string[], log: StepLog, ctxIn?: ExpressionContext): Promise<void> {
    const engine = this.engine;
    const runId = rc.meta.id;
    const tag = reply[0] ?? '';
    if (tag === 'gone') return;
    if (tag === 'aborted') return engine.finishStep(rc, step.id, attempt, { state: 'cancelled', outputs: {}, error: 'run cancelled before the step started' }, ['queued']);
    if (tag === 'stale') {
      // A newer attempt is queued: make sure its (delayed) job exists, in case we crashed before adding it.
      const [state, current, retryAt] = [reply[1], Number(reply[2]), Number(reply[3])];
      if (state === 'queued' && current > attempt) await engine.enqueue(runId, [{ stepId: step.id, attempt: current, retryAt }]);
      return;
    }
    if (tag === 'nolease') {
      this.lease.missing(leaseId);
      throw new LookAgain(this.lease.timing.renewMs);
    }
    // Parking is the engine's own idempotent work: a worker that died while parking is simply redone.
    if (tag === 'running' && (step.approval !== undefined || step.workflow !== undefined)) return this.park(rc, step, phase, attempt, await engine.stepBase(rc, step.id), log);
    if (tag === 'running') {
      const ttl = Number(reply[1] ?? 0);
      // Held under this very worker's lease, but not running here: the end this worker wrote was
      // lost (a failover to a replica that had not received it). Nobody runs it: it is lost now.
      if (ttl > 0 && (await this.heldHereButNotRunning(runId, step.id, leaseId))) {
        return this.lost(rc, step, attempt, log, 'the step\'s end was lost by Redis (a failover or restart lost the last writes)');
      }
      // Its holder may still be running it: look again once that lease could have expired.
      if (ttl > 0) throw new LookAgain(ttl + this.lease.timing.takeoverMarginMs);
      return this.lost(rc, step, attempt, log, 'the worker running this step stopped mid-step (crash, kill, or it lost Redis and killed the step)');
    }
    if (tag === 'waiting') return this.parking.repairParked(rc, step);
    if (tag !== 'run') {
      // Already final: a crash may have cut the previous run of this job short after recording.
      await engine.begin(runId);
      return;
    }
    if (rc.log.isLevelEnabled('debug')) log().debug('step started');
    const kind = actionOf(step);
    engine.observer.stepStarted(rc.meta.workflow, kind);
    const record: StepRecord = { ...snapshotBase(rc.def, step.id), state: 'running', attempt, startedAt: now };
    if (kind === 'approval' || kind === 'workflow') return this.park(rc, step, phase, attempt, record, log, ctxIn);
    let ctx: ExpressionContext;
    try {
      ctx = ctxIn ?? (await this.context(rc, step, phase));
    } catch (err) {
      return engine.finishStep(rc, step.id, attempt, { state: 'failed', outputs: {}, error: (err as Error).message, startedAt: now }, ['running']);
    }
    await this.runAction(rc, step, attempt, now, leaseId, ctx, log);
  }

  private async park(rc: RunContext, step: Step, phase: 'main' | 'on_failure', attempt: number, record: StepRecord, log: StepLog, ctxIn?: ExpressionContext): Promise<void> {
    let ctx: ExpressionContext;
    try {
      ctx = ctxIn ?? (await this.context(rc, step, phase));
    } catch (err) {
      return this.engine.finishStep(rc, step.id, attempt, { state: 'failed', outputs: {}, error: (err as Error).message, startedAt: record.startedAt }, ['running']);
    }
    log().debug('parking step');
    if (step.approval !== undefined) return this.parking.parkApproval(rc, step, attempt, record, ctx);
    return this.parking.parkChild(rc, step, attempt, record, ctx);
  }

  private async runAction(rc: RunContext, step: Step, attempt: number, startedAt: number, leaseId: string, ctx: ExpressionContext, log: StepLog): Promise<void> {
    const engine = this.engine;
    const runId = rc.meta.id;
    const controller = new AbortController();
    const release = this.active.add(runId, controller, leaseId, { stepId: step.id, attempt, startedAt });
    // Lost between the claim and now: the step must not start.
    if (!this.lease.holds(leaseId)) controller.abort(new LeaseLostError('this worker lost its step lease'));
    const stepMs = step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
    const timer = stepMs !== undefined ? setTimeout(() => controller.abort(new DOMException(`step timed out after ${step.timeout}`, 'TimeoutError')), stepMs) : undefined;
    const out = new OutputBuffer(engine.scripts, engine.keys, rc, step.id, engine.maxlen, engine.outputBudget, attempt);
    let env: Record<string, string> | undefined;
    const actx: ActionContext = {
      runId,
      stepId: step.id,
      attempt,
      // Built on first use: only shell steps read it.
      get env() {
        return (env ??= processEnv(rc, step, attempt, ctx.env ?? {}));
      },
      signal: controller.signal,
      output: (line, stream) => out.push(line, stream),
      outputBudget: { full: () => out.full, skipped: (lines, bytes) => out.skipped(lines, bytes) },
      mask: (text) => rc.masker.mask(text),
      get log() {
        return log();
      },
    };
    let result: ActionResult;
    try {
      result = await this.action(rc, step, ctx, actx);
    } catch (err) {
      result = { ok: false, outputs: {}, error: (err as Error).message };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      release();
    }
    const output = await out.close();
    // A step that failed because it was killed for a lost lease (here, or by the orphan guard's
    // watchdog while this process was frozen) is reported as such, never as its own failure.
    if (controller.signal.reason instanceof LeaseLostError || (!result.ok && !this.lease.holds(leaseId))) {
      const why = controller.signal.reason instanceof LeaseLostError ? controller.signal.reason.message : 'its lease ran out';
      return this.lost(rc, step, attempt, log, `the step was killed because its worker lost its lease in Redis (${why})`);
    }
    const state: StepState = result.ok ? 'succeeded' : result.timedOut ? 'timed_out' : result.cancelled ? 'cancelled' : 'failed';
    // A shell step names its outputs at run time ($CHATOPS_OUTPUT), and a name may carry a secret;
    // finishStep masks values only. Every other step's output names are fixed (http, approval).
    const outputs = step.run !== undefined ? Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [rc.masker.maskName(k), v])) : result.outputs;
    const res: StepResult = { state, outputs, exitCode: result.exitCode, error: result.ok ? undefined : (result.error ?? state), startedAt, output };
    const byRun = this.active.abortedByRun(controller);
    if ((state === 'failed' || state === 'timed_out') && !byRun && attempt < maxAttempts(step.retry)) {
      if (await this.retry(rc, step, attempt, res, 'running')) return;
    }
    await engine.finishStep(rc, step.id, attempt, res, ['running']);
  }

  private async action(rc: RunContext, step: Step, ctx: ExpressionContext, actx: ActionContext): Promise<ActionResult> {
    const interp = (t: string) => interpolate(t, ctx);
    if (step.run !== undefined) return runShell(step.run, actx, { cwd: step.working_directory !== undefined ? interp(step.working_directory) : undefined });
    if (step.http !== undefined) return runHttp(resolveHttp(step.http, ctx), actx);
    if (step.sleep !== undefined) return runSleep(parseDuration(step.sleep) ?? 0, actx);
    if (step.notify !== undefined) {
      const text = interp(step.notify);
      return runNotify(text, actx, (t) => this.engine.appendEvent(rc, { ts: Date.now(), runId: rc.meta.id, type: 'notify', step: step.id, text: rc.masker.mask(t) }));
    }
    return { ok: false, outputs: {}, error: `step ${step.id} has no action this worker can run` };
  }

  /**
   * Schedules the next attempt, no sooner than minDelayMs; false when the run is being aborted (then
   * the caller records the end).
   */
  private async retry(rc: RunContext, step: Step, attempt: number, res: StepResult, from: StepState, minDelayMs = 0): Promise<boolean> {
    const engine = this.engine;
    const delayMs = Math.max(minDelayMs, retryDelayMs(step.retry, attempt));
    const retryAt = Date.now() + delayMs;
    const base = await engine.stepBase(rc, step.id);
    // As in finishStep, only what the step produced is masked.
    const record: StepRecord = { ...base, state: 'queued', attempt: attempt + 1, exitCode: res.exitCode, endedAt: Date.now(), ...rc.masker.maskDeep({ error: res.error, output: res.output }) };
    const event = { ts: Date.now(), runId: rc.meta.id, type: 'step.retrying' as const, step: step.id, attempt: attempt + 1, delayMs, error: record.error ?? res.state };
    const reply = await engine.scripts.call('retryStep', engine.keys.runKeys(rc.meta.id), [rc.meta.id, step.id, attempt, attempt + 1, retryAt, from, storedStepJson(record, snapshotBase(rc.def, step.id)), JSON.stringify(event), Date.now(), engine.maxlen]);
    if (reply[0] !== 'ok') return false;
    rc.log.info({ stepId: step.id, attempt, delayMs, error: event.error }, 'step will be retried');
    engine.observer.stepRetried(rc.meta.workflow, res.state === 'lost' || res.state === 'timed_out' ? res.state : 'failed');
    await engine.enqueue(rc.meta.id, [{ stepId: step.id, attempt: attempt + 1, retryAt }]);
    return true;
  }

  /**
   * An attempt that ended without a result: its worker died, or lost its lease and killed it. The
   * next attempt (when allowed) waits the takeover margin at least, so it never starts beside the
   * old one even when that one's worker is only now being stopped.
   */
  private async lost(rc: RunContext, step: Step, attempt: number, log: StepLog, error: string): Promise<void> {
    const allowed = Math.max(maxAttempts(step.retry), step.safe_to_retry === true ? SAFE_TO_RETRY_MAX : 1);
    log().warn({ allowed, error }, 'step lost');
    const margin = this.lease.timing.takeoverMarginMs;
    if (attempt < allowed && (await this.retry(rc, step, attempt, { state: 'lost', outputs: {}, error: `${error}; retrying` }, 'running', margin))) return;
    const why = attempt < allowed ? '' : '; not retried: no retries left and the step is not marked safe_to_retry';
    await this.engine.finishStep(rc, step.id, attempt, { state: 'lost', outputs: {}, error: `${error}${why}` }, ['running']);
  }

  /** A parked step's deadline came (the workers' P:expiry sweep): see Parking.expire. */
  async expire(data: { runId: string; stepId: string }): Promise<void> {
    return this.parking.expire(data);
  }

  private async timeout(data: { runId: string }): Promise<void> {
    const rc = await this.engine.contexts.get(data.runId);
    if (!rc) return;
    await this.engine.abortRun(data.runId, 'timed_out', 'system:timeout', { error: `workflow timed out after ${rc.def.timeout ?? '?'}` });
  }
}

const readsStepsCache = new WeakMap<Step, boolean>();

/** Whether any expression of the step may read the `steps` context. */
function readsSteps(step: Step): boolean {
  let v = readsStepsCache.get(step);
  if (v === undefined) {
    v = /\bsteps\b/.test(JSON.stringify(step));
    readsStepsCache.set(step, v);
  }
  return v;
}

function resolveHttp(spec: NonNullable<Step['http']>, ctx: ExpressionContext): ResolvedHttpSpec {
  const interp = (t: string) => interpolate(t, ctx);
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return interp(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  return {
    url: interpolateUrl(spec.url, (t) => stringifyValue(evaluateExpression(t, ctx))),
    method: spec.method,
    headers: spec.headers === undefined ? undefined : Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, interp(v)])),
    body: spec.body === undefined ? undefined : (deep(spec.body) as ResolvedHttpSpec['body']),
    expect: spec.expect,
    timeoutMs: spec.timeout !== undefined ? parseDuration(spec.timeout) : undefined,
    followRedirects: spec.follow_redirects,
  };
}
