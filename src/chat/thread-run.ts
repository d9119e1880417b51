/**
 * In a run's thread, `status` means `status <that run>`: the run id is filled in from the thread
 * (only when none is given), so the router sees the same line as if it had been typed in full.
 * Each adapter says how it finds the run of the thread a line was typed in.
 */
import { RUN_ID_PATTERN } from '../engine/ids.js';
import { stripPrefix } from './parse-command.js';

/** Built-ins that take a run id first; typed bare in a run's thread, they mean that run. */
const THREAD_BUILTINS = new Set(['status', 'cancel', 'transcript', 'approve', 'deny']);

export async function withThreadRun(text: string, prefixes: string[], runOfThread: () => Promise<string | undefined>): Promise<string> {
  const line = stripPrefix(text, prefixes);
  const words = line.split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (!first || !THREAD_BUILTINS.has(first)) return text;
  if (words[1] && RUN_ID_PATTERN.test(words[1])) return text;
  const runId = await runOfThread();
  return runId ? [first, runId, ...words.slice(1)].join(' ') : text;
}
