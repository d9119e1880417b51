/**
 * The alert feature of `chatops serve`, mounted by the front's composition root: the webhook
 * routes (intake.ts) on the shared HTTP server, and the incident consumer that turns recorded
 * deliveries into incidents, chat messages and runs (consumer.ts).
 */
import type { Redis } from 'ioredis';
import type { ChannelBuckets } from '../chat/pacer.js';
import type { ChatPlatform } from '../chat/platform.js';
import type { ReportTarget } from '../chat/report-store.js';
import type { RunRecord, RunsApi } from '../engine/types.js';
import type { Workflow } from '../workflow/schema.js';
import type { AlertsConfig } from '../config/alerts-config.js';
import type { Logger } from '../lib/logger.js';
import { current, derived, type Live } from '../lib/live.js';
import type { HttpServer } from '../server/http-server.js';
import { routeOpen, type AlertSecrets } from './auth.js';
import { IncidentConsumer, type TriggerHook } from './consumer.js';
import { DeliveryStore } from './delivery-store.js';
import { IncidentReporter, platformKind, splitChannel } from './incident-reporter.js';
import { IncidentRunWatcher } from './incident-runs.js';
import { IncidentStore } from './incident-store.js';
import { RunbookStarter } from './runbook-starter.js';
import { compileRunbooks, offeredRunbooks } from './runbook-triggers.js';
import { alertIntakePlugin } from './intake.js';
import { ALERT_SOURCES, type AlertSource } from './types.js';

export interface AlertsFrontOptions {
  secrets: AlertSecrets;
  /** `platform:channel` for incidents no alerts.yaml route takes (ALERT_CHANNEL). */
  defaultChannel?: string;
  /** ALERTMANAGER_URL: silences created from chat go there. */
  alertmanagerUrl?: string;
  /** Deliveries being recorded at once beyond which new ones get 503 with Retry-After (default 500). */
  maxInFlight?: number;
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
  const store = new DeliveryStore(opts.redisUrl, opts.prefix, log);
  await store.ready();
  await alertIntakePlugin(opts.server.app, { store, secrets: opts.alerts.secrets, log, registry: opts.server.metrics.registry, maxInFlight: opts.alerts.maxInFlight });
  const closed = closedAlertRoutes(opts.alerts.secrets);
  if (closed.length > 0) log.warn({ closed: closed.map((s) => `/alerts/${s}`) }, `alert routes closed (no secret set, every request gets 401): ${closed.map((s) => `/alerts/${s}`).join(', ')}`);
  return {
    store,
    async close() {
      store.close();
    },
  };
}

export interface IncidentsOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  platforms: ChatPlatform[];
  /** alerts.yaml; live when the project reloads (the incident message's alert list length is read at start). */
  config?: Live<AlertsConfig | undefined>;
  /** ALERT_CHANNEL. */
  defaultChannel?: string;
  buckets?: (platform: string) => ChannelBuckets | undefined;
  retentionMs?: number;
  /** An incident's web page (signed link) for its message's "View" link; undefined: no link. */
  linkFor?: (incidentId: string) => string | undefined;
  triggers?: TriggerHook;
  /** The engine: incident-bound runs' approvals and ends go on their timelines. */
  runs?: RunsApi;
  /** Starts the runbooks whose `on.alert` matches (the project's workflows, with `runs`); none: no runbook starts. */
  runbooks?: { workflows: Live<Iterable<Workflow>>; track: (run: RunRecord, target: ReportTarget) => Promise<void> };
  /** Tests shorten these. */
  pollMs?: number;
  blockMs?: number;
  minIntervalMs?: number;
}

export interface Incidents {
  consumer: IncidentConsumer;
  reporter: IncidentReporter;
  runWatcher?: IncidentRunWatcher;
  starter?: RunbookStarter;
  close(): Promise<void>;
}

/**
 * The incident side, in every process that talks to chat (serve, shell): the consumer (one at a
 * time across processes, by lease) and the incident reporter for this process's platforms.
 */
const NO_WORKFLOWS: readonly Workflow[] = [];

export function startIncidents(opts: IncidentsOptions): Incidents {
  // The auto runbooks start on alerts, the manual ones are buttons on the incidents they match;
  // both compiled again when a reload puts new workflows in force.
  const workflows = derived(() => current(opts.runbooks?.workflows ?? NO_WORKFLOWS), (w) => [...w]);
  const manual = derived(workflows, (w) => compileRunbooks(w, 'manual'));
  const reporter = new IncidentReporter({
    redis: opts.redis,
    prefix: opts.prefix,
    platforms: opts.platforms,
    log: opts.log,
    buckets: opts.buckets,
    maxAlertsListed: current(opts.config)?.maxAlertsListed,
    retentionMs: opts.retentionMs,
    linkFor: opts.linkFor,
    runbooksOf: opts.runs ? (inc) => offeredRunbooks(manual(), inc) : undefined,
    pollMs: opts.pollMs,
    minIntervalMs: opts.minIntervalMs,
  });
  const starter = opts.runbooks && opts.runs ? runbookStarter(opts, opts.runs, workflows, opts.runbooks.track) : undefined;
  const consumer = new IncidentConsumer({
    redis: opts.redis,
    prefix: opts.prefix,
    log: opts.log,
    config: opts.config,
    defaultChannel: opts.defaultChannel,
    retentionMs: opts.retentionMs,
    // Asked at each change, not at start: a reload may add or remove every on.alert runbook.
    triggers: opts.triggers ?? (starter ? (change) => (starter.empty ? Promise.resolve([]) : starter.onChange(change)) : undefined),
    settle: starter ? (owner) => (starter.empty ? Promise.resolve([]) : starter.settle(owner)) : undefined,
    blockMs: opts.blockMs,
    onChange: () => reporter.poke(),
  });
  const runWatcher = opts.runs ? new IncidentRunWatcher({ redis: opts.redis, prefix: opts.prefix, runs: opts.runs, log: opts.log, pollMs: opts.pollMs }) : undefined;
  consumer.start();
  reporter.start();
  runWatcher?.start();
  return {
    consumer,
    reporter,
    runWatcher,
    ...(starter ? { starter } : {}),
    async close() {
      await consumer.close();
      await runWatcher?.close();
      await reporter.close();
    },
  };
}

/** The runbook starter of this process: runs an alert starts report in its incident's thread, on this process's platform of that kind. */
function runbookStarter(opts: IncidentsOptions, runs: RunsApi, workflows: () => readonly Workflow[], track: NonNullable<IncidentsOptions['runbooks']>['track']): RunbookStarter {
  const store = new IncidentStore(opts.redis, opts.prefix);
  return new RunbookStarter({
    redis: opts.redis,
    store,
    runs,
    runbooks: derived(workflows, (w) => compileRunbooks(w)),
    log: opts.log.child({ component: 'runbooks' }),
    retentionMs: opts.retentionMs,
    incidentLink: opts.linkFor,
    async report(run, inc) {
      if (!inc.channel) return;
      const [kind, channel] = splitChannel(inc.channel);
      const platform = opts.platforms.find((p) => platformKind(p) === kind)?.name ?? kind;
      await track(run, { platform, channel, threadKey: store.keys.message(inc.id) });
    },
  });
}
