/**
 * The baseline: plain BullMQ no-op jobs per second on the same Redis, with the same producer
 * pattern (concurrent single adds, as runs are started one by one) and worker concurrency the
 * engine gets. Jobs are removed on completion, as the engine's are.
 */
import { Queue } from 'bullmq';
import { startChild } from './child.js';

export interface ThroughputResult {
  count: number;
  seconds: number;
  perSecond: number;
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

/** Jobs run before the clock starts, so JIT and connections are warm as in the engine's measurement. */
const WARM_UP_JOBS = 500;

export async function rawBullmqThroughput(redisUrl: string, prefix: string, concurrency: number, count: number): Promise<ThroughputResult> {
  const child = await startChild(['raw', redisUrl, prefix, String(concurrency), String(WARM_UP_JOBS), String(count)]);
  const queue = new Queue('noop', { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix });
  try {
    await queue.waitUntilReady();
    const warm = child.next('done', 60_000);
    await inBatches(Array.from({ length: WARM_UP_JOBS }, (_, i) => i), 200, (i) => queue.add('noop', { i }, { removeOnComplete: true, removeOnFail: true }));
    await warm;
    const done = child.next('done', 120_000);
    const started = performance.now();
    await inBatches(Array.from({ length: count }, (_, i) => i), 200, (i) => queue.add('noop', { i }, { removeOnComplete: true, removeOnFail: true }));
    await done;
    const seconds = (performance.now() - started) / 1000;
    return { count, seconds, perSecond: count / seconds };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await child.stop();
  }
}
