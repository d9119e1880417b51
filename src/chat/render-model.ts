/**
 * The render model: WHAT a chat front shows about a run, with no formatting. Built from the
 * engine's RunRecord (states, durations, approvals, queue position) plus the run's output events.
 * Each adapter turns these views into its own format (ANSI text, Block Kit, Discord embeds); the
 * reporter decides WHEN to write them.
 *
 * Times are absolute epoch milliseconds plus `now`, so a formatter can show "running 12s" without
 * reading the clock itself (tests control time by choosing `now`).
 */
import type { ApprovalDecision, ApprovalState, Identity, RunRecord, RunState, StepRecord, StepState, Trigger } from '../engine/types.js';
import { FINAL_RUN_STATES, FINAL_STEP_STATES } from '../engine/types.js';

export interface StepView {
  id: string;
  /** Display name: the step's `name`, else its id. */
  name: string;
  kind: StepRecord['kind'];
  phase: StepRecord['phase'];
  state: StepState;
  /** True for states that will not change any more. */
  final: boolean;
  attempt: number;
  startedAt?: number;
  endedAt?: number;
  /** Duration of a finished step, or elapsed time of a running one (relative to the view's `now`). */
  durationMs?: number;
  exitCode?: number;
  error?: string;
  /** Set while an approval step waits, or once it is decided. */
  approval?: ApprovalView;
  childRunId?: string;
  /** The worker pool that runs the step, when not the default one. */
  pool?: string;
  /** Set while the step is queued for a pool with no live worker: that pool's name. */
  waitingForWorker?: string;
}

/** A `step.no_worker` event as the view needs it: which attempt waits, for which pool. */
export interface NoWorkerNotice {
  attempt: number;
  pool: string;
}

export interface QueueView {
  runId: string;
  /** The concurrency lock key the run waits for. */
  key: string;
  /** 1 = next in line. */
  position: number;
  /** The run holding the lock, when known. */
  holder?: string;
}

export interface ApprovalDecisionView {
  user: Identity;
  decision: 'approve' | 'deny';
  at: number;
  counted: boolean;
  reason?: string;
}

export interface ApprovalView {
  runId: string;
  stepId: string;
  stepName: string;
  workflow: string;
  message: string;
  requester: Identity;
  minApprovers: number;
  /** Roles an approver must hold; empty = anyone except the requester. */
  roles: string[];
  expiresAt: number;
  /** Counted approvals so far. */
  approvals: number;
  decisions: ApprovalDecisionView[];
  /** Undefined while pending. */
  outcome?: 'approved' | 'denied' | 'expired';
  /** Whether Approve/Deny actions should be offered. */
  pending: boolean;
  /** The decision that settled it (last counted one), for "approved by bob at 22:41". */
  decidedBy?: ApprovalDecisionView;
}

export interface RunView {
  runId: string;
  workflow: string;
  description?: string;
  state: RunState;
  final: boolean;
  trigger: Trigger;
  requester: Identity;
  /** Inputs as the engine stored them: secret values are already `***`. */
  inputs: Record<string, string | number | boolean>;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Total duration when final, elapsed since start (or creation) otherwise. */
  durationMs: number;
  error?: string;
  outputs: Record<string, string>;
  steps: StepView[];
  /** Set while the run waits behind a concurrency lock. */
  queue?: QueueView;
  /** Set when someone asked to cancel and the run has not finished yet. */
  cancellingBy?: Identity;
  /** The time the view was built for. */
  now: number;
  /** The run's web page (a signed link), when the front serves pages at a public URL. */
  link?: string;
  /** Set once the run vanished from Redis: the view is its last known state, and nothing more comes. */
  gone?: true;
}

/** The status line's words for a run that vanished from Redis (every platform says the same). */
export function goneText(view: RunView): string {
  return `Gone from Redis (expired, or Redis lost its data): last known state ${view.state}`;
}

export interface OutputLine {
  text: string;
  stream: 'stdout' | 'stderr';
}

/** Platform limits for preformatted text in one message (from the adapter): step output, a reply's long text. */
export interface OutputLimits {
  /** Most lines shown in one message (last lines while running; head+tail when truncated). */
  maxLines: number;
  /** Most characters of output text in one message. */
  maxChars: number;
}

export interface StepOutputView {
  runId: string;
  stepId: string;
  stepName: string;
  state: StepState;
  final: boolean;
  /** Lines shown, already cut to the limits: the last lines, or head when `truncated` and final. */
  lines: OutputLine[];
  /** When the output did not fit: the first lines (shown before an omission marker), final only. */
  head: OutputLine[];
  /** Lines left out between head and the shown `lines` (or before `lines` while running). */
  omitted: number;
  totalLines: number;
  truncated: boolean;
  /** Present on the final view of a truncated step: the whole log, to upload as a file. */
  fullLog?: { filename: string; text: string };
  exitCode?: number;
  error?: string;
  durationMs?: number;
}

function approvalView(run: RunRecord, step: StepRecord, approval: ApprovalState): ApprovalView {
  const decisions: ApprovalDecisionView[] = approval.decisions.map((d: ApprovalDecision) => ({ ...d }));
  const approvals = decisions.filter((d) => d.counted && d.decision === 'approve').length;
  const settling = [...decisions].reverse().find((d) => d.counted);
  const pending = approval.outcome === undefined && step.state === 'waiting';
  return {
    runId: run.id,
    stepId: step.id,
    stepName: step.name || step.id,
    workflow: run.workflow,
    message: approval.message,
    requester: run.trigger.requester,
    minApprovers: approval.minApprovers,
    roles: [...approval.roles],
    expiresAt: approval.expiresAt,
    approvals,
    decisions,
    outcome: approval.outcome,
    pending,
    decidedBy: approval.outcome && approval.outcome !== 'expired' ? settling : undefined,
  };
}

/**
 * Whether an approval has really been asked for: the engine keeps the step's approval settings
 * (with its message template) from the start, but a pending or skipped step asks nobody.
 */
function requested(step: StepRecord): step is StepRecord & { approval: ApprovalState } {
  const a = step.approval;
  return a !== undefined && (step.state === 'waiting' || a.outcome !== undefined || a.decisions.length > 0);
}

export function buildStepView(run: RunRecord, step: StepRecord, now: number, noWorker?: NoWorkerNotice): StepView {
  const final = FINAL_STEP_STATES.includes(step.state);
  let durationMs: number | undefined;
  if (step.startedAt !== undefined) durationMs = Math.max(0, (step.endedAt ?? (final ? step.startedAt : now)) - step.startedAt);
  return {
    id: step.id,
    name: step.name || step.id,
    kind: step.kind,
    phase: step.phase,
    state: step.state,
    final,
    attempt: step.attempt,
    startedAt: step.startedAt,
    endedAt: step.endedAt,
    durationMs,
    exitCode: step.exitCode,
    error: step.error,
    approval: requested(step) ? approvalView(run, step, step.approval) : undefined,
    childRunId: step.childRunId,
    pool: step.pool,
    waitingForWorker: noWorker !== undefined && step.state === 'queued' && noWorker.attempt === step.attempt ? noWorker.pool : undefined,
  };
}

/**
 * The header/checklist of a run. `cancellingBy` comes from a `run.cancelling` event and `noWorker`
 * from `step.no_worker` events, by step id (the record keeps neither).
 */
export function buildRunView(run: RunRecord, now: number, extra: { cancellingBy?: Identity; noWorker?: ReadonlyMap<string, NoWorkerNotice> } = {}): RunView {
  const final = FINAL_RUN_STATES.includes(run.state);
  const from = run.startedAt ?? run.createdAt;
  const durationMs = Math.max(0, (run.endedAt ?? (final ? from : now)) - from);
  return {
    runId: run.id,
    workflow: run.workflow,
    description: run.description,
    state: run.state,
    final,
    trigger: run.trigger,
    requester: run.trigger.requester,
    inputs: { ...run.inputs },
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs,
    error: run.error,
    outputs: { ...run.outputs },
    steps: run.steps.map((s) => buildStepView(run, s, now, final ? undefined : extra.noWorker?.get(s.id))),
    queue: run.queue && !final ? { runId: run.id, ...run.queue } : undefined,
    cancellingBy: final ? undefined : extra.cancellingBy,
    now,
  };
}

/** Approval views of every approval step that has been requested (pending or decided). */
export function buildApprovalViews(run: RunRecord): ApprovalView[] {
  return run.steps.flatMap((s) => (requested(s) ? [approvalView(run, s, s.approval)] : []));
}

/** Lines joined the way a log file holds them. */
export function outputText(lines: readonly OutputLine[]): string {
  return lines.map((l) => l.text).join('\n');
}

/**
 * Cuts a step's output to the platform limits. While running: the last lines that fit. When final
 * and everything fits: all of it. When final and it does not fit: head + tail, and the full log for
 * upload.
 */
export function buildStepOutputView(run: RunRecord, stepId: string, all: readonly OutputLine[], limits: OutputLimits, now: number): StepOutputView {
  const step = run.steps.find((s) => s.id === stepId);
  const view = step ? buildStepView(run, step, now) : undefined;
  const final = view?.final ?? false;
  const base = {
    runId: run.id,
    stepId,
    stepName: view?.name ?? stepId,
    state: view?.state ?? 'running',
    final,
    totalLines: all.length,
    exitCode: view?.exitCode,
    error: view?.error,
    durationMs: view?.durationMs,
  } satisfies Partial<StepOutputView>;
  if (fits(all, limits)) {
    return { ...base, lines: [...all], head: [], omitted: 0, truncated: false };
  }
  if (!final) {
    const tail = lastFitting(all, limits.maxLines, limits.maxChars);
    return { ...base, lines: tail, head: [], omitted: all.length - tail.length, truncated: true };
  }
  // Final and too long: a third of the room for the head, the rest for the tail (the end of a log
  // usually says why it failed).
  const headLines = Math.max(1, Math.floor(limits.maxLines / 3));
  const headChars = Math.floor(limits.maxChars / 3);
  const head = firstFitting(all, headLines, headChars);
  const tail = lastFitting(all.slice(head.length), limits.maxLines - head.length, limits.maxChars - charCount(head));
  return {
    ...base,
    lines: tail,
    head,
    omitted: all.length - head.length - tail.length,
    truncated: true,
    fullLog: { filename: `${run.id}-${stepId}.log`, text: outputText(all) },
  };
}

function charCount(lines: readonly OutputLine[]): number {
  return lines.reduce((n, l) => n + l.text.length + 1, 0);
}

function fits(lines: readonly OutputLine[], limits: OutputLimits): boolean {
  return lines.length <= limits.maxLines && charCount(lines) <= limits.maxChars;
}

/** A single line longer than the room left is cut (with a marker) rather than dropped. */
function clip(line: OutputLine, room: number): OutputLine {
  return line.text.length + 1 <= room ? line : { ...line, text: `${line.text.slice(0, Math.max(0, room - 2))}…` };
}

function lastFitting(lines: readonly OutputLine[], maxLines: number, maxChars: number): OutputLine[] {
  const out: OutputLine[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < maxLines; i--) {
    const line = lines[i];
    if (!line) break;
    const cost = line.text.length + 1;
    if (chars + cost > maxChars) {
      if (out.length === 0) out.unshift(clip(line, maxChars));
      break;
    }
    out.unshift(line);
    chars += cost;
  }
  return out;
}

function firstFitting(lines: readonly OutputLine[], maxLines: number, maxChars: number): OutputLine[] {
  const out: OutputLine[] = [];
  let chars = 0;
  for (const line of lines) {
    if (out.length >= maxLines) break;
    const cost = line.text.length + 1;
    if (chars + cost > maxChars) {
      if (out.length === 0) out.push(clip(line, maxChars));
      break;
    }
    out.push(line);
    chars += cost;
  }
  return out;
}
