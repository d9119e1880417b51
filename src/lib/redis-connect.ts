/**
 * Connects to REDIS_URL. When none is configured and nothing answers at the default address, but
 * `redis-server` is on PATH, starts a private one (dev mode) and says so on stderr.
 */
import { Redis } from 'ioredis';
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from './private-redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  /** Set when dev mode started a private server; stop it on exit. */
  private?: PrivateRedis;
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
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

export async function resolveRedis(configured: string | undefined, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<RedisTarget> {
  if (configured) return { url: configured };
  if (await answers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL };
  if (!(await hasRedisServer())) {
    throw new Error(`No Redis answers at ${DEFAULT_REDIS_URL} and redis-server is not on PATH. Start Redis or set REDIS_URL.`);
  }
  const server = await startPrivateRedis();
  say(`dev mode: no Redis at ${DEFAULT_REDIS_URL}, started a private redis-server at ${server.url} (state is lost on exit; set REDIS_URL to keep it)`);
  return { url: server.url, private: server };
}

/** A connection suited to BullMQ and blocking reads. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}
