/**
 * For a command that runs once and exits (`chatops status`, `workers`, `approve`, …): makes sure
 * Redis answers within a bounded time before the command opens its real connections, which wait
 * for Redis forever (BullMQ's and the engine's, as `serve` and `worker` need them to). Without it,
 * a command typed while Redis is down hangs the terminal instead of saying so.
 */
import { Redis } from 'ioredis';
import { formatDuration } from '../workflow/duration.js';
import { waitUnlessAway } from './redis-connect.js';
import { redisAddress, redisOptionsFor } from './redis-target.js';
import { RedisUnreachableError } from './redis-unreachable.js';

/** The code of a connection error (ECONNREFUSED, …), or of an error reply seen while connecting (NOAUTH, WRONGPASS: its first word). */
function codeOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') return e.code;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const first = message.split(' ', 1)[0] ?? '';
  return /^[A-Z]+$/.test(first) ? first : message;
}

/** Resolves once a PING succeeds; throws RedisUnreachableError when none has after `withinMs`. */
export async function reachRedis(url: string, withinMs: number): Promise<void> {
  let last: unknown;
  const probe = new Redis(redisOptionsFor(url, { maxRetriesPerRequest: null, connectTimeout: withinMs }));
  probe.on('error', (err: unknown) => (last = err));
  try {
    const ping = probe.ping();
    if (!(await waitUnlessAway(ping, probe, () => true, withinMs))) {
      const code = last === undefined ? 'ETIMEDOUT' : codeOf(last);
      throw new RedisUnreachableError(`Redis unreachable at ${redisAddress(url)} (${code}); gave up after ${formatDuration(withinMs)} (CHATOPS_REDIS_TIMEOUT)`);
    }
    await ping.catch((err: unknown) => {
      // An error reply (NOAUTH, WRONGPASS): Redis's own words, which never repeat the password.
      throw new RedisUnreachableError(`Redis at ${redisAddress(url)} refused us: ${(err as Error).message}`);
    });
  } finally {
    probe.disconnect();
  }
}
