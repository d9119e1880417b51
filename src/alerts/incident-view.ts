/**
 * Incident → render model (chat/incident-model.ts): the living message from the record, a thread
 * reply from the timeline entries not replied yet. Storms stay readable: a reply lists at most
 * `maxListed` alerts and counts the rest by their most common label values.
 */
import type { IncidentAction, IncidentChangeView, IncidentView } from '../chat/incident-model.js';
import type { HumanState } from './incident-journal.js';
import { formatClock, formatDuration } from '../chat/format-time.js';
import { namesOf } from './diff.js';
import { alertCounts, alertName, type AlertBrief, type Incident, type TimelineEntry } from './incident.js';

/** Labels that tell alerts of one name apart, shown beside the name. */
const DETAIL_SKIP = new Set(['alertname', 'severity']);
const LISTED_IN_MESSAGE = 10;

function detail(labels: Record<string, string>, common: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k, v]) => !DETAIL_SKIP.has(k) && common[k] !== v)
    .slice(0, 4)
    .map(([k, v]) => `${k}=${v}`)
    .join(' · ');
}

/** Buttons for `start: manual` runbooks beyond these stay typed (`run i-… NAME`): Slack and Discord rows hold five. */
const RUNBOOK_BUTTONS = 3;

/**
 * The buttons of an open incident's message, as the lines they send (typed as such in the
 * terminal): acknowledge, silence or unsilence, and one per `start: manual` runbook it offers.
 */
export function incidentActions(inc: Incident, human: Pick<HumanState, 'ack' | 'silence'>, now: number, runbooks: readonly string[] = []): IncidentAction[] {
  if (inc.status !== 'firing' || inc.source === 'storm') return [];
  const out: IncidentAction[] = [];
  if (!human.ack) out.push({ label: 'Acknowledge', command: `ack ${inc.id}`, style: 'primary' });
  if (inc.source === 'alertmanager') {
    if (human.silence && human.silence.endsAt > now) out.push({ label: 'Unsilence', command: `unsilence ${inc.id}` });
    else out.push({ label: 'Silence 1h', command: `silence ${inc.id} 1h` }, { label: 'Silence 4h', command: `silence ${inc.id} 4h` });
  }
  for (const name of runbooks.slice(0, RUNBOOK_BUTTONS)) out.push({ label: `Run ${name}`, command: `run ${inc.id} ${name}` });
  return out;
}

export function buildIncidentView(inc: Incident, now: number, link?: string, human: Pick<HumanState, 'ack' | 'silence'> = {}, runbooks: readonly string[] = []): IncidentView {
  const { firing, resolved } = alertCounts(inc);
  const all = Object.values(inc.alerts).sort((a, b) => (a.status === b.status ? a.firstSeen - b.firstSeen : a.status === 'firing' ? -1 : 1));
  const listed = all.slice(0, LISTED_IN_MESSAGE);
  return {
    incidentId: inc.id,
    state: inc.status,
    title: inc.title,
    ...(inc.severity !== undefined ? { severity: inc.severity } : {}),
    ...(inc.summary !== undefined ? { summary: inc.summary } : {}),
    firing,
    resolved,
    firstSeen: inc.openedAt,
    lastSeen: inc.lastSeenAt,
    ...(inc.resolvedAt !== undefined ? { resolvedAt: inc.resolvedAt, durationMs: inc.resolvedAt - inc.openedAt } : {}),
    truncated: inc.truncated,
    reopened: inc.reopened,
    alerts: listed.map((a) => ({ name: alertName(a), status: a.status, detail: detail(a.labels, inc.commonLabels), ...(a.annotations.summary ? { summary: a.annotations.summary } : {}) })),
    more: all.length - listed.length,
    links: linksOf(inc),
    source: inc.source,
    ...(inc.storm ? { stormGroups: inc.storm.groups } : {}),
    ...(link !== undefined ? { link } : {}),
    ...(human.ack ? { handledBy: human.ack.by } : {}),
    ...(human.silence && human.silence.endsAt > now ? { silencedUntil: human.silence.endsAt } : {}),
    actions: incidentActions(inc, human, now, runbooks),
    now,
  };
}

/** The incident's own links, then its alerts' (generator, source links), http(s) only, at most `max`. */
export function linksOf(inc: Incident, max = 6): { label: string; url: string }[] {
  const out = [...inc.links];
  const seen = new Set(out.map((l) => l.url));
  for (const a of Object.values(inc.alerts)) {
    for (const l of [...(a.generatorURL ? [{ label: 'Source', url: a.generatorURL }] : []), ...(a.links ?? [])]) {
      if (seen.has(l.url) || out.length >= max) continue;
      seen.add(l.url);
      out.push(l);
    }
  }
  return out.filter((l) => /^https?:\/\//i.test(l.url));
}

/** The most common label values among alerts, beyond the first listed: `instance=db-1 ×40, job=node ×300`. */
export function countByLabels(alerts: readonly AlertBrief[]): string {
  const counts = new Map<string, number>();
  for (const a of alerts) for (const [k, v] of Object.entries(a.labels)) if (k !== 'alertname') counts.set(`${k}=${v}`, (counts.get(`${k}=${v}`) ?? 0) + 1);
  return [...counts]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5)
    .map(([kv, c]) => `${kv} ×${c}`)
    .join(', ');
}

function listAlerts(verb: string, alerts: AlertBrief[], left: { n: number }): string[] {
  if (alerts.length === 0) return [];
  const shown = alerts.slice(0, Math.max(0, left.n));
  left.n -= shown.length;
  const lines = shown.map((a) => `${verb}: ${a.name}${Object.keys(a.labels).length > 1 ? ` (${detail(a.labels, {})})` : ''}`);
  const rest = alerts.slice(shown.length);
  if (rest.length > 0) lines.push(`${verb}: ${rest.length} more — ${namesOf(rest)}; by label: ${countByLabels(rest)}`);
  return lines;
}

/** One thread reply for the entries not replied yet, or undefined when none is worth a reply. */
export function buildChangeView(inc: Incident, entries: readonly TimelineEntry[], maxListed: number): IncidentChangeView | undefined {
  const added: AlertBrief[] = [];
  const resolved: AlertBrief[] = [];
  const refired: AlertBrief[] = [];
  const notes: string[] = [];
  let resolvedAll: number | undefined;
  let reopened = false;
  for (const e of entries) {
    if (e.type === 'alerts') {
      added.push(...e.added);
      resolved.push(...e.resolved);
      refired.push(...e.refired);
    } else if (e.type === 'resolved') resolvedAll = e.durationMs;
    else if (e.type === 'reopened') reopened = true;
    else if (e.type === 'run-skipped') notes.push(`${e.workflow} not started: ${e.reason}`);
    else if (e.type === 'ack') notes.push(`acknowledged by ${e.by}: handled by ${e.by}`);
    else if (e.type === 'silence') notes.push(`silenced by ${e.by} until ${formatClock(e.endsAt)} (silence ${e.silenceId}; \`unsilence\` here ends it)`);
    else if (e.type === 'unsilence') notes.push(`silence ${e.silenceId} ended by ${e.by}`);
    else if (e.type === 'run-delayed') notes.push(`${e.workflow} starts in ${e.delay} unless the alert changes by then`);
    if (e.type === 'resolved' && e.by) notes.push(`resolved by hand by ${e.by}${e.why ? `: ${e.why}` : ''}`);
  }
  const left = { n: maxListed };
  const lines = [...listAlerts('joined', added, left), ...listAlerts('re-fired', refired, left), ...listAlerts('resolved', resolved, left), ...notes];
  const parts: string[] = [];
  if (reopened) parts.push('reopened');
  if (added.length > 0) parts.push(`${added.length} ${added.length === 1 ? 'alert' : 'alerts'} joined`);
  if (refired.length > 0) parts.push(`${refired.length} re-fired`);
  if (resolved.length > 0) parts.push(`${resolved.length} resolved`);
  if (resolvedAll !== undefined) parts.push(`all resolved after ${formatDuration(resolvedAll)}`);
  if (parts.length === 0 && notes.length === 0) return undefined;
  // Only notes (runbooks skipped, people's actions): the first is the headline.
  const title = parts.length > 0 ? parts.join(', ') : (lines.shift() ?? '');
  const tone = resolvedAll !== undefined && inc.status === 'resolved' ? 'resolved' : added.length + refired.length > 0 || reopened ? 'firing' : 'info';
  return { incidentId: inc.id, tone, title: title.charAt(0).toUpperCase() + title.slice(1), lines };
}
