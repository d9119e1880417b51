/**
 * What a run keeps of its workflow: the definition as it was at start (workers never read files,
 * so editing a workflow never changes a run in flight), the dependency graph the Lua scripts walk,
 * and each step's initial record and approval rule.
 */
import { actionOf, type Step, type Workflow } from '../workflow/schema.js';
import { parseDuration } from '../workflow/duration.js';
import { conditionHasStatusFunction } from '../workflow/expressions.js';
import type { ApprovalState, StepRecord } from './types.js';

/** A node of the graph as Lua reads it. */
export interface GraphNode {
  id: string;
  phase: 'main' | 'on_failure';
  needs: string[];
  /** The step has an `if`: a worker evaluates it before claiming the step (startStep). */
  cond: boolean;
  /** The step's `if` calls a status function, so it is evaluated even when a need did not succeed. */
  sf: boolean;
  /** continue_on_error: a failure of this step does not fail the run nor skip its dependents. */
  coe: boolean;
  /** Display name and action, so a step that never ran needs no stored record. */
  name: string;
  kind: StepRecord['kind'];
}

export interface ApprovalDefaults {
  minApprovers: number;
  roles: string[];
  expiresMs: number;
}

export interface Snapshot {
  graph: GraphNode[];
  records: StepRecord[];
  approvals: Map<string, ApprovalState>;
  /** The approval expiry of each approval step, in ms (applied when it parks). */
  approvalTtl: Map<string, number>;
}

export function phaseSteps(workflow: Workflow): { step: Step; phase: 'main' | 'on_failure' }[] {
  return [
    ...workflow.steps.map((step) => ({ step, phase: 'main' as const })),
    ...(workflow.on_failure ?? []).map((step) => ({ step, phase: 'on_failure' as const })),
  ];
}

/** Step lookup by id, built once per workflow object (snapshots are shared and never mutated). */
const stepIndex = new WeakMap<Workflow, Map<string, { step: Step; phase: 'main' | 'on_failure' }>>();

export function findStep(workflow: Workflow, stepId: string): { step: Step; phase: 'main' | 'on_failure' } | undefined {
  let index = stepIndex.get(workflow);
  if (index === undefined) {
    index = new Map();
    for (const entry of phaseSteps(workflow)) if (!index.has(entry.step.id)) index.set(entry.step.id, entry);
    stepIndex.set(workflow, index);
  }
  return index.get(stepId);
}

export function buildSnapshot(workflow: Workflow, defaults: ApprovalDefaults): Snapshot {
  const graph: GraphNode[] = [];
  const records: StepRecord[] = [];
  const approvals = new Map<string, ApprovalState>();
  const approvalTtl = new Map<string, number>();
  for (const { step, phase } of phaseSteps(workflow)) {
    const kind = actionOf(step);
    graph.push({ id: step.id, phase, needs: step.needs, cond: step.if !== undefined, sf: conditionHasStatusFunction(step.if), coe: step.continue_on_error, name: step.name ?? step.id, kind });
    records.push({ id: step.id, name: step.name ?? step.id, kind, phase, state: 'pending', attempt: 1, outputs: {} });
    if (step.approval !== undefined) {
      const spec = step.approval;
      approvals.set(step.id, {
        message: spec.message ?? '',
        minApprovers: spec.min_approvers ?? defaults.minApprovers,
        roles: spec.roles ?? defaults.roles,
        expiresAt: 0,
        decisions: [],
      });
      // A step timeout bounds how long the approval waits, as it bounds any other step.
      const expiresMs = (spec.expires !== undefined ? parseDuration(spec.expires) : undefined) ?? defaults.expiresMs;
      const timeoutMs = step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
      approvalTtl.set(step.id, timeoutMs !== undefined ? Math.min(expiresMs, timeoutMs) : expiresMs);
    }
  }
  return { graph, records, approvals, approvalTtl };
}

/** A step's record as it is before it ever ran: what the snapshot alone tells. */
export function snapshotBase(workflow: Workflow, stepId: string): StepRecord {
  const found = findStep(workflow, stepId);
  if (found === undefined) return { id: stepId, name: stepId, kind: 'run', phase: 'main', state: 'pending', attempt: 1, outputs: {} };
  return { id: stepId, name: found.step.name ?? stepId, kind: actionOf(found.step), phase: found.phase, state: 'pending', attempt: 1, outputs: {} };
}
