/**
 * What reporters keep in Redis so any replica can drive (or take over) a run's chat messages:
 *
 *   P:report:active      zset   run ids whose messages are not final yet, by creation time
 *   P:report:run:ID      hash   target (JSON: platform, channel, requester), cursor (last event id rendered),
 *                               state (JSON PresenterState: message refs), done ("1" once final)
 *   P:report:lease:ID    string the reporter id driving the run now (PX lease, renewed)
 *
 * Exactly one reporter drives a run: it must win the lease (SET NX PX) and renew it; state is
 * saved and the run finished only by the lease holder (the scripts below check ownership).
 */
import type { Redis } from 'ioredis';
import type { ReplyTarget } from './platform.js';
import type { PresenterState } from './presenter.js';

export interface ReportTarget {
  platform: string;
  channel: string;
  /**
   * Who asked for the run and how to answer them privately (for Slack with the command's
   * response_url): where the run is reported when the bot may not post in `channel`.
   */
  requester?: ReplyTarget;
  /**
   * A Redis key holding the MessageRef (JSON) of a thread the run reports into, its header a reply
   * there (an incident's message: P:incident:ID:msg). Until the key is written the header waits.
   */
  threadKey?: string;
}

export interface StoredReport {
  target: ReportTarget;
  cursor: string;
  state: PresenterState;
  done: boolean;
}

/** KEYS[1] lease; ARGV[1] owner, ARGV[2] ttl ms. Extends the lease if still ours: 1, else 0. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** KEYS[1] lease, KEYS[2] report hash; ARGV[1] owner, ARGV[2] cursor, ARGV[3] state JSON. Saves if ours: 1, else 0. */
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'cursor', ARGV[2], 'state', ARGV[3])
return 1`;

/**
 * KEYS[1] lease, KEYS[2] report hash, KEYS[3] active zset; ARGV[1] owner, ARGV[2] run id,
 * ARGV[3] keep seconds. Marks the run's messages final, drops it from the active set and
 * releases the lease, if ours: 1, else 0.
 */
const FINISH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'done', '1')
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[1])
return 1`;

/** KEYS[1] lease; ARGV[1] owner. Releases the lease if ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Report state is kept this long after the run's messages are final (status lookups by ref). */
const KEEP_SECONDS = 7 * 24 * 3600;

export class ReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private active(): string {
    return `${this.prefix}:report:active`;
  }
  private hash(runId: string): string {
    return `${this.prefix}:report:run:${runId}`;
  }
  private lease(runId: string): string {
    return `${this.prefix}:report:lease:${runId}`;
  }

  /** Asks reporters to drive this run's messages into `target`. */
  async track(runId: string, target: ReportTarget, createdAt = Date.now()): Promise<void> {
    await this.redis
      .multi()
      .hsetnx(this.hash(runId), 'target', JSON.stringify(target))
      .hsetnx(this.hash(runId), 'cursor', '0')
      .zadd(this.active(), 'NX', String(createdAt), runId)
      .exec();
  }

  /**
   * Forgets runs tracked longer ago than `maxAgeMs` that nobody finished, e.g. runs of a terminal
   * that was closed (its `shell.<id>` platform is served by no one any more).
   */
  async dropStale(maxAgeMs: number, now = Date.now()): Promise<number> {
    return this.redis.zremrangebyscore(this.active(), '-inf', String(now - maxAgeMs));
  }

  async activeRuns(limit = 500): Promise<string[]> {
    return this.redis.zrange(this.active(), '0', String(limit - 1));
  }

  async load(runId: string): Promise<StoredReport | undefined> {
    const h = await this.redis.hgetall(this.hash(runId));
    if (!h.target) return undefined;
    return {
      target: JSON.parse(h.target) as ReportTarget,
      cursor: h.cursor ?? '0',
      state: h.state ? (JSON.parse(h.state) as PresenterState) : { replies: {}, uploaded: [] },
      done: h.done === '1',
    };
  }

  async acquire(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.lease(runId), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, this.lease(runId), owner, String(ttlMs))) === 1;
  }

  async save(runId: string, owner: string, cursor: string, state: PresenterState): Promise<boolean> {
    return Number(await this.redis.eval(SAVE, 2, this.lease(runId), this.hash(runId), owner, cursor, JSON.stringify(state))) === 1;
  }

  async finish(runId: string, owner: string): Promise<boolean> {
    return Number(await this.redis.eval(FINISH, 3, this.lease(runId), this.hash(runId), this.active(), owner, runId, String(KEEP_SECONDS))) === 1;
  }

  async release(runId: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.lease(runId), owner);
  }

  /** The reporter holding the run's lease, if any (for tests and diagnostics). */
  async leaseHolder(runId: string): Promise<string | null> {
    return this.redis.get(this.lease(runId));
  }
}
