/**
 * The Slack front: a Bolt App wired to the chat layer. HTTP mode mounts POST /slack/events on the
 * shared server (signature-checked by SlackHttpReceiver); Socket Mode connects out with the app
 * token. The bot token is checked with auth.test before anything is served. The listeners
 * (listeners/) translate slash commands, mentions and button clicks for the chat layer's router.
 */
import bolt, { type App as BoltApp } from '@slack/bolt';
import type { Policy } from '../../config/policy.js';
import type { Router } from '../../chat/router.js';
import type { Logger } from '../../lib/logger.js';
import type { HttpServer } from '../../server/http-server.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import { SlackConfigError } from './errors.js';
import { PLATFORM } from './inbound.js';
import { registerApprovalButtons } from './listeners/approval-buttons.js';
import { registerIncidentButtons } from './listeners/incident-buttons.js';
import type { ListenerDeps } from './listeners/deps.js';
import { registerMention } from './listeners/mention.js';
import { registerSlashCommand } from './listeners/slash-command.js';
import { SlackHttpReceiver } from './receiver.js';
import { SlackPlatform } from './slack-platform.js';
import type { ThreadRuns } from './thread-runs.js';
import { policySlackGroups, UserGroupResolver } from './usergroups.js';
import { current, type Live } from '../../lib/live.js';

const { App } = bolt;

/** How long a slash command may wait for the router before the ack goes out without its answer. */
export const ACK_BUDGET_MS = 2_000;
/** How long stop() waits for acked commands to finish starting their runs. */
const STOP_WAIT_MS = 10_000;

export interface SlackFrontOptions {
  config: SlackConfig;
  log: Logger;
  router: Pick<Router, 'handleMessage' | 'handleClick'>;
  /** The policy in force (its Slack user groups are resolved); live when the project reloads. */
  policy?: Live<Policy | undefined>;
  threadRuns?: ThreadRuns;
  /** Required in HTTP mode: POST /slack/events is mounted on it (before it listens). */
  server?: HttpServer;
  /** Called when a message or click asks for a run to be watched (started, or resumed). */
  onFollow?: (runId: string) => void;
  /** Called with each slash command's ack latency in ms (metrics, bench). */
  onAck?: (ms: number) => void;
  onRateLimited?: (method: string, retryAfterSec: number) => void;
  now?: () => number;
  ackBudgetMs?: number;
  groupTtlMs?: number;
}

export interface SlackFront {
  app: BoltApp;
  platform: SlackPlatform;
  botUserId: string;
  /** Connects Socket Mode (HTTP mode is served by the shared server). Call once the reporters run. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** auth.test with the bot token: a bad token stops `serve` here with a message naming the variable. */
async function checkToken(platform: SlackPlatform, config: SlackConfig): Promise<{ userId: string; botId: string; name?: string }> {
  try {
    const res = await platform.client.auth.test();
    return { userId: String(res.user_id ?? ''), botId: String(res.bot_id ?? ''), name: typeof res.user === 'string' && res.user !== '' ? res.user : undefined };
  } catch (err) {
    const e = err as { code?: unknown; data?: { error?: unknown }; message?: unknown };
    if (e.data?.error) {
      throw new SlackConfigError('SLACK_TOKEN_INVALID', 'SLACK_BOT_TOKEN', `Slack refused SLACK_BOT_TOKEN (auth.test: ${String(e.data.error)}). Reinstall the app and copy its Bot User OAuth Token (xoxb-…).`);
    }
    const where = config.apiUrl ?? 'https://slack.com/api/';
    throw new SlackConfigError('SLACK_API_UNREACHABLE', 'SLACK_API_URL', `Could not reach the Slack Web API at ${where} to check SLACK_BOT_TOKEN: ${String(e.message ?? err)}. Check network access, or SLACK_API_URL if you set it.`);
  }
}

export async function createSlackFront(opts: SlackFrontOptions): Promise<SlackFront> {
  const { config } = opts;
  const log = opts.log.child({ platform: PLATFORM });
  const now = opts.now ?? Date.now;
  const platform = new SlackPlatform({ token: config.botToken, apiUrl: config.apiUrl, command: config.command, log, threadRuns: opts.threadRuns, onRateLimited: opts.onRateLimited });
  const me = await checkToken(platform, config);
  if (me.name) platform.botName = me.name;
  const groups = new UserGroupResolver(platform.client, () => policySlackGroups(current(opts.policy)), log, opts.groupTtlMs);
  const groupsOf = (user: string) => groups.groupsOf(user);
  const clientOptions = config.apiUrl ? { slackApiUrl: config.apiUrl } : undefined;
  const common = { token: config.botToken, botId: me.botId, botUserId: me.userId, tokenVerificationEnabled: false, logger: boltLogger(log), clientOptions, convoStore: false as const };
  // convoStore off: Bolt's default keeps conversation state in process memory, wrong with replicas.

  let app: BoltApp;
  let receiver: SlackHttpReceiver | undefined;
  if (config.mode === 'socket') {
    app = new App({ ...common, appToken: config.appToken, socketMode: true });
  } else {
    if (!opts.server) throw new Error('Slack HTTP mode needs the serve HTTP server');
    if (!config.signingSecret) throw new SlackConfigError('SLACK_SECRET_MISSING', 'SLACK_SIGNING_SECRET', 'SLACK_SIGNING_SECRET is not set.');
    receiver = new SlackHttpReceiver({ signingSecret: config.signingSecret, log, now });
    app = new App({ ...common, receiver });
    await receiver.mount(opts.server.app);
  }
  app.error(async (err) => {
    log.error({ err }, 'slack listener failed');
  });

  const deps: ListenerDeps = {
    router: opts.router,
    platform,
    groupsOf,
    threadRuns: opts.threadRuns,
    command: config.command,
    log,
    now,
    ackBudgetMs: opts.ackBudgetMs ?? ACK_BUDGET_MS,
    onFollow: opts.onFollow,
    onAck: opts.onAck,
    pending: new Set(),
  };
  registerSlashCommand(app, deps);
  registerMention(app, deps);
  registerApprovalButtons(app, deps);
  registerIncidentButtons(app, deps);

  let started = false;
  return {
    app,
    platform,
    botUserId: me.userId,
    async start() {
      if (config.mode !== 'socket' || started) return;
      started = true;
      try {
        await app.start();
      } catch (err) {
        started = false;
        const code = (err as { data?: { error?: unknown } }).data?.error;
        if (code === undefined) throw err;
        // apps.connections.open refused the app-level token.
        throw new SlackConfigError(
          'SLACK_APP_TOKEN_INVALID',
          'SLACK_APP_TOKEN',
          `Slack refused SLACK_APP_TOKEN (apps.connections.open: ${String(code)}). Generate an app-level token with the connections:write scope ("Basic Information" → "App-Level Tokens"), or unset it to use HTTP.`,
        );
      }
    },
    async stop() {
      // Runs already acked are written before we go (bounded), so no ack is left without its run.
      const pending = [...(deps.pending ?? [])];
      if (pending.length > 0) {
        log.info({ count: pending.length }, 'waiting for acked commands to start their runs');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
        clearTimeout(timer);
      }
      if (!started) return;
      started = false;
      await app.stop();
    },
  };
}
