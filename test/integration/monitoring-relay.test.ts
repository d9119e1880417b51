/**
 * The metrics relay's sending side (src/engine/relay-sender.ts) on real Redis servers: the engine
 * events of a process nobody scrapes reach Redis in a few batches, not one write each (RPUSHes
 * counted with MONITOR); closing the engine sends what still waits; with Redis away, the events
 * held in memory stay within the bound (the oldest dropped, counted in a warning), closing does
 * not wait for Redis, and the newest events are relayed once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createEngine } from '../../src/engine/index.js';
import { Keys } from '../../src/engine/keys.js';
import { EventRelay } from '../../src/engine/observer-relay.js';
import type { EngineObserver } from '../../src/engine/observer.js';
import { RelaySender } from '../../src/engine/relay-sender.js';
import { silentLogger } from '../../src/lib/logger.js';
import { closeRedis, connectRedis } from '../../src/lib/redis-connect.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.js';
import { capturingLogger } from '../helpers/log-lines.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const line = (n: number) => JSON.stringify(['runStarted', `wf-${n}`, 'cli']);
const relayKey = () => new Keys(uniquePrefix('relay')).metricsRelay;

let redis: Redis;
beforeAll(() => {
  redis = testRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe('the metrics relay sender', () => {
  it('writes 2,000 events in a few RPUSHes, every one of them, in order', async () => {
    const key = relayKey();
    const monitor = await redis.monitor();
    /** The number of values of each RPUSH to the relay's list. */
    const rpushes: number[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'rpush' && args[1] === key) rpushes.push(args.length - 2);
    });
    const conn = connectRedis(testRedisUrl(), silentLogger);
    await conn.ping();
    const relay = new EventRelay(conn, key, silentLogger);
    const observer = relay.sender();
    for (let n = 0; n < 2000; n++) observer.runStarted(`wf-${n}`, 'cli');
    await relay.close();
    await until('MONITOR to show the relayed events', () => rpushes.reduce((a, b) => a + b, 0) === 2000);
    await closeRedis(conn);
    monitor.disconnect();
    // One write per event was 2,000 RPUSHes.
    expect(rpushes.length).toBeLessThanOrEqual(5);
    expect(await redis.lrange(key, 0, -1)).toEqual(Array.from({ length: 2000 }, (_, n) => line(n)));
  });

  it('is flushed by the engine closing: events of the last moment are not lost', async () => {
    const prefix = uniquePrefix('relay');
    const engine = createEngine({ redisUrl: testRedisUrl(), prefix, project: { workflows: new Map() }, log: silentLogger, secretKey: 'relay-tests-secret-key', relayEvents: true });
    engine.observer.runStarted('deploy', 'cli');
    engine.observer.stepFinished('deploy', 'run', 'succeeded', undefined);
    engine.observer.runFinished('deploy', 'cli', 'succeeded', 1.5);
    await engine.close();
    const told: unknown[][] = [];
    const recorder = new Proxy({}, { get: (_t, method: string) => (...args: unknown[]) => told.push([method, ...args]) }) as EngineObserver;
    const reader = new EventRelay(redis, new Keys(prefix).metricsRelay, silentLogger);
    expect(await reader.drainInto(recorder)).toBe(3);
    expect(told).toEqual([
      ['runStarted', 'deploy', 'cli'],
      ['stepFinished', 'deploy', 'run', 'succeeded', undefined],
      ['runFinished', 'deploy', 'cli', 'succeeded', 1.5],
    ]);
  });

  describe('with Redis away', () => {
    let port: number;
    let server: PrivateRedis | undefined;
    beforeAll(async () => {
      port = await freePort();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('closes without waiting for it, saying how many events were not relayed', async () => {
      const conn = connectRedis(`redis://127.0.0.1:${port}`, silentLogger);
      const { log, lines } = capturingLogger();
      const sender = new RelaySender({ redis: conn, key: relayKey(), max: 100, ttlMs: 60_000, log });
      for (let n = 0; n < 10; n++) sender.push(line(n));
      await sender.close();
      expect(lines.find((l) => l.msg?.startsWith('metrics relay closed'))).toMatchObject({ lost: 10, dropped: 0 });
      await closeRedis(conn);
    });

    it('holds at most its bound, dropping the oldest, and relays the newest once Redis is back', async () => {
      const key = relayKey();
      const conn = connectRedis(`redis://127.0.0.1:${port}`, silentLogger);
      const { log, lines } = capturingLogger();
      const sender = new RelaySender({ redis: conn, key, max: 100, ttlMs: 60_000, log });
      let most = 0;
      for (let wave = 0; wave < 10; wave++) {
        for (let n = wave * 1000; n < (wave + 1) * 1000; n++) {
          sender.push(line(n));
          most = Math.max(most, sender.held());
        }
        // Lets its timer fire: a batch goes to the connection, which keeps it until Redis is back.
        await new Promise((r) => setTimeout(r, 50));
      }
      // The bound, and the batch being sent.
      expect(most).toBeLessThanOrEqual(200);
      expect(lines.filter((l) => l.msg?.includes('dropping the oldest'))).toHaveLength(1);

      server = await startPrivateRedis({ port });
      await until('the waiting events to be relayed', () => sender.held() === 0);
      await sender.close();
      const back = lines.find((l) => l.msg?.includes('takes engine events again'));
      // 10,000 pushed: the first batch (100) went to the connection, the newest 100 waited.
      expect(back?.dropped).toBe(10_000 - 200);
      const list = await conn.lrange(key, 0, -1);
      expect(list).toEqual(Array.from({ length: 100 }, (_, i) => line(9900 + i)));
      await closeRedis(conn);
    }, 60_000);
  });
});
