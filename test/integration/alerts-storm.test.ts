/**
 * An alert storm through the real front (issue 10), on a real redis-server with the fake Slack API
 * (its per-channel write limit answering 429): 500 alert groups within a minute open at most
 * max_new_incidents_per_minute incidents, the rest join one "alert storm" incident; every alert is
 * recorded on an incident, the channel is written within Slack's budget (no 429), and a group
 * Alertmanager truncated shows "+N not sent".
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Incident } from '../../src/alerts/incident.js';
import { amPayload } from '../helpers/am-payload.js';
import { sendAlert } from '../helpers/alert-senders.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
import { until } from '../helpers/until.js';

const GROUPS = 500;
const CAP = 20;

describe('an alert storm', () => {
  const prefix = uniquePrefix('storm');
  let h: SlackIncidents;
  beforeAll(async () => {
    h = await startSlackIncidents({ 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n', 'alerts.yaml': `storm: { max_new_incidents_per_minute: ${CAP} }\n` }, prefix);
  });
  afterAll(() => h.close());

  const incidents = async () => {
    const ids = await h.redis.zrange(`${prefix}:incidents`, '0', '-1');
    return (await Promise.all(ids.map(async (id) => JSON.parse((await h.redis.get(`${prefix}:incident:${id}`)) ?? 'null') as Incident | null))).filter((i): i is Incident => i !== null);
  };

  it(`${GROUPS} groups in a minute: at most ${CAP} new incidents a minute and one storm incident, every alert held, no 429`, async () => {
    // The first group was truncated by Alertmanager: its message says so.
    const bodies = Array.from({ length: GROUPS }, (_, i) => amPayload(`Storm${String(i).padStart(3, '0')}`, [{ fp: `fp${i}` }], i === 0 ? { truncatedAlerts: 3 } : {}));
    for (let i = 0; i < GROUPS; i += 25) {
      const answers = await Promise.all(bodies.slice(i, i + 25).map((b) => sendAlert(h.base, 'alertmanager', b, { token: 'am-token' })));
      expect(answers.map((a) => a.status).filter((s) => s !== 202)).toEqual([]);
    }
    const all = await until('every alert on an incident', async () => {
      const list = await incidents();
      return list.reduce((n, inc) => n + Object.keys(inc.alerts).length, 0) === GROUPS ? list : undefined;
    }, 60_000);
    const storm = all.filter((inc) => inc.source === 'storm');
    expect(storm).toHaveLength(1);
    expect(all.length).toBeLessThanOrEqual(CAP * 2 + 1); // the cap is per minute: the sending may straddle two
    expect(storm[0]?.storm?.groups).toBe(GROUPS - (all.length - 1));

    const roots = await until('every incident message posted', () => (h.fake.roots('C0ALERTS').length === all.length ? h.fake.roots('C0ALERTS') : undefined), 120_000);
    expect(roots.filter((m) => m.text.startsWith('Firing: Alert storm'))).toHaveLength(1);
    expect(roots.find((m) => m.text.startsWith('Firing: Storm000'))?.text).toContain('+3 not sent');
    expect(h.fake.rateLimited).toBe(0);
  }, 180_000);
});
