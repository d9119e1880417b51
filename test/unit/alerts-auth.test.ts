import { describe, expect, it } from '@jest/globals';
import { authenticate, presentedToken, readAlertSecrets, routeOpen, splitSecrets, type AlertSecrets } from '../../src/alerts/auth.js';
import { hmacHex } from '../helpers/alert-senders.js';

const secrets: AlertSecrets = readAlertSecrets({ ALERT_TOKEN: 'old-token, new-token', GRAFANA_WEBHOOK_SECRET: 'g1,g2', PAGERDUTY_WEBHOOK_SECRET: 'p1,p2' });
const body = Buffer.from('{"status":"firing"}');
const NOW = 1_800_000_000_000;

describe('alert authentication', () => {
  it('splits comma-separated secrets for rotation', () => {
    expect(splitSecrets(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitSecrets(undefined)).toEqual([]);
  });

  it('fails closed: a route with no secret refuses everything and says which variable opens it', () => {
    const none = readAlertSecrets({});
    for (const s of ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const) {
      expect(routeOpen(s, none)).toBe(false);
      const r = authenticate(s, { authorization: 'Bearer anything' }, body, none, NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/closed: set [A-Z_]+/);
    }
  });

  it('takes any of the rotated bearer tokens, or the Basic password, and nothing else', () => {
    expect(authenticate('alertmanager', { authorization: 'Bearer old-token' }, body, secrets, NOW).ok).toBe(true);
    expect(authenticate('generic', { authorization: 'bearer new-token' }, body, secrets, NOW).ok).toBe(true);
    const basic = `Basic ${Buffer.from('am:new-token').toString('base64')}`;
    expect(authenticate('alertmanager', { authorization: basic }, body, secrets, NOW).ok).toBe(true);
    expect(authenticate('alertmanager', { authorization: 'Bearer new-token2' }, body, secrets, NOW).ok).toBe(false);
    expect(authenticate('alertmanager', {}, body, secrets, NOW).ok).toBe(false);
    expect(presentedToken({ authorization: 'Token x' })).toBeUndefined();
  });

  it('checks Grafana HMAC over timestamp:body, refuses stale timestamps and wrong secrets', () => {
    const ts = String(NOW / 1000);
    const ok = (secret: string, t: string) => authenticate('grafana', { 'x-grafana-alerting-signature': hmacHex(secret, `${t}:${body.toString()}`), 'x-grafana-alerting-timestamp': t }, body, secrets, NOW);
    expect(ok('g1', ts).ok).toBe(true);
    expect(ok('g2', ts).ok).toBe(true);
    expect(ok('g3', ts).ok).toBe(false);
    const stale = ok('g1', String(NOW / 1000 - 301));
    expect(stale).toEqual({ ok: false, message: expect.stringMatching(/5 minutes off/) });
    // Without a timestamp the body alone is signed.
    expect(authenticate('grafana', { 'x-grafana-alerting-signature': hmacHex('g2', body.toString()) }, body, secrets, NOW).ok).toBe(true);
    expect(authenticate('grafana', { 'x-grafana-alerting-signature': hmacHex('g2', `${ts}:${body.toString()}`) }, body, secrets, NOW).ok).toBe(false);
    // Grafana may use the bearer token instead.
    expect(authenticate('grafana', { authorization: 'Bearer old-token' }, body, secrets, NOW).ok).toBe(true);
  });

  it('checks PagerDuty v1 signatures: any match of any secret', () => {
    const sig = (...s: string[]) => ({ 'x-pagerduty-signature': s.map((k) => `v1=${hmacHex(k, body.toString())}`).join(',') });
    expect(authenticate('pagerduty', sig('p2'), body, secrets, NOW).ok).toBe(true);
    expect(authenticate('pagerduty', sig('zz', 'p1'), body, secrets, NOW).ok).toBe(true);
    expect(authenticate('pagerduty', sig('zz'), body, secrets, NOW).ok).toBe(false);
    expect(authenticate('pagerduty', { 'x-pagerduty-signature': `v0=${hmacHex('p1', body.toString())}` }, body, secrets, NOW).ok).toBe(false);
    expect(authenticate('pagerduty', { authorization: 'Bearer old-token' }, body, secrets, NOW).ok).toBe(false);
  });
});
