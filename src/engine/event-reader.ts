/**
 * Reading runs' event streams: one XREAD over one stream (readEvents) or many (readEventsMany).
 *
 * A blocking XREAD holds its connection, so blocking reads take a connection of their own from a
 * small pool (a few kept idle, the rest closed after use). A front that reports many runs must not
 * block once per run — that opens a connection per run and burns the CPU on connection churn — but
 * read all their streams with one blocking XREAD over many keys (readEventsMany, used by the
 * reporter's EventFeed), which holds one connection however many runs it covers.
 *
 * A blocking read can be ended early through an AbortSignal: the reader sends CLIENT UNBLOCK for
 * its connection on the shared command connection, and the XREAD returns at once with nothing.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { connectRedis } from '../lib/redis-connect.js';
import type { Keys } from './keys.js';
import { parseEvent } from './records.js';
import type { ReadEventsManyOptions, RunEvent } from './types.js';

/** Idle blocking connections kept for the next read. */
const IDLE_KEPT = 4;

type XReadReply = [string, [string, string[]][]][] | null;

export class EventReader {
  private readonly idle: Redis[] = [];
  private readonly busy = new Set<Redis>();
  private closed = false;

  constructor(
    /** The engine's command connection (non-blocking reads, CLIENT UNBLOCK). */
    private readonly redis: Redis,
    private readonly redisUrl: string,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  /** Events after each run's cursor, from one XREAD; runs without new events are left out. */
  async readMany(cursors: ReadonlyMap<string, string>, opts: ReadEventsManyOptions = {}): Promise<Map<string, RunEvent[]>> {
    const out = new Map<string, RunEvent[]>();
    if (cursors.size === 0 || opts.signal?.aborted) return out;
    const count = opts.count ?? 1000;
    const runOfKey = new Map<string, string>();
    const streams: string[] = [];
    const ids: string[] = [];
    for (const [runId, after] of cursors) {
      const key = this.keys.events(runId);
      runOfKey.set(key, runId);
      streams.push(key);
      ids.push(after || '0');
    }
    let reply: XReadReply;
    if (opts.blockMs !== undefined && opts.blockMs > 0) {
      reply = await this.blocking((conn) => conn.xread('COUNT', count, 'BLOCK', opts.blockMs ?? 0, 'STREAMS', ...streams, ...ids) as Promise<XReadReply>, opts.signal);
    } else {
      reply = (await this.redis.xread('COUNT', count, 'STREAMS', ...streams, ...ids)) as XReadReply;
    }
    for (const [key, entries] of reply ?? []) {
      const runId = runOfKey.get(key);
      if (runId === undefined) continue;
      const events: RunEvent[] = [];
      for (const [id, fields] of entries) {
        const json = fields[1];
        if (json !== undefined) events.push(parseEvent(id, json));
      }
      if (events.length > 0) out.set(runId, events);
    }
    return out;
  }

  /** Runs one blocking command on a pooled connection; the signal unblocks it. */
  private async blocking<T>(fn: (conn: Redis) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const conn = this.idle.pop() ?? this.open();
    this.busy.add(conn);
    let pending = true;
    // The connection's id, asked for right before the read on the same connection (pipelined: no
    // extra round trip), so it is the id of the connection as it is now, even after a reconnect.
    const id = signal ? (conn.client('ID') as Promise<number>).catch(() => undefined) : undefined;
    const onAbort = () => {
      void this.unblock(id, () => pending);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(conn);
    } finally {
      pending = false;
      signal?.removeEventListener('abort', onAbort);
      this.busy.delete(conn);
      if (this.closed || this.idle.length >= IDLE_KEPT) conn.disconnect();
      else this.idle.push(conn);
    }
  }

  private open(): Redis {
    // Errors surface on the command that failed; an outage is logged once (redis-outage.ts).
    return connectRedis(this.redisUrl, this.log);
  }

  /**
   * Ends a blocking read. UNBLOCK goes over another connection, so it can overtake the XREAD it is
   * meant for (it then answers 0): try again briefly while the read is still pending. Should the
   * pooled connection start another read in the instant after, that read returns early with
   * nothing, which every caller treats as "no events yet".
   */
  private async unblock(idPromise: Promise<number | undefined> | undefined, stillPending: () => boolean): Promise<void> {
    const id = await idPromise;
    if (id === undefined) return;
    for (let tries = 0; tries < 20 && stillPending(); tries++) {
      const done = (await this.redis.client('UNBLOCK', id).catch(() => 0)) as number;
      if (done === 1) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.idle, ...this.busy]) c.disconnect();
    this.idle.length = 0;
  }
}
