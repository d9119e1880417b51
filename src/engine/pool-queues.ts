/**
 * The BullMQ queues an engine adds jobs to: one per worker pool (`steps` for the default pool,
 * `steps-POOL` for the others, made on first use) and `timers` for workflow timeouts, which every
 * worker serves whatever its pools, so a run times out even when its pool has no worker.
 *
 * It also answers "is anyone serving this pool?" before step jobs are added, so a step whose pool
 * has no live worker says so in chat instead of waiting silently. A live pool is remembered for a
 * heartbeat's time (workers beat every 2 s and count as live for 10 s), so the common case costs
 * no round trip per step; a pool found empty is asked again every time.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { isConnectionError } from '../lib/redis-outage.js';
import { queueName, TIMER_QUEUE_NAME, type Keys } from './keys.js';
import { livePoolWorkers } from './worker-registry.js';

const LIVE_CACHE_MS = 2_000;

export class PoolQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly liveAt = new Map<string, number>();
  readonly timers: Queue;

  constructor(
    private readonly connection: Redis,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {
    this.timers = this.make(TIMER_QUEUE_NAME);
  }

  /** The queue of a pool's step jobs. */
  queue(pool: string): Queue {
    let q = this.queues.get(pool);
    if (q === undefined) {
      q = this.make(queueName(pool));
      this.queues.set(pool, q);
    }
    return q;
  }

  /** Whether some worker serving the pool beat lately. */
  async hasWorker(pool: string): Promise<boolean> {
    const now = Date.now();
    if (now - (this.liveAt.get(pool) ?? 0) < LIVE_CACHE_MS) return true;
    const live = (await livePoolWorkers(this.redis, this.keys, pool, now)) > 0;
    if (live) this.liveAt.set(pool, now);
    return live;
  }

  private make(name: string): Queue {
    // BullMQ's shared events stream is not ours to read (each run has its own): keep it tiny.
    const q = new Queue(name, { connection: this.connection, prefix: this.keys.queuePrefix, streams: { events: { maxLen: 100 } } });
    // Connection errors are the outage's, logged once (redis-outage.ts); others are worth a line.
    q.on('error', (err) => {
      if (!isConnectionError(err)) this.log.warn({ err: err.message, queue: name }, 'queue error');
    });
    return q;
  }

  all(): Queue[] {
    return [...this.queues.values(), this.timers];
  }
}
