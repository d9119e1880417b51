/** Starts a chatops engine worker for the bench, for the project folder the bench wrote. */
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
  return startWorker({ redisUrl: opts.redisUrl, prefix: opts.prefix, project, log: silentLogger, concurrency: opts.concurrency, secretKey: BENCH_SECRET_KEY });
}
