/**
 * Which run a Discord thread belongs to, so `/ops command:status` (and `cancel`, `transcript`)
 * typed in a run's thread applies to that run. A thread started from a message has the message's
 * id, and an interaction typed in a thread names the thread as its channel. Written when a run's
 * header is posted, before its thread is started; kept in Redis so every replica knows it.
 *
 * Keys: `{prefix}:discord:thread:{thread id}` -> run id, expiring after THREAD_TTL_SECONDS.
 */
import type { Redis } from 'ioredis';

export const THREAD_TTL_SECONDS = 30 * 24 * 3600;

export interface DiscordThreadRuns {
  remember(thread: string, runId: string): Promise<void>;
  runOf(thread: string): Promise<string | undefined>;
}

export function createDiscordThreadRuns(redis: Redis, prefix: string): DiscordThreadRuns {
  const key = (thread: string) => `${prefix}:discord:thread:${thread}`;
  return {
    async remember(thread, runId) {
      await redis.set(key(thread), runId, 'EX', THREAD_TTL_SECONDS);
    },
    async runOf(thread) {
      return (await redis.get(key(thread))) ?? undefined;
    },
  };
}
