/**
 * The engine's public vocabulary: run and step records as stored in Redis, the events of a run's
 * stream, and the API every front (CLI, shell, Slack, Discord, alerts) uses to start and steer
 * runs. Fronts depend on these types only, never on the engine's internals.
 */
import type { Workflow } from '../workflow/schema.js';

export const RUN_STATES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export const STEP_STATES = ['pending', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled', 'timed_out', 'lost'] as const;
export type StepState = (typeof STEP_STATES)[number];
export const FINAL_STEP_STATES: readonly StepState[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'timed_out', 'lost'];

/** A principal as policy names it: `slack:U123`, `discord:789`, `shell:alice`, `alert:alertmanager`, `cli:bob`. */
export type Identity = string;

/** What started a run, and where its messages go. */
export interface Trigger {
  kind: 'chat' | 'cli' | 'alert' | 'workflow';
  /** `slack`, `discord`, `shell`, `cli`, `alertmanager`, … */
  source: string;
  /** Who asked; for alerts the source identity. */
  requester: Identity;
  /** Chat channel the run reports into, when any. */
  channel?: string;
  /** The chat line or alert summary that started the run. */
  text?: string;
  /** For sub-workflow runs: the parent run and step. */
  parent?: { runId: string; stepId: string };
  /** For `chatops run --local`: the process whose in-process worker runs the steps. */
  local?: { host: string; pid: number };
}

export interface ApprovalDecision {
  user: Identity;
  /** Who decided as a person: `person:NAME` when policy's people: maps the account, else the account. */
  person?: string;
  decision: 'approve' | 'deny';
  at: number;
  /** Whether this decision counted toward the outcome (policy allowed it). */
  counted: boolean;
  reason?: string;
}

export interface ApprovalState {
  message: string;
  minApprovers: number;
  /** Roles an approver must hold; empty means anyone but the requester. */
  roles: string[];
  expiresAt: number;
  decisions: ApprovalDecision[];
  outcome?: 'approved' | 'denied' | 'expired';
}

export interface StepRecord {
  id: string;
  name: string;
  kind: 'run' | 'http' | 'approval' | 'sleep' | 'notify' | 'workflow';
  /** `main` for steps, `on_failure` for the failure handlers. */
  phase: 'main' | 'on_failure';
  state: StepState;
  attempt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  outputs: Record<string, string>;
  error?: string;
  approval?: ApprovalState;
  /** For `workflow:` steps, the child run. */
  childRunId?: string;
  /** The worker pool that runs the step (`runs_on`), when it is not the default pool. */
  pool?: string;
  /**
   * Output kept for the transcript even after the event stream is trimmed (masked). `lines`
   * counts the lines written to the stream; `cut` is set when output past an output budget was
   * counted but not kept (OutputCut).
   */
  output?: { lines: number; head: string[]; tail: string[]; cut?: OutputCut };
}

/** Output of a step that was counted but not kept, past the step's or the run's output budget. */
export interface OutputCut {
  lines: number;
  bytes: number;
  /** Which budget was spent: the step's own (CHATOPS_STEP_OUTPUT_MAX) or the run's (CHATOPS_RUN_OUTPUT_MAX). */
  scope: 'step' | 'run';
  /** That budget, in bytes. */
  budget: number;
}

export interface RunRecord {
  id: string;
  workflow: string;
  description?: string;
  state: RunState;
  /** Inputs after validation and defaults, with secret values already replaced by `***`. */
  inputs: Record<string, string | number | boolean>;
  trigger: Trigger;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  outputs: Record<string, string>;
  /** Steps in workflow order (main steps, then on_failure steps). */
  steps: StepRecord[];
  /** Set while the run waits for a concurrency lock; `key` is the key as shown (masked), not the lock's name. */
  queue?: { key: string; position: number; holder?: string };
}

interface EventBase {
  /** Redis stream id, filled in when read back. */
  id?: string;
  ts: number;
  runId: string;
}

export type RunEvent = EventBase &
  (
    | { type: 'run.created'; workflow: string; trigger: Trigger; inputs: Record<string, string | number | boolean> }
    /** `key`: the concurrency key as shown (masked), as in RunRecord.queue. */
    | { type: 'run.queued'; key: string; position: number; holder?: string }
    | { type: 'run.started' }
    | { type: 'step.started'; step: string; attempt: number }
    /** The step's job waits in its pool's queue and no worker of that pool is running (it starts when one appears). */
    | { type: 'step.no_worker'; step: string; attempt: number; pool: string }
    | { type: 'step.output'; step: string; lines: string[]; stream: 'stdout' | 'stderr' }
    | { type: 'step.retrying'; step: string; attempt: number; delayMs: number; error: string }
    | { type: 'step.finished'; step: string; state: StepState; durationMs: number; outputs: Record<string, string>; exitCode?: number; error?: string }
    | { type: 'approval.requested'; step: string; approval: ApprovalState; requester: Identity }
    | { type: 'approval.decided'; step: string; decision: ApprovalDecision; outcome?: ApprovalState['outcome'] }
    | { type: 'notify'; step: string; text: string }
    | { type: 'run.cancelling'; by: Identity }
    | { type: 'run.finished'; state: RunState; durationMs: number; error?: string; outputs: Record<string, string> }
  );

export type RunEventType = RunEvent['type'];

export interface StartRunRequest {
  workflow: string;
  /**
   * The run's id, chosen by the caller (RUN_ID_PATTERN; make one with newRunId()) so a front can
   * tell the user the id in its ack before the run is written. Refused with RUN_ID_TAKEN when a
   * run with that id exists. Default: the engine picks a fresh one.
   */
  runId?: string;
  /** Raw inputs (strings from chat or CLI, or typed values); validated against the workflow's inputs. */
  inputs: Record<string, unknown>;
  trigger: Trigger;
  /** Same key → the existing run is returned instead of starting another. */
  idempotencyKey?: string;
  /**
   * The `alert` expression context (labels, annotations, status) for runs an alert started, as
   * alertContext (alerts/runbook-triggers.ts) builds it; its text is masked, its ids kept (mask-alert.ts).
   */
  alert?: Record<string, unknown>;
}

export interface StartRunResult {
  run: RunRecord;
  /** True when the idempotency key matched an earlier run. */
  existing: boolean;
}

export interface DecideRequest {
  runId: string;
  /** The approval step; when omitted the run's one waiting approval. */
  stepId?: string;
  user: Identity;
  /** The roles policy gives this user (the caller resolves groups). */
  roles: string[];
  decision: 'approve' | 'deny';
}

export interface DecideResult {
  /** Whether the decision counted; when not, `reason` says why (requester, role, already decided). */
  counted: boolean;
  reason?: string;
  approval: ApprovalState;
}

export interface ReadEventsOptions {
  /** Stream id to read after; `0` for the beginning. */
  after?: string;
  /** Block up to this long for new events (0: do not block). */
  blockMs?: number;
  count?: number;
}

export interface ReadEventsManyOptions {
  /** Block up to this long for new events on any of the streams (0: do not block). */
  blockMs?: number;
  /** Most events per stream. */
  count?: number;
  /** Ends a blocking read early; it then returns nothing. */
  signal?: AbortSignal;
}

/** What fronts use. Implemented by the engine over Redis and BullMQ. */
export interface RunsApi {
  startRun(req: StartRunRequest): Promise<StartRunResult>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(opts: { channel?: string; limit?: number }): Promise<RunRecord[]>;
  cancel(runId: string, by: Identity): Promise<RunRecord>;
  decide(req: DecideRequest): Promise<DecideResult>;
  readEvents(runId: string, opts?: ReadEventsOptions): Promise<RunEvent[]>;
  /**
   * Events of many runs in one read (one XREAD over all their streams; a blocking read holds one
   * connection however many runs it covers): run id → cursor in, run id → new events out (runs
   * without new events are left out). For fronts that watch many runs at once (the reporter).
   */
  readEventsMany(cursors: ReadonlyMap<string, string>, opts?: ReadEventsManyOptions): Promise<Map<string, RunEvent[]>>;
  transcript(runId: string): Promise<string>;
  /** Number of live worker processes, or of those serving one pool (so `chatops run` can say when none is running). */
  workerCount(pool?: string): Promise<number>;
  /** The workflows this engine knows, by name. */
  workflows(): ReadonlyMap<string, Workflow>;
}
