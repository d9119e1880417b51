/**
 * Alertmanager's webhook payload (version 4, as sent by 0.25 and later). Parsed leniently: fields
 * newer than 0.25 (`notification_reason`, `routeLabels`, …) and anything unknown pass through;
 * only what the incident needs must be there. Grafana's payload extends this one (grafana.ts).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { presentTime, type AlertLink, type NormalizedAlert, type Notification } from '../types.js';

const stringMap = z.record(z.string(), z.coerce.string()).catch({}).default({});
const optionalString = z.string().nullish();

export const amAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: stringMap,
  annotations: stringMap,
  startsAt: optionalString,
  endsAt: optionalString,
  generatorURL: optionalString,
  fingerprint: optionalString,
});

export const amPayloadSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  groupKey: z.string().min(1, 'groupKey is empty'),
  alerts: z.array(amAlertSchema),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: optionalString,
  truncatedAlerts: z.number().int().min(0).nullish(),
});

export type AmAlert = z.infer<typeof amAlertSchema>;
export type AmPayload = z.infer<typeof amPayloadSchema>;

/** A fingerprint from the labels when the sender gave none (stable across deliveries). */
export function labelsFingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k] ?? ''}`)
    .join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function normalizeAmAlert(a: AmAlert, extraLinks: AlertLink[] = []): NormalizedAlert {
  const links = extraLinks.filter((l) => l.url);
  return {
    fingerprint: a.fingerprint || labelsFingerprint(a.labels),
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: presentTime(a.startsAt),
    endsAt: a.status === 'resolved' ? presentTime(a.endsAt) : undefined,
    generatorURL: a.generatorURL || undefined,
    ...(links.length > 0 ? { links } : {}),
  };
}

export function fromAlertmanager(p: AmPayload): Notification {
  return {
    source: 'alertmanager',
    groupKey: p.groupKey,
    status: p.status,
    alerts: p.alerts.map((a) => normalizeAmAlert(a)),
    commonLabels: { ...p.groupLabels, ...p.commonLabels },
    commonAnnotations: p.commonAnnotations,
    links: p.externalURL ? [{ label: 'Alertmanager', url: p.externalURL }] : [],
    truncated: p.truncatedAlerts ?? 0,
  };
}
