/**
 * `workflow:` steps start a child run. The parent step then parks (no worker held) until the child
 * ends; the child's status and outputs become the step's (src/engine/engine.ts settleChild).
 */
import type { WorkflowCallSpec } from '../workflow/schema.js';

export interface ChildStarter {
  /** Starts (or, on a retried job, finds) the child run. */
  startChild(workflow: string, inputs: Record<string, string | number | boolean>): Promise<{ runId: string }>;
}

export type SubWorkflowStart = { ok: true; runId: string } | { ok: false; error: string };

export async function startSubWorkflow(spec: WorkflowCallSpec, interpolate: (template: string) => string, starter: ChildStarter): Promise<SubWorkflowStart> {
  const inputs: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(spec.inputs ?? {})) inputs[k] = typeof v === 'string' ? interpolate(v) : v;
  try {
    const { runId } = await starter.startChild(spec.name, inputs);
    return { ok: true, runId };
  } catch (err) {
    return { ok: false, error: `could not start sub-workflow ${spec.name}: ${(err as Error).message}` };
  }
}
