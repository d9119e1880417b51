/** `chatops incidents` and `chatops incident ID` as child processes, on incidents recorded in a real Redis. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Incident, TimelineEntry } from '../../src/alerts/incident.js';
import { spawnCli } from '../helpers/cli-child.js';
import { removeDir, writeProject } from '../helpers/alerts-front.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const prefix = uniquePrefix('cliinc');
const at = Date.parse('2026-12-01T10:00:00Z');

function incident(id: string, title: string, status: 'firing' | 'resolved'): Incident {
  return {
    id,
    source: 'alertmanager',
    groupKey: `{}:{alertname="${title}"}`,
    status,
    channel: 'slack:C0ALERTS',
    title,
    severity: 'critical',
    summary: `${title} summary`,
    commonLabels: { alertname: title },
    links: [],
    alerts: {
      a1: { fingerprint: 'a1', status: 'firing', labels: { alertname: title, instance: 'db-1' }, annotations: {}, firstSeen: at, changedAt: at },
      a2: { fingerprint: 'a2', status: 'resolved', labels: { alertname: title, instance: 'db-2' }, annotations: {}, firstSeen: at, changedAt: at },
    },
    truncated: 0,
    openedAt: at,
    lastSeenAt: at + 60_000,
    reopened: 0,
    version: 2,
  };
}

async function run(args: string[], dir: string): Promise<{ code: number | null; out: string }> {
  const cli = spawnCli(args, { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, LOG_LEVEL: 'warn' });
  const { code } = await cli.exited;
  return { code, out: cli.out() };
}

describe('chatops incidents / incident', () => {
  let redis: Redis;
  let dir: string;
  beforeAll(async () => {
    redis = testRedis();
    ({ dir } = await writeProject({ 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n' }));
    const timeline: TimelineEntry[] = [
      { at, type: 'opened', delivery: '1-0' },
      { at, type: 'run', runId: 'r-gone00', workflow: 'disk-check', fingerprint: 'a1' },
      { at, type: 'run-skipped', workflow: 'flappy-check', fingerprint: 'a2', reason: 'cooldown: it ran for this alert less than 1h ago' },
    ];
    for (const [inc, score] of [
      [incident('i-aaaaaa', 'DiskFull', 'firing'), 2],
      [incident('i-bbbbbb', 'Busy', 'resolved'), 1],
    ] as const) {
      await redis.set(`${prefix}:incident:${inc.id}`, JSON.stringify(inc));
      await redis.zadd(`${prefix}:incidents`, score, inc.id);
    }
    await redis.rpush(`${prefix}:incident:i-aaaaaa:timeline`, ...timeline.map((e) => JSON.stringify(e)));
  });
  afterAll(async () => {
    await redis.quit();
    removeDir(dir);
  });

  it('lists recent incidents, the latest change first', async () => {
    const { code, out } = await run(['incidents'], dir);
    expect(code).toBe(0);
    const lines = out.split('\n').filter((l) => l.startsWith('i-'));
    expect(lines).toEqual([
      'i-aaaaaa  firing    1 firing, 1 resolved    2026-12-01 10:00 UTC  alertmanager  DiskFull',
      'i-bbbbbb  resolved  1 firing, 1 resolved    2026-12-01 10:00 UTC  alertmanager  Busy',
    ]);
  }, 60_000);

  it('shows one with its alerts and runs; an unknown id exits 2', async () => {
    const { code, out } = await run(['incident', 'i-aaaaaa'], dir);
    expect(code).toBe(0);
    expect(out).toContain('i-aaaaaa: Firing: DiskFull');
    expect(out).toContain('  firing   DiskFull  instance=db-1');
    expect(out).toContain('  resolved DiskFull  instance=db-2');
    expect(out).toContain('  r-gone00  disk-check  expired  started 2026-12-01 10:00 UTC by the alert');
    expect(out).toContain('  not started: flappy-check: cooldown: it ran for this alert less than 1h ago');
    const missing = await run(['incident', 'i-zzzzzz'], dir);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('no incident i-zzzzzz');
  }, 60_000);
});
