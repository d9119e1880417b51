/**
 * Connects to REDIS_URL (or the sentinels of REDIS_SENTINELS: redis-target.ts). When none is
 * configured and nothing answers at the default address, but `redis-server` is on PATH, starts a
 * private one (dev mode) and says so on stderr.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { redisOptionsFor, sentinelTarget, type RedisSettings } from './redis-target.js';
import type { Logger } from './logger.js';
import { outageOf } from './redis-outage.js';
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from './private-redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  /** Set when dev mode started a private server; stop it on exit. */
  private?: PrivateRedis;
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(redisOptionsFor(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 }));
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** `configured`: REDIS_URL, or the environment's Redis settings (REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_NAME). */
export async function resolveRedis(configured: string | RedisSettings | undefined, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<RedisTarget> {
  const settings: RedisSettings = typeof configured === 'string' ? { REDIS_URL: configured } : (configured ?? {});
  const sentinel = sentinelTarget(settings);
  if (sentinel) return { url: sentinel };
  if (settings.REDIS_URL) return { url: settings.REDIS_URL };
  if (await answers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL };
  if (!(await hasRedisServer())) {
    throw new Error(`No Redis answers at ${DEFAULT_REDIS_URL} and redis-server is not on PATH. Start Redis or set REDIS_URL.`);
  }
  const server = await startPrivateRedis();
  say(`dev mode: no Redis at ${DEFAULT_REDIS_URL}, started a private redis-server at ${server.url} (state is lost on exit; set REDIS_URL to keep it)`);
  return { url: server.url, private: server };
}

/**
 * A connection to the bot's Redis, suited to BullMQ and blocking reads by default (commands wait
 * while Redis is away). Every connection of the bot is opened here so that its errors are watched:
 * an outage is logged once (redis-outage.ts), never as a stack trace per reconnect attempt.
 */
export function connectRedis(url: string, log: Logger, options: RedisOptions = {}): Redis {
  // READONLY: the server we talk to was turned into a replica (a failover): reconnect (to the new
  // master, through the sentinels) and send the command again. The error code is the reply's first word.
  const reconnectOnError = (err: Error) => (err.message.split(' ', 1)[0] === 'READONLY' ? 2 : false);
  const conn = new Redis(redisOptionsFor(url, { maxRetriesPerRequest: null, enableReadyCheck: true, reconnectOnError, ...options }));
  outageOf(url, log).watch(conn, log);
  return conn;
}

/**
 * Closes a connection without waiting on a Redis that is away: QUIT when connected (bounded by
 * `timeoutMs`), else (or then) a plain disconnect. Never throws.
 */
export async function closeRedis(conn: Redis, timeoutMs = 1000): Promise<void> {
  if (conn.status === 'end') return;
  if (conn.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([conn.quit().then(() => undefined, () => undefined), timeout]);
    clearTimeout(timer);
  }
  conn.disconnect();
}

/**
 * Waits for `p` (a close that talks to Redis), but gives up while `conn` cannot reach Redis and
 * `idle()` says nothing is left that needs it (checked every 200 ms), once that has lasted
 * `graceMs` (a connection still being opened is not ready either). True when `p` settled.
 * Rejections of `p` are swallowed: a close that fails has still ended.
 */
export async function waitUnlessAway(p: Promise<unknown>, conn: Redis, idle: () => boolean = () => true, graceMs = 0): Promise<boolean> {
  let settled = false;
  const done = p.then(
    () => (settled = true),
    () => (settled = true),
  );
  let awaySince: number | undefined;
  while (!settled) {
    if (conn.status !== 'ready' && idle()) {
      awaySince ??= Date.now();
      if (Date.now() - awaySince >= graceMs) return false;
    } else awaySince = undefined;
    await Promise.race([done, new Promise((r) => setTimeout(r, 200))]);
  }
  return true;
}
