/**
 * The front of `chatops serve`, assembled: one HTTP server (health, readiness, metrics, and the
 * platform routes), the engine's RunsApi, the command router, the reporter pool that drives the
 * living messages, and the Slack and Discord adapters when configured. `serve` (cli/serve.ts) only reads the
 * environment and calls this; tests call it with a fake Slack API.
 */
import type { Redis } from 'ioredis';
import { mountAlerts, type AlertsFront, type AlertsFrontOptions } from '../alerts/front.js';
import type { DiscordConfig } from '../adapters/discord/config.js';
import { createDiscordFront, type DiscordFront } from '../adapters/discord/discord-front.js';
import { createDiscordThreadRuns } from '../adapters/discord/thread-runs.js';
import { createSlackFront, type SlackFront } from '../adapters/slack/slack-app.js';
import type { SlackConfig } from '../adapters/slack/config.js';
import { createThreadRuns } from '../adapters/slack/thread-runs.js';
import { createAuditLog } from '../chat/audit.js';
import type { ChatPlatform } from '../chat/platform.js';
import { ReporterPool, type ReporterPoolOptions } from '../chat/reporter.js';
import { createRouter, type Router } from '../chat/router.js';
import type { Project } from '../config/load-project.js';
import { createEngine, type Engine, type EngineOptions } from '../engine/index.js';
import { connectRedis } from '../lib/redis-connect.js';
import type { Logger } from '../lib/logger.js';
import { redisCheck } from './health-routes.js';
import { createHttpServer, type HttpServer } from './http-server.js';
import { createDiscordMetrics } from './discord-metrics.js';
import { createSlackMetrics } from './slack-metrics.js';

export interface FrontOptions {
  redisUrl: string;
  prefix: string;
  project: Project;
  log: Logger;
  port: number;
  host?: string;
  slack?: SlackConfig;
  discord?: DiscordConfig;
  /** Discord tuning (tests shorten the interaction token lifetime). */
  discordOptions?: { tokenLifetimeMs?: number; ackBudgetMs?: number };
  /** Alert webhooks and incidents; without it every alert route refuses (no secret). */
  alerts?: AlertsFrontOptions;
  /** Engine options beyond the basics (secret key, retention…). */
  engine?: Partial<EngineOptions>;
  /** Reporter tuning (tests shorten polls). */
  reporter?: Partial<Pick<ReporterPoolOptions, 'pollMs' | 'blockMs' | 'tickMs' | 'minIntervalMs' | 'leaseMs' | 'channelRetryMs'>>;
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
  /** Graceful stop: stop taking requests, let in-flight ones finish, hand runs back, close. Idempotent. */
  close(): Promise<void>;
}

export async function startFront(opts: FrontOptions): Promise<Front> {
  const { log, prefix, project } = opts;
  const redis = connectRedis(opts.redisUrl);
  redis.on('error', (err) => log.warn({ err }, 'redis connection error'));
  const engine = createEngine({ redisUrl: opts.redisUrl, prefix, project, log, ...opts.engine });
  const server = createHttpServer({ log, readiness: [redisCheck(redis)] });
  const slackMetrics = createSlackMetrics(server.metrics.registry);

  // The pool needs the platforms and the router's start hook needs the pool: bind it late (the
  // router also looks up a platform's reply limits when it answers, once the platforms are in).
  let reporters: ReporterPool | undefined;
  const platforms: ChatPlatform[] = [];
  const router = createRouter({
    runs: engine,
    commands: project.commands.values(),
    policy: project.policy,
    audit: createAuditLog(redis, prefix),
    log,
    prefixes: [...new Set([opts.slack?.command ?? '/ops', '/ops'])],
    onRunStarted: async (run, ctx) => {
      // The requester (with its private reply handle) hears of the run if the channel is closed to the bot.
      await reporters?.track(run, { platform: ctx.platform, channel: ctx.channel, requester: ctx.target });
    },
    replyLimits: (name) => platforms.find((p) => p.name === name)?.replyLimits,
  });

  let slack: SlackFront | undefined;
  let discord: DiscordFront | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const alerts = await mountAlerts({ server, redisUrl: opts.redisUrl, prefix, log, alerts: opts.alerts ?? { secrets: { tokens: [], grafana: [], pagerduty: [] } } });
    cleanups.push(() => alerts.close());
    if (opts.slack) {
      slack = await createSlackFront({
        config: opts.slack,
        log,
        router,
        policy: project.policy,
        threadRuns: createThreadRuns(redis, prefix),
        server,
        onAck: (ms) => slackMetrics.ackSeconds.observe(ms / 1000),
        onRateLimited: (method) => slackMetrics.rateLimited.inc({ method }),
      });
      platforms.push(slack.platform);
    }
    if (opts.discord) {
      const discordMetrics = createDiscordMetrics(server.metrics.registry);
      discord = await createDiscordFront({
        config: opts.discord,
        log,
        router,
        threadRuns: createDiscordThreadRuns(redis, prefix),
        server,
        onAck: (ms) => discordMetrics.ackSeconds.observe(ms / 1000),
        onRequest: (outcome) => discordMetrics.interactions.inc({ outcome }),
        ...opts.discordOptions,
      });
      platforms.push(discord.platform);
    }
    reporters = new ReporterPool({ redis, prefix, runs: engine, platforms, log, ...opts.reporter });
    reporters.start();
    cleanups.push(() => reporters?.close() ?? Promise.resolve());
    if (slack) await slack.start();
    if (discord) await discord.start();
    const port = await server.listen(opts.port, opts.host);
    log.info({ port, slack: opts.slack?.mode ?? 'off', discord: opts.discord?.mode ?? 'off' }, 'chatops serve listening');
    let closing: Promise<void> | undefined;
    const pool = reporters;
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
      close() {
        closing ??= (async () => {
          // Each step runs on its own so one failure does not leave the rest open.
          for (const step of [() => server.close(), () => slack?.stop(), () => discord?.stop(), () => alerts.close(), () => pool.close(), () => engine.close(), () => redis.quit()]) {
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
