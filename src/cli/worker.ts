/**
 * `chatops worker [--concurrency N]`: runs steps until SIGINT/SIGTERM, then finishes its running steps
 * within CHATOPS_SHUTDOWN_TIMEOUT (shutdown.ts; a second signal quits at once).
 */
import type { Command } from 'commander';
import { openProject } from '../engine/bootstrap.js';
import { startServedWorker } from '../server/worker-http.js';
import { formatDuration } from '../workflow/duration.js';
import { EXIT } from './exit-codes.js';
import { untilStopped } from './shutdown.js';

export async function workerCommand(opts: { concurrency: string }): Promise<number> {
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    console.error(`chatops worker: --concurrency expects a whole number from 1 to 1000, got "${opts.concurrency}"`);
    return EXIT.usage;
  }
  const opened = await openProject({ noEngine: true });
  const served = await startServedWorker({ ...opened.options, concurrency, port: opened.env.CHATOPS_WORKER_PORT });
  const worker = served.worker;
  const http = served.http ? `, health and metrics on port ${served.http.port}` : '';
  console.error(`worker ${worker.id} started: concurrency ${concurrency}, ${opened.project.workflows.size} workflow(s), prefix ${opened.env.CHATOPS_PREFIX}${http}`);
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

export function register(program: Command): void {
  program
    .command('worker')
    .description('run workflow steps from the queue')
    .option('-c, --concurrency <n>', 'steps run at once by this process', '8')
    .action(async (opts: { concurrency: string }) => {
      process.exitCode = await workerCommand(opts);
    });
}
