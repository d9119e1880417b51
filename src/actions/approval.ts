/**
 * `approval:` steps. The step does not hold a worker while people decide: the engine parks it
 * (state waiting, no job) and an expiry job denies it later (src/engine/step-runner.ts). This file
 * only works out what is asked: the message and when it expires.
 */
import type { ApprovalSpec } from '../workflow/schema.js';

export interface ApprovalRequest {
  message: string;
  expiresAt: number;
}

export function prepareApproval(
  spec: ApprovalSpec,
  opts: { stepName: string; workflow: string; ttlMs: number; now: number; interpolate: (template: string) => string },
): ApprovalRequest {
  const template = spec.message ?? `Approve "${opts.stepName}" of ${opts.workflow}?`;
  return { message: opts.interpolate(template), expiresAt: opts.now + opts.ttlMs };
}
