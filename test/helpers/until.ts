/** Polls `fn` until it gives a value (not undefined or false); throws naming `what` after `ms`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until the run has reached a final state; its record then. */
export function untilRunEnds<R extends { state: string }>(runs: { getRun(id: string): Promise<R | null> }, runId: string, ms = 30_000): Promise<R> {
  return until(`run ${runId} to end`, async () => {
    const run = await runs.getRun(runId);
    return run !== null && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.state) ? run : undefined;
  }, ms);
}
