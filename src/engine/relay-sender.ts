/**
 * The sending side of the metrics relay (observer-relay.ts). An engine event is only added to a
 * list in memory: the list goes to Redis in one command batch (one RPUSH of all its lines, LTRIM,
 * PEXPIRE) FLUSH_AFTER_MS after its first event, or at once when FLUSH_AT are waiting. One batch is
 * sent at a time; what comes meanwhile goes with the next. So a step costs the engine no Redis
 * round trip of its own, and the relay one round trip per batch.
 *
 * While Redis is away the batch being sent waits (the connection sends it again on its return)
 * and at most `max` more events wait behind it: past that the oldest are dropped (the relayed list
 * keeps only its newest `max` anyway), counted and logged. Metrics never grow memory without
 * bound nor hold up the engine. close() sends what is left (a short-lived `chatops run` loses
 * nothing) but gives up when Redis has been away for CLOSE_GRACE_MS, saying how many events were
 * not relayed.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { waitUnlessAway } from '../lib/redis-connect.js';

/** A batch is sent this long after its first event at the latest, or as soon as FLUSH_AT wait. */
const FLUSH_AFTER_MS = 25;
const FLUSH_AT = 500;
/** close() gives up once its connection has not reached Redis for this long. */
const CLOSE_GRACE_MS = 1000;

export interface RelaySenderOptions {
  redis: Redis;
  /** The relayed list (P:metrics:relay). */
  key: string;
  /** Most events waiting in memory (besides the batch being sent), and most the list keeps. */
  max: number;
  /** The list expires this long after its last write. */
  ttlMs: number;
  log: Logger;
}

export class RelaySender {
  private waiting: string[] = [];
  /** The batch being sent, and its size. */
  private sending: Promise<void> | undefined;
  private sendingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Events dropped (oldest first) since the last report of it. */
  private dropped = 0;
  private closed = false;
  /** close() gave up on Redis: the events it has not sent are counted in its warning. */
  private gaveUp = false;

  constructor(private readonly opts: RelaySenderOptions) {}

  /** Adds one event (a JSON line) to the next batch. Never waits, never throws. */
  push(line: string): void {
    if (this.closed) {
      this.opts.log.debug('an engine event after the metrics relay closed is not relayed');
      return;
    }
    if (this.waiting.length >= this.opts.max) {
      this.waiting.shift();
      if (this.dropped++ === 0) {
        this.opts.log.warn({ kept: this.opts.max }, 'metrics relay: Redis does not take engine events; dropping the oldest waiting ones');
      }
    }
    this.waiting.push(line);
    this.schedule();
  }

  /** Events held in memory: waiting, and in the batch being sent. */
  held(): number {
    return this.waiting.length + this.sendingCount;
  }

  /** Sends what is waiting, batch after batch, unless Redis stays away; later events are not relayed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gaveUp = !(await waitUnlessAway(this.sendAll(), this.opts.redis, () => true, CLOSE_GRACE_MS));
    // Given up: the batch being sent fails when its connection closes (next, in Engine.close).
    const lost = this.gaveUp ? this.held() : 0;
    if (lost > 0 || this.dropped > 0) {
      this.opts.log.warn({ lost, dropped: this.dropped }, 'metrics relay closed with engine events not relayed (Redis unreachable)');
    }
    this.waiting = [];
    this.dropped = 0;
  }

  private async sendAll(): Promise<void> {
    while (this.sending !== undefined || this.waiting.length > 0) {
      this.send();
      await this.sending;
    }
  }

  /** Sends a batch now when `FLUSH_AT` wait, else in FLUSH_AFTER_MS; nothing while one is being sent (its end calls this). */
  private schedule(): void {
    if (this.sending !== undefined || this.closed) return;
    if (this.waiting.length >= FLUSH_AT) this.send();
    else if (this.timer === undefined && this.waiting.length > 0) {
      this.timer = setTimeout(() => this.send(), FLUSH_AFTER_MS);
      this.timer.unref();
    }
  }

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending !== undefined || this.waiting.length === 0) return;
    const lines = this.waiting;
    this.waiting = [];
    const { redis, key, max, ttlMs, log } = this.opts;
    this.sendingCount = lines.length;
    this.sending = redis
      .multi()
      .rpush(key, ...lines)
      .ltrim(key, -max, -1)
      .pexpire(key, ttlMs)
      .exec()
      .then(
        (replies) => {
          const failed = replies?.find(([err]) => err !== null)?.[0];
          if (failed) throw failed;
          if (this.dropped > 0) {
            log.warn({ dropped: this.dropped }, 'metrics relay: Redis takes engine events again; some were dropped meanwhile');
            this.dropped = 0;
          }
        },
      )
      .catch((err: unknown) => {
        if (this.gaveUp) log.debug({ err: String(err), events: lines.length }, 'could not relay engine events to the metrics relay');
        else log.warn({ err: String(err), events: lines.length }, 'could not relay engine events to the metrics relay');
      })
      .finally(() => {
        this.sending = undefined;
        this.sendingCount = 0;
        this.schedule();
      });
  }
}
