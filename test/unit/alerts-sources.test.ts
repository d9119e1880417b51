import { describe, expect, it } from '@jest/globals';
import { deliveryHash } from '../../src/alerts/delivery-store.js';
import { parseNotification } from '../../src/alerts/sources/index.js';
import type { Notification } from '../../src/alerts/types.js';
import { amSample, grafanaBody, pagerdutyBody } from '../helpers/alert-senders.js';

function notification(source: Parameters<typeof parseNotification>[0], json: unknown): Notification {
  const r = parseNotification(source, json);
  if (!r.ok || !('notification' in r)) throw new Error(`not parsed: ${JSON.stringify(r)}`);
  return r.notification;
}

describe('alert parsers', () => {
  it('normalizes the real Alertmanager 0.25 samples', () => {
    const n = notification('alertmanager', amSample('alertmanager-group-firing-2alerts'));
    expect(n).toMatchObject({ source: 'alertmanager', groupKey: '{}:{alertname="DiskFull"}', status: 'firing', truncated: 0 });
    expect(n.alerts.map((a) => a.fingerprint)).toEqual(['df82f7d2eba476e5', '06c0e749c45f1dd2']);
    expect(n.alerts[0]?.endsAt).toBeUndefined();
    const r = notification('alertmanager', amSample('alertmanager-resolved'));
    expect(r.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2026-11-22T21:18:12Z' });
  });

  it('accepts fields newer than 0.25 and unknown ones', () => {
    const body = { ...amSample('alertmanager-firing'), notification_reason: 'repeat', routeLabels: { team: 'x' }, somethingNew: [1, 2] };
    expect(parseNotification('alertmanager', body).ok).toBe(true);
    expect(parseNotification('grafana', grafanaBody({ extra: { enrichments: { a: 1 } } })).ok).toBe(true);
  });

  it('says what is wrong with a wrong shape', () => {
    const r = parseNotification('alertmanager', { status: 'firing', alerts: 'no' });
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/groupKey.*|alerts/) });
    const g = parseNotification('generic', { status: 'burning', title: 'x' });
    expect(g).toEqual({ ok: false, message: expect.stringMatching(/status must be "firing" or "resolved"/) });
  });

  it('keys Grafana groups by org and keeps its links', () => {
    const n = notification('grafana', grafanaBody());
    expect(n.groupKey).toBe('1/{}:{alertname="High memory usage"}');
    expect(n.alerts[0]?.links?.map((l) => l.label)).toEqual(['Dashboard', 'Panel', 'Silence']);
    expect(n.title).toMatch(/High memory usage/);
  });

  it('makes a PagerDuty incident one alert keyed by the incident id, and ignores events about no incident', () => {
    const n = notification('pagerduty', pagerdutyBody());
    expect(n).toMatchObject({ groupKey: 'PGR0VU2', eventId: '5ac64822-4adc-4fda-ade0-410becf0de4f', status: 'firing' });
    expect(n.alerts[0]?.labels).toMatchObject({ alertname: 'A little bump in the road', service: 'API Service', urgency: 'high', priority: 'P1' });
    const resolved = notification('pagerduty', pagerdutyBody({ type: 'incident.resolved', status: 'resolved', eventId: 'e2' }));
    expect(resolved.alerts[0]?.status).toBe('resolved');
    const svc = parseNotification('pagerduty', { event: { id: 'e3', event_type: 'service.updated', resource_type: 'service', data: { id: 'PF9KMXH', type: 'service' } } });
    expect(svc).toEqual({ ok: true, ignored: expect.stringMatching(/names no incident/) });
  });

  it('fingerprints generic alerts by their labels, alertname defaulting to the title', () => {
    const a = notification('generic', { status: 'firing', title: 'Checkout 5xx', dedup_key: 'checkout-5xx', labels: { service: 'checkout' } });
    const b = notification('generic', { status: 'resolved', title: 'Checkout 5xx', dedup_key: 'checkout-5xx', labels: { service: 'checkout' } });
    expect(a.groupKey).toBe('checkout-5xx');
    expect(a.alerts[0]?.labels.alertname).toBe('Checkout 5xx');
    expect(a.alerts[0]?.fingerprint).toBe(b.alerts[0]?.fingerprint);
  });

  it('hashes deliveries by content, not by sender details', () => {
    const one = amSample('alertmanager-group-firing-2alerts');
    const twin = { ...one, externalURL: 'http://other-replica:9093', receiver: 'other' };
    expect(deliveryHash(notification('alertmanager', one))).toBe(deliveryHash(notification('alertmanager', twin)));
    expect(deliveryHash(notification('alertmanager', one))).not.toBe(deliveryHash(notification('alertmanager', amSample('alertmanager-group-partial-resolved'))));
  });
});
