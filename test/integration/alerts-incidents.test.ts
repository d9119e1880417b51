import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { DeliveryStore } from '../../src/alerts/delivery-store.js';
import type { Incident } from '../../src/alerts/incident.js';
import { parseNotification } from '../../src/alerts/sources/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi, type FakeMessage } from '../fakes/slack-api.js';
import { shown } from '../fakes/slack-front.js';
import { fakeSlackConfig } from '../fakes/slack-requests.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const FILES = { 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n' };

describe('incidents on Slack', () => {
  let dir: string;
  let project: Awaited<ReturnType<typeof writeProject>>['project'];
  let redis: Redis;
  let fake: FakeSlackApi;
  let prefix: string;
  const fronts: Front[] = [];

  beforeAll(async () => {
    ({ dir, project } = await writeProject(FILES));
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
    removeDir(dir);
  });
  afterEach(async () => {
    for (const f of fronts.splice(0)) await f.close();
    await fake.stop();
  });

  async function start(): Promise<string> {
    const { front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS' } });
    fronts.push(front);
    return base;
  }

  const roots = () => fake.messages.filter((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && m.ephemeralTo === undefined);
  const replies = (root: FakeMessage) => fake.messages.filter((m) => m.threadTs === root.ts);
  async function incidentOf(id: string): Promise<Incident> {
    return JSON.parse((await redis.get(`${prefix}:incident:${id}`)) ?? 'null') as Incident;
  }

  it('a group becomes one living message, edited as alerts resolve, with a thread reply per change', async () => {
    fake = await new FakeSlackApi().start();
    prefix = uniquePrefix('inc');
    const base = await start();
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-firing-2alerts'), { token: 'am-token' })).status).toBe(202);
    const root = await until('the incident message', () => roots()[0]);
    expect(root.text).toMatch(/^Firing: DiskFull/);
    expect(root.text).toContain('2 firing, 0 resolved');
    expect(shown(root)).toContain('db-1:9100');
    const first = await until('the first thread reply', () => replies(root)[0]);
    expect(first.text).toContain('2 alerts joined');

    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-partial-resolved'), { token: 'am-token' })).status).toBe(202);
    await until('the resolve reply', () => replies(root).find((m) => m.text.includes('1 resolved')));
    await until('the edit', () => (root.text.includes('1 firing, 1 resolved') ? true : undefined));

    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-resolved-last'), { token: 'am-token' })).status).toBe(202);
    await until('resolved state', () => (root.text.startsWith('Resolved: DiskFull') ? true : undefined));
    const last = await until('the last reply', () => replies(root).find((m) => /all resolved after/.test(m.text)));
    expect(last.text).toContain('1 resolved');
    // One message for the group, three replies: one per change.
    expect(roots()).toHaveLength(1);
    expect(replies(root)).toHaveLength(3);
    const id = (await redis.zrange(`${prefix}:incidents`, '0', '-1'))[0] ?? '';
    const inc = await incidentOf(id);
    expect(inc).toMatchObject({ status: 'resolved', source: 'alertmanager', groupKey: '{}:{alertname="DiskFull"}', channel: 'slack:C0ALERTS' });
    const timeline = (await redis.lrange(`${prefix}:incident:${id}:timeline`, '0', '-1')).map((j) => (JSON.parse(j) as { type: string }).type);
    expect(timeline).toEqual(['opened', 'alerts', 'alerts', 'alerts', 'resolved']);
    expect(fake.rateLimited).toBe(0);
  });

  it('a delivery recorded while no consumer ran is processed when one starts; a re-sent identical one changes nothing', async () => {
    fake = await new FakeSlackApi().start();
    prefix = uniquePrefix('inc');
    // Recorded as the intake does, with nothing consuming (the front crashed after its 202).
    const store = new DeliveryStore(testRedisUrl(), prefix, silentLogger);
    await store.ready();
    const parsed = parseNotification('alertmanager', amSample('alertmanager-group-firing-2alerts'));
    if (!parsed.ok || !('notification' in parsed)) throw new Error('sample did not parse');
    await store.record(parsed.notification);
    // The same content again past the intake's dedup (its last-delivery key expired): the consumer sees no change.
    await redis.del(`${prefix}:alerts:last:alertmanager:${parsed.notification.groupKey}`);
    const again = await store.record(parsed.notification);
    store.close();
    expect(again.recorded).toBe(true);
    await start();
    const root = await until('the incident message', () => roots()[0]);
    await until('the consumer to pass both deliveries', async () => ((await redis.get(`${prefix}:alerts:cursor`)) === (again.recorded ? again.id : '') ? true : undefined));
    await until('the first reply', () => replies(root)[0]);
    await new Promise((r) => setTimeout(r, 500));
    expect(roots()).toHaveLength(1);
    expect(replies(root)).toHaveLength(1);
    expect(root.history).toHaveLength(1);
  });
});
