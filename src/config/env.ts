/**
 * The process environment, read once and validated at the edge. A `.env` file in the working
 * directory is loaded first (values already in the environment win).
 */
import { config as loadDotenv } from 'dotenv';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseByteSize } from '../lib/byte-size.js';
import { parseDuration } from '../workflow/duration.js';

/** An optional size setting (`1MiB`, `512KiB`, bytes): a positive number of bytes, or unset (the engine's default). */
const byteSize = z
  .string()
  .optional()
  .refine((v) => v === undefined || (parseByteSize(v) ?? 0) > 0, { message: 'expected a size such as 1MiB, 512KiB or 1048576 (bytes)' })
  .transform((v) => (v === undefined ? undefined : parseByteSize(v)));

const envSchema = z.object({
  REDIS_URL: z.string().optional(),
  /** Redis Sentinel: `host:port,host:port` of the sentinels, and the name of the master they watch. */
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().optional(),
  CHATOPS_DIR: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Port of a worker's /healthz, /readyz and /metrics; unset: the worker serves no HTTP. */
  CHATOPS_WORKER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Key prefix of everything the bot keeps in Redis (BullMQ queues included). */
  CHATOPS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('chatops'),
  /** How long a finished run (record, events, transcript) is kept: a duration, e.g. 30d or 12h. */
  CHATOPS_RETENTION: z
    .string()
    .default('30d')
    .refine((v) => (parseDuration(v) ?? 0) > 0, { message: 'expected a duration such as 30d, 12h or 90m' })
    .transform((v) => parseDuration(v) ?? 0),
  /** A worker's lease on the steps it runs (engine/step-lease.ts): how long a Redis stall is survived. */
  CHATOPS_STEP_LEASE: z
    .string()
    .default('30s')
    .refine((v) => (parseDuration(v) ?? 0) >= 3000, { message: 'expected a duration of at least 3s, such as 30s or 1m' })
    .transform((v) => parseDuration(v) ?? 0),
  /** How long `serve` and `worker` may take to stop after SIGTERM/SIGINT before they exit anyway. */
  CHATOPS_SHUTDOWN_TIMEOUT: z
    .string()
    .default('10s')
    .refine((v) => (parseDuration(v) ?? 0) >= 100, { message: 'expected a duration of at least 100ms, such as 10s or 1m' })
    .transform((v) => parseDuration(v) ?? 0),
  /** How long a one-shot command (`status`, `workers`, `approve`, …) waits for Redis before it gives up. */
  CHATOPS_REDIS_TIMEOUT: z
    .string()
    .default('5s')
    .refine((v) => (parseDuration(v) ?? 0) >= 100, { message: 'expected a duration of at least 100ms, such as 5s or 30s' })
    .transform((v) => parseDuration(v) ?? 0),
  /** Most output bytes of one step kept in Redis (the rest is counted, not kept); engine default 1 MiB. */
  CHATOPS_STEP_OUTPUT_MAX: byteSize,
  /** Most output bytes of one run, all steps together, kept in Redis; engine default 8 MiB. */
  CHATOPS_RUN_OUTPUT_MAX: byteSize,
  /** `1`: `chatops serve` may start with no policy file, letting everyone run everything on purpose. */
  CHATOPS_ALLOW_ALL: z.enum(['', '0', '1'], { message: 'expected 1 (allow everyone when there is no policy file) or 0' }).optional(),
  CHATOPS_USER: z.string().optional(),
  USER: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.string().url().optional(),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]+$/).default('/ops'),
  DISCORD_TOKEN: z.string().optional(),
  DISCORD_APPLICATION_ID: z.string().optional(),
  DISCORD_PUBLIC_KEY: z.string().optional(),
  DISCORD_API_URL: z.string().url().optional(),
  /** `chatops discord register` registers to this guild (at once) instead of globally. */
  DISCORD_GUILD_ID: z.string().optional(),
  ALERT_TOKEN: z.string().optional(),
  GRAFANA_WEBHOOK_SECRET: z.string().optional(),
  PAGERDUTY_WEBHOOK_SECRET: z.string().optional(),
  ALERTMANAGER_URL: z.string().url().optional(),
  /** Where incidents go when no alerts.yaml route matches: `platform:channel`. */
  ALERT_CHANNEL: z.string().regex(/^[a-z][a-z0-9_.-]*:.+$/, 'expected platform:channel, e.g. slack:C0ALERTS').optional(),
  /** Where a refused live reload (a broken runbook edit) is reported: `platform:channel`. */
  CHATOPS_ADMIN_CHANNEL: z.string().regex(/^[a-z][a-z0-9_.-]*:.+$/, 'expected platform:channel, e.g. slack:C0OPSADMIN').optional(),
  /** HMAC key(s) of the signed page links, the same on every front (comma-separated: the first signs). */
  CHATOPS_WEB_KEY: z.string().optional(),
  /** Token for the list pages (`/runs`, `/incidents`). */
  CHATOPS_WEB_TOKEN: z.string().optional(),
  /** Where people reach `chatops serve`; chat links to pages only when set. */
  CHATOPS_PUBLIC_URL: z
    .string()
    .url()
    .refine((v) => /^https?:\/\//.test(v), { message: 'expected an http(s) URL such as https://chatops.example.com' })
    .optional(),
});

export type Env = z.infer<typeof envSchema> & { chatopsDir: string };

let dotenvLoaded = false;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && !dotenvLoaded) {
    loadDotenv({ quiet: true });
    dotenvLoaded = true;
  }
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment: ${problems}`);
  }
  return { ...parsed.data, chatopsDir: resolve(parsed.data.CHATOPS_DIR ?? process.cwd()) };
}
