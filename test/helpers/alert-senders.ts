/** Builds and sends alert deliveries the way each source does: real sample bodies, correct (or deliberately wrong) signatures. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'alerts');

/** A captured Alertmanager 0.25 payload from test/fixtures/alerts (parsed). */
export function amSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

export function hmacHex(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Grafana's documented example body, shaped like its webhook notifier sends it. */
export function grafanaBody(opts: { status?: 'firing' | 'resolved'; groupKey?: string; fingerprint?: string; extra?: Record<string, unknown> } = {}): Record<string, unknown> {
  const status = opts.status ?? 'firing';
  return {
    receiver: 'chatops',
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1', severity: 'critical' },
        annotations: { description: 'The system has high memory usage', runbook_url: 'https://myrunbook.com/runbook/1234', summary: 'This alert was triggered for zone us-1' },
        startsAt: '2026-11-22T09:51:03.157076+02:00',
        endsAt: status === 'resolved' ? '2026-11-22T10:01:03+02:00' : '0001-01-01T00:00:00Z',
        generatorURL: 'https://grafana.example/alerting/1afz29v7z/edit',
        fingerprint: opts.fingerprint ?? 'c6eadffa33fcdf37',
        silenceURL: 'https://grafana.example/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2',
        dashboardURL: 'https://grafana.example/d/abc',
        panelURL: 'https://grafana.example/d/abc?viewPanel=3',
        values: { B: 14151.3, C: 1 },
        valueString: "[ metric='' labels={} value=14151.331895396988 ]",
      },
    ],
    groupLabels: { alertname: 'High memory usage' },
    commonLabels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
    commonAnnotations: {},
    externalURL: 'https://grafana.example/',
    version: '1',
    groupKey: opts.groupKey ?? '{}:{alertname="High memory usage"}',
    truncatedAlerts: 0,
    title: `[${status.toUpperCase()}:1] High memory usage (blue us-1)`,
    state: status === 'firing' ? 'alerting' : 'ok',
    message: '**Firing**\n\nValue: B=14151.3',
    ...opts.extra,
  };
}

/** A PagerDuty V3 incident event, as in PagerDuty's webhook docs. */
export function pagerdutyBody(opts: { eventId?: string; type?: string; status?: string; incident?: string } = {}): Record<string, unknown> {
  const incident = opts.incident ?? 'PGR0VU2';
  return {
    event: {
      id: opts.eventId ?? '5ac64822-4adc-4fda-ade0-410becf0de4f',
      event_type: opts.type ?? 'incident.triggered',
      resource_type: 'incident',
      occurred_at: '2026-11-22T18:45:22.169Z',
      agent: null,
      client: { name: 'PagerDuty' },
      data: {
        id: incident,
        type: 'incident',
        self: `https://api.pagerduty.com/incidents/${incident}`,
        html_url: `https://acme.pagerduty.com/incidents/${incident}`,
        number: 2,
        status: opts.status ?? 'triggered',
        incident_key: 'd3640fbd41094207a1c11e58e46b1662',
        created_at: '2026-11-22T18:45:00Z',
        title: 'A little bump in the road',
        service: { html_url: 'https://acme.pagerduty.com/services/PF9KMXH', id: 'PF9KMXH', self: '', summary: 'API Service', type: 'service_reference' },
        priority: { id: 'PSO75BM', summary: 'P1', type: 'priority_reference' },
        urgency: 'high',
        resolve_reason: null,
      },
    },
  };
}

export interface SendOptions {
  token?: string;
  basicPassword?: string;
  grafanaSecret?: string;
  /** Unix seconds for X-Grafana-Alerting-Timestamp; none: signed over the body alone. */
  grafanaTimestamp?: number;
  pagerdutySecrets?: string[];
  headers?: Record<string, string>;
  /** Send this text instead of JSON.stringify(body). */
  raw?: string;
}

export async function sendAlert(base: string, source: string, body: unknown, opts: SendOptions = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const text = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.basicPassword !== undefined) headers.authorization = `Basic ${Buffer.from(`alertmanager:${opts.basicPassword}`).toString('base64')}`;
  if (opts.grafanaSecret !== undefined) {
    if (opts.grafanaTimestamp !== undefined) {
      headers['x-grafana-alerting-timestamp'] = String(opts.grafanaTimestamp);
      headers['x-grafana-alerting-signature'] = hmacHex(opts.grafanaSecret, `${opts.grafanaTimestamp}:${text}`);
    } else headers['x-grafana-alerting-signature'] = hmacHex(opts.grafanaSecret, text);
  }
  if (opts.pagerdutySecrets) headers['x-pagerduty-signature'] = opts.pagerdutySecrets.map((s) => `v1=${hmacHex(s, text)}`).join(',');
  const res = await fetch(`${base}/alerts/${source}`, { method: 'POST', headers, body: text });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, json, headers: res.headers };
}
