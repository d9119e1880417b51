/**
 * The Slack front: a Bolt App wired to the chat layer. HTTP mode mounts POST /slack/events on the
 * shared server (signature-checked by SlackHttpReceiver); Socket Mode connects out with the app
 * token. The bot token is checked with auth.test before anything is served.
 *
 * Slash commands are acknowledged within Slack's 3 seconds in every case: the router's answer
 * (`starting r-xxxx` or the usage error) is the ack's body when it comes within ACK_BUDGET_MS,
 * which is the normal case (parsing, policy and the run record are one Redis round trip);
 * otherwise the ack says "working on it" and the answer follows through the response_url.
 */
import bolt, { type App as BoltApp } from '@slack/bolt';
import type { Policy } from '../../config/policy.js';
import type { ChatContent, ChatMessage, ReplyTarget } from '../../chat/platform.js';
import type { RouteResult, Router } from '../../chat/router.js';
import type { Logger } from '../../lib/logger.js';
import type { HttpServer } from '../../server/http-server.js';
import { formatContent } from './block-kit/format.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import { SlackConfigError } from './errors.js';
import { chatUser, clickToAction, mentionToMessage, PLATFORM, slashToMessage, withThreadRun } from './inbound.js';
import { plainText } from './slack-text.js';
import { SlackHttpReceiver } from './receiver.js';
import { SlackPlatform } from './slack-platform.js';
import type { ThreadRuns } from './thread-runs.js';
import { policySlackGroups, UserGroupResolver } from './usergroups.js';

const { App } = bolt;

/** How long a slash command may wait for the router before the ack goes out without its answer. */
export const ACK_BUDGET_MS = 2_000;
const ACTION_ID = /^(approve|deny)\|/;

export interface SlackFrontOptions {
  config: SlackConfig;
  log: Logger;
  router: Pick<Router, 'handleMessage' | 'handleClick'>;
  policy?: Policy;
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
async function checkToken(platform: SlackPlatform, config: SlackConfig): Promise<{ userId: string; botId: string }> {
  try {
    const res = await platform.client.auth.test();
    return { userId: String(res.user_id ?? ''), botId: String(res.bot_id ?? '') };
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
  const platform = new SlackPlatform({ token: config.botToken, apiUrl: config.apiUrl, log, threadRuns: opts.threadRuns, onRateLimited: opts.onRateLimited });
  const me = await checkToken(platform, config);
  const groups = new UserGroupResolver(platform.client, policySlackGroups(opts.policy), log, opts.groupTtlMs);
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

  /** Delivers replies, honouring Retry-After a few times (answers to users are not paced). */
  async function deliver(to: ReplyTarget, content: ChatContent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await platform.reply(to, content);
        return;
      } catch (err) {
        const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
        if (attempt >= 4) {
          log.error({ err, channel: to.channel }, 'could not deliver a reply to Slack');
          return;
        }
        await new Promise((r) => setTimeout(r, typeof wait === 'number' ? wait : 500 * attempt));
      }
    }
  }

  function follow(result: RouteResult): void {
    if (result.follow && result.runId) opts.onFollow?.(result.runId);
  }

  function startedText(result: RouteResult): string {
    return result.started ? `:rocket: Starting ${result.runId}: its messages follow in this channel.` : `Run ${result.runId} is already under way.`;
  }

  // --- Slash command -------------------------------------------------------------------------
  app.command(config.command, async ({ command, ack }) => {
    const t0 = now();
    const target: ReplyTarget = { platform: PLATFORM, channel: command.channel_id, user: `slack:${command.user_id}`, replyHandle: command.response_url };
    const work = (async (): Promise<RouteResult> => {
      const user = await chatUser(command.user_id, groupsOf, command.user_name);
      return opts.router.handleMessage(slashToMessage(command, user));
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), opts.ackBudgetMs ?? ACK_BUDGET_MS);
    });
    const first = await Promise.race([work, late]).catch((err: unknown) => err as Error);
    clearTimeout(timer);
    if (first === 'late' || first instanceof Error) {
      await ack({ response_type: 'ephemeral', text: first === 'late' ? ':hourglass_flowing_sand: Working on it…' : ':warning: Something went wrong handling this command; it was logged.' });
      opts.onAck?.(now() - t0);
      if (first instanceof Error) {
        log.error({ err: first }, 'slash command failed');
        return;
      }
      const result = await work.catch((err: unknown) => {
        log.error({ err }, 'slash command failed after the ack');
        return undefined;
      });
      if (!result) return;
      if (result.runId && result.replies.length === 0) await deliver(target, { kind: 'reply', view: { tone: 'info', title: startedText(result), blocks: [], ephemeral: true } });
      for (const r of result.replies) await deliver(target, r);
      follow(result);
      return;
    }
    const result = first;
    const [head, ...rest] = result.replies;
    if (head) {
      const msg = formatContent(head);
      const ephemeral = head.kind === 'reply' ? head.view.ephemeral : true;
      await ack({ response_type: ephemeral ? 'ephemeral' : 'in_channel', text: msg.text, blocks: msg.blocks });
    } else if (result.runId) {
      await ack({ response_type: 'ephemeral', text: startedText(result) });
    } else {
      await ack();
    }
    opts.onAck?.(now() - t0);
    for (const r of rest) await deliver(target, r);
    follow(result);
  });

  // --- Mentions (Bolt acks events itself before listeners run) ---------------------------------
  app.event('app_mention', async ({ event }) => {
    if (!event.user) return;
    const user = await chatUser(event.user, groupsOf);
    const text = await withThreadRun(plainText(event.text), event.channel, event.thread_ts, opts.threadRuns, config.command);
    const msg: ChatMessage = mentionToMessage(event, user, text);
    const result = await opts.router.handleMessage(msg);
    // Answers go into the mention's thread (or start one under it).
    const target: ReplyTarget = { platform: PLATFORM, channel: event.channel, thread: event.thread_ts ?? event.ts, user: user.identity };
    if (result.runId && result.started) await deliver(target, { kind: 'reply', view: { tone: 'info', title: startedText(result), blocks: [], ephemeral: true } });
    for (const r of result.replies) await deliver(target, r);
    follow(result);
  });

  // --- Approve / Deny buttons ------------------------------------------------------------------
  app.action(ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    if (body.type !== 'block_actions' || !('action_id' in action)) return;
    const message = 'message' in body ? (body.message as { ts?: string; thread_ts?: string } | undefined) : undefined;
    const user = await chatUser(body.user.id, groupsOf, body.user.name);
    const click = clickToAction(
      { actionId: action.action_id, userId: body.user.id, channel: body.channel?.id, messageTs: message?.ts, threadTs: message?.thread_ts, responseUrl: body.response_url },
      user,
    );
    if (!click) {
      log.warn({ actionId: action.action_id }, 'button click without a run or channel ignored');
      return;
    }
    const result = await opts.router.handleClick(click);
    const thread = message?.thread_ts ?? message?.ts;
    for (const r of result.replies) {
      const ephemeral = r.kind === 'reply' ? r.view.ephemeral : true;
      // A refusal goes to the clicker alone (response_url); a decision is posted in the thread.
      const to: ReplyTarget = { platform: PLATFORM, channel: click.channel, thread, user: user.identity, replyHandle: ephemeral ? body.response_url : undefined };
      await deliver(to, r);
    }
    follow(result);
  });

  let started = false;
  return {
    app,
    platform,
    botUserId: me.userId,
    async start() {
      if (config.mode !== 'socket' || started) return;
      started = true;
      await app.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      await app.stop();
    },
  };
}
