/**
 * The workflow language as zod schemas: the single source of truth for what a workflow file may
 * hold. TypeScript types derive from these; semantic checks (ids, needs, cycles, expressions) live
 * in validate.ts because they need the whole document.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { RESERVED_INPUT_NAMES } from './input-names.js';

/**
 * Steps per workflow, on_failure included. Per-step work is O(1) in Redis, but a run's start,
 * cancel, end and status each touch every step once, in one Lua call that blocks every other run
 * meanwhile; at this cap each stays around a millisecond (README "Limits", `npm run bench`). A
 * chat thread of 1,000 step lines is past reading already; larger runbooks are split into
 * sub-workflows (`workflow:` steps), each under the cap.
 */
export const MAX_STEPS = 1000;

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A worker pool's name (`runs_on:`, `chatops worker --pool`): lower case, so `DB` and `db` are
 * never two pools; short, because it names a BullMQ queue (`steps-<pool>`) and shows in chat.
 */
export const POOL_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** The pool of steps and workflows that name none, served by `chatops worker` without `--pool`. */
export const DEFAULT_POOL = 'default';
export const poolSchema = z.string({ error: 'expected a worker pool name' }).regex(POOL_PATTERN, 'expected a worker pool name: a lower-case letter, then up to 31 lower-case letters, digits and -');

/** A duration string (`30s`, `5m`, `1h30m`), kept as written; use parseDuration for milliseconds. */
export const durationSchema = z
  .string({ error: 'expected a duration such as 30s, 5m or 1h30m' })
  .refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration such as 500ms, 30s, 5m, 2h or 1h30m' });

const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), scalar);

export const inputSchema = z.strictObject({
  type: z.enum(['string', 'number', 'boolean', 'choice']).default('string'),
  description: z.string().optional(),
  required: z.boolean().default(false),
  default: scalar.optional(),
  pattern: z.string().optional(),
  options: z.array(z.string()).min(1).optional(),
  secret: z.boolean().default(false),
});

export const retrySchema = z.strictObject({
  attempts: z.number({ error: 'expected a number from 1 to 20' }).int().min(1, 'expected a number from 1 to 20').max(20, 'expected a number from 1 to 20'),
  backoff: durationSchema.default('1s'),
  max_backoff: durationSchema.optional(),
});

export const httpSchema = z.strictObject({
  url: z.string().min(1),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  /** Expected status code(s); by default any 2xx. */
  expect: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  timeout: durationSchema.optional(),
  /** Follow 3xx redirects, only to the same origin (scheme, host and port); off by default. */
  follow_redirects: z.boolean().optional(),
});

export const approvalSchema = z.strictObject({
  message: z.string().optional(),
  min_approvers: z.number().int().min(1, 'an approval needs at least one approver').optional(),
  roles: z.array(z.string()).optional(),
  expires: durationSchema.optional(),
});

export const workflowCallSchema = z.strictObject({
  name: z.string().min(1),
  inputs: z.record(z.string(), scalar).optional(),
});

/** The action keys a step may hold; exactly one of them. */
export const ACTION_KEYS = ['run', 'http', 'approval', 'sleep', 'notify', 'workflow'] as const;
export type ActionKind = (typeof ACTION_KEYS)[number];

export const stepSchema = z
  .strictObject({
    id: z.string().regex(STEP_ID_PATTERN, 'expected an id of letters, digits, _ and -, not starting with a digit'),
    name: z.string().optional(),
    needs: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
    if: z.union([z.string(), z.boolean()]).optional(),
    timeout: durationSchema.optional(),
    retry: retrySchema.optional(),
    /** Marks a step that may be run again after its worker died mid-step (see engine crash recovery). */
    safe_to_retry: z.boolean().optional(),
    continue_on_error: z.boolean().default(false),
    env: envSchema.optional(),
    working_directory: z.string().optional(),
    /** The worker pool that runs this step; default: the workflow's `runs_on`, else the default pool. */
    runs_on: poolSchema.optional(),
    run: z.string().min(1, 'expected a shell script').optional(),
    http: httpSchema.optional(),
    approval: approvalSchema.optional(),
    sleep: durationSchema.optional(),
    notify: z.string().min(1).optional(),
    workflow: workflowCallSchema.optional(),
  })
  .superRefine((step, ctx) => {
    const present = ACTION_KEYS.filter((k) => step[k] !== undefined);
    if (present.length === 0) ctx.addIssue({ code: 'custom', message: `a step needs exactly one action: ${ACTION_KEYS.join(', ')}` });
    if (present.length > 1) ctx.addIssue({ code: 'custom', message: `a step holds exactly one action, this one has ${present.join(' and ')}` });
  });

export const concurrencySchema = z.strictObject({
  key: z.string().min(1),
  mode: z.enum(['queue', 'reject']).default('queue'),
});

/**
 * `on.alert`: which alerts start the workflow (FORMATS.md "Alerts"). Matchers use Alertmanager's
 * syntax; their text is checked in validate.ts (with the position of the bad one), compiled by
 * alerts/runbook-triggers.ts.
 */
export const alertTriggerSchema = z.strictObject({
  /** `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`; all must hold. */
  matchers: z.array(z.string()).optional(),
  /** Equalities, the same as `name="value"` matchers. */
  match: z.record(z.string(), z.coerce.string()).optional(),
  /** Which alert sources may start this workflow; all when absent. */
  sources: z.array(z.enum(['alertmanager', 'grafana', 'pagerduty', 'generic'])).optional(),
  /** Which change starts it: an alert firing (default), resolving, or either. */
  status: z.enum(['firing', 'resolved', 'any']).default('firing'),
  /** A run per alert (default) or one per incident. */
  scope: z.enum(['alert', 'incident']).default('alert'),
  /** Wait this long first; skipped when the alert changed status meanwhile. */
  delay: durationSchema.optional(),
  /** At most one run per workflow and alert fingerprint (incident scope: per incident) in this window. */
  cooldown: durationSchema.optional(),
  /** `auto`: matching alerts start it; `manual`: a button on each incident it matches, which a person clicks. */
  start: z.enum(['auto', 'manual']).default('auto'),
  /**
   * Accepted for the FORMATS.md workflow example (`channel: "#incidents"`), with a warning: runs
   * report in their incident's thread, and alerts.yaml routes incidents to channels.
   */
  channel: z.string().optional(),
  /** Inputs from the alert: `${{ alert.labels.service }}`. */
  inputs: z.record(z.string(), scalar).optional(),
});

export type AlertTrigger = z.infer<typeof alertTriggerSchema>;

export const workflowSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, 'expected a lower-case name of letters, digits, _ and -'),
  description: z.string().optional(),
  inputs: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an input name of letters, digits and _')
        .refine((n) => !RESERVED_INPUT_NAMES.has(n), '__proto__, constructor and prototype are reserved; give the input another name'),
      inputSchema,
    )
    .default({}),
  env: envSchema.optional(),
  concurrency: concurrencySchema.optional(),
  timeout: durationSchema.optional(),
  /** The worker pool of steps that do not name one; default: the default pool. */
  runs_on: poolSchema.optional(),
  steps: z.array(stepSchema).min(1, 'a workflow needs at least one step'),
  on_failure: z.array(stepSchema).optional(),
  outputs: z.record(z.string(), z.string()).optional(),
  on: z.strictObject({ alert: alertTriggerSchema.optional() }).optional(),
});

export type InputSpec = z.infer<typeof inputSchema>;
export type RetrySpec = z.infer<typeof retrySchema>;
export type HttpSpec = z.infer<typeof httpSchema>;
export type ApprovalSpec = z.infer<typeof approvalSchema>;
export type WorkflowCallSpec = z.infer<typeof workflowCallSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Workflow = z.infer<typeof workflowSchema>;

/** The worker pool a step's jobs go to: its own `runs_on`, else its workflow's, else the default pool. */
export function stepPool(workflow: Pick<Workflow, 'runs_on'>, step: Pick<Step, 'runs_on'>): string {
  return step.runs_on ?? workflow.runs_on ?? DEFAULT_POOL;
}

/** Every pool the workflows' steps run on, sorted (the default pool included when a step uses it). */
export function workflowPools(workflows: Iterable<Workflow>): string[] {
  const pools = new Set<string>();
  for (const wf of workflows) for (const step of [...wf.steps, ...(wf.on_failure ?? [])]) pools.add(stepPool(wf, step));
  return [...pools].sort();
}

/** Which action a (schema-valid) step holds. */
export function actionOf(step: Step): ActionKind {
  const kind = ACTION_KEYS.find((k) => step[k] !== undefined);
  if (kind === undefined) throw new Error(`step ${step.id} has no action`);
  return kind;
}
