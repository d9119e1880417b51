/**
 * Grafana Alerting's webhook contact point: Alertmanager's payload plus `orgId`, `title`, `state`,
 * `message`, and per alert `silenceURL`, `dashboardURL`, `panelURL`, `values`, `valueString`
 * (Grafana docs, "Configure webhook notifications"). Newer fields (`enrichments`…) pass through.
 */
import { z } from 'zod';
import type { Notification } from '../types.js';
import { amAlertSchema, amPayloadSchema, normalizeAmAlert } from './alertmanager.js';

const link = z.string().nullish();

export const grafanaPayloadSchema = amPayloadSchema.extend({
  orgId: z.union([z.number(), z.string()]).nullish(),
  title: z.string().nullish(),
  alerts: z.array(amAlertSchema.extend({ silenceURL: link, dashboardURL: link, panelURL: link, imageURL: link })),
});

export type GrafanaPayload = z.infer<typeof grafanaPayloadSchema>;

export function fromGrafana(p: GrafanaPayload): Notification {
  return {
    source: 'grafana',
    // Group keys are per organization: the same rule group in two orgs is two incidents.
    groupKey: `${p.orgId ?? 1}/${p.groupKey}`,
    status: p.status,
    alerts: p.alerts.map((a) =>
      normalizeAmAlert(a, [
        { label: 'Dashboard', url: a.dashboardURL ?? '' },
        { label: 'Panel', url: a.panelURL ?? '' },
        { label: 'Silence', url: a.silenceURL ?? '' },
      ]),
    ),
    commonLabels: { ...p.groupLabels, ...p.commonLabels },
    commonAnnotations: p.commonAnnotations,
    title: p.title ?? undefined,
    links: p.externalURL ? [{ label: 'Grafana', url: p.externalURL }] : [],
    truncated: p.truncatedAlerts ?? 0,
  };
}
