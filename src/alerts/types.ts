/**
 * The alert vocabulary shared by the intake, the incident consumer and the runbook triggers. Every
 * source's payload is normalized into one `Notification` (one alert group at one moment) at the
 * edge; nothing past the parsers knows which JSON shape it came from.
 */

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export type AlertStatus = 'firing' | 'resolved';

/** A link the source gives (generator, dashboard, panel, silence, PagerDuty incident). */
export interface AlertLink {
  label: string;
  url: string;
}

/** One alert of a group, as every source is normalized to. */
export interface NormalizedAlert {
  /** Stable identity of the alert within its group (Alertmanager's fingerprint). */
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO time the alert started firing; absent when the source does not say (generic). */
  startsAt?: string;
  /** ISO time it ended, for resolved alerts. */
  endsAt?: string;
  generatorURL?: string;
  /** Source-specific links beyond the generator (Grafana dashboard, panel, silence). */
  links?: AlertLink[];
}

/** One delivery's content: the state of one alert group as the source sees it now. */
export interface Notification {
  source: AlertSource;
  /** Names the incident: Alertmanager/Grafana group key (Grafana: with its org), PagerDuty incident id, generic dedup_key. */
  groupKey: string;
  status: AlertStatus;
  alerts: NormalizedAlert[];
  /** Labels common to the group (what routes match when present). */
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** A human title, when the source gives one (Grafana `title`, PagerDuty and generic title). */
  title?: string;
  /** Links for the whole group (Alertmanager's external URL, the PagerDuty incident). */
  links: AlertLink[];
  /** Alerts the source left out of this notification (Alertmanager `truncatedAlerts`). */
  truncated: number;
  /** The source's own id of this event, when it has one (PagerDuty `event.id`): deliveries are deduplicated by it. */
  eventId?: string;
  /** What the source says happened, when it is not an alert change (PagerDuty `incident.acknowledged`…). */
  eventType?: string;
}

/** A ZeroTime Go prints for "not set" (`0001-01-01T00:00:00Z`): treated as absent. */
export function presentTime(t: string | undefined | null): string | undefined {
  if (!t || t.startsWith('0001-01-01')) return undefined;
  return t;
}
