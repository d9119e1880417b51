/**
 * The steps this worker process is running right now, by run, so a cancel or workflow timeout
 * published by any process aborts them at once. A 1-second poll of the runs' abort flags backs up
 * pub/sub (a message missed during a reconnect still stops the step within about a second).
 * Each step also names the step lease it was claimed under, so losing that lease stops it at once.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { LeaseLostError } from './step-lease.js';
import type { HeldStep } from './worker-registry.js';

export class ActiveSteps {
  private readonly byRun = new Map<string, Set<AbortController>>();
  private readonly runAborted = new WeakSet<AbortController>();
  private readonly leaseOf = new Map<AbortController, string>();
  private readonly stepOf = new Map<AbortController, HeldStep>();

  add(runId: string, controller: AbortController, leaseId?: string, step?: Omit<HeldStep, 'runId'>): () => void {
    let set = this.byRun.get(runId);
    if (set === undefined) {
      set = new Set();
      this.byRun.set(runId, set);
    }
    set.add(controller);
    if (leaseId !== undefined) this.leaseOf.set(controller, leaseId);
    if (step !== undefined) this.stepOf.set(controller, { runId, ...step });
    return () => {
      this.leaseOf.delete(controller);
      this.stepOf.delete(controller);
      set.delete(controller);
      if (set.size === 0) this.byRun.delete(runId);
    };
  }

  /** Aborts every step of the run this process holds; kind decides how the steps report it. */
  abortRun(runId: string, kind: string): void {
    for (const c of this.byRun.get(runId) ?? []) {
      if (c.signal.aborted) continue;
      this.runAborted.add(c);
      c.abort(kind === 'timed_out' ? new DOMException('workflow timed out', 'TimeoutError') : new Error('run cancelled'));
    }
  }

  /** Aborts every step claimed under a lease this worker lost (why: what the step's error says). */
  abortLease(leaseId: string, why: string): void {
    for (const [c, id] of this.leaseOf) {
      if (id === leaseId && !c.signal.aborted) c.abort(new LeaseLostError(why));
    }
  }

  /** True when the step was aborted because of its run (cancel or workflow timeout), not its own timeout. */
  abortedByRun(c: AbortController): boolean {
    return this.runAborted.has(c);
  }

  /** The steps running here now (the worker's heartbeat lists them). */
  held(): HeldStep[] {
    return [...this.stepOf.values()];
  }

  runs(): string[] {
    return [...this.byRun.keys()];
  }

  get size(): number {
    let n = 0;
    for (const s of this.byRun.values()) n += s.size;
    return n;
  }

  /** One poll of the abort flags of the runs held here. */
  async poll(redis: Redis, keys: Keys): Promise<void> {
    const runs = this.runs();
    if (runs.length === 0) return;
    const flags = await Promise.all(runs.map((r) => redis.hget(keys.run(r), 'abort')));
    runs.forEach((r, i) => {
      const kind = flags[i];
      if (kind) this.abortRun(r, kind);
    });
  }
}
