/** `run: "true"` measured in-process: the cost of the shell action alone (spawn, pipes, outputs file, group check). */
import { runShell } from '../src/actions/shell.js';
import { silentLogger } from '../src/lib/logger.js';
import { percentile } from './stats.js';

export async function shellTrueOverhead(samples: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  const signal = new AbortController().signal;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const result = await runShell('true', { runId: 'bench', stepId: 'true', attempt: 1, env: {}, signal, output: () => undefined, mask: (text) => text, log: silentLogger });
    times.push(performance.now() - started);
    if (!result.ok) throw new Error(`run: "true" failed in the bench: ${result.error ?? 'unknown'}`);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}
