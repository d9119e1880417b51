/**
 * The contract between the engine and the atomic actions (shell, http, sleep, …). The engine
 * builds the context (environment, abort signal, output sink, logger); an action only does its
 * one thing and reports an ActionResult. Actions never write to Redis themselves.
 */
import type { Logger } from '../lib/logger.js';

export type OutputStream = 'stdout' | 'stderr';

export interface ActionContext {
  runId: string;
  stepId: string;
  attempt: number;
  /** The complete environment for the step (the engine builds it: workflow env, step env, INPUT_*). */
  env: Record<string, string>;
  /** Aborted on step timeout or cancel: the action stops promptly (a shell step kills its process group). */
  signal: AbortSignal;
  /**
   * One line of output without its newline; the engine masks and batches it. It must not block.
   * It may return a Promise when its buffer is full (say, Redis is slower than the step prints):
   * the shell action then stops reading the step's pipes until it settles, so the child blocks on
   * write and the worker's memory stays bounded however fast a step prints. Return undefined
   * otherwise: a Promise per line would be needlessly slow.
   */
  output(line: string, stream: OutputStream): void | Promise<void>;
  /**
   * Set by the engine, whose output() keeps a step's output only up to a byte budget and counts
   * the rest: `full()` turns true once output() keeps no more lines of this step. An action that
   * prints a lot may then count further lines itself, without decoding them, and report them with
   * `skipped(lines, bytes)` instead of calling output() per line.
   */
  outputBudget?: OutputBudgetSink;
  /**
   * The run's secrets replaced by `***` (the engine's masker). An action that cuts text it
   * returns must mask before cutting: a secret straddling the cut would otherwise no longer be
   * recognised, and its first characters would stay in clear.
   */
  mask(text: string): string;
  log: Logger;
}

export interface OutputBudgetSink {
  full(): boolean;
  skipped(lines: number, bytes: number): void;
}

export interface ActionResult {
  ok: boolean;
  outputs: Record<string, string>;
  exitCode?: number;
  error?: string;
  /** Set when the action stopped because ctx.signal was aborted with a TimeoutError reason. */
  timedOut?: boolean;
  /** Set when the action stopped because ctx.signal was aborted for any other reason (cancel). */
  cancelled?: boolean;
}

/** An http step after the engine interpolated its expressions and parsed its durations. */
export interface ResolvedHttpSpec {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  headers?: Record<string, string>;
  /** A string is sent as is; an object or array is sent as JSON (content-type set unless given). */
  body?: string | Record<string, unknown> | unknown[];
  /** Expected status code(s); any 2xx when absent. */
  expect?: number | number[];
  /** Request timeout in milliseconds (default 30 s); the step timeout still applies through ctx.signal. */
  timeoutMs?: number;
  /** Follow redirects to the same origin (at most MAX_REDIRECTS); when false or absent a 3xx is the response. */
  followRedirects?: boolean;
}

/**
 * How an aborted signal should be reported. The engine aborts with
 * `AbortSignal.timeout()`-style reasons (a DOMException named TimeoutError) for timeouts and
 * with anything else for cancel.
 */
export function abortOutcome(signal: AbortSignal): Pick<ActionResult, 'timedOut' | 'cancelled'> {
  const reason: unknown = signal.reason;
  // By name, not instanceof: DOMException may come from another realm (vm contexts, jest).
  const timedOut = typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
  return timedOut ? { timedOut: true } : { cancelled: true };
}

/**
 * True when the abort leaves no time for a graceful stop: the engine aborts with a reason named
 * LeaseLostError when the worker lost its hold on the step (engine/step-lease.ts) and another
 * worker may run it soon; the step's processes must be gone before that.
 */
export function abortIsUrgent(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'LeaseLostError';
}

/**
 * The ActionResult of an action that stopped because its signal was aborted. The error is the
 * abort reason's message when it has one (`step timed out after 2m`, `run cancelled`), else a
 * plain `step timed out` / `step cancelled`.
 */
export function abortedResult(signal: AbortSignal, extra: Partial<ActionResult> = {}): ActionResult {
  const outcome = abortOutcome(signal);
  const reason = typeof signal.reason === 'object' && signal.reason !== null ? (signal.reason as { name?: unknown; message?: unknown }) : undefined;
  const told = reason && reason.name !== 'AbortError' && typeof reason.message === 'string' && reason.message !== '' ? reason.message : undefined;
  return { ok: false, outputs: {}, error: told ?? (outcome.timedOut ? 'step timed out' : 'step cancelled'), ...outcome, ...extra };
}
