/**
 * Records deliveries durably before the webhook is answered: one Lua call checks the source's
 * event id (PagerDuty) and the group's last delivery (a repeat or an HA twin identical to it is a
 * duplicate), then appends the delivery to the stream the incident consumer reads. The intake's
 * connection does not queue commands while Redis is away: a failed record is an error at once
 * (the route answers 503), never a 2xx for something not written.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { connectRedis } from '../lib/redis-connect.js';
import { AlertKeys } from './keys.js';
import type { Notification } from './types.js';

/**
 * KEYS[1] last-delivery key of the group, KEYS[2] event-id key (or the same as KEYS[1] when none),
 * KEYS[3] deliveries stream. ARGV[1] hash, ARGV[2] last ttl s, ARGV[3] source, ARGV[4] notification
 * JSON, ARGV[5] now ms, ARGV[6] event ttl s, ARGV[7] "1" when KEYS[2] is an event key, ARGV[8]
 * (optional) who resolved it by hand and why (JSON), for a delivery `resolve` records.
 * Returns the stream id, or "dup".
 */
const RECORD = `
if ARGV[7] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 'dup' end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 'dup' end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[7] == '1' then redis.call('SET', KEYS[2], '1', 'EX', ARGV[6]) end
if ARGV[8] and ARGV[8] ~= '' then return redis.call('XADD', KEYS[3], '*', 's', ARGV[3], 'n', ARGV[4], 'at', ARGV[5], 'h', ARGV[8]) end
return redis.call('XADD', KEYS[3], '*', 's', ARGV[3], 'n', ARGV[4], 'at', ARGV[5])`;

const LAST_TTL_S = 24 * 3600;
const EVENT_TTL_S = 7 * 24 * 3600;

export type RecordResult = { recorded: true; id: string } | { recorded: false };

/** What makes two deliveries "identical": the group's alerts and their states, not the sender's URL or timing. */
export function deliveryHash(n: Notification): string {
  const alerts = [...n.alerts]
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0))
    .map((a) => [a.fingerprint, a.status, a.startsAt ?? '', a.endsAt ?? '', a.labels, a.annotations]);
  return createHash('sha256')
    .update(JSON.stringify([n.source, n.groupKey, n.status, n.truncated, n.eventType ?? '', alerts]))
    .digest('hex');
}

/**
 * Records a delivery (deduplicated as above) on any connection; `manual` marks one a person made
 * (`resolve` in an incident's thread): the consumer puts who and why on the timeline.
 */
export async function recordDelivery(redis: Redis, keys: AlertKeys, n: Notification, now: number, manual?: { by: string; why: string }): Promise<RecordResult> {
  const last = keys.last(n.source, n.groupKey);
  const event = n.eventId !== undefined ? keys.event(n.source, n.eventId) : last;
  const reply = String(await redis.eval(RECORD, 3, last, event, keys.deliveries, deliveryHash(n), LAST_TTL_S, n.source, JSON.stringify(n), now, EVENT_TTL_S, n.eventId !== undefined ? '1' : '0', manual ? JSON.stringify(manual) : ''));
  return reply === 'dup' ? { recorded: false } : { recorded: true, id: reply };
}

export class DeliveryStore {
  readonly keys: AlertKeys;
  readonly redis: Redis;

  constructor(redisUrl: string, prefix: string, log: Logger) {
    this.keys = new AlertKeys(prefix);
    this.redis = connectRedis(redisUrl, log, {
      // Fail at once while disconnected (the route answers 503) instead of queueing the command.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
  }

  async record(n: Notification, now = Date.now()): Promise<RecordResult> {
    return recordDelivery(this.redis, this.keys, n, now);
  }

  /** Resolves once connected (or after `timeoutMs`: until then deliveries get 503, which senders retry). */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.redis.once('ready', done);
    });
  }

  close(): void {
    this.redis.disconnect();
  }
}
