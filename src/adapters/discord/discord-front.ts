/**
 * The Discord front: discord.js's REST client and the interaction handler wired to the chat
 * layer. HTTP mode mounts POST /discord/interactions on the shared server (its own plugin,
 * signature-checked); Gateway mode connects out with the bot token (gateway.ts) once start() is
 * called, its interactions answered through the callback route (gateway-interactions.ts). The bot token is
 * checked against the API before anything is served, and the application id against the token's
 * application, so a bad setting stops `serve` with one line naming the variable.
 */
import { DiscordAPIError, type REST } from '@discordjs/rest';
import { Routes, type APIApplication, type APIInteraction, type APIUser } from 'discord-api-types/v10';
import type { Redis } from 'ioredis';
import type { CommandDef } from '../../config/load-project.js';
import type { Logger } from '../../lib/logger.js';
import type { Workflow } from '../../workflow/schema.js';
import { current, derived, type Live } from '../../lib/live.js';
import { createDiscordMetrics } from '../../server/discord-metrics.js';
import type { HttpServer } from '../../server/http-server.js';
import type { DiscordConfig } from './config.js';
import { DiscordPlatform, PLATFORM } from './discord-platform.js';
import { DiscordConfigError } from './errors.js';
import { gatewayInteractionHandler } from './gateway-interactions.js';
import { handleInteraction } from './handle-interaction.js';
import type { InteractionDeps, Respond } from './interaction-deps.js';
import { interactionsRoute, type InteractionOutcome } from './interactions-route.js';
import { createDiscordRest } from './rest.js';
import { ed25519PublicKey } from './signature.js';
import { createDiscordThreadRuns } from './thread-runs.js';

/** How long a command may wait for the router before the ack goes out deferred. */
export const ACK_BUDGET_MS = 2_000;
const NO_COMMANDS: readonly CommandDef[] = [];

/** How long stop() waits for acked commands to finish starting their runs. */
const STOP_WAIT_MS = 10_000;

/** Clocks and budgets tests may shorten. */
export interface DiscordTuning {
  now?: () => number;
  ackBudgetMs?: number;
  /** Interaction token lifetime (15 minutes; tests shorten it). */
  tokenLifetimeMs?: number;
  /** How long start() waits for the Gateway's READY (Gateway mode). */
  gatewayConnectMs?: number;
  /** How long a lost Gateway connection may take to come back before /readyz says not ready. */
  gatewayDownGraceMs?: number;
}

export interface DiscordFrontOptions extends DiscordTuning {
  config: DiscordConfig;
  log: Logger;
  router: InteractionDeps['router'];
  /** The project's commands (typed slash commands are looked up by name). */
  commands?: Live<Iterable<CommandDef>>;
  /** The workflows in force (the engine's): which inputs are secret. */
  workflows: () => ReadonlyMap<string, Workflow>;
  /** Where the thread → run map is kept (shared by every replica). */
  redis: Redis;
  prefix: string;
  /** POST /discord/interactions is mounted on it (HTTP mode, before it listens); metrics go on its registry. */
  server: HttpServer;
}

export interface DiscordFront {
  platform: DiscordPlatform;
  rest: REST;
  botUserId: string;
  /** Connects the Gateway (HTTP mode is served by the shared server). Call once the reporters run. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** GET /users/@me and /applications/@me with the bot token. */
async function checkToken(rest: REST, config: DiscordConfig): Promise<APIUser> {
  let me: APIUser;
  let app: APIApplication;
  try {
    me = (await rest.get(Routes.user('@me'))) as APIUser;
    app = (await rest.get(Routes.currentApplication())) as APIApplication;
  } catch (err) {
    if (err instanceof DiscordAPIError && err.status === 401) {
      throw new DiscordConfigError('DISCORD_TOKEN_INVALID', 'DISCORD_TOKEN', 'Discord refused DISCORD_TOKEN (401 Unauthorized). Reset the bot token in the developer portal ("Bot" → "Reset Token") and copy it.');
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new DiscordConfigError('DISCORD_API_UNREACHABLE', 'DISCORD_API_URL', `Could not reach the Discord API at ${config.apiUrl} to check DISCORD_TOKEN: ${why}. Check network access, or DISCORD_API_URL if you set it.`);
  }
  if (app.id !== config.applicationId) {
    throw new DiscordConfigError('DISCORD_APPLICATION_ID_INVALID', 'DISCORD_APPLICATION_ID', `DISCORD_APPLICATION_ID is ${config.applicationId} but DISCORD_TOKEN belongs to application ${app.id}. Copy the Application ID of the same application.`);
  }
  return me;
}

export async function createDiscordFront(opts: DiscordFrontOptions): Promise<DiscordFront> {
  const { config } = opts;
  const log = opts.log.child({ platform: PLATFORM });
  const now = opts.now ?? Date.now;
  const rest = createDiscordRest(config);
  const me = await checkToken(rest, config);
  const threadRuns = createDiscordThreadRuns(opts.redis, opts.prefix);
  const metrics = createDiscordMetrics(opts.server.metrics.registry);
  const platform = new DiscordPlatform({ rest, applicationId: config.applicationId, log, threadRuns, tokenLifetimeMs: opts.tokenLifetimeMs, now });
  const commands = derived(() => current(opts.commands) ?? NO_COMMANDS, (defs) => new Map([...defs].map((c) => [c.pattern.name, c])));
  const deps: InteractionDeps = {
    router: opts.router,
    platform,
    threadRuns,
    // The project's typed commands in force now (live reload).
    get commands() {
      return commands();
    },
    workflows: opts.workflows,
    log,
    now,
    ackBudgetMs: opts.ackBudgetMs ?? ACK_BUDGET_MS,
    onAck: (ms) => metrics.ackSeconds.observe(ms / 1000),
    pending: new Set(),
  };
  const handle = (i: APIInteraction, respond: Respond) => handleInteraction(i, respond, deps);
  const onRequest = (outcome: InteractionOutcome) => metrics.interactions.inc({ outcome });
  if (config.mode === 'http') {
    if (!config.publicKey) throw new DiscordConfigError('DISCORD_PUBLIC_KEY_INVALID', 'DISCORD_PUBLIC_KEY', 'DISCORD_PUBLIC_KEY is not set.');
    await interactionsRoute(opts.server.app, { publicKey: ed25519PublicKey(config.publicKey), log, now, onRequest, handle });
  }
  let gateway: { close(): Promise<void>; problem(): string | undefined } | undefined;
  if (config.mode === 'gateway') {
    opts.server.addReadiness({
      name: 'discord-gateway',
      async check() {
        const problem = gateway ? gateway.problem() : 'not connected to Discord\'s Gateway';
        if (problem) throw new Error(problem);
      },
    });
  }
  return {
    platform,
    rest,
    botUserId: me.id,
    async start() {
      if (config.mode !== 'gateway' || gateway) return;
      // Loaded only here: discord.js is large, and HTTP mode never needs it.
      const { connectGateway } = await import('./gateway.js');
      const onInteraction = gatewayInteractionHandler({ rest, applicationId: config.applicationId, log, handle, pending: deps.pending, onRequest });
      gateway = await connectGateway({ token: config.token, apiUrl: config.apiUrl, log, onInteraction, connectTimeoutMs: opts.gatewayConnectMs, downGraceMs: opts.gatewayDownGraceMs, now });
    },
    async stop() {
      // No new interactions from the Gateway; those already taken finish below.
      await gateway?.close().catch((err: unknown) => log.warn({ err }, 'closing the discord gateway failed'));
      gateway = undefined;
      // Runs already acked are written before we go (bounded), so no ack is left without its run.
      const pending = [...deps.pending];
      if (pending.length === 0) return;
      log.info({ count: pending.length }, 'waiting for acked commands to start their runs');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}
