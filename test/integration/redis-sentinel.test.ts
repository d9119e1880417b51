/**
 * Issue 14: Redis Sentinel failover during a stream of runs, with Debian's redis-sentinel (.ci/run
 * installs it when missing): one primary, one replica, three sentinels on 127.0.0.1. The engine and
 * a worker connect through REDIS_SENTINELS/REDIS_SENTINEL_NAME (ioredis's sentinel support); a
 * SENTINEL FAILOVER is asked mid-stream. Replication is asynchronous, so the last writes before the
 * switch may be lost: runs whose record vanished are counted and printed, not hidden.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { RunState } from '../../src/engine/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.js';
import { closeRedis, connectRedis } from '../../src/lib/redis-connect.js';
import { sentinelTarget } from '../../src/lib/redis-target.js';
import { cli, FINAL, harness, openHarnesses, workflowsFrom, type Harness } from '../helpers/engine-harness.js';

const QUICK = `
name: quick
steps:
  - id: a
    safe_to_retry: true
    run: echo a
  - id: b
    needs: a
    safe_to_retry: true
    run: echo b
`;

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startSentinel(dir: string, masterPort: number, i: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, `sentinel-${i}.conf`);
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor main 127.0.0.1 ${masterPort} 2`, 'sentinel down-after-milliseconds main 2000', 'sentinel failover-timeout main 10000', ''].join('\n'),
  );
  const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
  const probe = connectRedis(`redis://127.0.0.1:${port}`, silentLogger, { maxRetriesPerRequest: 0 });
  await waitUntil(`sentinel ${i} on ${port}`, async () => ((await probe.ping()) === 'PONG' ? true : undefined));
  await closeRedis(probe);
  return { port, child };
}

describe('Redis Sentinel failover during a stream of runs', () => {
  const servers: PrivateRedis[] = [];
  const sentinels: ChildProcess[] = [];
  const conns: Redis[] = [];
  let h: Harness | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'chatops-sentinel-'));

  afterAll(async () => {
    await h?.close();
    for (const c of conns) await closeRedis(c);
    for (const s of sentinels) {
      s.kill('SIGTERM');
      if (s.exitCode === null) await new Promise((r) => s.once('exit', r));
    }
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs started before, during and after a SENTINEL FAILOVER end with a final status; what replication lost is counted', async () => {
    const primary = await startPrivateRedis({ args: ['--appendonly', 'yes'] });
    servers.push(primary);
    const replica = await startPrivateRedis({ args: ['--appendonly', 'yes', '--replicaof', '127.0.0.1', String(primary.port)] });
    servers.push(replica);
    const s = [];
    for (let i = 0; i < 3; i++) {
      const started = await startSentinel(dir, primary.port, i);
      sentinels.push(started.child);
      s.push(started.port);
    }
    const sentinel = connectRedis(`redis://127.0.0.1:${s[0]}`, silentLogger);
    conns.push(sentinel);
    // The sentinels find the replica through the primary's INFO (every 10 s at first).
    await waitUntil('the sentinels to know the replica', async () => {
      const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', 'main')) as string[][];
      return replicas.some((r) => r[r.indexOf('flags') + 1] === 'slave' && r[r.indexOf('master-link-status') + 1] === 'ok') ? true : undefined;
    }, 40_000);

    const target = sentinelTarget({ REDIS_SENTINELS: s.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: 'main' }) ?? '';
    h = await harness(workflowsFrom(QUICK), { engine: { redisUrl: target }, workers: 1 });
    openHarnesses.delete(h);
    const ids: string[] = [];
    let refused = 0;
    const TOTAL = 30;
    for (let i = 0; i < TOTAL; i++) {
      if (i === 10) await sentinel.call('SENTINEL', 'FAILOVER', 'main');
      try {
        ids.push((await h.engine.startRun({ workflow: 'quick', inputs: {}, trigger: cli })).run.id);
      } catch {
        refused++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const master = await waitUntil('the replica to be the master', async () => {
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'main')) as string[];
      return addr[1] === String(replica.port) ? addr : undefined;
    });
    expect(master).toEqual(['127.0.0.1', String(replica.port)]);

    const ended = new Map<string, RunState | 'lost'>();
    const hh = h;
    const pending = async () => Promise.all(ids.filter((id) => !ended.has(id)).map(async (id) => `${id}:${JSON.stringify((await hh.engine.getRun(id))?.steps.map((x) => x.state))}`));
    await waitUntil(
      'every run to end or be known lost',
      async () => {
        for (const id of ids) {
          if (ended.has(id)) continue;
          const run = await hh.engine.getRun(id);
          if (!run) ended.set(id, 'lost');
          else if (FINAL.includes(run.state)) ended.set(id, run.state);
        }
        return ended.size === ids.length ? true : undefined;
      },
      40_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; still open: ${(await pending()).join(' ')}`);
    });
    const counts: Record<string, number> = {};
    for (const st of ended.values()) counts[st] = (counts[st] ?? 0) + 1;
    console.log(`sentinel failover: ${TOTAL} starts asked, ${ids.length} started, ${refused} refused while failing over; ends: ${JSON.stringify(counts)}`);
    expect(ids.length + refused).toBe(TOTAL);
    // Lost: started on the old primary after the replica was promoted and before the clients heard
    // of it (+switch-master), so never replicated. Measured here: 4 and 10 of 30 (one start every
    // 100 ms: a window of 0.4-1 s on this loaded machine). The bound only catches a failover that
    // loses most of the stream; every run that survived must have succeeded.
    expect(counts.lost ?? 0).toBeLessThan(ids.length / 2);
    expect((counts.succeeded ?? 0) + (counts.lost ?? 0)).toBe(ids.length);
  }, 180_000);
});
