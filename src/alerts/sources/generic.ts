/**
 * The generic JSON source (any tool, curl): FORMATS.md "Alerts". `dedup_key` names the incident
 * (several firings with one key are one incident); `labels` are what matchers see, `alertname`
 * defaulting to `title`. The alert's identity is its labels (or an explicit `fingerprint`).
 */
import { z } from 'zod';
import type { Notification } from '../types.js';
import { labelsFingerprint } from './alertmanager.js';

const stringMap = z.record(z.string(), z.coerce.string()).catch({}).default({});

export const genericPayloadSchema = z.looseObject({
  status: z.enum(['firing', 'resolved'], { error: 'status must be "firing" or "resolved"' }),
  title: z.string().min(1, 'title is empty'),
  dedup_key: z.string().min(1).nullish(),
  fingerprint: z.string().min(1).nullish(),
  labels: stringMap,
  annotations: stringMap,
  source_url: z.string().nullish(),
  startsAt: z.string().nullish(),
});

export type GenericPayload = z.infer<typeof genericPayloadSchema>;

export function fromGeneric(p: GenericPayload): Notification {
  const labels = { alertname: p.title, ...p.labels };
  return {
    source: 'generic',
    groupKey: p.dedup_key ?? p.title,
    status: p.status,
    title: p.title,
    commonLabels: labels,
    commonAnnotations: p.annotations,
    links: [],
    truncated: 0,
    alerts: [
      {
        fingerprint: p.fingerprint ?? labelsFingerprint(labels),
        status: p.status,
        labels,
        annotations: p.annotations,
        startsAt: p.startsAt ?? undefined,
        generatorURL: p.source_url ?? undefined,
      },
    ],
  };
}
