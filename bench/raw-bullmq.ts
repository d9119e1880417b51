/**
 * The baseline: plain BullMQ no-op jobs per second on the same Redis, with the same producer
 * pattern (concurrent single adds, as runs are started one by one) and worker concurrency the
 * engine gets. Jobs are removed on completion, as the engine's are. The worker runs in its own
 * process (worker-child.ts), as the engine's does; it stays up between rounds so that rounds of
 * the baseline and of the engine can alternate (see engine-scenarios.ts).
 */
import { Queue } from 'bullmq';
import { startChild, type BenchChild } from './child.js';

export interface ThroughputResult {
  count: number;
  seconds: number;
  perSecond: number;
}

export interface RawBaseline {
  /** The worker process (for its CPU). */
  child: BenchChild;
  /** Adds `count` no-op jobs (200 at a time) and times them until the worker completed them all. */
  measure(count: number): Promise<ThroughputResult>;
  close(): Promise<void>;
}

/** Runs `items` through `start`, at most `parallel` at a time. */
export async function inBatches<T>(items: readonly T[], parallel: number, start: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await start(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
}

export async function startRawBaseline(redisUrl: string, prefix: string, concurrency: number): Promise<RawBaseline> {
  const child = await startChild(['raw', redisUrl, prefix, String(concurrency)]);
  const queue = new Queue('noop', { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix });
  await queue.waitUntilReady();
  return {
    child,
    async measure(count) {
      // The child confirms the count before any job exists, so no completion is missed.
      child.send({ cmd: 'expect', count });
      await child.next('expecting', 10_000);
      const done = child.next('done', 120_000);
      const started = performance.now();
      await inBatches(Array.from({ length: count }, (_, i) => i), 200, (i) => queue.add('noop', { i }, { removeOnComplete: true, removeOnFail: true }));
      await done;
      const seconds = (performance.now() - started) / 1000;
      return { count, seconds, perSecond: count / seconds };
    },
    async close() {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await child.stop();
    },
  };
}
