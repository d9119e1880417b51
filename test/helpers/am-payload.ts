/** Alertmanager webhook bodies (version 4, as 0.25 sends them) for groups the tests shape: alerts firing and resolving by fingerprint. */

export interface AmAlert {
  fp: string;
  status?: 'firing' | 'resolved';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
}

export function amPayload(group: string, alerts: AmAlert[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const list = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: { alertname: group, ...a.labels },
    annotations: { summary: `${group} on ${a.fp}`, ...a.annotations },
    startsAt: a.startsAt ?? '2026-12-01T10:00:00Z',
    endsAt: (a.status ?? 'firing') === 'resolved' ? '2026-12-01T10:05:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(group)}`,
    fingerprint: a.fp,
  }));
  return {
    receiver: 'chatops',
    status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: list,
    groupLabels: { alertname: group },
    commonLabels: { alertname: group },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: `{}:{alertname="${group}"}`,
    truncatedAlerts: 0,
    ...extra,
  };
}
