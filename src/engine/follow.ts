/**
 * Follows a run's event stream until it ends, for fronts that print or post as it goes
 * (`chatops run`). Blocking reads on a pooled connection; survives the stream being trimmed.
 */
import type { RunEvent, RunsApi } from './types.js';

export interface FollowOptions {
  /** Called for each event, in order. */
  onEvent(event: RunEvent): void;
  /** Stops following early (the run goes on). */
  signal?: AbortSignal;
  blockMs?: number;
}

/** Resolves with the run.finished event, or undefined when stopped by the signal. */
export async function followRun(api: RunsApi, runId: string, opts: FollowOptions): Promise<Extract<RunEvent, { type: 'run.finished' }> | undefined> {
  let after = '0';
  while (!opts.signal?.aborted) {
    const events = await api.readEvents(runId, { after, blockMs: opts.blockMs ?? 1000, count: 500 });
    for (const e of events) {
      after = e.id ?? after;
      opts.onEvent(e);
      if (e.type === 'run.finished') return e;
    }
    if (events.length === 0) {
      // The stream may have expired or been trimmed past run.finished: trust the record.
      const run = await api.getRun(runId);
      if (!run) return undefined;
      if (run.endedAt !== undefined && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.state)) {
        return { type: 'run.finished', ts: run.endedAt, runId, state: run.state, durationMs: run.endedAt - (run.startedAt ?? run.createdAt), error: run.error, outputs: run.outputs };
      }
    }
  }
  return undefined;
}
