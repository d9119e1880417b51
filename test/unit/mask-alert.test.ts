import { describe, expect, it } from '@jest/globals';
import { applyNotification, openIncident } from '../../src/alerts/diff.js';
import { alertContext } from '../../src/alerts/runbook-triggers.js';
import type { NormalizedAlert, Notification } from '../../src/alerts/types.js';
import { maskAlert } from '../../src/engine/mask-alert.js';
import { Masker } from '../../src/lib/mask.js';

const ALERT: NormalizedAlert = {
  fingerprint: 'fire-01',
  status: 'firing',
  labels: { alertname: 'DiskFull', instance: 'db-1:9100', team: 'infra' },
  annotations: { summary: 'disk of db-1 is full', runbook_url: 'https://wiki.example/disk?token=T0k' },
  startsAt: '2026-12-01T10:00:00.123456789Z',
  endsAt: '0 minutes ago',
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=disk_free',
};
const NOTE: Notification = { source: 'alertmanager', groupKey: '{}:{alertname="DiskFull"}', status: 'firing', alerts: [ALERT], commonLabels: { alertname: 'DiskFull' }, commonAnnotations: {}, links: [], truncated: 0 };

/** The context a run of this alert gets, as the runbook starter and the incident desk build it. */
function context(): Record<string, unknown> {
  const now = Date.parse('2026-12-01T10:00:30Z');
  const inc = applyNotification(openIncident('i-4f0t2i', NOTE, now, 'slack:C0INC'), NOTE, now).incident;
  const alert = inc.alerts['fire-01'];
  if (alert === undefined) throw new Error('the incident lost its alert');
  return alertContext(alert, 'alertmanager', inc, 'https://chatops.example/incidents/i-4f0t2i?sig=0a1t');
}

describe('maskAlert', () => {
  it('keeps what names the alert and its incident whatever one-character secrets occur in it, and masks the source\'s text', () => {
    const masked = maskAlert(new Masker(['i', 't', '0', 'a']), context());
    expect(masked).toEqual({
      status: 'firing',
      source: 'alertmanager',
      fingerprint: 'fire-01',
      startsAt: '2026-12-01T10:00:00.123456789Z',
      endsAt: '*** m***nu***es ***go', // not a time: text
      generatorURL: 'h***p://prome***heus.ex***mple:9***9***/gr***ph?g***.expr=d***sk_free',
      labels: { alertname: 'D***skFull', instance: 'db-1:91***', team: '***nfr***' },
      annotations: { summary: 'd***sk of db-1 ***s full', runbook_url: 'h***ps://w***k***.ex***mple/d***sk?***oken=T***k' },
      incident: { id: 'i-4f0t2i', url: 'https://chatops.example/incidents/i-4f0t2i?sig=0a1t', title: 'D***skFull' },
    });
  });

  it('masks a field it does not know, and hands the context back as it is when there is no secret', () => {
    const ctx = { ...context(), note: 'from the intake' };
    expect(maskAlert(new Masker(['intake']), ctx).note).toBe('from the ***');
    expect(maskAlert(new Masker([]), ctx)).toBe(ctx);
  });
});
