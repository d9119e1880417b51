/**
 * `chatops worker [--concurrency N] [--pool POOL]…`: runs the steps of its pools (none given: the
 * default pool) until SIGINT/SIGTERM, then finishes its running steps within
 * CHATOPS_SHUTDOWN_TIMEOUT (shutdown.ts; a second signal quits at once). The project reloads live
 * (file watching, SIGHUP, `chatops reload`; src/reload/): steps always run from their run's snapshot.
 */
import { openProject } from '../engine/bootstrap.js';
import { ProjectHolder } from '../reload/project-holder.js';
import { startServedWorker } from '../server/worker-http.js';
import { formatDuration } from '../workflow/duration.js';
import { POOL_PATTERN, workflowPools } from '../workflow/schema.js';
import { preflightRedis, RedisConfigError } from '../lib/redis-preflight.js';
import { EXIT } from './exit-codes.js';
import { untilStopped } from './shutdown.js';

export interface WorkerOptions {
  concurrency: string;
  pool?: string[];
}

export async function workerCommand(opts: WorkerOptions): Promise<number> {
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    console.error(`chatops worker: --concurrency expects a whole number from 1 to 1000, got "${opts.concurrency}"`);
    return EXIT.usage;
  }
  const pools = opts.pool ?? [];
  const bad = pools.find((p) => !POOL_PATTERN.test(p));
  if (bad !== undefined) {
    console.error(`chatops worker: --pool "${bad}" is not a pool name: a lower-case letter, then up to 31 lower-case letters, digits and - (as in runs_on:)`);
    return EXIT.usage;
  }
  const opened = await openProject({ noEngine: true });
  try {
    await preflightRedis(opened.redis.url, opened.log, { devMode: opened.redis.private !== undefined });
  } catch (err) {
    await opened.close();
    if (!(err instanceof RedisConfigError)) throw err;
    console.error(`chatops worker: ${err.message}`);
    return EXIT.failed;
  }
  const holder = await ProjectHolder.open(opened.env.chatopsDir);
  const served = await startServedWorker({ ...opened.options, holder, reload: { sighup: true }, concurrency, pools, port: opened.env.CHATOPS_WORKER_PORT });
  const worker = served.worker;
  const http = served.http ? `, health and metrics on port ${served.http.port}` : '';
  const unused = worker.pools.filter((p) => !workflowPools(holder.project.workflows.values()).includes(p));
  console.error(`worker ${worker.id} started: pool(s) ${worker.pools.join(', ')}, concurrency ${concurrency} per pool, ${holder.project.workflows.size} workflow(s), project ${holder.version}, prefix ${opened.env.CHATOPS_PREFIX}${http}`);
  if (unused.length > 0 && pools.length > 0) console.error(`note: no workflow here runs on ${unused.join(', ')} (runs_on:); this worker waits for such steps all the same`);
  const timeoutMs = opened.env.CHATOPS_SHUTDOWN_TIMEOUT;
  await untilStopped({
    log: opened.log,
    timeoutMs,
    onSignal: (sig) => console.error(`${sig}: finishing running steps for up to ${formatDuration(timeoutMs)}, then stopping (again to quit now)`),
    close: async () => {
      await served.close();
      await opened.close();
    },
  });
  return EXIT.ok;
}
