/**
 * One event reader for every run a reporter pool drives. Instead of one blocking read per run
 * (a Redis connection each: with hundreds of runs the front spends its CPU on connection churn),
 * the feed keeps one loop doing one blocking XREAD over all subscribed runs' streams
 * (RunsApi.readEventsMany) and hands each run its events through a small buffer.
 *
 * When a run is subscribed, the read in flight is ended early (its AbortSignal; at most once per
 * `coalesceMs`, 50 ms, for all the runs subscribed meanwhile) and the next one covers the new set,
 * so a new run's events are not held back for a whole block; an unsubscribed run just drops out
 * of the next read. A run whose consumer falls far behind is left out of reads until it catches
 * up (its buffer is bounded). Read errors (Redis down) are logged and retried with backoff;
 * subscribers meanwhile just see no events.
 */
import type { RunEvent, RunsApi } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';

export interface EventFeedOptions {
  runs: Pick<RunsApi, 'readEventsMany'>;
  log: Logger;
  /** How long one read blocks when nothing happens. */
  blockMs?: number;
  /** Most events read per stream per read. */
  count?: number;
  /** A run with this many unread events is left out of reads until its consumer catches up. */
  maxBuffered?: number;
  /** How long a change of the subscribed runs waits for others before the read in flight is ended early; default 50 ms. */
  coalesceMs?: number;
}

interface Sub {
  /** Where the feed reads from next (the last event it buffered). */
  cursor: string;
  buffer: RunEvent[];
  wake?: () => void;
}

/** A run's view of the feed. */
export interface Subscription {
  /** The events after the last ones returned, waiting up to `waitMs` for some; [] when none came. */
  next(waitMs: number): Promise<RunEvent[]>;
  /** Stops reading this run; a pending next() returns what it has. */
  close(): void;
}

export class EventFeed {
  private readonly subs = new Map<string, Sub>();
  private loop: Promise<void> | undefined;
  private inFlight: AbortController | undefined;
  private changed = false;
  private closed = false;
  private idleWake: (() => void) | undefined;
  private reshapeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: EventFeedOptions) {}

  /** Follows a run's events after `cursor` (a stream id; '0' for all). One subscription per run. */
  subscribe(runId: string, cursor: string): Subscription {
    if (this.subs.has(runId)) throw new Error(`run ${runId} is already subscribed to the event feed`);
    const sub: Sub = { cursor, buffer: [] };
    this.subs.set(runId, sub);
    this.reshape();
    this.loop ??= this.run();
    return {
      next: (waitMs) => this.next(sub, waitMs),
      close: () => {
        if (this.subs.get(runId) !== sub) return;
        this.subs.delete(runId);
        sub.wake?.();
      },
    };
  }

  /** Runs subscribed now (tests, metrics). */
  size(): number {
    return this.subs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sub of this.subs.values()) sub.wake?.();
    this.subs.clear();
    clearTimeout(this.reshapeTimer);
    this.reshapeTimer = undefined;
    this.inFlight?.abort();
    this.idleWake?.();
    await this.loop;
  }

  private async next(sub: Sub, waitMs: number): Promise<RunEvent[]> {
    if (sub.buffer.length === 0 && waitMs > 0 && !this.closed) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        sub.wake = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      clearTimeout(timer);
      sub.wake = undefined;
    }
    const events = sub.buffer;
    sub.buffer = [];
    // A run left out for being far behind is read again now that it caught up.
    if (events.length >= this.maxBuffered) this.reshape();
    return events;
  }

  private get maxBuffered(): number {
    return this.opts.maxBuffered ?? 10_000;
  }

  /**
   * The set of streams to read changed: end the read in flight so the next one covers it. Changes
   * within `coalesceMs` share one early end: each costs a CLIENT UNBLOCK and a new XREAD over every
   * subscribed stream, and a burst of new runs (50 a second) would pay it for each. A new run's
   * first events do not wait for it: its reporter reads those directly.
   */
  private reshape(): void {
    this.changed = true;
    this.idleWake?.();
    if (!this.inFlight || this.reshapeTimer) return;
    this.reshapeTimer = setTimeout(() => {
      this.reshapeTimer = undefined;
      // A read begun since the change covers it already (the loop clears `changed` as it begins one).
      if (this.changed) this.inFlight?.abort();
    }, this.opts.coalesceMs ?? 50);
  }

  private async run(): Promise<void> {
    const blockMs = this.opts.blockMs ?? 1000;
    let backoff = 0;
    while (!this.closed) {
      const cursors = new Map<string, string>();
      const reading = new Map<string, Sub>();
      for (const [runId, sub] of this.subs) {
        if (sub.buffer.length >= this.maxBuffered) continue;
        cursors.set(runId, sub.cursor);
        reading.set(runId, sub);
      }
      this.changed = false;
      if (cursors.size === 0) {
        // Nothing to read: sleep until a run subscribes (or catches up).
        await new Promise<void>((resolve) => {
          this.idleWake = resolve;
          if (this.changed || this.closed) resolve();
        });
        this.idleWake = undefined;
        continue;
      }
      const ctl = new AbortController();
      this.inFlight = ctl;
      try {
        const read = await this.opts.runs.readEventsMany(cursors, { blockMs, count: this.opts.count ?? 2000, signal: ctl.signal });
        backoff = 0;
        for (const [runId, events] of read) {
          const sub = reading.get(runId);
          const last = events[events.length - 1];
          // Unsubscribed (or subscribed anew) while we read: these events are not for it.
          if (!sub || this.subs.get(runId) !== sub || last?.id === undefined) continue;
          sub.buffer.push(...events);
          sub.cursor = last.id;
          sub.wake?.();
        }
      } catch (err) {
        backoff = Math.min(backoff === 0 ? 250 : backoff * 2, 5_000);
        this.opts.log.warn({ err, runs: cursors.size, retryInMs: backoff }, 'reading run events failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
      } finally {
        this.inFlight = undefined;
      }
    }
  }
}
