/**
 * Incidents as terminal text, for `chatops incidents` (a line each) and `chatops incident ID`
 * (one with its alerts and the runs it started). Pure: the CLI reads Redis and the engine.
 */
import type { RunRecord } from '../engine/types.js';
import { alertCounts, alertName, type Incident, type TimelineEntry } from './incident.js';

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `i-abc123  firing    2 firing, 1 resolved  2026-12-01 10:00 UTC  alertmanager  DiskFull (db)`. */
export function incidentLine(inc: Incident): string {
  const { firing, resolved } = alertCounts(inc);
  return [inc.id, inc.status.padEnd(8), `${firing} firing, ${resolved} resolved`.padEnd(22), utc(inc.openedAt), inc.source.padEnd(12), inc.title].join('  ');
}

/** One incident: its record, its alerts, and each run it started with the run's state now. */
export function incidentDetail(inc: Incident, timeline: readonly TimelineEntry[], runs: ReadonlyMap<string, RunRecord>): string[] {
  const { firing, resolved } = alertCounts(inc);
  const out = [`${inc.id}: ${inc.status === 'firing' ? 'Firing' : 'Resolved'}: ${inc.title}`];
  out.push(`  source ${inc.source}, group ${inc.groupKey}${inc.channel ? `, channel ${inc.channel}` : ''}`);
  out.push(`  opened ${utc(inc.openedAt)}, last change ${utc(inc.lastSeenAt)}${inc.resolvedAt !== undefined ? `, resolved ${utc(inc.resolvedAt)}` : ''}${inc.reopened > 0 ? `, reopened ${inc.reopened}×` : ''}`);
  if (inc.severity !== undefined) out.push(`  severity ${inc.severity}`);
  if (inc.summary !== undefined) out.push(`  ${inc.summary}`);
  out.push('', `Alerts (${firing} firing, ${resolved} resolved${inc.truncated > 0 ? `, +${inc.truncated} not sent` : ''}):`);
  for (const a of Object.values(inc.alerts).sort((x, y) => (x.status === y.status ? x.firstSeen - y.firstSeen : x.status === 'firing' ? -1 : 1))) {
    const labels = Object.entries(a.labels)
      .filter(([k]) => k !== 'alertname')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out.push(`  ${a.status.padEnd(8)} ${alertName(a)}${labels ? `  ${labels}` : ''}`);
  }
  const started = timeline.filter((e): e is Extract<TimelineEntry, { type: 'run' }> => e.type === 'run');
  const skipped = timeline.filter((e): e is Extract<TimelineEntry, { type: 'run-skipped' }> => e.type === 'run-skipped');
  out.push('', started.length > 0 ? 'Runs:' : 'Runs: none');
  for (const e of started) {
    const run = runs.get(e.runId);
    out.push(`  ${e.runId}  ${e.workflow}  ${run ? run.state : 'expired'}  started ${utc(e.at)} ${e.by ? `by ${e.by}` : 'by the alert'}`);
  }
  for (const e of skipped) out.push(`  not started: ${e.workflow}: ${e.reason}`);
  return out;
}
