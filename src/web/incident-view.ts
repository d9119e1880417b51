/**
 * What the incident page shows, gathered from Redis: the incident record (its alerts as last
 * seen), its append-only timeline, and the runs the timeline names (their current state). The
 * alerts layer's IncidentStore implements the source; nothing here writes.
 */
import type { Incident, TimelineEntry } from '../alerts/incident.js';
import type { RunRecord } from '../engine/types.js';
import type { WebRunsSource } from './run-view.js';

/** What the pages read about incidents (alerts/incident-store.ts implements it). */
export interface WebIncidentsSource {
  load(id: string): Promise<Incident | undefined>;
  timeline(id: string, from?: number): Promise<TimelineEntry[]>;
  /** Recent incidents, the latest change first. */
  list(limit?: number): Promise<Incident[]>;
}

export interface IncidentPageView {
  incident: Incident;
  timeline: TimelineEntry[];
  /** The runs the timeline names, by id, as they are now (a run that expired is missing). */
  runs: Map<string, RunRecord>;
}

/** Runs looked up per page at most: a storm of runs still renders, listing the rest by id. */
const MAX_RUNS_LOOKED_UP = 100;

export async function loadIncidentView(incidents: WebIncidentsSource, runs: Pick<WebRunsSource, 'getRun'>, id: string): Promise<IncidentPageView | undefined> {
  const incident = await incidents.load(id);
  if (!incident) return undefined;
  const timeline = await incidents.timeline(id);
  const ids = [...new Set(timeline.flatMap((e) => (e.type === 'run' ? [e.runId] : [])))].slice(0, MAX_RUNS_LOOKED_UP);
  const records = await Promise.all(ids.map((runId) => runs.getRun(runId)));
  const found = new Map<string, RunRecord>();
  for (const r of records) if (r) found.set(r.id, r);
  return { incident, timeline, runs: found };
}
