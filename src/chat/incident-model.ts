/**
 * The render model of incidents: WHAT an incident's living message and its thread replies show,
 * with no formatting. Built by the alerts layer (alerts/incident-view.ts) from the incident record
 * and timeline; each adapter formats it (Block Kit, ANSI text). Times are epoch ms plus `now`.
 */

export interface IncidentAlertLine {
  name: string;
  status: 'firing' | 'resolved';
  /** A few identifying labels (`instance=db-1 · job=node`). */
  detail: string;
  summary?: string;
}

export interface IncidentView {
  incidentId: string;
  /** First line, in words: `Firing`, `Resolved` (later `Acknowledged`, `Silenced`). */
  state: 'firing' | 'resolved';
  title: string;
  severity?: string;
  summary?: string;
  firing: number;
  resolved: number;
  firstSeen: number;
  lastSeen: number;
  resolvedAt?: number;
  /** From opening to resolution, once resolved. */
  durationMs?: number;
  /** Alerts the source left out of its last notification ("+N not sent"). */
  truncated: number;
  reopened: number;
  /** The first firing alerts (then resolved ones), at most a screenful. */
  alerts: IncidentAlertLine[];
  /** Alerts beyond those listed. */
  more: number;
  links: { label: string; url: string }[];
  source: string;
  /** Set on the "alert storm" incident: how many groups it took in. */
  stormGroups?: number;
  /** The incident's web page (signed), for a "View" link. */
  link?: string;
  now: number;
}

/** One thread reply: what changed since the last one (alerts joined, resolved, re-fired; runs skipped). */
export interface IncidentChangeView {
  incidentId: string;
  tone: 'firing' | 'resolved' | 'info';
  /** Short headline: `2 alerts joined, 1 resolved`. */
  title: string;
  lines: string[];
}
