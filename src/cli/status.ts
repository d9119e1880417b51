/** `chatops status RUN [--json]`: `status: <state>` then one line per step; exit 2 for an unknown run. */
import type { RunRecord } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import { EXIT } from './exit-codes.js';
import { deadLocalOwner } from './local-owner.js';
import { withEngine } from './with-engine.js';

export function formatStatus(run: RunRecord): string[] {
  const lines = [`status: ${run.state}`];
  lines.push(`run ${run.id} · ${run.workflow} · started by ${run.trigger.requester}`);
  if (run.queue) lines.push(`queued for "${run.queue.key}" at position ${run.queue.position}${run.queue.holder ? ` behind run ${run.queue.holder}` : ''}`);
  for (const s of run.steps) {
    const took = s.startedAt !== undefined && s.endedAt !== undefined ? `  ${formatDuration(s.endedAt - s.startedAt)}` : '';
    const extra = `${s.attempt > 1 ? `  attempt ${s.attempt}` : ''}${s.pool !== undefined ? `  (pool ${s.pool})` : ''}`;
    lines.push(`${s.id}: ${s.state}${took}${extra}${s.error ? `  — ${s.error}` : ''}`);
    if (s.state === 'waiting' && s.approval) lines.push(`  waiting for approval: ${s.approval.message} (chatops approve ${run.id} --as USER)`);
  }
  const orphan = deadLocalOwner(run);
  if (orphan)
    lines.push(
      `orphaned: this run's steps ran inside \`chatops run --local\` (pid ${orphan.pid}), which is gone; start \`chatops worker\` (or another \`chatops run --local\`) to end its unfinished step as lost, or as retried when safe_to_retry`,
    );
  if (run.error) lines.push(`error: ${run.error}`);
  for (const [k, v] of Object.entries(run.outputs)) lines.push(`output ${k} = ${v}`);
  return lines;
}

export async function statusCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  return withEngine('status', async (opened) => {
    const run = await opened.engine.getRun(runId);
    if (!run) {
      console.error(`chatops status: no run ${runId} (unknown, or older than the retention)`);
      return EXIT.unknownRun;
    }
    console.log(opts.json ? JSON.stringify(run, null, 2) : formatStatus(run).join('\n'));
    return EXIT.ok;
  });
}
