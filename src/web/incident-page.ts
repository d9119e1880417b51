/**
 * The incident page, rendered on the server: the header (title, state, source, severity, channel,
 * times, the source's links), every alert of the group with its labels and state over time, the
 * runs it started and how they stand, and the timeline in UTC. An open incident's page reloads
 * itself every REFRESH_SECONDS (a meta refresh: no script needed). Every value goes through `html`.
 */
import type { AlertBrief, IncidentAlert, TimelineEntry } from '../alerts/incident.js';
import { alertCounts, alertName } from '../alerts/incident.js';
import { linksOf } from '../alerts/incident-view.js';
import type { RunRecord } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import { html, type SafeHtml } from './html.js';
import type { IncidentPageView } from './incident-view.js';
import { page } from './page-layout.js';
import { time } from './run-page.js';

export const REFRESH_SECONDS = 15;

export interface IncidentLinks {
  /** Signed URL (path and query) of a run's page. */
  run(runId: string): string;
  /** The postmortem download of this incident, when the server can render one. */
  postmortem?: string;
}

function labels(l: Record<string, string>): SafeHtml {
  return html`${Object.entries(l).map(([k, v]) => html`<code class="label">${k}=${v}</code> `)}`;
}

function names(list: readonly AlertBrief[]): string {
  const shown = list.slice(0, 5).map((a) => a.name);
  return list.length > shown.length ? `${shown.join(', ')} and ${list.length - shown.length} more` : shown.join(', ');
}

function runRef(runId: string, links: IncidentLinks): SafeHtml {
  return html`<a href="${links.run(runId)}">${runId}</a>`;
}

/** One timeline entry in words (entry kinds this page does not know are shown by their fields). */
export function timelineText(e: TimelineEntry, links: IncidentLinks): SafeHtml {
  switch (e.type) {
    case 'opened':
      return html`Incident opened`;
    case 'reopened':
      return html`Fired again within the reopen window: incident reopened`;
    case 'alerts': {
      const parts: string[] = [];
      if (e.added.length > 0) parts.push(`${e.added.length} joined (${names(e.added)})`);
      if (e.refired.length > 0) parts.push(`${e.refired.length} fired again (${names(e.refired)})`);
      if (e.resolved.length > 0) parts.push(`${e.resolved.length} resolved (${names(e.resolved)})`);
      return html`Alerts: ${parts.join('; ') || 'no change'}${e.group ? ` · group ${e.group}` : ''}`;
    }
    case 'resolved':
      return html`Every alert resolved, after ${formatDuration(e.durationMs)}`;
    case 'run':
      return html`Run ${runRef(e.runId, links)} of <code>${e.workflow}</code> started${e.fingerprint ? ` for alert ${e.fingerprint}` : ''}`;
    case 'run-skipped':
      return html`<code>${e.workflow}</code> not started: ${e.reason}`;
    default: {
      const { at: _at, type, ...rest } = e as { at: number; type: string } & Record<string, unknown>;
      const detail = Object.entries(rest)
        .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' · ');
      return html`${type}${detail ? ` — ${detail}` : ''}`;
    }
  }
}

function alertRow(a: IncidentAlert): SafeHtml {
  return html`<tr data-alert="${a.fingerprint}"><td>${alertName(a)}</td><td><span class="state st-${a.status === 'firing' ? 'failed' : 'succeeded'}">${a.status}</span></td><td>${labels(a.labels)}</td><td>${a.annotations.summary ?? ''}</td><td>${time(a.startsAt ? Date.parse(a.startsAt) || a.firstSeen : a.firstSeen)}</td><td>${time(a.changedAt)}</td></tr>`;
}

function runRow(runId: string, run: RunRecord | undefined, workflow: string, links: IncidentLinks): SafeHtml {
  if (!run) return html`<tr data-run="${runId}"><td>${runId}</td><td><span class="state">expired</span></td><td>${workflow}</td><td></td><td></td></tr>`;
  const took = run.endedAt !== undefined ? formatDuration(run.endedAt - (run.startedAt ?? run.createdAt)) : '';
  return html`<tr data-run="${runId}"><td>${runRef(runId, links)}</td><td><span class="state st-${run.state}">${run.state}</span></td><td>${run.workflow}</td><td>${time(run.createdAt)}</td><td>${took}</td></tr>`;
}

export function renderIncidentPage(view: IncidentPageView, links: IncidentLinks): string {
  const inc = view.incident;
  const { firing, resolved } = alertCounts(inc);
  const alerts = Object.values(inc.alerts).sort((a, b) => (a.status === b.status ? a.firstSeen - b.firstSeen : a.status === 'firing' ? -1 : 1));
  const runs = view.timeline.flatMap((e) => (e.type === 'run' ? [e] : []));
  const seenRuns = new Set<string>();
  const runRows = runs.filter((e) => !seenRuns.has(e.runId) && seenRuns.add(e.runId)).map((e) => runRow(e.runId, view.runs.get(e.runId), e.workflow, links));
  const open = inc.status === 'firing';
  const sourceLinks = linksOf(inc, 20);
  const body = html`<main>
<h1><span class="state st-${open ? 'failed' : 'succeeded'}">${open ? 'Firing' : 'Resolved'}</span> ${inc.title} <small>${inc.id}</small>${open ? html`<span class="live">refreshes every ${REFRESH_SECONDS} s</span>` : ''}</h1>
${inc.summary ? html`<p>${inc.summary}</p>` : ''}
<dl class="facts">
<dt>Alerts</dt><dd>${firing} firing, ${resolved} resolved${inc.truncated > 0 ? `, +${inc.truncated} not sent by the source` : ''}</dd>
<dt>Severity</dt><dd>${inc.severity ?? 'unknown'}</dd>
<dt>Source</dt><dd>${inc.source}</dd>
<dt>Channel</dt><dd>${inc.channel ?? 'none'}</dd>
<dt>Opened</dt><dd>${time(inc.openedAt)}</dd>
<dt>Last change</dt><dd>${time(inc.lastSeenAt)}</dd>
${inc.resolvedAt !== undefined ? html`<dt>Resolved</dt><dd>${time(inc.resolvedAt)} (after ${formatDuration(inc.resolvedAt - inc.openedAt)})</dd>` : ''}
${inc.reopened > 0 ? html`<dt>Reopened</dt><dd>${inc.reopened}×</dd>` : ''}
${inc.storm ? html`<dt>Storm</dt><dd>${inc.storm.groups} alert groups held back from the channel</dd>` : ''}
<dt>Group labels</dt><dd>${labels(inc.commonLabels)}</dd>
</dl>
${sourceLinks.length > 0 ? html`<p class="links">${sourceLinks.map((l) => html`<a href="${l.url}" rel="noopener noreferrer">${l.label}</a> `)}</p>` : ''}
${links.postmortem ? html`<p class="actions"><a href="${links.postmortem}" download>Postmortem (Markdown)</a></p>` : ''}
<h2>Alerts</h2>
<table class="runs alerts">
<thead><tr><th>Alert</th><th>State</th><th>Labels</th><th>Summary</th><th>Started</th><th>Last change</th></tr></thead>
<tbody>
${alerts.map(alertRow)}
</tbody>
</table>
<h2>Runs</h2>
${runRows.length > 0 ? html`<table class="runs"><thead><tr><th>Run</th><th>State</th><th>Workflow</th><th>Created</th><th>Took</th></tr></thead><tbody>${runRows}</tbody></table>` : html`<p class="note">No run was started for this incident.</p>`}
<h2>Timeline (UTC)</h2>
<ol class="timeline">
${view.timeline.map((e) => html`<li>${time(e.at)} ${timelineText(e, links)}</li>`)}
</ol>
</main>`;
  const refresh = open ? html`<meta http-equiv="refresh" content="${REFRESH_SECONDS}">` : undefined;
  return page({ title: `${open ? 'Firing' : 'Resolved'}: ${inc.title} (${inc.id})`, body, head: refresh });
}
