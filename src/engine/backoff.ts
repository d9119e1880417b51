/** Retry delays: exponential from `backoff`, capped by `max_backoff`, with full jitter in the upper half. */
import { parseDuration } from '../workflow/duration.js';
import type { RetrySpec } from '../workflow/schema.js';

export function retryDelayMs(retry: RetrySpec | undefined, failedAttempt: number, random: () => number = Math.random): number {
  const base = parseDuration(retry?.backoff ?? '1s') ?? 1000;
  const cap = retry?.max_backoff !== undefined ? (parseDuration(retry.max_backoff) ?? Infinity) : Infinity;
  const exp = Math.min(cap, base * 2 ** Math.max(0, failedAttempt - 1));
  // Half fixed, half random: spreads retries of many runs without ever retrying at once.
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** How many tries a step gets in all. */
export function maxAttempts(retry: RetrySpec | undefined): number {
  return retry?.attempts ?? 1;
}
