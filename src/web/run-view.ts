/**
 * What the run page shows, gathered from the engine: the run record, every event of its stream
 * (the full output, not the last lines chat shows), and the workflow snapshot the run was started
 * from (for the graph). Secrets were masked before any of it was stored.
 */
import type { RunEvent, RunRecord, RunsApi } from '../engine/types.js';
import type { Workflow } from '../workflow/schema.js';

/** What the pages read; the engine implements it. */
export type WebRunsSource = Pick<RunsApi, 'getRun' | 'listRuns' | 'readEvents' | 'readEventsMany' | 'transcript' | 'workflows'> & {
  /** The workflow as the run was started (its snapshot), when still kept. */
  runWorkflow(runId: string): Promise<Workflow | undefined>;
};

export interface RunView {
  run: RunRecord;
  events: RunEvent[];
  workflow?: Workflow;
  /** The id of the last event read: the live stream continues after it. */
  lastEventId: string;
}

const PAGE = 5000;

export async function loadRunView(runs: WebRunsSource, runId: string): Promise<RunView | undefined> {
  const run = await runs.getRun(runId);
  if (!run) return undefined;
  const events: RunEvent[] = [];
  let after = '0';
  for (;;) {
    const batch = await runs.readEvents(runId, { after, count: PAGE });
    if (batch.length === 0) break;
    events.push(...batch);
    after = batch[batch.length - 1]?.id ?? after;
    if (batch.length < PAGE) break;
  }
  // Read the record again after the events, so it is at least as new as they are: a step the
  // events show finished is finished in the record too (events after this come live).
  const fresh = (await runs.getRun(runId)) ?? run;
  const workflow = (await runs.runWorkflow(runId)) ?? runs.workflows().get(run.workflow);
  return { run: fresh, events, workflow, lastEventId: after };
}
