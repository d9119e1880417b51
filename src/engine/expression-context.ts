/**
 * The `${{ }}` contexts and the process environment a step sees.
 *
 * The environment is deliberately NOT the worker's whole environment: a worker holds Redis URLs,
 * chat tokens and the secret key, which scripts must not read. A step gets a few harmless basics
 * (PATH, HOME, locale, …), the workflow env, the step env, INPUT_<NAME> for every input, and
 * CHATOPS_RUN_ID / CHATOPS_STEP_ID / CHATOPS_ATTEMPT / CHATOPS_WORKFLOW.
 */
import { interpolate, type ExpressionContext } from '../workflow/expressions.js';
import type { Step } from '../workflow/schema.js';
import type { RunContext } from './run-context.js';
import type { StepRecord, StepState } from './types.js';

const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM'];

function outcomeOf(state: StepState): string {
  if (state === 'succeeded') return 'success';
  if (state === 'skipped') return 'skipped';
  if (state === 'cancelled') return 'cancelled';
  return 'failure';
}

export function stepsContext(rc: RunContext, records: StepRecord[]): NonNullable<ExpressionContext['steps']> {
  const out: NonNullable<ExpressionContext['steps']> = {};
  const coe = new Map(rc.graph.map((n) => [n.id, n.coe]));
  for (const r of records) {
    if (r.state === 'pending' || r.state === 'queued' || r.state === 'running' || r.state === 'waiting') continue;
    const outcome = outcomeOf(r.state);
    out[r.id] = { outputs: r.outputs, outcome, conclusion: outcome === 'failure' && coe.get(r.id) === true ? 'success' : outcome };
  }
  return out;
}

export function baseContext(rc: RunContext, records: StepRecord[], extra: Partial<ExpressionContext> = {}): ExpressionContext {
  const ctx: ExpressionContext = {
    inputs: rc.inputs,
    steps: stepsContext(rc, records),
    // Filled by the worker for the step it runs (step-secrets.ts); empty elsewhere, where
    // `chatops validate` lets no expression read a secret.
    secrets: {},
    run: { id: rc.meta.id, workflow: rc.meta.workflow, requester: rc.meta.trigger.requester, channel: rc.meta.trigger.channel ?? '', source: rc.meta.trigger.source },
    alert: rc.meta.alert ?? {},
    // Alert-started runs carry their incident inside the alert context (alert.incident).
    incident: incidentOf(rc.meta.alert),
    ...extra,
  };
  ctx.env = { ...interpolateEnv(rc.def.env, ctx), ...(extra.env ?? {}) };
  return ctx;
}

function incidentOf(alert: Record<string, unknown> | undefined): Record<string, unknown> {
  const inc = alert?.incident;
  return inc !== null && typeof inc === 'object' ? (inc as Record<string, unknown>) : {};
}

function interpolateEnv(env: Record<string, string | number | boolean> | undefined, ctx: ExpressionContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = typeof v === 'string' ? interpolate(v, { ...ctx, env: { ...(ctx.env ?? {}), ...out } }) : String(v);
  return out;
}

/** The step's own env on top of the workflow env (already in ctx.env). */
export function stepEnv(step: Step, ctx: ExpressionContext): Record<string, string> {
  return { ...(ctx.env ?? {}), ...interpolateEnv(step.env, ctx) };
}

export function processEnv(rc: RunContext, step: Step, attempt: number, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const v = process.env[name];
    if (v !== undefined) out[name] = v;
  }
  for (const [k, v] of Object.entries(rc.inputs)) out[`INPUT_${k.toUpperCase()}`] = String(v);
  Object.assign(out, env);
  out.CHATOPS_RUN_ID = rc.meta.id;
  out.CHATOPS_STEP_ID = step.id;
  out.CHATOPS_ATTEMPT = String(attempt);
  out.CHATOPS_WORKFLOW = rc.meta.workflow;
  return out;
}
