import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PassThrough } from 'node:stream';
import { readAlertSecrets } from '../../src/alerts/auth.js';
import { createLogger } from '../../src/lib/logger.js';
import { freePort } from '../../src/lib/private-redis.js';
import type { Front } from '../../src/server/front.js';
import { amSample, grafanaBody, pagerdutyBody, sendAlert } from '../helpers/alert-senders.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const FILES = { 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n' };

async function deliveries(redis: Redis, prefix: string): Promise<{ s: string; n: Record<string, unknown> }[]> {
  const entries = await redis.xrange(`${prefix}:alerts:deliveries`, '-', '+');
  return entries.map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i] ?? ''] = fields[i + 1] ?? '';
    return { s: f.s ?? '', n: JSON.parse(f.n ?? '{}') as Record<string, unknown> };
  });
}

describe('alert intake', () => {
  let dir: string;
  let project: Awaited<ReturnType<typeof writeProject>>['project'];
  let front: Front;
  let base: string;
  let prefix: string;
  let redis: Redis;
  const extra: Front[] = [];

  beforeAll(async () => {
    ({ dir, project } = await writeProject(FILES));
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
    removeDir(dir);
  });
  beforeEach(async () => {
    prefix = uniquePrefix('alerts');
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project }));
  });
  afterEach(async () => {
    await front.close();
    for (const f of extra.splice(0)) await f.close();
  });

  it('records an Alertmanager delivery and answers 202; an identical one (repeat, HA twin) is a duplicate', async () => {
    const body = amSample('alertmanager-group-firing-2alerts');
    const r = await sendAlert(base, 'alertmanager', body, { token: 'am-token' });
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ status: 'recorded', delivery: expect.any(String) });
    const twin = await sendAlert(base, 'alertmanager', { ...body, externalURL: 'http://am-2:9093' }, { basicPassword: 'am-token-old' });
    expect(twin).toMatchObject({ status: 202, json: { status: 'duplicate' } });
    const changed = await sendAlert(base, 'alertmanager', amSample('alertmanager-group-partial-resolved'), { token: 'am-token' });
    expect(changed.json.status).toBe('recorded');
    const recorded = await deliveries(redis, prefix);
    expect(recorded.map((d) => d.s)).toEqual(['alertmanager', 'alertmanager']);
    expect(recorded[0]?.n).toMatchObject({ groupKey: '{}:{alertname="DiskFull"}' });
  });

  it('refuses bad credentials with 401 before looking at the body', async () => {
    const r = await sendAlert(base, 'alertmanager', {}, { token: 'wrong', raw: 'not json at all' });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('wrong token');
    expect((await sendAlert(base, 'generic', {}, { raw: '{' })).status).toBe(401);
    expect(await deliveries(redis, prefix)).toEqual([]);
  });

  it('answers 400 with a specific message for malformed JSON and wrong shapes, 415 for non-JSON, 413 beyond 1 MiB', async () => {
    const bad = await sendAlert(base, 'alertmanager', {}, { token: 'am-token', raw: '{"status": "firing",' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^malformed JSON/);
    const shape = await sendAlert(base, 'alertmanager', { status: 'firing', alerts: [] }, { token: 'am-token' });
    expect(shape.status).toBe(400);
    expect(shape.json.error).toMatch(/not an Alertmanager webhook payload: groupKey/);
    const form = await sendAlert(base, 'generic', {}, { token: 'am-token', raw: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const big = { ...amSample('alertmanager-firing'), padding: 'x'.repeat(1024 * 1024) };
    const tooBig = await sendAlert(base, 'alertmanager', big, { token: 'am-token' });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.error).toMatch(/1 MiB/);
    expect(await deliveries(redis, prefix)).toEqual([]);
  });

  it('checks Grafana signatures: right, rotated, wrong, stale, or the bearer token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await sendAlert(base, 'grafana', grafanaBody(), { grafanaSecret: 'grafana-secret', grafanaTimestamp: now })).status).toBe(202);
    expect((await sendAlert(base, 'grafana', grafanaBody({ fingerprint: 'b' }), { grafanaSecret: 'other', grafanaTimestamp: now })).status).toBe(401);
    const stale = await sendAlert(base, 'grafana', grafanaBody({ fingerprint: 'c' }), { grafanaSecret: 'grafana-secret', grafanaTimestamp: now - 600 });
    expect(stale).toMatchObject({ status: 401, json: { error: expect.stringMatching(/5 minutes off/) } });
    expect((await sendAlert(base, 'grafana', grafanaBody({ fingerprint: 'd' }), { grafanaSecret: 'grafana-secret' })).status).toBe(202);
    expect((await sendAlert(base, 'grafana', grafanaBody({ fingerprint: 'e' }), { token: 'am-token' })).status).toBe(202);
    expect((await deliveries(redis, prefix)).length).toBe(3);
  });

  it('checks PagerDuty signatures (any of several) and deduplicates by event id', async () => {
    const body = pagerdutyBody();
    expect((await sendAlert(base, 'pagerduty', body, { pagerdutySecrets: ['nope'] })).status).toBe(401);
    expect((await sendAlert(base, 'pagerduty', body, { pagerdutySecrets: ['nope', 'pd-secret-old'] })).json.status).toBe('recorded');
    expect((await sendAlert(base, 'pagerduty', body, { pagerdutySecrets: ['pd-secret'] })).json.status).toBe('duplicate');
    const ack = pagerdutyBody({ eventId: 'e-ack', type: 'incident.acknowledged', status: 'acknowledged' });
    expect((await sendAlert(base, 'pagerduty', ack, { pagerdutySecrets: ['pd-secret'] })).json.status).toBe('recorded');
    expect((await deliveries(redis, prefix)).length).toBe(2);
  });

  it('takes generic alerts, and a re-fire after a resolve is a new delivery', async () => {
    const firing = { status: 'firing', title: 'Checkout 5xx above 5%', dedup_key: 'checkout-5xx', labels: { service: 'checkout', severity: 'critical' }, annotations: { summary: 's' } };
    expect((await sendAlert(base, 'generic', firing, { token: 'am-token' })).json.status).toBe('recorded');
    expect((await sendAlert(base, 'generic', firing, { token: 'am-token' })).json.status).toBe('duplicate');
    expect((await sendAlert(base, 'generic', { ...firing, status: 'resolved' }, { token: 'am-token' })).json.status).toBe('recorded');
    expect((await sendAlert(base, 'generic', firing, { token: 'am-token' })).json.status).toBe('recorded');
  });

  it('answers 503 with Retry-After when overloaded (too many deliveries in flight), never 429, and records nothing', async () => {
    const busy = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, alerts: { maxInFlight: 0 } });
    extra.push(busy.front);
    const answers = await Promise.all([1, 2, 3].map(() => sendAlert(busy.base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })));
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    for (const a of answers) {
      expect(a.headers.get('retry-after')).toBe('5');
      expect(String(a.json.error)).toContain('overloaded');
    }
    expect(await deliveries(redis, prefix)).toEqual([]);
    expect(await (await fetch(`${busy.base}/metrics`)).text()).toContain('chatops_alert_deliveries_total{source="alertmanager",outcome="unavailable"} 3');
  });

  it('fails closed: with no secret set every route answers 401, and the front says at start which routes are closed', async () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const closed = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, log: createLogger('warn', sink), alerts: { secrets: readAlertSecrets({}) } });
    extra.push(closed.front);
    const warning = lines.map((l) => JSON.parse(l) as { msg: string; closed?: string[] }).find((r) => r.msg.startsWith('alert routes closed'));
    expect(warning?.closed).toEqual(['/alerts/alertmanager', '/alerts/grafana', '/alerts/pagerduty', '/alerts/generic']);
    for (const source of ['alertmanager', 'grafana', 'pagerduty', 'generic']) {
      const res = await sendAlert(closed.base, source, amSample('alertmanager-firing'), { token: 'am-token', pagerdutySecrets: ['pd-secret'], grafanaSecret: 'grafana-secret' });
      expect([source, res.status]).toEqual([source, 401]);
    }
    expect(await deliveries(redis, prefix)).toEqual([]);
  });

  it('two fronts on one Redis record a group once between them', async () => {
    const second = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project });
    extra.push(second.front);
    const body = amSample('alertmanager-group-firing-2alerts');
    const answers = await Promise.all([sendAlert(base, 'alertmanager', body, { token: 'am-token' }), sendAlert(second.base, 'alertmanager', body, { token: 'am-token' })]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    expect(answers.map((a) => a.json.status).sort()).toEqual(['duplicate', 'recorded']);
    expect((await deliveries(redis, prefix)).length).toBe(1);
  });
});

describe('alert intake with Redis stopped', () => {
  let server: ChildProcess | undefined;
  let dataDir: string;
  afterEach(() => {
    server?.kill('SIGKILL');
    if (dataDir) removeDir(dataDir);
  });

  async function startRedis(port: number): Promise<ChildProcess> {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir], { stdio: 'ignore' });
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect().catch(() => undefined);
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    probe.disconnect();
    return child;
  }

  it('answers 503 with Retry-After while Redis is down, never 2xx or 429, and the retry lands once it is back', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chatops-alerts-redis-'));
    const port = await freePort();
    server = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const { dir, project } = await writeProject(FILES);
    const prefix = uniquePrefix('alerts-down');
    const { front, base } = await startAlertsFront({ redisUrl: url, prefix, project });
    try {
      const body = amSample('alertmanager-firing');
      const stopped = server;
      await new Promise<void>((resolve) => {
        stopped.once('exit', () => resolve());
        stopped.kill('SIGKILL');
      });
      const down = await sendAlert(base, 'alertmanager', body, { token: 'am-token' });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.json.error).toMatch(/not recorded/);
      server = await startRedis(port);
      // Alertmanager retries with backoff: so do we, a bounded number of times.
      let retry = down;
      for (let i = 0; i < 50 && retry.status !== 202; i++) {
        await new Promise((r) => setTimeout(r, 200));
        retry = await sendAlert(base, 'alertmanager', body, { token: 'am-token' });
        expect([202, 503]).toContain(retry.status);
      }
      expect(retry.json.status).toBe('recorded');
      const check = new Redis(url);
      expect(await check.xlen(`${prefix}:alerts:deliveries`)).toBe(1);
      check.disconnect();
    } finally {
      await front.close();
      removeDir(dir);
    }
  });
});
