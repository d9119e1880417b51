/**
 * The alerts side of chat's IncidentDesk (chat/incident-desk.ts): thread lookups, timeline notes
 * and the postmortem, over the incident store and journal and the engine's runs.
 */
import type { Redis } from 'ioredis';
import type { IncidentDesk } from '../chat/incident-desk.js';
import type { RunsApi } from '../engine/types.js';
import { IncidentJournal } from './incident-journal.js';
import { renderPostmortem, type PostmortemRun } from './postmortem.js';

export interface IncidentDeskOptions {
  redis: Redis;
  prefix: string;
  runs: RunsApi;
  now?: () => number;
  /** A run's web page (signed link), when the bot has a public URL. */
  runLink?: (runId: string) => string | undefined;
  /** The incident's web page (signed link), likewise. */
  incidentLink?: (incidentId: string) => string | undefined;
}

/** The postmortem of an incident, loaded from Redis; undefined when there is no such incident. */
export async function loadPostmortem(opts: IncidentDeskOptions, incidentId: string): Promise<string | undefined> {
  const journal = new IncidentJournal(opts.redis, opts.prefix);
  const incident = await journal.store.load(incidentId);
  if (!incident) return undefined;
  const timeline = await journal.store.timeline(incidentId);
  const ids = [...new Set(timeline.flatMap((e) => (e.type === 'run' ? [e.runId] : [])))];
  const runs: PostmortemRun[] = [];
  for (const runId of ids) {
    const record = await opts.runs.getRun(runId);
    const link = opts.runLink?.(runId);
    runs.push({ runId, record, ...(record ? { transcript: await opts.runs.transcript(runId) } : {}), ...(link ? { link } : {}) });
  }
  const link = opts.incidentLink?.(incidentId);
  return renderPostmortem({ incident, timeline, runs, now: (opts.now ?? Date.now)(), ...(link ? { link } : {}) });
}

export function createIncidentDesk(opts: IncidentDeskOptions): IncidentDesk {
  const journal = new IncidentJournal(opts.redis, opts.prefix);
  const now = opts.now ?? Date.now;
  return {
    incidentOfThread: (platform, channel, thread) => journal.incidentOfThread(platform, channel, thread),
    async noteCommand(incidentId, by, text) {
      await journal.append(incidentId, [{ at: now(), type: 'command', by, text }]);
    },
    async bindRun(incidentId, runId, workflow, by) {
      await journal.append(incidentId, [{ at: now(), type: 'run', runId, workflow, by }]);
    },
    postmortem: (incidentId) => loadPostmortem(opts, incidentId),
  };
}
