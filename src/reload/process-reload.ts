/**
 * Live reload as a serve or worker process runs it: the reload metrics on its registry, the admin
 * channel told of refused edits (fronts, which talk to chat), and the triggers (live-reload.ts)
 * when the project can reload at all (a ProjectHolder, not a project fixed at start).
 */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ChatPlatform } from '../chat/platform.js';
import type { Logger } from '../lib/logger.js';
import { createReloadMetrics } from '../server/reload-metrics.js';
import { adminNotifier } from './admin-notice.js';
import { startLiveReload, type LiveReload } from './live-reload.js';
import type { ProjectViews } from './project-views.js';

export interface ReloadSettings {
  /** Watch the project folder (default true). */
  watch?: boolean;
  /** Reload on SIGHUP (the CLI processes turn it on). */
  sighup?: boolean;
  debounceMs?: number;
  /** Safety-net read of the folder (default 60 s; 0: never). */
  pollMs?: number;
  /** CHATOPS_ADMIN_CHANNEL (`platform:channel`): told of refused edits. */
  adminChannel?: string;
}

export interface ProcessReloadOptions {
  views: ProjectViews;
  redisUrl: string;
  prefix: string;
  log: Logger;
  /** How the process names itself in answers to `chatops reload`. */
  name: string;
  registry: Registry;
  settings?: ReloadSettings;
  /** For the admin channel: a connection and this process's platforms. */
  chat?: { redis: Redis; platforms: () => readonly ChatPlatform[] };
}

export async function startProcessReload(opts: ProcessReloadOptions): Promise<LiveReload | undefined> {
  const count = createReloadMetrics(opts.registry, opts.views.source);
  const holder = opts.views.holder;
  if (holder === undefined) return undefined;
  const { adminChannel, ...triggers } = opts.settings ?? {};
  const tell = adminChannel !== undefined && opts.chat ? adminNotifier({ ...opts.chat, prefix: opts.prefix, channel: adminChannel, log: opts.log }) : undefined;
  return startLiveReload({
    holder,
    redisUrl: opts.redisUrl,
    prefix: opts.prefix,
    log: opts.log.child({ component: 'reload' }),
    name: opts.name,
    ...triggers,
    onOutcome: async (outcome) => {
      count(outcome);
      await tell?.(outcome);
    },
  });
}
