/**
 * PagerDuty V3 webhooks: one event per delivery, `event.data` an incident (or, for notes,
 * responders and status updates, something that names its incident). The PagerDuty incident is
 * our incident; it holds one alert (the PagerDuty incident itself), firing until PagerDuty says
 * `resolved`. Deliveries are deduplicated by `event.id` (PagerDuty retries with the same id).
 */
import { z } from 'zod';
import type { Notification } from '../types.js';

const ref = z.looseObject({ id: z.string().nullish(), summary: z.string().nullish(), html_url: z.string().nullish() }).nullish();

export const pagerdutyPayloadSchema = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1, 'event.id is empty'),
    event_type: z.string(),
    resource_type: z.string().nullish(),
    occurred_at: z.string().nullish(),
    data: z.looseObject({
      id: z.string().nullish(),
      type: z.string().nullish(),
      html_url: z.string().nullish(),
      status: z.string().nullish(),
      title: z.string().nullish(),
      created_at: z.string().nullish(),
      urgency: z.string().nullish(),
      incident_key: z.string().nullish(),
      service: ref,
      priority: ref,
      incident: ref,
    }),
  }),
});

export type PagerDutyPayload = z.infer<typeof pagerdutyPayloadSchema>;

/** Event types that change whether the incident is open. */
const STATUS_EVENTS = new Set(['incident.triggered', 'incident.resolved', 'incident.reopened', 'incident.acknowledged', 'incident.unacknowledged', 'incident.escalated', 'incident.reassigned', 'incident.delegated', 'incident.priority_updated']);

export function fromPagerDuty(p: PagerDutyPayload): Notification | { ignored: string } {
  const { event } = p;
  const data = event.data;
  const isIncident = data.type === 'incident' || event.resource_type === 'incident';
  const incidentId = isIncident ? data.id : data.incident?.id;
  if (!incidentId) return { ignored: `${event.event_type} names no incident` };
  const url = (isIncident ? data.html_url : data.incident?.html_url) ?? undefined;
  const links = url ? [{ label: 'PagerDuty incident', url }] : [];
  const base = { source: 'pagerduty' as const, groupKey: incidentId, links, truncated: 0, eventId: event.id, eventType: event.event_type };
  if (!isIncident || !STATUS_EVENTS.has(event.event_type)) {
    // A note, responder or status update: recorded on the incident's timeline, no alert change.
    return { ...base, status: 'firing', alerts: [], commonLabels: {}, commonAnnotations: {}, title: data.incident?.summary ?? undefined };
  }
  const status = data.status === 'resolved' || event.event_type === 'incident.resolved' ? 'resolved' : 'firing';
  const labels: Record<string, string> = { alertname: data.title ?? incidentId };
  if (data.service?.summary) labels.service = data.service.summary;
  if (data.urgency) labels.urgency = data.urgency;
  if (data.priority?.summary) labels.priority = data.priority.summary;
  return {
    ...base,
    status,
    title: data.title ?? undefined,
    commonLabels: labels,
    commonAnnotations: {},
    alerts: [
      {
        fingerprint: incidentId,
        status,
        labels,
        annotations: data.title ? { summary: data.title } : {},
        startsAt: data.created_at ?? event.occurred_at ?? undefined,
        endsAt: status === 'resolved' ? (event.occurred_at ?? undefined) : undefined,
        generatorURL: url,
      },
    ],
  };
}
