/**
 * `chatops alert fire` as a child process against a running front: the alert goes through the
 * generic route (token, parsing, recording) and becomes an incident; resolving it resolves the
 * incident; bad arguments, a missing token and a wrong token are refused with a clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Incident } from '../../src/alerts/incident.js';
import type { Front } from '../../src/server/front.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { runChatops } from '../helpers/cli-child.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

describe('chatops alert fire', () => {
  let dir: string;
  let front: Front;
  let redis: Redis;
  const prefix = uniquePrefix('alert-fire');

  beforeAll(async () => {
    const written = await writeProject({ 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n' });
    dir = written.dir;
    ({ front } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project: written.project }));
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await front.close();
    redis.disconnect();
    removeDir(dir);
  });

  async function incident(): Promise<Incident | undefined> {
    const ids = await redis.zrange(`${prefix}:incidents`, '0', '-1');
    const json = ids[0] ? await redis.get(`${prefix}:incident:${ids[0]}`) : null;
    return json ? (JSON.parse(json) as Incident) : undefined;
  }
  async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const v = await fn();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('fires and resolves through the generic route; refuses bad arguments and tokens', async () => {
    const env = { ALERT_TOKEN: 'am-token', PORT: String(front.port) };
    const fired = await runChatops(['alert', 'fire', 'DiskFull', 'instance=db-1', 'severity=critical'], env);
    expect(fired.stderr).toBe('');
    expect(fired.code).toBe(0);
    expect(fired.stdout).toContain('DiskFull fired');
    const open = await until('the incident', async () => ((await incident())?.status === 'firing' ? incident() : undefined));
    expect(open?.title).toBe('DiskFull');
    expect(Object.values(open?.alerts ?? {})[0]?.labels).toEqual({ alertname: 'DiskFull', instance: 'db-1', severity: 'critical' });

    const resolved = await runChatops(['alert', 'fire', 'DiskFull', 'instance=db-1', 'severity=critical', '--resolve'], env);
    expect(resolved.code).toBe(0);
    await until('the incident resolved', async () => ((await incident())?.status === 'resolved' ? true : undefined));

    const bad = await runChatops(['alert', 'fire', 'DiskFull', 'not a label'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not a label" is not label=value');
    const noToken = await runChatops(['alert', 'fire', 'DiskFull'], { PORT: String(front.port), ALERT_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('set ALERT_TOKEN');
    const wrong = await runChatops(['alert', 'fire', 'DiskFull'], { PORT: String(front.port), ALERT_TOKEN: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('answered 401');
  }, 120_000);
});
