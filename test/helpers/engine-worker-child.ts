/**
 * A worker in its own process for crash tests. Configuration comes from the environment:
 * REDIS_URL, ENGINE_PREFIX, ENGINE_WORKFLOWS (JSON map of name -> YAML), CHATOPS_SECRET_KEY, and
 * ENGINE_STEP_LEASE_MS (the step lease; short by default so crash tests stay quick), ENGINE_POOLS
 * (comma-separated worker pools; default: the default pool).
 * Prints `ready` once it takes jobs.
 */
import { startWorker } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { workflowsFrom } from './engine-harness.js';

const yamls = JSON.parse(process.env.ENGINE_WORKFLOWS ?? '[]') as string[];
const handle = await startWorker({
  redisUrl: process.env.REDIS_URL ?? '',
  prefix: process.env.ENGINE_PREFIX ?? '',
  project: { workflows: workflowsFrom(...yamls) },
  log: silentLogger,
  concurrency: 2,
  pools: (process.env.ENGINE_POOLS ?? '').split(',').filter((p) => p !== ''),
  stall: { lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 2 },
  stepLeaseMs: Number(process.env.ENGINE_STEP_LEASE_MS ?? 3000),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void handle.close().then(() => process.exit(0));
});
