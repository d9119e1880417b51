/**
 * Everything about a new run that needs no Redis: validated inputs, secret values split out and
 * sealed, the masked trigger and meta with the concurrency lock's name and label (lock-name.ts), and
 * the record handed back to the caller (the workflow snapshot it is built from: snapshot-cache.ts).
 */
import type { Logger } from '../lib/logger.js';
import { interpolate } from '../workflow/expressions.js';
import { secretInputNames, validateInputs, type InputValue } from '../workflow/inputs.js';
import type { Workflow } from '../workflow/schema.js';
import { EngineError } from './errors.js';
import { baseContext } from './expression-context.js';
import { lockName } from './lock-name.js';
import { maskAlert } from './mask-alert.js';
import type { ReadyStep } from './redis-scripts.js';
import { maskerFor, type RunContext, type RunMeta } from './run-context.js';
import { seal, type Sealed } from './seal.js';
import type { Snapshot } from './snapshot.js';
import type { ApprovalState, RunRecord, StartRunRequest } from './types.js';

export interface PreparedRun {
  /** Meta without the run id. */
  meta: Omit<RunMeta, 'id'>;
  inputs: Record<string, InputValue>;
  sealed: Sealed;
  sealedText: string;
  masker: RunContext['masker'];
}

export function prepareRun(workflow: Workflow, req: StartRunRequest, snap: Snapshot, opts: { mask?: string[]; secretKey: Buffer; now: number; log: Logger }): PreparedRun {
  const valid = validateInputs(workflow, req.inputs);
  if (!valid.ok) {
    const text = valid.errors.map((e) => `${e.input}: ${e.message}`).join('; ');
    throw new EngineError('INVALID_INPUTS', `invalid inputs for ${workflow.name}: ${text}`, { errors: valid.errors });
  }
  const secretNames = new Set(secretInputNames(workflow));
  const sealedInputs: Record<string, InputValue> = {};
  const shownInputs: Record<string, InputValue> = {};
  for (const [k, v] of Object.entries(valid.values)) {
    if (secretNames.has(k)) {
      sealedInputs[k] = v;
      shownInputs[k] = '***';
    } else shownInputs[k] = v;
  }
  const sealed: Sealed = { inputs: sealedInputs, mask: opts.mask ?? [] };
  const masker = maskerFor(sealed);
  const meta: Omit<RunMeta, 'id'> = {
    workflow: workflow.name,
    description: workflow.description,
    inputs: masker.maskDeep(shownInputs),
    // Only the line typed or the alert's summary: kind, requester, channel and parent are ids the engine and policy rely on.
    trigger: req.trigger.text === undefined ? req.trigger : { ...req.trigger, text: masker.mask(req.trigger.text) },
    createdAt: opts.now,
    alert: req.alert === undefined ? undefined : maskAlert(masker, req.alert),
    approvalTtl: Object.fromEntries(snap.approvalTtl),
  };
  if (workflow.concurrency !== undefined) {
    const rcLike: RunContext = { meta: { ...meta, id: '' }, def: workflow, graph: snap.graph, inputs: valid.values, sealed, masker, log: opts.log };
    let key: string;
    try {
      key = interpolate(workflow.concurrency.key, baseContext(rcLike, []));
    } catch (err) {
      throw new EngineError('BAD_EXPRESSION', `concurrency key of ${workflow.name}: ${masker.mask((err as Error).message)}`);
    }
    meta.lockKey = lockName(opts.secretKey, key);
    meta.lockLabel = masker.mask(key);
  }
  return { meta, inputs: valid.values, sealed, sealedText: seal(sealed, opts.secretKey), masker };
}

/** The record of a run just written, built from what we wrote (no read-back). */
export function freshRecord(meta: RunMeta, workflow: Workflow, snap: Snapshot, state: 'running' | 'queued', ready: ReadyStep[], queue?: RunRecord['queue']): RunRecord {
  return {
    id: meta.id,
    workflow: workflow.name,
    description: workflow.description,
    state,
    inputs: meta.inputs,
    trigger: meta.trigger,
    createdAt: meta.createdAt,
    startedAt: state === 'running' ? meta.createdAt : undefined,
    outputs: {},
    steps: snap.records.map((r) => ({ ...r, outputs: {}, state: ready.some((x) => x.stepId === r.id) ? 'queued' : 'pending', approval: copyApproval(snap.approvals.get(r.id)) })),
    queue,
  };
}

function copyApproval(a: ApprovalState | undefined): ApprovalState | undefined {
  return a === undefined ? undefined : { ...a, roles: [...a.roles], decisions: [] };
}
