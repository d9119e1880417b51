/**
 * A worker's lease on the steps it runs: the fence that keeps two attempts of one step from ever
 * running at the same time, whatever Redis, the network or BullMQ's job locks do.
 *
 * The worker holds one key, P:lease:ID, with a TTL of `leaseMs`, renewed every `renewMs` on a
 * connection of its own (commands time out after `renewMs`: a Redis that hangs counts as down).
 * Every step it claims names that lease (startStep stores it as `<id>#w`). Time is measured here
 * with a monotonic clock, from when the last SUCCESSFUL renewal was SENT: Redis set the TTL no
 * earlier, so the key lives at least until then + leaseMs. `killMarginMs` before that, without a
 * newer success, the lease counts as lost: every step claimed under it is aborted (a shell step's
 * process group gets SIGKILL) and the worker continues under a fresh lease id. So when the key
 * expires in Redis, nothing of ours runs any more.
 *
 * Another worker finding a step `running` takes it over only when its holder's key is gone, and
 * its next attempt is then due `takeoverMarginMs` later at the earliest (step-runner.ts). While
 * the key lives, the job is put back as a delayed job to look again when it may have expired.
 * A late reply of a renewal that timed out can only extend a lease nobody uses any more: harmless.
 * A worker process that is frozen cannot kill anything itself: its orphan guard, a separate process,
 * is given a deadline after each renewal and kills the steps' process groups when it passes
 * (actions/orphan-guard.ts).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { Keys } from './keys.js';

export interface LeaseTiming {
  /** TTL of the lease key in Redis. */
  leaseMs: number;
  /** How often the holder renews it (each renewal also times out after this long). */
  renewMs: number;
  /** The holder gives the lease up (and kills its steps) this long before it could expire. */
  killMarginMs: number;
  /** A step taken over from an expired lease starts again no sooner than this. */
  takeoverMarginMs: number;
}

export const DEFAULT_STEP_LEASE_MS = 30_000;

/** Renewal, kill margin and takeover margin are each a sixth of the lease (5 s of the default 30 s). */
export function leaseTiming(leaseMs = DEFAULT_STEP_LEASE_MS): LeaseTiming {
  const sixth = Math.max(50, Math.floor(leaseMs / 6));
  return { leaseMs, renewMs: sixth, killMarginMs: sixth, takeoverMarginMs: sixth };
}

/** The reason a step is aborted with when its worker's lease is lost (shell.ts kills at once on it). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export class StepLease {
  private gen = 0;
  private id: string;
  /** performance.now() when the last renewal that succeeded was sent; -Infinity while none has. */
  private lastOk = Number.NEGATIVE_INFINITY;
  private held = false;
  private renewing = false;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly workerId: string,
    readonly timing: LeaseTiming,
    /** Called with the id of a lease just lost: abort every step claimed under it. */
    private readonly onLost: (leaseId: string, why: string) => void,
    private readonly log: Logger,
    /**
     * After each renewal that succeeded: the time (performance.now()) by which a step of this lease
     * must be dead if nothing renews it again; half the kill margin after the worker's own deadline.
     * The worker hands it to the orphan guard's watchdog, which kills even while this process is frozen.
     */
    private readonly onRenewed: (killBy: number | undefined) => void = () => undefined,
  ) {
    this.id = this.nextId();
  }

  private nextId(): string {
    return `${this.workerId}:${++this.gen}:${randomBytes(2).toString('hex')}`;
  }

  /** Takes the first lease (waits for Redis), then renews it every renewMs. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.timing.renewMs);
    this.timer.unref();
  }

  /** The lease steps may be claimed under now, or undefined while this worker holds none. */
  current(): string | undefined {
    return this.held && performance.now() < this.deadline() ? this.id : undefined;
  }

  /** The current lease id, once there is one (waits while Redis cannot be reached). */
  async valid(): Promise<string> {
    for (;;) {
      const id = this.current();
      if (id !== undefined) return id;
      if (this.closed) throw new Error('worker is closing');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Whether this lease id is still held: a step claimed under it may go on. */
  holds(leaseId: string): boolean {
    return this.current() === leaseId;
  }

  /** startStep found the key gone (a Redis failover lost it, or it was deleted): give it up now. */
  missing(leaseId: string): void {
    if (leaseId === this.id) this.lose('the lease key was missing in Redis');
  }

  private deadline(): number {
    return this.lastOk + this.timing.leaseMs - this.timing.killMarginMs;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    const id = this.id;
    const sent = performance.now();
    try {
      const key = this.keys.lease(id);
      const op = this.held ? this.redis.set(key, '1', 'PX', this.timing.leaseMs, 'XX') : this.redis.set(key, '1', 'PX', this.timing.leaseMs, 'NX');
      const reply = await withTimeout(op, this.timing.renewMs);
      if (id !== this.id || this.closed) return; // answered for a lease given up meanwhile
      if (reply === 'OK') {
        this.lastOk = Math.max(this.lastOk, sent);
        this.held = true;
        this.armWatchdog();
        this.onRenewed(this.lastOk + this.timing.leaseMs - this.timing.killMarginMs / 2);
        for (const wake of this.waiters.splice(0)) wake();
      } else if (this.held) {
        this.lose('the lease expired in Redis before it could be renewed');
      } else {
        this.id = this.nextId(); // NX refused: taken (cannot happen with random ids); try another
      }
    } catch (err) {
      // Timed out or Redis unreachable: the watchdog decides when this is too long.
      this.log.debug({ err: String(err) }, 'step lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  private armWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    const left = this.deadline() - performance.now();
    this.watchdog = setTimeout(() => {
      if (this.held && performance.now() >= this.deadline()) this.lose(`the lease could not be renewed for ${Math.round(performance.now() - this.lastOk)} ms (Redis stalled or unreachable)`);
      else this.armWatchdog();
    }, Math.max(0, left));
    this.watchdog.unref();
  }

  private lose(why: string): void {
    if (!this.held) return;
    const lost = this.id;
    this.held = false;
    this.lastOk = Number.NEGATIVE_INFINITY;
    this.id = this.nextId();
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.log.warn({ lease: lost, why }, 'step lease lost: stopping the steps claimed under it');
    this.onLost(lost, why);
    void this.renew();
  }

  /** Stops renewing and lets the key go (the worker has no step left). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    for (const wake of this.waiters.splice(0)) wake();
    this.onRenewed(undefined);
    // Not reachable: the key expires on its own (waiting would only delay a shutdown).
    if (this.held && this.redis.status === 'ready') await withTimeout(this.redis.del(this.keys.lease(this.id)), this.timing.renewMs).catch(() => 0);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
