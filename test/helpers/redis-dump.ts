/** For "never written to Redis" checks: which keys hold a text, in their name or content, whatever their type. */
import type { Redis } from 'ioredis';

async function dump(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  if (type === 'string') return (await redis.getBuffer(key))?.toString('latin1') ?? '';
  if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
  if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
  if (type === 'set') return JSON.stringify(await redis.smembers(key));
  if (type === 'zset') return JSON.stringify(await redis.zrange(key, '0', '-1'));
  if (type === 'stream') return JSON.stringify(await redis.xrange(key, '-', '+'));
  return '';
}

/** `type key` of every key matching `match` (default: all keys of the server) that holds one of `needles`. */
export async function keysHolding(redis: Redis, needles: string[], match = '*'): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const text = (await dump(redis, key)) + key;
      if (needles.some((n) => text.includes(n))) found.push(`${await redis.type(key)} ${key}`);
    }
  } while (cursor !== '0');
  return found;
}
