/**
 * Steps that wait without a worker: approval and `workflow:` steps park (state waiting, no job,
 * no slot) and are settled later by a decision, their child run's end, or their deadline.
 * - An approval's expiry and a `workflow:` step's step timeout are entries in P:expiry, armed by
 *   the parkStep script itself and swept by the workers every second (worker.ts).
 * - A job that finds its step already parked (a crash between parking and settling) repairs it:
 *   re-arms the deadline (a no-op when armed) and settles what was decided or ended meanwhile.
 */
import { prepareApproval } from '../actions/approval.js';
import { startSubWorkflow } from '../actions/workflow.js';
import { parseDuration } from '../workflow/duration.js';
import { interpolate, type ExpressionContext } from '../workflow/expressions.js';
import { stepPool, type Step } from '../workflow/schema.js';
import type { Engine } from './engine.js';
import { expiryMember } from './keys.js';
import { storedStepJson } from './records.js';
import type { RunContext } from './run-context.js';
import { findStep, snapshotBase } from './snapshot.js';
import type { ApprovalState, StepRecord } from './types.js';

export class Parking {
  constructor(private readonly engine: Engine) {}

  async parkApproval(rc: RunContext, step: Step, attempt: number, record: StepRecord, ctx: ExpressionContext): Promise<void> {
    const engine = this.engine;
    const now = Date.now();
    const ttlMs = rc.meta.approvalTtl[step.id] ?? 30 * 60_000;
    let request;
    try {
      request = prepareApproval(step.approval ?? {}, { stepName: step.name ?? step.id, workflow: rc.meta.workflow, ttlMs, now, interpolate: (t) => interpolate(t, ctx) });
    } catch (err) {
      return engine.finishStep(rc, step.id, attempt, { state: 'failed', outputs: {}, error: (err as Error).message, startedAt: now }, ['running']);
    }
    const patch = rc.masker.maskDeep(request);
    const parked: StepRecord = { ...record, state: 'waiting' };
    const reply = await engine.scripts.call('parkStep', engine.keys.runKeys(rc.meta.id), [rc.meta.id, step.id, attempt, storedStepJson(parked, snapshotBase(rc.def, step.id)), JSON.stringify(patch), rc.meta.trigger.requester, now, engine.maxlen, '']);
    if (reply[0] !== 'parked') return;
    rc.log.info({ stepId: step.id, expiresAt: request.expiresAt }, 'approval requested; step parked');
    if (reply[1]) await this.settleFromStore(rc, step.id);
  }

  private async settleFromStore(rc: RunContext, stepId: string): Promise<void> {
    const raw = await this.engine.redis.hget(this.engine.keys.appr(rc.meta.id), stepId);
    if (!raw) return;
    const a = JSON.parse(raw) as ApprovalState;
    a.decisions = Array.isArray(a.decisions) ? a.decisions : [];
    await this.engine.settleApproval(rc, stepId, a);
  }

  async parkChild(rc: RunContext, step: Step, attempt: number, record: StepRecord, ctx: ExpressionContext): Promise<void> {
    const engine = this.engine;
    const spec = step.workflow;
    if (spec === undefined) return;
    const started = await startSubWorkflow(spec, (t) => interpolate(t, ctx), {
      startChild: async (workflow, inputs) => {
        const { run } = await engine.startRun(
          {
            workflow,
            inputs,
            trigger: { kind: 'workflow', source: 'workflow', requester: rc.meta.trigger.requester, channel: rc.meta.trigger.channel, text: `${rc.meta.workflow} › ${step.id}`, parent: { runId: rc.meta.id, stepId: step.id } },
            idempotencyKey: `${rc.meta.id}.${step.id}.${attempt}`,
          },
          // The child is the version pinned when this run started (pinned-calls.ts), not the project's now.
          { mask: [...Object.values(rc.sealed.inputs).map(String), ...(rc.sealed.mask ?? [])], calls: rc.calls },
        );
        return { runId: run.id };
      },
    });
    if (!started.ok) return engine.finishStep(rc, step.id, attempt, { state: 'failed', outputs: {}, error: started.error, startedAt: record.startedAt }, ['running']);
    const parked: StepRecord = { ...record, state: 'waiting', childRunId: started.runId };
    const deadline = childDeadline(step, record.startedAt ?? Date.now());
    const reply = await engine.scripts.call('parkStep', engine.keys.runKeys(rc.meta.id), [rc.meta.id, step.id, attempt, storedStepJson(parked, snapshotBase(rc.def, step.id)), '', rc.meta.trigger.requester, Date.now(), engine.maxlen, deadline ?? '']);
    if (reply[0] !== 'parked') return;
    await this.settleChildIfDone(rc, step.id, started.runId);
  }

  private async settleChildIfDone(rc: RunContext, stepId: string, childRunId: string): Promise<void> {
    const child = await this.engine.getRun(childRunId);
    if (child && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(child.state)) await this.engine.settleChild(rc.meta.id, stepId, child);
  }

  /**
   * A job found its step parked: a crash may have come between parking and settling. parkStep arms
   * the expiry in the same script; re-arming (NX) here is a no-op then, and a repair otherwise.
   */
  async repairParked(rc: RunContext, step: Step): Promise<void> {
    if (step.approval !== undefined) {
      const ttl = rc.meta.approvalTtl[step.id] ?? 30 * 60_000;
      const raw = await this.engine.redis.hget(this.engine.keys.appr(rc.meta.id), step.id);
      const a = raw ? (JSON.parse(raw) as ApprovalState) : undefined;
      if (!a?.outcome) await this.engine.redis.zadd(this.engine.keys.expiry, 'NX', a?.expiresAt || Date.now() + ttl, expiryMember(rc.meta.id, step.id));
      if (a?.outcome) await this.settleFromStore(rc, step.id);
      return;
    }
    const base = await this.engine.stepBase(rc, step.id);
    const deadline = childDeadline(step, base.startedAt ?? Date.now());
    if (deadline !== undefined) await this.engine.redis.zadd(this.engine.keys.expiry, 'NX', deadline, expiryMember(rc.meta.id, step.id));
    if (base.childRunId) await this.settleChildIfDone(rc, step.id, base.childRunId);
  }

  /**
   * A parked step's deadline came (the workers' P:expiry sweep): an approval nobody decided in
   * time is denied; a `workflow:` step past its step timeout ends timed_out and its child run is
   * cancelled.
   */
  async expire(data: { runId: string; stepId: string }): Promise<void> {
    const engine = this.engine;
    const rc = await engine.contexts.get(data.runId);
    if (!rc) return;
    const step = findStep(rc.def, data.stepId)?.step;
    if (step?.workflow !== undefined) return this.timeOutChild(rc, step);
    if (step !== undefined && step.approval === undefined) return this.timeOutQueued(rc, step);
    const reply = await engine.scripts.call('decide', engine.keys.runKeys(data.runId), [data.runId, data.stepId, 'system:expiry', '[]', 'expire', Date.now(), engine.maxlen]);
    if (reply[0] !== '1' && !(reply[1] ?? '').includes('already expired')) return;
    const a = JSON.parse(reply[2] ?? '{}') as ApprovalState;
    a.decisions = Array.isArray(a.decisions) ? a.decisions : [];
    rc.log.info({ stepId: data.stepId }, 'approval expired');
    if (reply[3] === 'waiting') await engine.settleApproval(rc, data.stepId, a);
  }

  /**
   * A step that waited for a worker of its pool for its whole step timeout (armed by
   * Engine.tellNoWorker) ends timed_out, unless a worker took it meanwhile.
   */
  private async timeOutQueued(rc: RunContext, step: Step): Promise<void> {
    const engine = this.engine;
    const [state, attemptText] = await engine.redis.hmget(engine.keys.st(rc.meta.id), step.id, `${step.id}#a`);
    if (state !== 'queued') return;
    const pool = stepPool(rc.def, step);
    rc.log.warn({ stepId: step.id, pool }, 'no worker of the step\'s pool took it within its timeout');
    const error = `no worker of pool ${pool} took the step within its timeout (${step.timeout ?? '?'})`;
    await engine.finishStep(rc, step.id, Number(attemptText ?? 1), { state: 'timed_out', outputs: {}, error }, ['queued']);
  }

  /** The step ends first (so the child's end, settled later, is ignored), then its child is cancelled. */
  private async timeOutChild(rc: RunContext, step: Step): Promise<void> {
    const engine = this.engine;
    const [state, attemptText] = await engine.redis.hmget(engine.keys.st(rc.meta.id), step.id, `${step.id}#a`);
    if (state !== 'waiting') return;
    const base = await engine.stepBase(rc, step.id);
    const error = `step timed out after ${step.timeout ?? '?'}${base.childRunId ? `; sub-workflow run ${base.childRunId} cancelled` : ''}`;
    rc.log.info({ stepId: step.id, child: base.childRunId }, 'sub-workflow step timed out');
    await engine.finishStep(rc, step.id, Number(attemptText ?? 1), { state: 'timed_out', outputs: {}, error, childRunId: base.childRunId }, ['waiting']);
    if (base.childRunId) await engine.cancel(base.childRunId, `system:timeout of ${rc.meta.id}`).catch(() => undefined);
  }
}

/** When a parked `workflow:` step's step timeout ends (ms), or undefined when it has none. */
function childDeadline(step: Step, startedAt: number): number | undefined {
  const ms = step.workflow !== undefined && step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
  return ms === undefined ? undefined : startedAt + ms;
}
