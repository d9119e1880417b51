/**
 * The real Alertmanager (Debian's prometheus-alertmanager, on 127.0.0.1, no cluster) sends its
 * webhook to a real front: an alert posted to its API v2 fires a group, which becomes one incident
 * message in the fake Slack whose thread gets the runbook's run; ending the alert makes
 * Alertmanager send the resolved notification, and the message shows resolved. A wrong token in
 * Alertmanager's config gets its deliveries refused (401) and nothing is posted. With the front's
 * Redis down, Alertmanager gets 503 and keeps retrying; once Redis is back, its retry lands.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { freePort, startPrivateRedis } from '../../src/lib/private-redis.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi, type FakeMessage } from '../fakes/slack-api.js';
import { fakeSlackConfig } from '../fakes/slack-requests.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const ALERTMANAGER = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';

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

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface RunningAm {
  url: string;
  child: ChildProcess;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

async function startAlertmanager(webhook: string, token: string): Promise<RunningAm> {
  if (!existsSync(ALERTMANAGER)) throw new Error(`no Alertmanager at ${ALERTMANAGER}: apt-get install -y prometheus-alertmanager (.ci/run does) or set ALERTMANAGER_PATH`);
  const dir = mkdtempSync(join(tmpdir(), 'chatops-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: chatops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: chatops
    webhook_configs:
      - url: ${JSON.stringify(webhook)}
        send_resolved: true
        http_config:
          authorization:
            credentials: ${JSON.stringify(token)}
`,
  );
  const port = await freePort();
  let output = '';
  const child = spawn(ALERTMANAGER, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await until('Alertmanager to be ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, 30_000);
  return {
    url,
    child,
    dir,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts alerts to Alertmanager's API v2, as Prometheus does (endsAt in the past ends them). */
async function postAlerts(am: RunningAm, alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[]): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.map((a) => ({ startsAt: new Date(Date.now() - 60_000).toISOString(), ...a }))) });
  expect(res.status).toBe(200);
}

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
