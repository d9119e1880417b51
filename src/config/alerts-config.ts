/**
 * alerts.yaml (optional, beside policy.yaml): where incidents go and how storms are contained.
 * Routes are tried in order, the first whose matchers all hold wins; `default` (else the
 * ALERT_CHANNEL variable) takes the rest. FORMATS.md "Alerts" shows a full example.
 */
import { z } from 'zod';
import { compileMatchers, parseMatcher, type Matcher } from '../alerts/matchers.js';
import { parseDuration } from '../workflow/duration.js';
import { durationSchema } from '../workflow/schema.js';

/** `platform:channel`: `slack:C0ALERTS`, `discord:4000…`, `shell:` (the terminal). */
export const CHANNEL_PATTERN = /^(slack|discord|shell):[^\s]*$/;
const channelSchema = z
  .string()
  .regex(CHANNEL_PATTERN, 'expected platform:channel, e.g. slack:C0INCIDENTS, discord:400000000000000001 or shell: (the terminal)')
  .refine((c) => c.startsWith('shell:') || c.split(':')[1] !== '', 'the channel id after the platform is missing');

export const matcherListSchema = z.array(
  z.string().superRefine((text, ctx) => {
    try {
      parseMatcher(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
);

const routeSchema = z
  .strictObject({
    matchers: matcherListSchema.optional(),
    match: z.record(z.string(), z.coerce.string()).optional(),
    channel: channelSchema,
  })
  .refine((r) => (r.matchers?.length ?? 0) + Object.keys(r.match ?? {}).length > 0, 'a route needs matchers or match (else it takes every alert: use default instead)');

export const alertsFileSchema = z.strictObject({
  routes: z.array(routeSchema).default([]),
  default: z.strictObject({ channel: channelSchema }).optional(),
  incidents: z.strictObject({ reopen_within: durationSchema.default('15m') }).default({ reopen_within: '15m' }),
  storm: z
    .strictObject({
      max_alerts_listed: z.number().int().min(1).max(100).default(20),
      max_new_incidents_per_minute: z.number().int().min(1).max(10_000).default(20),
    })
    .default({ max_alerts_listed: 20, max_new_incidents_per_minute: 20 }),
});

export type AlertsFile = z.infer<typeof alertsFileSchema>;

/** alerts.yaml as the incident consumer uses it. */
export interface AlertsConfig {
  routes: { matchers: Matcher[]; channel: string }[];
  defaultChannel?: string;
  reopenWithinMs: number;
  maxAlertsListed: number;
  maxNewIncidentsPerMinute: number;
}

export const DEFAULT_ALERTS_CONFIG: AlertsConfig = { routes: [], reopenWithinMs: 15 * 60_000, maxAlertsListed: 20, maxNewIncidentsPerMinute: 20 };

export function compileAlertsFile(f: AlertsFile): AlertsConfig {
  return {
    routes: f.routes.map((r) => ({ matchers: compileMatchers(r.matchers, r.match), channel: r.channel })),
    ...(f.default ? { defaultChannel: f.default.channel } : {}),
    reopenWithinMs: parseDuration(f.incidents.reopen_within) ?? DEFAULT_ALERTS_CONFIG.reopenWithinMs,
    maxAlertsListed: f.storm.max_alerts_listed,
    maxNewIncidentsPerMinute: f.storm.max_new_incidents_per_minute,
  };
}
