/**
 * Says when Redis goes away and when it is back, once per outage, as structured log lines, instead
 * of one stack trace per connection and reconnect attempt (ioredis prints "[ioredis] Unhandled
 * error event" for a connection nobody listens to, and retries every few hundred milliseconds).
 *
 * Every connection the bot opens (lib/redis-connect.ts) is watched here. The first connection
 * error starts an outage: one `redis unreachable` line at error level. It ends when every watched
 * connection that failed is ready again: one `redis back` line with how long it lasted. Connections
 * closed on purpose in between are forgotten. One tracker per Redis address and process: the
 * outage is the server's, not a connection's.
 */
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { redisAddress } from './redis-target.js';

/** Error codes of a connection that cannot reach Redis (Node's socket errors and ioredis's own). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_SSL_WRONG_VERSION_NUMBER']);

/** True for an error that means "Redis cannot be reached right now" (decided by code, not message text). */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (err as { name?: unknown }).name === 'MaxRetriesPerRequestError';
}


export class RedisOutage {
  private readonly down = new Set<Redis>();
  private since: number | undefined;
  private errors = 0;

  constructor(
    private readonly address: string,
    private log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while an outage is going on. */
  get active(): boolean {
    return this.since !== undefined;
  }

  watch(conn: Redis, log?: Logger): void {
    // Lines go to the logger of the connection watched last (one process has one logger in practice).
    if (log) this.log = log;
    conn.on('error', (err: unknown) => this.failed(conn, err));
    conn.on('ready', () => this.ready(conn));
    conn.on('end', () => this.down.delete(conn));
  }

  private failed(conn: Redis, err: unknown): void {
    this.down.add(conn);
    this.errors++;
    if (this.since !== undefined) return;
    this.since = this.now();
    const e = err as { code?: string; message?: string };
    this.log.error({ redis: this.address, err: e.code ?? e.message ?? String(err) }, 'redis unreachable; retrying until it is back (logged once per outage)');
  }

  private ready(conn: Redis): void {
    this.down.delete(conn);
    if (this.since === undefined || this.down.size > 0) return;
    this.log.warn({ redis: this.address, downMs: this.now() - this.since, errors: this.errors }, 'redis back');
    this.since = undefined;
    this.errors = 0;
  }
}

const trackers = new Map<string, RedisOutage>();

/** The process's tracker for this Redis address. */
export function outageOf(url: string, log: Logger): RedisOutage {
  const address = redisAddress(url);
  let t = trackers.get(address);
  if (t === undefined) {
    t = new RedisOutage(address, log);
    trackers.set(address, t);
  }
  return t;
}
