/**
 * The incident record: one alert group as the bot knows it, kept in Redis as JSON
 * (P:incident:ID), with its append-only timeline beside it (P:incident:ID:timeline). The record
 * is the current state (what the living message shows); the timeline is what happened, in order
 * (what the thread shows, and later the postmortem). Both are written by the incident consumer
 * only (consumer.ts), in one atomic step per delivery.
 */
import type { AlertLink, AlertSource, AlertStatus, NormalizedAlert } from './types.js';

/** One alert of the incident, as last seen. */
export interface IncidentAlert extends NormalizedAlert {
  /** When the bot first saw it (ms). */
  firstSeen: number;
  /** When its status last changed (ms). */
  changedAt: number;
}

export interface Incident {
  /** `i-xxxxxx`. */
  id: string;
  source: AlertSource | 'storm';
  groupKey: string;
  status: AlertStatus;
  /** Where its message goes: `platform:channel` (alerts.yaml route, else ALERT_CHANNEL); none: not posted. */
  channel?: string;
  title: string;
  severity?: string;
  summary?: string;
  commonLabels: Record<string, string>;
  links: AlertLink[];
  alerts: Record<string, IncidentAlert>;
  /** Alerts the source left out of its last notification (Alertmanager truncatedAlerts). */
  truncated: number;
  openedAt: number;
  lastSeenAt: number;
  resolvedAt?: number;
  /** How often it resolved and fired again within the reopen window. */
  reopened: number;
  /** Bumped on every change; the chat side renders up to a version. */
  version: number;
  /** Set on the "alert storm" incident that takes new groups beyond the per-minute cap. */
  storm?: { groups: number };
  /** Incident-scope runbooks started: workflow -> the firing episode (`openedAt:reopened`) it ran for. */
  runbooks?: Record<string, string>;
}

/** An alert named in a timeline entry (enough to list it without the incident record). */
export interface AlertBrief {
  fingerprint: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * One line of the timeline. Append-only: entries are never edited. The consumer writes what the
 * alerts did (opened … resolved, deliveries, alert-started runs); the incident journal
 * (incident-journal.ts) appends what people did (acknowledged, silenced, commands typed in the
 * thread, runs started there, manual resolution) and how runs went (approvals, ends).
 */
export type TimelineEntry =
  | { at: number; type: 'opened'; delivery: string }
  | { at: number; type: 'reopened'; delivery: string }
  | { at: number; type: 'alerts'; delivery: string; added: AlertBrief[]; resolved: AlertBrief[]; refired: AlertBrief[]; group?: string }
  /** A delivery that changed no alert (a repeat with other annotations, a source's own event). */
  | { at: number; type: 'delivery'; delivery: string; firing: number; resolved: number; event?: string }
  | { at: number; type: 'resolved'; delivery: string; durationMs: number; by?: string; why?: string }
  | { at: number; type: 'run'; runId: string; workflow: string; fingerprint?: string; by?: string }
  | { at: number; type: 'run-skipped'; workflow: string; fingerprint?: string; reason: string }
  | { at: number; type: 'run-ended'; runId: string; workflow: string; state: string; error?: string }
  | { at: number; type: 'approval'; runId: string; step: string; by: string; decision: 'approve' | 'deny'; counted: boolean; outcome?: string }
  | { at: number; type: 'ack'; by: string }
  | { at: number; type: 'silence'; by: string; silenceId: string; endsAt: number; matchers: string[] }
  | { at: number; type: 'unsilence'; by: string; silenceId: string }
  | { at: number; type: 'command'; by: string; text: string }
  /** A run waiting for its `delay`: started at `due` unless the alert changed meanwhile. */
  | { at: number; type: 'run-delayed'; workflow: string; fingerprint?: string; due: number; delay: string };

/** Entry types people cause (the postmortem's participants). */
export const HUMAN_ENTRIES = ['ack', 'silence', 'unsilence', 'command', 'approval'] as const;

/** Firing and resolved counts. */
export function alertCounts(inc: Incident): { firing: number; resolved: number } {
  let firing = 0;
  let resolved = 0;
  for (const a of Object.values(inc.alerts)) {
    if (a.status === 'firing') firing++;
    else resolved++;
  }
  return { firing, resolved };
}

export function alertName(a: { labels: Record<string, string>; fingerprint: string }): string {
  return a.labels.alertname ?? a.fingerprint;
}

export function brief(a: IncidentAlert): AlertBrief {
  return { fingerprint: a.fingerprint, name: alertName(a), labels: a.labels };
}
