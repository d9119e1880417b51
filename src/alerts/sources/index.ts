/** One parser per source, behind one function: JSON in, a Notification (or a specific 400 message) out. */
import type { z } from 'zod';
import type { AlertSource, Notification } from '../types.js';
import { amPayloadSchema, fromAlertmanager } from './alertmanager.js';
import { fromGeneric, genericPayloadSchema } from './generic.js';
import { fromGrafana, grafanaPayloadSchema } from './grafana.js';
import { fromPagerDuty, pagerdutyPayloadSchema } from './pagerduty.js';

export type Parsed = { ok: true; notification: Notification } | { ok: true; ignored: string } | { ok: false; message: string };

function problems(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

export function parseNotification(source: AlertSource, json: unknown): Parsed {
  switch (source) {
    case 'alertmanager': {
      const r = amPayloadSchema.safeParse(json);
      return r.success ? { ok: true, notification: fromAlertmanager(r.data) } : { ok: false, message: `not an Alertmanager webhook payload: ${problems(r.error)}` };
    }
    case 'grafana': {
      const r = grafanaPayloadSchema.safeParse(json);
      return r.success ? { ok: true, notification: fromGrafana(r.data) } : { ok: false, message: `not a Grafana webhook payload: ${problems(r.error)}` };
    }
    case 'pagerduty': {
      const r = pagerdutyPayloadSchema.safeParse(json);
      if (!r.success) return { ok: false, message: `not a PagerDuty V3 webhook payload: ${problems(r.error)}` };
      const n = fromPagerDuty(r.data);
      return 'ignored' in n ? { ok: true, ignored: n.ignored } : { ok: true, notification: n };
    }
    case 'generic': {
      const r = genericPayloadSchema.safeParse(json);
      return r.success ? { ok: true, notification: fromGeneric(r.data) } : { ok: false, message: `not a generic alert: ${problems(r.error)} (see FORMATS.md "Alerts")` };
    }
  }
}
