/**
 * Workers announce themselves in Redis so fronts can tell who runs what: each heartbeat rewrites
 * the worker's announcement (P:worker:ID, expiring when the beats stop) and its score in P:workers
 * and in P:pool:POOL for each pool it serves. A pool is live while one of its workers beat within
 * WORKER_ALIVE_MS; entries older than a minute are dropped by the beating workers.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** A worker counts as running while its last heartbeat is younger than this. */
export const WORKER_ALIVE_MS = 10_000;
const FORGET_AFTER_MS = 60_000;

/** A step a worker is running now. */
export interface HeldStep {
  runId: string;
  stepId: string;
  attempt: number;
  startedAt: number;
}

/** What a worker says of itself (`chatops workers`). */
export interface WorkerInfo {
  id: string;
  pools: string[];
  /** Steps run at once, per pool served. */
  concurrency: number;
  /** The bot's version (package.json). */
  version: string;
  /** The project version in force in this worker (src/reload/: sha256 of its files); absent from older workers. */
  project?: string;
  host: string;
  pid: number;
  startedAt: number;
  /** When this announcement was written (the last heartbeat). */
  beatAt: number;
  held: HeldStep[];
}

/** Writes one heartbeat: the announcement (expiring after the alive window) and the liveness scores. */
export async function announce(redis: Redis, keys: Keys, info: WorkerInfo): Promise<void> {
  const now = info.beatAt;
  const multi = redis.multi();
  multi.set(keys.worker(info.id), JSON.stringify(info), 'PX', WORKER_ALIVE_MS);
  multi.zadd(keys.workers, now, info.id).zremrangebyscore(keys.workers, '-inf', now - FORGET_AFTER_MS);
  for (const pool of info.pools) multi.zadd(keys.pool(pool), now, info.id).zremrangebyscore(keys.pool(pool), '-inf', now - FORGET_AFTER_MS);
  await multi.exec();
}

/** A stopping worker leaves at once instead of waiting for its heartbeat to age. */
export async function withdraw(redis: Redis, keys: Keys, id: string, pools: readonly string[]): Promise<void> {
  const multi = redis.multi().del(keys.worker(id)).zrem(keys.workers, id);
  for (const pool of pools) multi.zrem(keys.pool(pool), id);
  await multi.exec();
}

/** How many workers serving the pool beat within the alive window. */
export async function livePoolWorkers(redis: Redis, keys: Keys, pool: string, now = Date.now()): Promise<number> {
  return redis.zcount(keys.pool(pool), now - WORKER_ALIVE_MS, '+inf');
}

/** The live workers' announcements, oldest first. */
export async function listWorkers(redis: Redis, keys: Keys, now = Date.now()): Promise<WorkerInfo[]> {
  const ids = await redis.zrangebyscore(keys.workers, now - WORKER_ALIVE_MS, '+inf');
  if (ids.length === 0) return [];
  const raw = await redis.mget(ids.map((id) => keys.worker(id)));
  const out: WorkerInfo[] = [];
  for (const text of raw) {
    if (text === null) continue;
    try {
      out.push(JSON.parse(text) as WorkerInfo);
    } catch {
      // An announcement we cannot read (a newer or older version's) is left out, not fatal.
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
}
