/** `chatops workers [--json]`: the live workers, with their pools, concurrency, version and the steps they hold. */
import { listWorkers, type WorkerInfo } from '../engine/worker-registry.js';
import { formatDuration } from '../workflow/duration.js';
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

export function formatWorkers(workers: readonly WorkerInfo[], now: number): string[] {
  if (workers.length === 0) return ['no worker is running: start one with `chatops worker` (add --pool NAME for a runs_on: pool)'];
  const lines: string[] = [];
  for (const w of workers) {
    lines.push(`${w.id}  pools ${w.pools.join(',')}  concurrency ${w.concurrency}  version ${w.version}${w.project !== undefined ? `  project ${w.project}` : ''}  up ${formatDuration(Math.max(0, now - w.startedAt))}  holds ${w.held.length} step(s)`);
    for (const h of w.held) lines.push(`  ${h.runId} ${h.stepId}${h.attempt > 1 ? ` (attempt ${h.attempt})` : ''}  running ${formatDuration(Math.max(0, now - h.startedAt))}`);
  }
  return lines;
}

export async function workersCommand(opts: { json?: boolean }): Promise<number> {
  return withEngine('workers', async (opened) => {
    const now = Date.now();
    const workers = await listWorkers(opened.engine.redis, opened.engine.keys, now);
    console.log(opts.json ? JSON.stringify(workers, null, 2) : formatWorkers(workers, now).join('\n'));
    return EXIT.ok;
  });
}
