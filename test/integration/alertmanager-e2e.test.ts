/**
 * The real Alertmanager (Debian's prometheus-alertmanager, on 127.0.0.1, no cluster) sends its
 * webhook to a real front: an alert posted to its API v2 fires a group, which becomes one incident
 * message in the fake Slack whose thread gets the runbook's run; ending the alert makes
 * Alertmanager send the resolved notification, and the message shows resolved. A wrong token in
 * Alertmanager's config gets its deliveries refused (401) and nothing is posted. With the front's
 * Redis down, Alertmanager gets 503 and keeps retrying; once Redis is back, its retry lands.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startPrivateRedis } from '../../src/lib/private-redis.js';
import { postAlerts, startAlertmanager, type RunningAm } from '../helpers/alertmanager.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi, type FakeMessage } from '../fakes/slack-api.js';
import { fakeSlackConfig } from '../fakes/slack-requests.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';


const FILES: Record<string, string> = {
  'workflows/disk-check.yaml': `name: disk-check
inputs:
  host: { type: string, required: true }
env:
  HOST: \${{ inputs.host }}
steps:
  - id: look
    run: echo "checked the disk of $HOST"
on:
  alert:
    matchers: ['alertname="E2EDiskFull"']
    inputs: { host: '\${{ alert.labels.instance }}' }
`,
};

jest.setTimeout(180_000);


describe('the real Alertmanager against chatops serve', () => {
  let dir: string;
  let fake: FakeSlackApi;
  let front: Front;
  let base: string;
  let worker: WorkerHandle;
  const ams: RunningAm[] = [];

  beforeAll(async () => {
    const written = await writeProject(FILES);
    dir = written.dir;
    const prefix = uniquePrefix('am-e2e');
    fake = await new FakeSlackApi().start();
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project: written.project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS' } }));
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project: written.project, log: silentLogger, concurrency: 2, secretKey: 'alerts-tests-secret-key' });
  });
  afterAll(async () => {
    for (const am of ams) await am.stop();
    await worker.close();
    await front.close();
    await fake.stop();
    removeDir(dir);
  });

  const rootOf = (title: RegExp) => fake.messages.find((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && title.test(m.text));
  const replies = (root: FakeMessage) => fake.messages.filter((m) => m.threadTs === root.ts);

  it('fires a group: one incident message, the runbook runs in its thread; resolving it resolves the message', async () => {
    const am = await startAlertmanager(`${base}/alerts/alertmanager`, 'am-token');
    ams.push(am);
    const labels = { alertname: 'E2EDiskFull', instance: 'db-7:9100', severity: 'critical' };
    await postAlerts(am, [{ labels, annotations: { summary: 'disk almost full on db-7' } }]);

    const root = await until(`the incident message (alertmanager log: ${am.log().slice(-2000)})`, () => rootOf(/^Firing: E2EDiskFull/));
    expect(root.text).toContain('1 firing, 0 resolved');
    const runHeader = await until('the run in the incident thread', () => replies(root).find((m) => /^disk-check r-[0-9a-z]{6}: succeeded/.test(m.text)));
    const runId = /r-[0-9a-z]{6}/.exec(runHeader.text)?.[0] ?? '';
    const run = await front.engine.getRun(runId);
    expect(run?.trigger).toMatchObject({ kind: 'alert', source: 'alertmanager', requester: 'alert:alertmanager' });
    expect(run?.inputs).toEqual({ host: 'db-7:9100' });

    // Prometheus ends an alert by sending it again with endsAt now; Alertmanager then notifies resolved.
    await postAlerts(am, [{ labels, annotations: { summary: 'disk almost full on db-7' }, endsAt: new Date().toISOString() }]);
    await until('the message to show resolved', () => (root.text.startsWith('Resolved: E2EDiskFull') ? true : undefined), 90_000);
    // One message for the group, however often Alertmanager sent it.
    expect(fake.messages.filter((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && /E2EDiskFull/.test(m.text))).toHaveLength(1);
  });

  it('an Alertmanager configured with a wrong token gets 401 and nothing is posted', async () => {
    const am = await startAlertmanager(`${base}/alerts/alertmanager`, 'not-the-token');
    ams.push(am);
    await postAlerts(am, [{ labels: { alertname: 'E2EWrongToken', instance: 'x' } }]);
    await until('Alertmanager to log the refused delivery', () => (/401/.test(am.log()) ? true : undefined), 60_000);
    expect(rootOf(/E2EWrongToken/)).toBeUndefined();
  });

  it('with Redis down Alertmanager gets 503 and retries; once Redis is back the incident is posted', async () => {
    const written = await writeProject(FILES);
    const redisDir = mkdtempSync(join(tmpdir(), 'chatops-am-redis-'));
    let redis = await startPrivateRedis({ dir: redisDir });
    const port = Number(new URL(redis.url).port);
    const own = await startAlertsFront({ redisUrl: redis.url, prefix: uniquePrefix('am-down'), project: written.project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0DOWN' } });
    try {
      await redis.stop();
      const am = await startAlertmanager(`${own.base}/alerts/alertmanager`, 'am-token');
      ams.push(am);
      await postAlerts(am, [{ labels: { alertname: 'E2ERedisDown', instance: 'db-9:9100' } }]);
      await until('Alertmanager to log the 503', () => (/503/.test(am.log()) ? true : undefined), 60_000);
      expect(fake.messages.some((m) => m.channel === 'C0DOWN')).toBe(false);
      redis = await startPrivateRedis({ port, dir: redisDir });
      await until('the incident message after Redis came back', () => fake.messages.find((m) => m.channel === 'C0DOWN' && m.threadTs === undefined && /^Firing: E2ERedisDown/.test(m.text)), 90_000);
    } finally {
      await own.front.close();
      await redis.stop().catch(() => undefined);
      removeDir(written.dir);
      rmSync(redisDir, { recursive: true, force: true });
    }
  });
});
