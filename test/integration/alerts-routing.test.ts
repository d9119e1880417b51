/**
 * Where incidents go and when one reopens (issue 10), end to end on a real redis-server with the
 * fake Slack API and the real front: alerts.yaml routes (first match wins, matchers and the map
 * form, `default` before ALERT_CHANNEL) pick each incident's channel; a group firing again within
 * `reopen_within` reopens the same incident and message, later it is a new one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Incident } from '../../src/alerts/incident.js';
import { sendAlert } from '../helpers/alert-senders.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
import { until } from '../helpers/until.js';

const REOPEN_MS = 10_000;
const FILES = {
  'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n',
  'alerts.yaml': `
routes:
  - matchers: ['severity="critical"', 'service=~"checkout|payments"']
    channel: slack:C0CRIT
  - match: { severity: warning }
    channel: slack:C0WARN
default: { channel: slack:C0DEF }
incidents: { reopen_within: ${REOPEN_MS / 1000}s }
`,
};

describe('incident routing and reopening', () => {
  const prefix = uniquePrefix('routing');
  let h: SlackIncidents;
  beforeAll(async () => {
    // ALERT_CHANNEL is slack:C0ALERTS here: alerts.yaml's default wins over it.
    h = await startSlackIncidents(FILES, prefix);
  });
  afterAll(() => h.close());

  const fire = (title: string, key: string, labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') =>
    sendAlert(h.base, 'generic', { status, title, dedup_key: key, labels }, { token: 'am-token' }).then((r) => expect(r.status).toBe(202));
  const incident = async (id: string) => JSON.parse((await h.redis.get(`${prefix}:incident:${id}`)) ?? 'null') as Incident | null;

  it('the first route whose matchers all hold picks the channel; the default takes the rest', async () => {
    await fire('Checkout 5xx', 'checkout-5xx', { service: 'checkout', severity: 'critical' });
    await fire('Disk at 80%', 'disk-80', { instance: 'db-1', severity: 'warning' });
    await fire('Search slow', 'search-slow', { service: 'search', severity: 'critical' });
    await until('the critical checkout incident in C0CRIT', () => h.fake.roots('C0CRIT').find((m) => m.text.startsWith('Firing: Checkout 5xx')));
    await until('the warning in C0WARN', () => h.fake.roots('C0WARN').find((m) => m.text.startsWith('Firing: Disk at 80%')));
    await until('the rest in the default channel', () => h.fake.roots('C0DEF').find((m) => m.text.startsWith('Firing: Search slow')));
    expect(h.fake.roots('C0ALERTS')).toEqual([]);
    expect(h.fake.roots('C0CRIT').map((m) => m.text.split(' (')[0])).toEqual(['Firing: Checkout 5xx']);
  }, 60_000);

  it('firing again within reopen_within reopens the same incident and message; after it, a new incident', async () => {
    const labels = { service: 'payments', severity: 'critical' };
    await fire('Payments down', 'payments-down', labels);
    const root = await until('the incident message', () => h.fake.roots('C0CRIT').find((m) => m.text.startsWith('Firing: Payments down')));
    const id = await until('its id', async () => (await h.redis.get(`${prefix}:incident:thread:slack:C0CRIT:${root.ts}`)) ?? undefined);

    await fire('Payments down', 'payments-down', labels, 'resolved');
    await until('resolved', () => root.text.startsWith('Resolved: Payments down'));
    await fire('Payments down', 'payments-down', labels);
    await until('firing again, in the same message', () => root.text.startsWith('Firing: Payments down'));
    expect((await incident(id))?.reopened).toBe(1);
    // Kept like runs: for CHATOPS_RETENTION (30 days by default) after its last change, timeline included.
    for (const key of [`${prefix}:incident:${id}`, `${prefix}:incident:${id}:timeline`]) expect(await h.redis.pttl(key)).toBeGreaterThan(29 * 86_400_000);
    expect((await h.timeline(id)).filter((e) => e.type === 'reopened')).toHaveLength(1);
    await until('the thread says it reopened', () => h.fake.messages.find((m) => m.threadTs === root.ts && /reopened/i.test(m.text)));
    expect(h.fake.roots('C0CRIT').filter((m) => m.text.includes('Payments down'))).toHaveLength(1);

    await fire('Payments down', 'payments-down', labels, 'resolved');
    const resolvedAt = await until('resolved again', async () => (await incident(id))?.resolvedAt);
    // The window is measured from the resolution: wait it out, then the same group is a new incident.
    await until('the reopen window past', () => Date.now() > resolvedAt + REOPEN_MS + 1_000 || undefined, REOPEN_MS + 30_000);
    await fire('Payments down', 'payments-down', labels);
    const second = await until('a new incident message', () => h.fake.roots('C0CRIT').find((m) => m.ts !== root.ts && m.text.startsWith('Firing: Payments down')));
    const newId = await until('its id', async () => (await h.redis.get(`${prefix}:incident:thread:slack:C0CRIT:${second.ts}`)) ?? undefined);
    expect(newId).not.toBe(id);
    expect((await incident(id))?.status).toBe('resolved');
    expect(root.text.startsWith('Resolved: Payments down')).toBe(true);
  }, 90_000);
});
