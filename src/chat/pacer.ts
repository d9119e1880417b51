/**
 * Coalesces chat writes under a platform's write budget. Each message (`key`) holds at most one
 * pending write, the latest: a burst of 10,000 output lines becomes one edit. Writes run one at a
 * time (so a thread's root is posted before its replies), each channel spends from a token bucket
 * of `budget.writes` per `budget.perMs`, and a message is not edited more often than
 * `minIntervalMs` (default: once a second), which bounds a message's writes to about its lifetime
 * in seconds plus its first post and final write.
 *
 * A failed write is retried with backoff (honouring a `retryAfterMs` the adapter puts on the
 * error, e.g. from HTTP 429 Retry-After) unless newer content has replaced it meanwhile, or the
 * error is permanent (isPermanentWriteError: the bot may not write in that channel at all).
 * A write that meets such a refusal and handles it itself resolves 'refused' (ChatWrite), so the
 * write metrics still count it as refused rather than ok.
 */
import type { Logger } from '../lib/logger.js';
import { isPermanentWriteError, type WriteBudget } from './platform.js';

/** How one chat write went: done, refused with 429 (Retry-After), failed, or refused for good. */
export type WriteOutcome = 'ok' | 'rate_limited' | 'failed' | 'refused';

/** A write handed to the pacer: resolves 'refused' when it met a refusal for good and handled it. */
export type ChatWrite = () => Promise<void | 'refused'>;

/**
 * Token buckets per channel. Shared by the pacers of all runs on one platform in a process, so
 * several runs reporting into one channel still stay under its budget together; `onWrite` hears
 * how each of their writes went (the platform's chat write metrics).
 */
export class ChannelBuckets {
  private readonly tokens = new Map<string, { level: number; at: number }>();
  constructor(
    readonly budget: WriteBudget,
    readonly onWrite?: (outcome: WriteOutcome) => void,
  ) {}

  /** Milliseconds until the channel's bucket holds a token (0 = now). */
  wait(channel: string, now: number): number {
    const { writes, perMs } = this.budget;
    const rate = writes / perMs;
    const b = this.tokens.get(channel) ?? { level: writes, at: now };
    const level = Math.min(writes, b.level + (now - b.at) * rate);
    this.tokens.set(channel, { level, at: now });
    return level >= 1 ? 0 : Math.ceil((1 - level) / rate);
  }

  spend(channel: string): void {
    const b = this.tokens.get(channel);
    if (b) b.level -= 1;
  }

  /**
   * The platform said "wait" (HTTP 429 Retry-After): no write to this channel until `until`.
   * Draining the bucket below zero makes every pacer sharing it wait, not just the refused write.
   */
  block(channel: string, until: number, now: number): void {
    const { writes, perMs } = this.budget;
    const rate = writes / perMs;
    this.tokens.set(channel, { level: 1 - Math.max(0, until - now) * rate, at: now });
  }
}

export interface PacerOptions {
  budget: WriteBudget;
  /** Buckets shared with other pacers of the same platform; a private set when absent. */
  buckets?: ChannelBuckets;
  minIntervalMs?: number;
  log: Logger;
  now?: () => number;
  /** Attempts per write before giving up (the next content for that message tries again). */
  maxAttempts?: number;
}

interface Pending {
  key: string;
  channel: string;
  write: ChatWrite;
  seq: number;
  attempts: number;
  notBefore: number;
}

export class Pacer {
  private readonly pending = new Map<string, Pending>();
  private readonly lastWrite = new Map<string, number>();
  private readonly buckets: ChannelBuckets;
  private seq = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;
  private readonly minInterval: number;

  constructor(private readonly opts: PacerOptions) {
    this.now = opts.now ?? Date.now;
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.buckets = opts.buckets ?? new ChannelBuckets(opts.budget);
  }

  /** Replaces any pending write for `key` with this one. */
  submit(key: string, channel: string, write: ChatWrite): void {
    if (this.closed) return;
    const prev = this.pending.get(key);
    this.pending.set(key, { key, channel, write, seq: prev?.seq ?? ++this.seq, attempts: 0, notBefore: prev?.notBefore ?? 0 });
    this.kick();
  }

  /** Whether a write for `key` is waiting. */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Resolves when no write is pending or running. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops pending writes and stops; a write in flight finishes. */
  close(): void {
    this.closed = true;
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.settleIdle();
  }

  private kick(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      if (this.timer) clearTimeout(this.timer);
      w();
      return;
    }
    if (!this.running) void this.loop();
  }

  private settleIdle(): void {
    if (this.pending.size > 0 || this.running) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private readyAt(p: Pending, now: number): number {
    const last = this.lastWrite.get(p.key);
    const interval = last === undefined ? now : last + this.minInterval;
    return Math.max(interval, p.notBefore, now + this.buckets.wait(p.channel, now));
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.pending.size > 0) {
        const now = this.now();
        let best: Pending | undefined;
        let bestAt = Infinity;
        for (const p of this.pending.values()) {
          const at = this.readyAt(p, now);
          if (at < bestAt || (at === bestAt && best !== undefined && p.seq < best.seq)) {
            best = p;
            bestAt = at;
          }
        }
        if (!best) break;
        if (bestAt > now) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            this.timer = setTimeout(() => {
              this.wake = undefined;
              resolve();
            }, bestAt - now);
          });
          continue;
        }
        this.pending.delete(best.key);
        this.buckets.spend(best.channel);
        this.lastWrite.set(best.key, this.now());
        try {
          const outcome = (await best.write()) ?? 'ok';
          this.buckets.onWrite?.(outcome);
        } catch (err) {
          this.buckets.onWrite?.(writeOutcomeOf(err));
          this.retry(best, err);
        }
      }
    } finally {
      this.running = false;
      this.settleIdle();
    }
  }

  private retry(p: Pending, err: unknown): void {
    if (isPermanentWriteError(err)) {
      // The platform will refuse it however often we ask (bot not in the channel): the caller
      // has seen the error and reacts (the reporter reports privately instead).
      this.opts.log.warn({ err, key: p.key }, 'chat write refused for good; not retrying');
      return;
    }
    const attempts = p.attempts + 1;
    const max = this.opts.maxAttempts ?? 10;
    const retryAfter = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    const delay = typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : Math.min(30_000, 500 * 2 ** (attempts - 1));
    if (typeof retryAfter === 'number' && retryAfter > 0) this.buckets.block(p.channel, this.now() + retryAfter, this.now());
    if (this.pending.has(p.key)) {
      // Newer content replaced it; that write carries the latest state anyway.
      const newer = this.pending.get(p.key);
      if (newer) newer.notBefore = Math.max(newer.notBefore, this.now() + delay);
      return;
    }
    if (attempts >= max) {
      this.opts.log.error({ err, key: p.key, attempts }, 'chat write failed; giving up on this content');
      return;
    }
    this.opts.log.warn({ err, key: p.key, attempts, delayMs: delay }, 'chat write failed; retrying');
    this.pending.set(p.key, { ...p, attempts, notBefore: this.now() + delay });
  }
}

/** A failed write's outcome: a Retry-After is the platform's 429 (adapters put it on the error). */
export function writeOutcomeOf(err: unknown): WriteOutcome {
  if (isPermanentWriteError(err)) return 'refused';
  return typeof (err as { retryAfterMs?: unknown } | null)?.retryAfterMs === 'number' ? 'rate_limited' : 'failed';
}
