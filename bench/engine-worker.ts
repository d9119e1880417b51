/**
 * Starts a chatops engine worker for the bench, for the project folder the bench wrote. It relays
 * its engine events (src/engine/observer-relay.ts) as `chatops worker` does by default (no
 * CHATOPS_WORKER_PORT: it serves no /metrics), so the bench measures that cost too.
 */
import { loadProject } from '../src/config/load-project.js';
import { startWorker } from '../src/engine/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { BENCH_SECRET_KEY } from './workflows.js';

export interface EngineWorkerOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  dir: string;
}

export async function startEngineWorker(opts: EngineWorkerOptions): Promise<{ close(): Promise<void> }> {
  const project = await loadProject(opts.dir);
  return startWorker({ redisUrl: opts.redisUrl, prefix: opts.prefix, project, log: silentLogger, concurrency: opts.concurrency, secretKey: BENCH_SECRET_KEY, relayEvents: true });
}
