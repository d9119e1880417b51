/**
 * The front of `chatops serve`, assembled: one HTTP server (health, readiness, metrics, and the
 * platform routes), the engine's RunsApi, the command router, the reporter pool that drives the
 * living messages, and the Slack and Discord adapters when configured. Given a ProjectHolder, the
 * project reloads live (src/reload/): every part reads the project in force through its views.
 * `serve` (cli/serve.ts) only reads the environment and calls this; tests call it with a fake
 * Slack API.
 */
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { mountAlerts, startIncidents, type AlertsFront, type AlertsFrontOptions, type Incidents } from '../alerts/front.js';
import { IncidentStore } from '../alerts/incident-store.js';
import { createIncidentDesk, loadPostmortem } from '../alerts/incident-desk.js';
import { AlertKeys } from '../alerts/keys.js';
import { createSlackFront, type SlackFront } from '../adapters/slack/slack-app.js';
import type { SlackConfig } from '../adapters/slack/config.js';
import { createThreadRuns } from '../adapters/slack/thread-runs.js';
import type { DiscordConfig } from '../adapters/discord/config.js';
import { createDiscordFront, type DiscordFront, type DiscordTuning } from '../adapters/discord/discord-front.js';
import { createAuditLog } from '../chat/audit.js';
import type { ChatPlatform } from '../chat/platform.js';
import { ReporterPool, type ReporterPoolOptions } from '../chat/reporter.js';
import { createRouter, type Router, type RouterDeps } from '../chat/router.js';
import type { Project } from '../config/load-project.js';
import { liveRouter } from '../chat/live-router.js';
import type { LiveReload } from '../reload/live-reload.js';
import { startProcessReload, type ReloadSettings } from '../reload/process-reload.js';
import type { ProjectHolder, ProjectSource } from '../reload/project-holder.js';
import { projectViews } from '../reload/project-views.js';
import { createEngine, type Engine, type EngineOptions } from '../engine/index.js';
import { closeRedis, connectRedis, waitUnlessAway } from '../lib/redis-connect.js';
import { mountWeb, type WebFront, type WebOptions } from '../web/front.js';
import type { Logger } from '../lib/logger.js';
import { redisCheck } from './health-routes.js';
import { createHttpServer, type HttpServer } from './http-server.js';
import { createSlackMetrics } from './slack-metrics.js';
import { createChatMetrics } from './chat-metrics.js';
import { createEngineMetrics } from './engine-metrics.js';
import { registerFrontMetrics } from './front-metrics.js';

export interface FrontOptions {
  redisUrl: string;
  prefix: string;
  /** A holder reloads live (serve); a project is fixed (tests). */
  project: Project | ProjectHolder;
  /** Live reload's triggers and admin channel (with a holder). */
  reload?: ReloadSettings;
  log: Logger;
  port: number;
  host?: string;
  slack?: SlackConfig;
  discord?: DiscordConfig;
  /** Discord tuning (tests shorten the interaction token lifetime). */
  discordOptions?: DiscordTuning;
  /** Alert webhooks and incidents; without it every alert route refuses (no secret). */
  alerts?: AlertsFrontOptions;
  /** The web pages (signed links, lists, public URL); without keys no page is served. */
  web?: WebOptions;
  /** Engine options beyond the basics (secret key, retention…). */
  engine?: Partial<EngineOptions>;
  /** Reporter tuning (tests shorten polls). */
  reporter?: Partial<Pick<ReporterPoolOptions, 'pollMs' | 'blockMs' | 'tickMs' | 'minIntervalMs' | 'leaseMs' | 'channelRetryMs'>>;
  /** Extra chat platforms beyond Slack (tests add a terminal). */
  platforms?: ChatPlatform[];
}

export interface Front {
  server: HttpServer;
  port: number;
  engine: Engine;
  router: Router;
  reporters: ReporterPool;
  redis: Redis;
  slack?: SlackFront;
  discord?: DiscordFront;
  alerts: AlertsFront;
  incidents: Incidents;
  web: WebFront;
  /** The project in force and its version. */
  project: ProjectSource;
  /** Set when the project reloads live. */
  reload?: LiveReload;
  /** Graceful stop: stop taking requests, let in-flight ones finish, hand runs back, close. Idempotent. */
  close(): Promise<void>;
}

export async function startFront(opts: FrontOptions): Promise<Front> {
  const { log, prefix } = opts;
  const views = projectViews(opts.project);
  const redis = connectRedis(opts.redisUrl, log);
  const server = createHttpServer({ log, readiness: [redisCheck(redis)], readyInfo: () => ({ project: views.source.version }) });
  const registry = server.metrics.registry;
  // Scrapes also count what terminals and port-less workers relayed (the engine exists by then).
  const engine: Engine = createEngine({ redisUrl: opts.redisUrl, prefix, project: views.engine, log, observer: createEngineMetrics(registry, { relayed: () => engine.relay }), ...opts.engine });
  registerFrontMetrics(registry, { engine, redis, prefix });
  const slackMetrics = createSlackMetrics(registry);

  // The pool needs the platforms and the router's start hook needs the pool: bind it late (the
  // router also looks up a platform's reply limits when it answers, once the platforms are in).
  let reporters: ReporterPool | undefined;
  const platforms: ChatPlatform[] = [];
  const audit = createAuditLog(redis, prefix, views.policy, { retentionMs: opts.engine?.retentionMs });
  const desk = createIncidentDesk({
    redis,
    prefix,
    runs: engine,
    runLink: (id) => webFront?.runUrl(id),
    incidentLink: (id) => webFront?.incidentUrl(id),
    alertmanagerUrl: opts.alerts?.alertmanagerUrl,
    onChange: () => incidentsRef?.reporter.poke(),
  });
  const onRunStarting: RouterDeps['onRunStarting'] = async (run, ctx) => {
    // The requester (with its private reply handle) hears of the run if the channel is closed to the bot.
    // Started in an incident's thread: reported in that thread (its header a reply under the incident).
    const threadKey = ctx.incidentId !== undefined ? new AlertKeys(prefix).message(ctx.incidentId) : undefined;
    await reporters?.track(run, { platform: ctx.platform, channel: ctx.channel, requester: ctx.target, ...(threadKey ? { threadKey } : {}) });
  };
  const replyLimits = (name: string) => platforms.find((p) => p.name === name)?.replyLimits;
  const prefixes = opts.slack ? [opts.slack.command] : undefined;
  // Built again for each project a reload puts in force (its commands' usages are compiled).
  const router = liveRouter(views.per((p) => createRouter({ runs: engine, commands: p.commands.values(), policy: p.policy, audit, log, prefixes, onRunStarting, replyLimits, incidents: desk })));
  let webFront: WebFront | undefined;
  let incidentsRef: Incidents | undefined;

  let slack: SlackFront | undefined;
  let discord: DiscordFront | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const alerts = await mountAlerts({ server, redisUrl: opts.redisUrl, prefix, log, alerts: opts.alerts ?? { secrets: { tokens: [], grafana: [], pagerduty: [] } } });
    cleanups.push(() => alerts.close());
    const web: WebFront = await mountWeb({
      server,
      runs: engine,
      incidents: new IncidentStore(redis, prefix),
      // The incident page's download: the same document as `postmortem` in chat, with page links.
      postmortem: (id) => loadPostmortem({ redis, prefix, runs: engine, runLink: (r) => web.runUrl(r), incidentLink: (i) => web.incidentUrl(i) }, id),
      log,
      web: opts.web ?? { keys: [] },
    });
    webFront = web;
    cleanups.push(() => web.close());
    if (opts.slack) {
      slack = await createSlackFront({
        config: opts.slack,
        log,
        router,
        policy: views.policy,
        threadRuns: createThreadRuns(redis, prefix),
        server,
        onAck: (ms) => slackMetrics.ackSeconds.observe(ms / 1000),
        onRateLimited: (method) => slackMetrics.rateLimited.inc({ method }),
      });
      platforms.push(slack.platform);
    }
    if (opts.discord) {
      discord = await createDiscordFront({ config: opts.discord, log, router, commands: views.commands, workflows: () => engine.workflows(), redis, prefix, server, ...opts.discordOptions });
      platforms.push(discord.platform);
    }
    platforms.push(...(opts.platforms ?? []));
    reporters = new ReporterPool({ redis, prefix, runs: engine, platforms, log, linkFor: (runId) => web.runUrl(runId), onChatWrite: createChatMetrics(registry), ...opts.reporter });
    reporters.start();
    cleanups.push(() => reporters?.close() ?? Promise.resolve());
    const pool = reporters;
    const incidents = startIncidents({
      redis,
      prefix,
      log,
      platforms,
      config: views.alerts,
      defaultChannel: opts.alerts?.defaultChannel,
      buckets: (name) => pool.bucketsOf(name),
      retentionMs: opts.engine?.retentionMs,
      linkFor: (id) => web.incidentUrl(id),
      runs: engine,
      runbooks: { workflows: views.workflows, track: (run, target) => pool.track(run, target) },
      pollMs: opts.reporter?.pollMs,
      blockMs: opts.reporter?.blockMs,
      minIntervalMs: opts.reporter?.minIntervalMs,
    });
    incidentsRef = incidents;
    cleanups.push(() => incidents.close());
    const reload = await startProcessReload({ views, redisUrl: opts.redisUrl, prefix, log, name: `serve ${hostname()}:${process.pid}`, registry, settings: opts.reload, chat: { redis, platforms: () => platforms } });
    if (reload) cleanups.push(() => reload.close());
    if (slack) await slack.start();
    if (discord) await discord.start();
    const port = await server.listen(opts.port, opts.host);
    log.info({ port, slack: opts.slack?.mode ?? 'off', discord: opts.discord?.mode ?? 'off' }, 'chatops serve listening');
    let closing: Promise<void> | undefined;
    return {
      server,
      port,
      engine,
      router,
      reporters: pool,
      redis,
      slack,
      discord,
      alerts,
      incidents,
      web,
      project: views.source,
      ...(reload ? { reload } : {}),
      close() {
        closing ??= (async () => {
          // Each step runs on its own so one failure does not leave the rest open. Reporters wait on
          // Redis for their leases and reads: while it is unreachable there is nothing to hand over.
          for (const step of [() => reload?.close(), () => server.close(), () => slack?.stop(), () => discord?.stop(), () => alerts.close(), () => waitUnlessAway(incidents.close(), redis), () => waitUnlessAway(web.close(), redis), () => waitUnlessAway(pool.close(), redis), () => engine.close(), () => closeRedis(redis)]) {
            try {
              await step();
            } catch (err) {
              log.warn({ err }, 'error while shutting down');
            }
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanups) await c().catch(() => undefined);
    await slack?.stop().catch(() => undefined);
    await discord?.stop().catch(() => undefined);
    await server.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    redis.disconnect();
    throw err;
  }
}
