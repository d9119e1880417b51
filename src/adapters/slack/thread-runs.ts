/**
 * Which run a Slack thread belongs to, so `status`, `cancel` and `transcript` typed in a run's
 * thread apply to that run. Written when a run's header (the thread root) is posted; kept in Redis
 * so every replica knows it.
 *
 * Keys: `{prefix}:slack:thread:{channel}:{ts}` -> run id, expiring after THREAD_TTL_SECONDS.
 */
import type { Redis } from 'ioredis';

export const THREAD_TTL_SECONDS = 30 * 24 * 3600;

export interface ThreadRuns {
  remember(channel: string, ts: string, runId: string): Promise<void>;
  runOf(channel: string, ts: string): Promise<string | undefined>;
}

export function createThreadRuns(redis: Redis, prefix: string): ThreadRuns {
  const key = (channel: string, ts: string) => `${prefix}:slack:thread:${channel}:${ts}`;
  return {
    async remember(channel, ts, runId) {
      await redis.set(key(channel, ts), runId, 'EX', THREAD_TTL_SECONDS);
    },
    async runOf(channel, ts) {
      return (await redis.get(key(channel, ts))) ?? undefined;
    },
  };
}
