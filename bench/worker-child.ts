/**
 * A bench worker process. Modes:
 *   raw REDIS_URL PREFIX CONCURRENCY          a plain BullMQ worker with a no-op processor; on
 *                                             `expect` (count) it answers `expecting`, then sends
 *                                             `done` once that many more jobs completed
 *   engine REDIS_URL PREFIX CONCURRENCY DIR   a chatops engine worker for the project in DIR
 * Answers `memory` (after a full GC unless `gc: false`), `cpu` (user + system µs) and `stop` over IPC.
 */
import { Worker } from 'bullmq';
import { startEngineWorker } from './engine-worker.js';

type Closer = { close(): Promise<void> };

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const [mode, redisUrl, prefix, concurrencyText, extra] = process.argv.slice(2);
  if (!redisUrl || !prefix || !concurrencyText) throw new Error('usage: worker-child raw|engine REDIS_URL PREFIX CONCURRENCY [DIR]');
  const concurrency = Number(concurrencyText);
  let worker: Closer;
  let completed = 0;
  let target = 0;
  if (mode === 'raw') {
    const raw = new Worker('noop', async () => undefined, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency });
    raw.on('completed', () => {
      completed += 1;
      if (completed === target) send({ type: 'done', completed });
    });
    await raw.waitUntilReady();
    worker = raw;
  } else if (mode === 'engine' && extra) {
    worker = await startEngineWorker({ redisUrl, prefix, concurrency, dir: extra });
  } else {
    throw new Error(`unknown mode ${mode} (engine needs DIR)`);
  }
  process.on('message', (raw) => {
    const msg = raw as { cmd?: string; gc?: boolean; count?: number };
    if (msg.cmd === 'expect') {
      completed = 0;
      target = Number(msg.count);
      send({ type: 'expecting' });
    } else if (msg.cmd === 'cpu') {
      const c = process.cpuUsage();
      send({ type: 'cpu', micros: c.user + c.system });
    } else if (msg.cmd === 'memory') {
      if (msg.gc !== false) (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed });
    } else if (msg.cmd === 'stop') {
      void worker.close().finally(() => process.exit(0));
    }
  });
  // The parent died: do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  console.error('bench worker failed:', err);
  process.exit(1);
});
