/**
 * The engine's events of a process that serves no /metrics (`chatops run`, `cancel`, `approve`,
 * `deny`, the shell, a worker without CHATOPS_WORKER_PORT), handed on through Redis to one that does.
 * The sender pushes each event to the list `P:metrics:relay`; a scraped front or worker takes what
 * is pending (LPOP: each event is taken once) and counts it as its own (src/server/engine-metrics.ts).
 * So a run started from a terminal counts on /metrics like a chat one, and the sum over every
 * scraped process still counts each event once. The sender pushes in batches, not an event at a
 * time (relay-sender.ts): a step costs the engine no Redis round trip of its own. The list keeps
 * the newest RELAY_MAX events and expires a day after its last write: with nobody scraping, it
 * costs nothing lasting.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { EngineObserver } from './observer.js';
import { RelaySender } from './relay-sender.js';

export const RELAY_MAX = 10_000;
const RELAY_TTL_MS = 24 * 3_600_000;
const TAKE_BATCH = 500;
/** At most this many events are taken per scrape (the rest wait for the next one). */
const TAKE_MAX = RELAY_MAX;

type Method = keyof EngineObserver;
const METHODS: readonly Method[] = ['runStarted', 'runFinished', 'concurrencyWait', 'stepStarted', 'stepFinished', 'stepRetried', 'approvalSettled', 'jobStalled'];

export class EventRelay {
  private sending: RelaySender | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly log: Logger,
  ) {}

  /** An observer that relays every event (fire and forget: a lost figure never fails a run). */
  sender(): EngineObserver {
    this.sending ??= new RelaySender({ redis: this.redis, key: this.key, max: RELAY_MAX, ttlMs: RELAY_TTL_MS, log: this.log });
    const batches = this.sending;
    // undefined (a step that never started has no duration) travels as null.
    const push = (method: Method, args: unknown[]) => batches.push(JSON.stringify([method, ...args.map((a) => a ?? null)]));
    return Object.fromEntries(METHODS.map((m) => [m, (...args: unknown[]) => push(m, args)])) as unknown as EngineObserver;
  }

  /** Sends the sender's pending events (before its connection closes); gives up when Redis is away. */
  async close(): Promise<void> {
    await this.sending?.close();
  }

  /** Whether its connection can take events now (a scrape never waits on a Redis that is away). */
  ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Takes the pending events and tells them to `observer`; resolves with how many. */
  async drainInto(observer: EngineObserver): Promise<number> {
    let told = 0;
    for (let taken = 0; taken < TAKE_MAX; taken += TAKE_BATCH) {
      const batch = await this.redis.lpop(this.key, TAKE_BATCH);
      for (const line of batch ?? []) if (tell(observer, line)) told++;
      if (!batch || batch.length < TAKE_BATCH) break;
    }
    return told;
  }
}

/** Replays one relayed line on `observer`; false (and nothing told) when it is not one. */
function tell(observer: EngineObserver, line: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return false;
  }
  if (!Array.isArray(parsed)) return false;
  const [method, ...args] = parsed as unknown[];
  if (!METHODS.includes(method as Method)) return false;
  if (!args.every((a) => a === null || typeof a === 'string' || typeof a === 'number')) return false;
  // The arguments are what sender() was given for this method, JSON's null back to undefined.
  (observer[method as Method] as (...a: unknown[]) => void)(...args.map((a) => a ?? undefined));
  return true;
}
