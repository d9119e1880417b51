/**
 * The incident arithmetic, pure: a notification (one alert group's state as the source sees it
 * now) against the stored incident, by alert fingerprint and startsAt. Each alert is new (not
 * seen before, firing), resolved (was firing, now resolved), re-fired (was resolved, fires again;
 * or fires with another startsAt, so it resolved and fired again between two deliveries) or
 * unchanged. A notification that changes nothing yields no change, so a repeat posts nothing.
 */
import { alertCounts, brief, type AlertBrief, type Incident, type IncidentAlert } from './incident.js';
import type { NormalizedAlert, Notification } from './types.js';

export interface AlertChanges {
  added: AlertBrief[];
  resolved: AlertBrief[];
  refired: AlertBrief[];
}

export interface Applied {
  incident: Incident;
  changes: AlertChanges;
  /** The group had resolved and fires again: within the reopen window (same incident). */
  reopened: boolean;
  /** Every alert of the group resolved with this notification. */
  resolvedNow: boolean;
  /** Anything the living message shows changed (counts, status, truncation, links). */
  changed: boolean;
}

export function emptyChanges(c: AlertChanges): boolean {
  return c.added.length === 0 && c.resolved.length === 0 && c.refired.length === 0;
}

/** True when the notification would open a new incident (nothing stored, or resolved past the reopen window). */
export function needsNewIncident(inc: Incident | undefined, n: Notification, now: number, reopenWithinMs: number): boolean {
  if (!n.alerts.some((a) => a.status === 'firing')) return false;
  if (!inc) return true;
  if (inc.status === 'firing') return false;
  return inc.resolvedAt === undefined || now - inc.resolvedAt > reopenWithinMs;
}

/** A fresh incident for the notification's group, before any alert is applied. */
export function openIncident(id: string, n: Notification, now: number, channel: string | undefined): Incident {
  return {
    id,
    source: n.source,
    groupKey: n.groupKey,
    status: 'firing',
    channel,
    title: titleOf(n),
    commonLabels: n.commonLabels,
    links: n.links,
    alerts: {},
    truncated: 0,
    openedAt: now,
    lastSeenAt: now,
    reopened: 0,
    version: 0,
  };
}

function titleOf(n: Notification): string {
  if (n.title) return n.title;
  const name = n.commonLabels.alertname ?? n.alerts[0]?.labels.alertname ?? n.groupKey;
  const service = n.commonLabels.service ?? n.commonLabels.job;
  return service ? `${name} (${service})` : name;
}

function sameStart(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return Date.parse(a) === Date.parse(b) || a === b;
}

function stored(a: NormalizedAlert, now: number, prev?: IncidentAlert): IncidentAlert {
  return {
    ...a,
    firstSeen: prev?.firstSeen ?? now,
    changedAt: prev && prev.status === a.status && sameStart(prev.startsAt, a.startsAt) ? prev.changedAt : now,
  };
}

/** Applies the notification to a copy of the incident. */
export function applyNotification(before: Incident, n: Notification, now: number): Applied {
  const inc: Incident = structuredClone(before);
  const changes: AlertChanges = { added: [], resolved: [], refired: [] };
  for (const a of n.alerts) {
    const prev = inc.alerts[a.fingerprint];
    const next = stored(a, now, prev);
    inc.alerts[a.fingerprint] = next;
    if (!prev) {
      if (a.status === 'firing') changes.added.push(brief(next));
    } else if (prev.status === 'firing' && a.status === 'resolved') changes.resolved.push(brief(next));
    else if (a.status === 'firing' && (prev.status === 'resolved' || !sameStart(prev.startsAt, a.startsAt))) changes.refired.push(brief(next));
  }
  const wasResolved = before.status === 'resolved';
  const { firing } = alertCounts(inc);
  inc.status = firing > 0 ? 'firing' : 'resolved';
  const reopened = wasResolved && inc.status === 'firing' && before.version > 0;
  const resolvedNow = !wasResolved && inc.status === 'resolved';
  if (reopened) {
    inc.reopened += 1;
    delete inc.resolvedAt;
  }
  if (resolvedNow) inc.resolvedAt = now;
  inc.truncated = n.truncated;
  if (n.links.length > 0) inc.links = n.links;
  if (Object.keys(n.commonLabels).length > 0) inc.commonLabels = n.commonLabels;
  inc.severity = inc.commonLabels.severity ?? firstLabel(inc, 'severity');
  inc.summary = n.commonAnnotations.summary ?? firstFiring(inc)?.annotations.summary ?? inc.summary;
  inc.lastSeenAt = now;
  const changed = !emptyChanges(changes) || reopened || resolvedNow || inc.truncated !== before.truncated || inc.summary !== before.summary;
  if (changed) inc.version = before.version + 1;
  return { incident: inc, changes, reopened, resolvedNow, changed };
}

function firstFiring(inc: Incident): IncidentAlert | undefined {
  return Object.values(inc.alerts).find((a) => a.status === 'firing');
}

function firstLabel(inc: Incident, name: string): string | undefined {
  for (const a of Object.values(inc.alerts)) if (a.labels[name] !== undefined) return a.labels[name];
  return undefined;
}

/** `HighErrorRate ×3, DiskFull` — names with counts, the most common first. */
export function namesOf(alerts: readonly AlertBrief[]): string {
  const counts = new Map<string, number>();
  for (const a of alerts) counts.set(a.name, (counts.get(a.name) ?? 0) + 1);
  return [...counts]
    .sort((x, y) => y[1] - x[1])
    .map(([name, c]) => (c > 1 ? `${name} ×${c}` : name))
    .join(', ');
}
