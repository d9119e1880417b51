/**
 * The alert webhooks of `chatops serve`, as one fastify plugin: POST /alerts/alertmanager,
 * /alerts/grafana, /alerts/pagerduty and /alerts/generic. Each request is authenticated on its raw
 * bytes (401), parsed leniently (400 malformed JSON or wrong shape, 413 over 1 MiB, 415 not JSON),
 * recorded in Redis, and only then answered 202. When it cannot be recorded (Redis away, too many
 * deliveries in flight) the answer is 503 with Retry-After: Alertmanager retries 5xx but drops
 * 429, so 429 is never used. The incident work happens later, in the consumer (consumer.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { rawBodyOf, rawBodyScope } from '../server/raw-body.js';
import { authenticate, type AlertSecrets } from './auth.js';
import type { DeliveryStore } from './delivery-store.js';
import { parseNotification } from './sources/index.js';
import { ALERT_SOURCES } from './types.js';

export const ALERT_BODY_LIMIT = 1024 * 1024;
/** Seconds a sender is asked to wait before retrying a delivery we could not record. */
export const RETRY_AFTER_S = 5;

export interface AlertIntakeOptions {
  store: DeliveryStore;
  secrets: AlertSecrets;
  log: Logger;
  registry?: Registry;
  /** Deliveries being recorded at once beyond which new ones get 503 (overload). */
  maxInFlight?: number;
  now?: () => number;
}

export type DeliveryOutcome = 'recorded' | 'duplicate' | 'ignored' | 'unauthorized' | 'malformed' | 'unavailable';

export async function alertIntakePlugin(app: FastifyInstance, opts: AlertIntakeOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const maxInFlight = opts.maxInFlight ?? 500;
  const deliveries = new Counter({
    name: 'chatops_alert_deliveries_total',
    help: 'Alert webhook deliveries, by source and outcome.',
    labelNames: ['source', 'outcome'] as const,
    registers: opts.registry ? [opts.registry] : [],
  });
  let inFlight = 0;

  await rawBodyScope(app, ALERT_BODY_LIMIT, (scope) => {
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'body over 1 MiB; send fewer alerts per notification (Alertmanager: max_alerts)' });
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      return reply.code(status).send({ error: err.message });
    });
    for (const source of ALERT_SOURCES) {
      scope.post(`/alerts/${source}`, async (req, reply) => {
        const log = opts.log.child({ alertSource: source });
        const answer = (outcome: DeliveryOutcome, status: number, body: object): FastifyReply => {
          deliveries.inc({ source, outcome });
          return reply.code(status).send(body);
        };
        const raw = rawBodyOf(req.body);
        const auth = authenticate(source, req.headers, raw, opts.secrets, now());
        if (!auth.ok) {
          log.warn({ reason: auth.message }, 'alert delivery refused');
          return answer('unauthorized', 401, { error: auth.message });
        }
        const type = req.headers['content-type'];
        if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) return answer('malformed', 415, { error: `content-type ${type} is not JSON; send application/json` });
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          return answer('malformed', 400, { error: `malformed JSON: ${(err as Error).message}` });
        }
        const parsed = parseNotification(source, json);
        if (!parsed.ok) return answer('malformed', 400, { error: parsed.message });
        if ('ignored' in parsed) return answer('ignored', 202, { status: 'ignored', reason: parsed.ignored });
        if (inFlight >= maxInFlight) {
          log.warn({ inFlight }, 'too many alert deliveries in flight; asking the sender to retry');
          return unavailable(reply, answer, 'overloaded');
        }
        inFlight++;
        try {
          const rec = await opts.store.record(parsed.notification, now());
          if (!rec.recorded) return answer('duplicate', 202, { status: 'duplicate' });
          log.debug({ delivery: rec.id, groupKey: parsed.notification.groupKey }, 'alert delivery recorded');
          return answer('recorded', 202, { status: 'recorded', delivery: rec.id });
        } catch (err) {
          log.error({ err }, 'alert delivery could not be recorded; the sender is asked to retry');
          return unavailable(reply, answer, 'Redis is unavailable');
        } finally {
          inFlight--;
        }
      });
    }
  });
}

function unavailable(reply: FastifyReply, answer: (o: DeliveryOutcome, s: number, b: object) => FastifyReply, why: string): FastifyReply {
  reply.header('retry-after', String(RETRY_AFTER_S));
  return answer('unavailable', 503, { error: `delivery not recorded (${why}); retry after ${RETRY_AFTER_S} s` });
}
