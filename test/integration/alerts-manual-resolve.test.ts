/**
 * `resolve WHY…` typed in an incident's Slack thread (issue 11), end to end on a real
 * redis-server with the fake Slack API and the real front: a generic and a PagerDuty incident
 * (sources that cannot say an outage is over) are resolved by hand with who and why (the message
 * reads Resolved, the thread, the timeline and the postmortem say who and why), once; policy
 * decides who may; Alertmanager and Grafana incidents are refused, saying their source resolves them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeMessage } from '../fakes/slack-api.js';
import { amSample, grafanaBody, pagerdutyBody, sendAlert } from '../helpers/alert-senders.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
import { until } from '../helpers/until.js';

const FILES = {
  'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n',
  'policy.yaml': `
roles:
  oncall: { members: [slack:U0ALICE] }
  viewer: { members: [slack:U0EVE] }
rules:
  - { commands: [resolve], roles: [oncall], channels: ["*"] }
`,
};

describe('resolving an incident by hand from its thread', () => {
  const prefix = uniquePrefix('manual-resolve');
  let h: SlackIncidents;
  beforeAll(async () => {
    h = await startSlackIncidents(FILES, prefix);
  });
  afterAll(() => h.close());

  const say = (root: FakeMessage, user: string, text: string) => h.sender.mention({ text: `<@UBOT> ${text}`, user, channel: 'C0ALERTS', threadTs: root.ts });
  /** The private answer to `user` in the thread whose text or blocks hold `needle`. */
  const answer = (root: FakeMessage, user: string, needle: string) =>
    until(`the answer to ${user} holding "${needle}"`, () => h.fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === user && (m.text.includes(needle) || JSON.stringify(m.blocks ?? []).includes(needle))));
  const opened = async (title: string) => {
    const root = await until(`the incident message of ${title}`, () => h.fake.roots('C0ALERTS').find((m) => m.text.includes(title)));
    return { root, id: await h.incidentOf(root.ts) };
  };

  it.each([
    ['generic', 'Checkout 5xx above 5%', () => sendAlert(h.base, 'generic', { status: 'firing', title: 'Checkout 5xx above 5%', dedup_key: 'checkout-5xx', labels: { service: 'checkout', severity: 'critical' } }, { token: 'am-token' })],
    ['pagerduty', 'A little bump in the road', () => sendAlert(h.base, 'pagerduty', pagerdutyBody(), { pagerdutySecrets: ['pd-secret'] })],
  ])('a %s incident: refused without a rule or a reason, then resolved once with who and why', async (source, title, fire) => {
    expect((await fire()).status).toBe(202);
    const { root, id } = await opened(title);
    expect(root.text.startsWith(`Firing: ${title}`)).toBe(true);

    await say(root, 'U0EVE', 'resolve it is fine');
    await answer(root, 'U0EVE', `You may not resolve ${id}`);
    await say(root, 'U0ALICE', 'resolve');
    await answer(root, 'U0ALICE', 'resolve: say why');
    expect(root.text.startsWith('Firing:')).toBe(true);

    await say(root, 'U0ALICE', 'resolve rolled back the bad deploy');
    await until('the message resolved', () => root.text.startsWith(`Resolved: ${title}`));
    await until('the thread says who and why', () => h.fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === undefined && JSON.stringify(m).includes('resolved by hand by slack:U0ALICE: rolled back the bad deploy')));
    const timeline = await h.timeline(id);
    expect(timeline.filter((e) => e.type === 'resolved')).toEqual([expect.objectContaining({ by: 'slack:U0ALICE', why: 'rolled back the bad deploy' })]);
    expect(Object.values(JSON.parse((await h.redis.get(`${prefix}:incident:${id}`)) ?? '{}').alerts as Record<string, { status: string }>).map((a) => a.status)).toEqual(['resolved']);

    await say(root, 'U0ALICE', 'resolve again');
    await answer(root, 'U0ALICE', `${id} is resolved already`);
    if (source === 'generic') {
      // `chatops audit` (issue 15): the refusal and the resolve, by whom, on this incident (the failed tries change nothing, so are not there).
      const trail = await h.auditCli();
      expect(trail.filter((r) => r.incidentId === id).map((r) => [r.who, r.action, r.text])).toEqual([
        ['slack:U0EVE', 'refused', 'resolve it is fine'],
        ['slack:U0ALICE', 'resolved', 'resolve rolled back the bad deploy'],
      ]);
    }
    if (source === 'pagerduty') {
      // PagerDuty's own resolution arriving later changes nothing: no second "resolved".
      expect((await sendAlert(h.base, 'pagerduty', pagerdutyBody({ eventId: 'a1b2c3d4-0000-4000-8000-000000000001', type: 'incident.resolved', status: 'resolved' }), { pagerdutySecrets: ['pd-secret'] })).status).toBe(202);
      await until('the delivery on the timeline', async () => (await h.timeline(id)).some((e) => e.type === 'delivery'));
      expect((await h.timeline(id)).filter((e) => e.type === 'resolved')).toHaveLength(1);
    }

    await say(root, 'U0ALICE', 'postmortem');
    const pm = await answer(root, 'U0ALICE', `postmortem of ${id}`);
    const md = JSON.stringify(pm.blocks);
    expect(md).toContain('Resolved by hand by slack:U0ALICE: rolled back the bad deploy');
    expect(md).toContain('slack:U0ALICE');
  }, 150_000);

  it.each([
    ['alertmanager', 'HighErrorRate', () => sendAlert(h.base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })],
    ['grafana', 'High memory usage', () => sendAlert(h.base, 'grafana', grafanaBody(), { grafanaSecret: 'grafana-secret', grafanaTimestamp: Math.floor(Date.now() / 1000) })],
  ])('an incident from %s is refused: its source resolves it', async (source, title, fire) => {
    expect((await fire()).status).toBe(202);
    const { root, id } = await opened(title);
    await say(root, 'U0ALICE', 'resolve it looks fine now');
    await answer(root, 'U0ALICE', `${source} resolves ${id} itself once its alerts stop firing`);
    expect(root.text.startsWith('Firing: ')).toBe(true);
    expect((await h.timeline(id)).filter((e) => e.type === 'resolved')).toEqual([]);
  }, 60_000);
});
