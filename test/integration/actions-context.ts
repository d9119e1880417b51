/** A real ActionContext for action tests: collects output lines, with an AbortController to cancel. */
import { silentLogger } from '../../src/lib/logger.js';
import { Masker } from '../../src/lib/mask.js';
import type { ActionContext, OutputStream } from '../../src/actions/types.js';

export interface TestContext extends ActionContext {
  controller: AbortController;
  lines: { line: string; stream: OutputStream }[];
  stdout(): string[];
  stderr(): string[];
}

export function testContext(env: Record<string, string> = {}, onLine?: (line: string, stream: OutputStream) => void | Promise<void>, secrets: string[] = []): TestContext {
  const masker = new Masker(secrets);
  const controller = new AbortController();
  const lines: { line: string; stream: OutputStream }[] = [];
  return {
    runId: 'r-test',
    stepId: 'step',
    attempt: 1,
    env,
    signal: controller.signal,
    controller,
    lines,
    log: silentLogger,
    mask: (text) => masker.mask(text),
    output(line, stream) {
      if (onLine) return onLine(line, stream);
      lines.push({ line, stream });
      return undefined;
    },
    stdout: () => lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
    stderr: () => lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
  };
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs` (a bound, not a speed assertion). */
export async function eventually(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
