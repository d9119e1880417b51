/**
 * What `chatops serve` and `chatops worker` check of their Redis before they start, because BullMQ
 * and the engine need it and a misconfigured Redis fails later, quietly:
 * - `maxmemory-policy` must be `noeviction`: any other policy lets Redis drop keys under memory
 *   pressure (a job, a run record, a lock) and runs hang or run twice. Refused, naming the fix.
 * - persistence (AOF or RDB snapshots) should be on, or a Redis restart loses every run: a warning,
 *   not in dev mode (a private redis-server started by the CLI keeps nothing on purpose).
 * Managed Redis often disables CONFIG or an ACL denies it: then the check says it could not look
 * and the process starts; the operator is told what to make sure of.
 */
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis } from './redis-connect.js';
import type { Logger } from './logger.js';
import { isConnectionError } from './redis-outage.js';

export class RedisConfigError extends Error {
  readonly code = 'E_REDIS_EVICTION';
}

export interface PreflightResult {
  /** What was found wrong but does not stop the process, one sentence each. */
  warnings: string[];
  /** What could not be checked (CONFIG refused), one sentence each. */
  unchecked: string[];
}

/** CONFIG GET of one setting: its value, or the server's refusal. */
async function configGet(conn: Redis, name: string): Promise<{ value: string } | { refused: string }> {
  try {
    const reply = (await conn.call('CONFIG', 'GET', name)) as string[];
    return { value: reply[1] ?? '' };
  } catch (err) {
    return { refused: (err as Error).message };
  }
}

/** Checks an open connection; throws RedisConfigError when Redis may evict keys. */
export async function checkRedisConfig(conn: Redis, opts: { devMode: boolean }): Promise<PreflightResult> {
  const warnings: string[] = [];
  const unchecked: string[] = [];
  const policy = await configGet(conn, 'maxmemory-policy');
  if ('refused' in policy) {
    unchecked.push(`could not check maxmemory-policy (CONFIG GET was refused: ${policy.refused}); make sure it is noeviction, or Redis may drop queued jobs and run records under memory pressure`);
  } else if (policy.value !== 'noeviction') {
    throw new RedisConfigError(
      `E_REDIS_EVICTION: Redis has maxmemory-policy ${policy.value}, so it may evict keys (queued steps, run records, locks) when memory is full. BullMQ needs noeviction: set \`maxmemory-policy noeviction\` in redis.conf (or run \`redis-cli CONFIG SET maxmemory-policy noeviction\` and CONFIG REWRITE), then start again`,
    );
  }
  if (!opts.devMode) {
    const [aof, save] = await Promise.all([configGet(conn, 'appendonly'), configGet(conn, 'save')]);
    if ('refused' in aof || 'refused' in save) unchecked.push('could not check persistence (CONFIG GET was refused); make sure AOF (appendonly yes) or RDB snapshots are on, or a Redis restart loses every run');
    else if (aof.value !== 'yes' && save.value.trim() === '') warnings.push('Redis persistence is off (appendonly no and no RDB save points): a Redis restart loses every run, approval and queued step. Turn on AOF: `appendonly yes` in redis.conf');
  }
  return { warnings, unchecked };
}

/** Opens a short-lived connection, checks, logs what it found; throws RedisConfigError to refuse. */
export async function preflightRedis(url: string, log: Logger, opts: { devMode: boolean }): Promise<PreflightResult> {
  const conn = connectRedis(url, log, { maxRetriesPerRequest: 3 });
  try {
    let result: PreflightResult;
    try {
      result = await checkRedisConfig(conn, opts);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      // Not reachable now: the process starts and waits for it (readyz says not ready meanwhile).
      result = { warnings: [], unchecked: ['could not check the Redis settings (maxmemory-policy noeviction, persistence): Redis is not reachable now'] };
    }
    for (const w of result.warnings) log.warn({ check: 'redis' }, w);
    for (const u of result.unchecked) log.warn({ check: 'redis' }, u);
    return result;
  } finally {
    await closeRedis(conn);
  }
}
