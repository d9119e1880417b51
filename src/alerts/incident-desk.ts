/**
 * The alerts side of chat's IncidentDesk (chat/incident-desk.ts): thread lookups, timeline notes
 * and the postmortem, over the incident store and journal and the engine's runs.
 */
import type { Redis } from 'ioredis';
import type { IncidentDesk, IncidentSummary, RunbookStart } from '../chat/incident-desk.js';
import type { RunsApi } from '../engine/types.js';
import { IncidentActions } from './incident-actions.js';
import { alertName, type Incident, type TimelineEntry } from './incident.js';
import { IncidentJournal, type HumanState } from './incident-journal.js';
import { splitChannel } from './incident-reporter.js';
import { renderPostmortem, type PostmortemRun } from './postmortem.js';
import type { Workflow } from '../workflow/schema.js';
import { alertContext, alertOfIncident, compileRunbooks, InputMappingError, mapInputs, offeredAlert, offeredRunbooks } from './runbook-triggers.js';

export interface IncidentDeskOptions {
  redis: Redis;
  prefix: string;
  runs: RunsApi;
  now?: () => number;
  /** A run's web page (signed link), when the bot has a public URL. */
  runLink?: (runId: string) => string | undefined;
  /** The incident's web page (signed link), likewise. */
  incidentLink?: (incidentId: string) => string | undefined;
  /** ALERTMANAGER_URL, for silences. */
  alertmanagerUrl?: string;
  fetch?: typeof fetch;
  /** After a change the incident's message shows (ack, silence): the incident reporter looks at once. */
  onChange?: (incidentId: string) => void;
}

function detailOf(labels: Record<string, string>, common: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k, v]) => k !== 'alertname' && k !== 'severity' && common[k] !== v)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

async function summarize(runs: RunsApi, inc: Incident, timeline: TimelineEntry[], human: HumanState): Promise<IncidentSummary> {
  const started = timeline.filter((e): e is Extract<TimelineEntry, { type: 'run' }> => e.type === 'run');
  const listed: IncidentSummary['runs'] = [];
  for (const e of started) {
    const run = await runs.getRun(e.runId);
    listed.push({ runId: e.runId, workflow: e.workflow, state: run?.state ?? 'expired', by: e.by ?? run?.trigger.requester ?? 'the alert' });
  }
  return {
    id: inc.id,
    title: inc.title,
    state: inc.status,
    ...(inc.severity ? { severity: inc.severity } : {}),
    source: inc.source,
    openedAt: inc.openedAt,
    ...(inc.resolvedAt !== undefined ? { resolvedAt: inc.resolvedAt } : {}),
    ...(human.ack ? { handledBy: human.ack.by } : {}),
    ...(human.silence ? { silence: { id: human.silence.id, endsAt: human.silence.endsAt, by: human.silence.by } } : {}),
    alerts: Object.values(inc.alerts).map((a) => ({ name: alertName(a), status: a.status, detail: detailOf(a.labels, inc.commonLabels) })),
    runs: listed,
  };
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

/** A `start: manual` runbook started from an incident: the alert it stands for, its context and inputs, or why not. */
async function runbookStart(journal: IncidentJournal, opts: IncidentDeskOptions, incidentId: string, workflow: Workflow): Promise<RunbookStart> {
  const inc = await journal.store.load(incidentId);
  if (!inc) return { ok: false, code: 'E_UNKNOWN_INCIDENT', title: `no incident ${incidentId}`, lines: ['It may have expired, or the id is mistyped.'] };
  const [rb] = compileRunbooks([workflow], 'manual');
  const alert = rb && offeredAlert(rb, inc);
  if (!rb || !alert) {
    const why = rb ? `none of ${incidentId}'s alerts matches its on.alert${rb.sources ? ` (sources: ${rb.sources.join(', ')})` : ''}` : 'its on.alert does not say start: manual';
    return { ok: false, code: 'E_NOT_OFFERED', title: `${incidentId} does not offer ${workflow.name}: ${why}` };
  }
  const context = alertContext(alert, inc.source, inc, opts.incidentLink?.(inc.id));
  try {
    return { ok: true, alert: context, inputs: mapInputs(rb, context) };
  } catch (err) {
    if (err instanceof InputMappingError) return { ok: false, code: err.code, title: `${workflow.name} cannot start from ${incidentId}: ${err.message}` };
    throw err;
  }
}

export function createIncidentDesk(opts: IncidentDeskOptions): IncidentDesk {
  const journal = new IncidentJournal(opts.redis, opts.prefix);
  const now = opts.now ?? Date.now;
  const actions = new IncidentActions(opts);
  return {
    incidentOfThread: (platform, channel, thread) => journal.incidentOfThread(platform, channel, thread),
    async noteCommand(incidentId, by, text) {
      await journal.append(incidentId, [{ at: now(), type: 'command', by, text }]);
    },
    async alertContext(incidentId) {
      const inc = await journal.store.load(incidentId);
      const alert = inc && alertOfIncident(inc);
      return inc && alert ? alertContext(alert, inc.source, inc, opts.incidentLink?.(inc.id)) : undefined;
    },
    async runbooksOffered(incidentId, workflows) {
      const inc = await journal.store.load(incidentId);
      return inc ? offeredRunbooks(compileRunbooks(workflows, 'manual'), inc) : [];
    },
    runbookStart: (incidentId, workflow) => runbookStart(journal, opts, incidentId, workflow),
    async bindRun(incidentId, runId, workflow, by) {
      await journal.append(incidentId, [{ at: now(), type: 'run', runId, workflow, by }]);
    },
    postmortem: (incidentId) => loadPostmortem(opts, incidentId),
    async summary(incidentId) {
      const inc = await journal.store.load(incidentId);
      if (!inc) return undefined;
      return summarize(opts.runs, inc, await journal.store.timeline(incidentId), await journal.human(incidentId));
    },
    async openIn(platform, channel) {
      const kind = platform.split('.')[0] ?? platform;
      const open = (await journal.store.list(200)).filter((inc) => {
        if (inc.status !== 'firing' || !inc.channel) return false;
        const [k, c] = splitChannel(inc.channel);
        return k === kind && (c === channel || k === 'shell');
      });
      return Promise.all(open.map(async (inc) => summarize(opts.runs, inc, [], await journal.human(inc.id))));
    },
    ack: (id, by) => actions.ack(id, by),
    silence: (id, by, ms) => actions.silence(id, by, ms),
    unsilence: (id, by) => actions.unsilence(id, by),
    resolve: (id, by, why) => actions.resolve(id, by, why),
  };
}
