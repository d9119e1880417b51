/**
 * Runbooks that start on alerts (on.alert), end to end on a real Redis: deliveries into a real
 * front with the fake Slack API and an in-process worker; runs reported in the incident's thread;
 * skips (concurrency, cooldown, delay, storm) noted there; a consumer dying between a run's start
 * and its commit neither loses nor doubles the run.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { IncidentConsumer, type IncidentChange } from '../../src/alerts/consumer.js';
import { DeliveryStore } from '../../src/alerts/delivery-store.js';
import type { TimelineEntry } from '../../src/alerts/incident.js';
import { IncidentStore } from '../../src/alerts/incident-store.js';
import { RunbookStarter } from '../../src/alerts/runbook-starter.js';
import { compileRunbooks } from '../../src/alerts/runbook-triggers.js';
import { parseNotification } from '../../src/alerts/sources/index.js';
import { createEngine, startWorker, type Engine, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi, type FakeMessage } from '../fakes/slack-api.js';
import { shown } from '../fakes/slack-front.js';
import { fakeSlackConfig } from '../fakes/slack-requests.js';
import { amPayload } from '../helpers/am-payload.js';
import { sendAlert } from '../helpers/alert-senders.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const SECRET_KEY = 'alerts-tests-secret-key';

const FILES: Record<string, string> = {
  'workflows/disk-check.yaml': `name: disk-check
inputs:
  host: { type: string, required: true }
env:
  HOST: \${{ inputs.host }}
  INC: \${{ incident.id }}
  SRC: \${{ alert.source }}
  SUMMARY: \${{ alert.annotations.summary }}
steps:
  - id: look
    run: echo "disk of $HOST (incident $INC, from $SRC) $SUMMARY"
on:
  alert:
    matchers: ['alertname="DiskFull"', 'instance=~"db-.*"']
    inputs: { host: '\${{ alert.labels.instance }}' }
`,
  'workflows/all-clear.yaml': `name: all-clear
steps:
  - id: say
    run: echo "all clear"
on:
  alert: { match: { alertname: DiskFull }, status: resolved, scope: incident }
`,
  'workflows/busy-check.yaml': `name: busy-check
concurrency: { key: busy, mode: reject }
steps:
  - id: wait
    run: sleep 2
on:
  alert: { matchers: ['alertname="Busy"'] }
`,
  'workflows/flappy-check.yaml': `name: flappy-check
steps:
  - id: a
    run: "true"
on:
  alert: { matchers: ['alertname="Flappy"'], cooldown: 1h }
`,
  'workflows/slow-check.yaml': `name: slow-check
steps:
  - id: a
    run: echo "slow checked"
on:
  alert: { matchers: ['alertname="Slow"'], delay: 1h }
`,
};

let debugDump = () => '';

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${debugDump()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

jest.setTimeout(120_000);

describe('runbooks started by alerts, reported in the incident thread', () => {
  let dir: string;
  let redis: Redis;
  let fake: FakeSlackApi;
  let front: Front;
  let base: string;
  let worker: WorkerHandle;
  const prefix = uniquePrefix('rb');

  beforeAll(async () => {
    const written = await writeProject(FILES);
    dir = written.dir;
    redis = testRedis();
    fake = await new FakeSlackApi().start();
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project: written.project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS' } }));
    debugDump = () => `\n${JSON.stringify(fake.messages.map((m) => ({ ts: m.ts, thread: m.threadTs, text: m.text.slice(0, 200) })), null, 1)}`;
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project: written.project, log: silentLogger, concurrency: 4, secretKey: SECRET_KEY });
  });
  afterAll(async () => {
    await worker.close();
    await front.close();
    await fake.stop();
    await redis.quit();
    removeDir(dir);
  });

  const rootOf = (title: RegExp) => fake.messages.find((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && title.test(m.text));
  const replies = (root: FakeMessage) => fake.messages.filter((m) => m.threadTs === root.ts);
  async function send(body: Record<string, unknown>): Promise<void> {
    const res = await sendAlert(base, 'alertmanager', body, { token: 'am-token' });
    expect(res.status).toBe(202);
  }
  async function incidentId(group: string): Promise<string> {
    return until(`the incident of ${group}`, async () => (await redis.get(`${prefix}:incident:group:alertmanager:{}:{alertname="${group}"}`)) ?? undefined);
  }
  async function timeline(id: string): Promise<TimelineEntry[]> {
    return (await redis.lrange(`${prefix}:incident:${id}:timeline`, '0', '-1')).map((j) => JSON.parse(j) as TimelineEntry);
  }
  const runIds = (entries: TimelineEntry[], workflow: string) => entries.flatMap((e) => (e.type === 'run' && e.workflow === workflow ? [e.runId] : []));

  it('starts a run per matching alert, as alert:alertmanager, with the alert context; reports it in the thread; a resolve starts the incident-scope runbook once', async () => {
    await send(
      amPayload('DiskFull', [
        { fp: 'aaa1', labels: { instance: 'db-1:9100' } },
        { fp: 'aaa2', labels: { instance: 'db-2:9100' } },
        { fp: 'aaa3', labels: { instance: 'web-1:9100' } }, // does not match instance=~"db-.*"
      ]),
    );
    const id = await incidentId('DiskFull');
    const root = await until('the incident message', () => rootOf(/^Firing: DiskFull/));
    const runs = await until('two runs', async () => {
      const ids = runIds(await timeline(id), 'disk-check');
      return ids.length === 2 ? ids : undefined;
    });
    for (const runId of runs) {
      const run = await until(`run ${runId} to succeed`, async () => {
        const r = await front.engine.getRun(runId);
        return r?.state === 'succeeded' ? r : undefined;
      });
      expect(run.trigger).toMatchObject({ kind: 'alert', source: 'alertmanager', requester: 'alert:alertmanager', channel: 'slack:C0ALERTS' });
      expect(run.inputs.host).toMatch(/^db-[12]:9100$/);
      // The header is a reply in the incident's thread, edited to its final state.
      await until(`the final header of ${runId}`, () => replies(root).find((m) => m.text.includes(runId) && /succeeded/i.test(m.text)));
    }
    const out = await until('the step output in the thread', () => replies(root).find((m) => shown(m).includes('disk of db-1:9100')));
    expect(shown(out)).toContain(`(incident ${id}, from alertmanager) DiskFull on aaa1`);
    expect(fake.messages.filter((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && m.text.includes('disk-check'))).toHaveLength(0);

    // The same group again (a repeat): nothing starts.
    await send(amPayload('DiskFull', [{ fp: 'aaa1', labels: { instance: 'db-1:9100' } }, { fp: 'aaa2', labels: { instance: 'db-2:9100' } }, { fp: 'aaa3', labels: { instance: 'web-1:9100' } }], { truncatedAlerts: 0, receiver: 'again' }));
    await send(
      amPayload('DiskFull', [
        { fp: 'aaa1', status: 'resolved', labels: { instance: 'db-1:9100' } },
        { fp: 'aaa2', status: 'resolved', labels: { instance: 'db-2:9100' } },
        { fp: 'aaa3', status: 'resolved', labels: { instance: 'web-1:9100' } },
      ]),
    );
    const clear = await until('the all-clear run', async () => runIds(await timeline(id), 'all-clear')[0]);
    await until('all-clear to succeed', async () => (await front.engine.getRun(clear))?.state === 'succeeded');
    const entries = await timeline(id);
    expect(runIds(entries, 'disk-check')).toHaveLength(2);
    expect(runIds(entries, 'all-clear')).toHaveLength(1);
    expect(fake.rateLimited).toBe(0);
  });

  it('notes in the thread a run the concurrency lock refused, and one a cooldown held back', async () => {
    await send(amPayload('Busy', [{ fp: 'b1' }, { fp: 'b2' }]));
    const busy = await incidentId('Busy');
    const busyRoot = await until('the Busy incident message', () => rootOf(/^Firing: Busy/));
    await until('one run and one skip', async () => {
      const t = await timeline(busy);
      return runIds(t, 'busy-check').length === 1 && t.some((e) => e.type === 'run-skipped') ? true : undefined;
    });
    const note = await until('the skip note', () => replies(busyRoot).find((m) => m.text.includes('busy-check not started')));
    expect(note.text).toContain('already running for "busy"');

    await send(amPayload('Flappy', [{ fp: 'f1', startsAt: '2026-12-01T10:00:00Z' }]));
    const flappy = await incidentId('Flappy');
    await until('the first flappy run', async () => runIds(await timeline(flappy), 'flappy-check').length === 1);
    await send(amPayload('Flappy', [{ fp: 'f1', status: 'resolved', startsAt: '2026-12-01T10:00:00Z' }]));
    await send(amPayload('Flappy', [{ fp: 'f1', startsAt: '2026-12-01T10:07:00Z' }]));
    const flappyRoot = await until('the Flappy incident message', () => rootOf(/Flappy/));
    const held = await until('the cooldown note', () => replies(flappyRoot).find((m) => m.text.includes('flappy-check not started')));
    expect(held.text).toContain('cooldown: it ran for this alert less than 1h ago');
    expect(runIds(await timeline(flappy), 'flappy-check')).toHaveLength(1);
  });

  it('delays a run, skips it when the alert resolved meanwhile, starts it when not', async () => {
    await send(amPayload('Slow', [{ fp: 's1' }, { fp: 's2' }]));
    const slow = await incidentId('Slow');
    const root = await until('the Slow incident message', () => rootOf(/^Firing: Slow/));
    await until('the delay notes', () => replies(root).find((m) => m.text.includes('slow-check starts in 1h unless the alert changes')));
    await send(amPayload('Slow', [{ fp: 's1', status: 'resolved' }, { fp: 's2' }]));
    await until('s1 resolved', async () => (await timeline(slow)).some((e) => e.type === 'alerts' && e.resolved.length === 1));
    // Make the hour pass: both delayed runs are due now.
    const delayed = await redis.zrange(`${prefix}:alerts:delayed`, '0', '-1');
    expect(delayed).toHaveLength(2);
    for (const m of delayed) await redis.zadd(`${prefix}:alerts:delayed`, 'XX', '0', m);
    const note = await until('the skip note', () => replies(root).find((m) => m.text.includes('slow-check not started')));
    expect(note.text).toContain('the alert resolved during the 1h delay');
    const [runId] = await until('the s2 run', async () => {
      const ids = runIds(await timeline(slow), 'slow-check');
      return ids.length > 0 ? ids : undefined;
    });
    await until('slow-check to succeed', async () => (await front.engine.getRun(runId ?? ''))?.state === 'succeeded');
    const entries = await timeline(slow);
    expect(entries.filter((e) => e.type === 'run' && e.fingerprint === 's2')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'run-skipped' && e.fingerprint === 's1')).toHaveLength(1);
    expect(await redis.zcard(`${prefix}:alerts:delayed`)).toBe(0);
  });
});

describe('a consumer dying between a run start and its commit', () => {
  it('neither loses nor doubles the run: the next pass finds it started', async () => {
    const prefix = uniquePrefix('rbcrash');
    const { dir, project } = await writeProject({ 'workflows/disk-check.yaml': FILES['workflows/disk-check.yaml'] ?? '' });
    const redis = testRedis();
    const engine: Engine = createEngine({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: SECRET_KEY });
    const store = new IncidentStore(redis, prefix);
    const starter = new RunbookStarter({ redis, store, runs: engine, runbooks: compileRunbooks(project.workflows.values()), log: silentLogger });
    let calls = 0;
    // The first pass starts the runs, then "dies" before its commit (an error the consumer retries from its cursor).
    const triggers = async (change: IncidentChange): Promise<TimelineEntry[]> => {
      const entries = await starter.onChange(change);
      if (++calls === 1) throw new Error('simulated crash after the runs started');
      return entries;
    };
    const deliveries = new DeliveryStore(testRedisUrl(), prefix, silentLogger);
    await deliveries.ready();
    const parsed = parseNotification('alertmanager', amPayload('DiskFull', [{ fp: 'c1', labels: { instance: 'db-1:9100' } }, { fp: 'c2', labels: { instance: 'db-2:9100' } }]));
    if (!parsed.ok || !('notification' in parsed)) throw new Error('payload did not parse');
    const rec = await deliveries.record(parsed.notification);
    deliveries.close();
    if (!rec.recorded) throw new Error('not recorded');
    const consumer = new IncidentConsumer({ redis, prefix, log: silentLogger, triggers, blockMs: 100 });
    try {
      consumer.start();
      await consumer.processed(rec.id);
      expect(calls).toBe(2);
      const id = (await store.idOfGroup('alertmanager', parsed.notification.groupKey)) ?? '';
      const runEntries = (await store.timeline(id)).filter((e) => e.type === 'run');
      expect(runEntries).toHaveLength(2);
      const runs = await engine.listRuns({ limit: 50 });
      expect(runs.map((r) => r.id).sort()).toEqual(runEntries.map((e) => (e.type === 'run' ? e.runId : '')).sort());
    } finally {
      await consumer.close();
      await engine.close();
      await redis.quit();
      removeDir(dir);
    }
  });
});

describe('alert storms', () => {
  it('notes in the storm incident that its runbooks did not start', async () => {
    const prefix = uniquePrefix('rbstorm');
    const { dir, project } = await writeProject({
      'workflows/any-check.yaml': `name: any-check\nsteps:\n  - id: a\n    run: "true"\non:\n  alert: { matchers: ['alertname=~"G.*"'] }\n`,
      'alerts.yaml': 'storm: { max_new_incidents_per_minute: 1 }\n',
    });
    const redis = testRedis();
    const fake = await new FakeSlackApi().start();
    const { front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS' } });
    try {
      // Three new groups: whatever minute boundary falls between them, one at least is over the cap of one per minute.
      for (const g of ['G1', 'G2', 'G3']) expect((await sendAlert(base, 'alertmanager', amPayload(g, [{ fp: `${g}-x` }]), { token: 'am-token' })).status).toBe(202);
      const storm = await until('the storm incident', async () => (await redis.get(`${prefix}:alerts:storm`)) ?? undefined);
      const root = await until('the storm message', () => fake.messages.find((m) => m.threadTs === undefined && /Alert storm/.test(m.text)));
      const note = await until('the storm note', () => fake.messages.find((m) => m.threadTs === root.ts && m.text.includes('any-check not started')));
      expect(note.text).toContain('alert storm');
      const t = (await redis.lrange(`${prefix}:incident:${storm}:timeline`, '0', '-1')).map((j) => JSON.parse(j) as TimelineEntry);
      expect(t.some((e) => e.type === 'run')).toBe(false);
    } finally {
      await front.close();
      await fake.stop();
      await redis.quit();
      removeDir(dir);
    }
  });
});
