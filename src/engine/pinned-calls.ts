/**
 * The workflows a run may start with its `workflow:` steps, pinned when the run starts: the
 * closure of the names its steps call. A call's name is a literal (the language has no expression
 * there) and `chatops validate` refuses a call to a missing workflow and any recursion, so the
 * closure is known and finite at start. It is kept in the run's snapshot (P:wf:SHA field `calls`,
 * keys.ts): a child starts from the version its parent started with, whatever a reload changed or
 * removed meanwhile and whatever version the worker that runs the step holds.
 */
import type { Workflow } from '../workflow/schema.js';
import { phaseSteps } from './snapshot.js';

/** The workflows `workflow` calls, directly or through its callees, looked up in `workflows` by name. */
export function calledWorkflows(workflow: Workflow, workflows: ReadonlyMap<string, Workflow>): Map<string, Workflow> {
  const calls = new Map<string, Workflow>();
  const todo = [workflow];
  for (let wf = todo.pop(); wf !== undefined; wf = todo.pop()) {
    for (const { step } of phaseSteps(wf)) {
      const name = step.workflow?.name;
      // A name the project lacks stays out: starting it fails as an unknown workflow, as it would unpinned.
      const callee = name === undefined || calls.has(name) ? undefined : workflows.get(name);
      if (name === undefined || callee === undefined) continue;
      calls.set(name, callee);
      todo.push(callee);
    }
  }
  return calls;
}

/** The `calls` field of a snapshot: name -> definition, by name, so one closure always hashes the same; '' when it calls none. */
export function callsJson(calls: ReadonlyMap<string, Workflow>): string {
  if (calls.size === 0) return '';
  return JSON.stringify(Object.fromEntries([...calls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export function parseCalls(json: string): Map<string, Workflow> {
  return new Map(Object.entries(JSON.parse(json) as Record<string, Workflow>));
}
