/**
 * Silences against the real Alertmanager (Debian's prometheus-alertmanager): `silence ID 1h` typed
 * by someone the policy allows creates a silence in Alertmanager's API v2 with the group's common
 * labels as matchers and the person as its author; `unsilence ID` expires it there; someone the
 * policy does not allow creates nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Front } from '../../src/server/front.js';
import type { ChatContent } from '../../src/chat/platform.js';
import { amPayload } from '../helpers/am-payload.js';
import { sendAlert } from '../helpers/alert-senders.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { startAlertmanager, type RunningAm } from '../helpers/alertmanager.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

jest.setTimeout(120_000);

const FILES: Record<string, string> = {
  'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n',
  'policy.yaml': `roles:
  oncall: { members: [slack:U0ALICE] }
  viewer: { members: [slack:U0CAROL] }
rules:
  - { commands: [ack, silence], roles: [oncall], channels: ["*"] }
`,
};

interface AmSilence {
  id: string;
  createdBy: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

describe('silences in the real Alertmanager', () => {
  let dir: string;
  let am: RunningAm;
  let front: Front;
  let base: string;
  const prefix = uniquePrefix('am-silence');
  const redis = testRedis();

  beforeAll(async () => {
    const written = await writeProject(FILES);
    dir = written.dir;
    // Its webhook goes nowhere here: the alert is delivered to the front directly.
    am = await startAlertmanager('http://127.0.0.1:9/unused', 'unused');
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project: written.project, alerts: { alertmanagerUrl: am.url } }));
  });
  afterAll(async () => {
    await front.close();
    await am.stop();
    await redis.quit();
    removeDir(dir);
  });

  const say = async (user: string, text: string): Promise<string> => {
    const res = await front.router.handleMessage({ platform: 'slack', user: { identity: `slack:${user}`, groups: [] }, channel: 'C0ALERTS', text });
    const done = res.afterAck ? await res.afterAck(async () => undefined) : res;
    return JSON.stringify([...res.replies, ...((done as { replies?: ChatContent[] }).replies ?? [])]);
  };
  const silences = async (): Promise<AmSilence[]> => (await (await fetch(`${am.url}/api/v2/silences`)).json()) as AmSilence[];

  it('creates the silence with the group labels and its author, refuses who may not, and expires it on unsilence', async () => {
    expect((await sendAlert(base, 'alertmanager', amPayload('HighErrorRate', [{ fp: 'he1', labels: { service: 'checkout' } }], { commonLabels: { alertname: 'HighErrorRate', service: 'checkout' } }), { token: 'am-token' })).status).toBe(202);
    let id = '';
    for (let i = 0; i < 300 && !id; i++) {
      id = (await redis.get(`${prefix}:incident:group:alertmanager:{}:{alertname="HighErrorRate"}`)) ?? '';
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).toMatch(/^i-[0-9a-z]{6}$/);

    expect(await say('U0CAROL', `silence ${id} 1h`)).toContain(`You may not silence ${id}`);
    expect(await silences()).toHaveLength(0);

    const said = await say('U0ALICE', `silence ${id} 1h`);
    const [silence] = (await silences()).filter((s) => s.status.state === 'active');
    expect(silence).toBeDefined();
    expect(said).toContain(silence?.id ?? 'no silence');
    expect(silence?.createdBy).toBe('slack:U0ALICE');
    expect(silence?.matchers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'alertname', value: 'HighErrorRate', isRegex: false }), expect.objectContaining({ name: 'service', value: 'checkout', isRegex: false })]));
    const length = Date.parse(silence?.endsAt ?? '') - Date.parse(silence?.startsAt ?? '');
    expect(Math.abs(length - 3_600_000)).toBeLessThan(5_000);

    await say('U0ALICE', `unsilence ${id}`);
    const after = (await silences()).find((s) => s.id === silence?.id);
    expect(after?.status.state).toBe('expired');
  });
});
