/**
 * The alert feature of `chatops serve`, mounted by the front's composition root: the webhook
 * routes (intake.ts) on the shared HTTP server, and the incident consumer that turns recorded
 * deliveries into incidents, chat messages and runs (consumer.ts).
 */
import type { Logger } from '../lib/logger.js';
import type { HttpServer } from '../server/http-server.js';
import { routeOpen, type AlertSecrets } from './auth.js';
import { DeliveryStore } from './delivery-store.js';
import { alertIntakePlugin } from './intake.js';
import { ALERT_SOURCES, type AlertSource } from './types.js';

export interface AlertsFrontOptions {
  secrets: AlertSecrets;
  /** `platform:channel` for incidents no alerts.yaml route takes (ALERT_CHANNEL). */
  defaultChannel?: string;
}

export interface AlertsFront {
  store: DeliveryStore;
  close(): Promise<void>;
}

/** Routes that refuse everything because no secret is configured for them. */
export function closedAlertRoutes(secrets: AlertSecrets): AlertSource[] {
  return ALERT_SOURCES.filter((s) => !routeOpen(s, secrets));
}

export async function mountAlerts(opts: { server: HttpServer; redisUrl: string; prefix: string; log: Logger; alerts: AlertsFrontOptions }): Promise<AlertsFront> {
  const log = opts.log.child({ component: 'alerts' });
  const store = new DeliveryStore(opts.redisUrl, opts.prefix);
  store.redis.on('error', (err) => log.debug({ err }, 'alert intake redis error'));
  await store.ready();
  await alertIntakePlugin(opts.server.app, { store, secrets: opts.alerts.secrets, log, registry: opts.server.metrics.registry });
  const closed = closedAlertRoutes(opts.alerts.secrets);
  if (closed.length > 0) log.warn({ closed: closed.map((s) => `/alerts/${s}`) }, `alert routes closed (no secret set, every request gets 401): ${closed.map((s) => `/alerts/${s}`).join(', ')}`);
  return {
    store,
    async close() {
      store.close();
    },
  };
}
