/**
 * The outbound side of the Slack adapter: the chat layer's ChatPlatform over the Web API. Content
 * is formatted as Block Kit (block-kit/), messages are referenced by channel + ts, long logs and a
 * reply's attachment (a long transcript) go up with filesUploadV2 (files.getUploadURLExternal +
 * completeUploadExternal). The client is built to reject rate-limited calls instead of sleeping
 * inside the SDK: a 429 becomes an error carrying `retryAfterMs`, which the chat layer's pacer
 * honours while it keeps coalescing newer content.
 * Answers that no retry can change (the bot is not in the channel, the channel is archived or
 * restricted) become the chat layer's ChannelUnavailableError, with the fix in Slack's words.
 */
import { webApi } from '@slack/bolt';
import {
  ChannelUnavailableError,
  type ChatContent,
  type ChatPlatform,
  type FileUpload,
  type MessageRef,
  type ReplyBlock,
  type ReplyTarget,
  type ReplyView,
  type RootKey,
  type WriteBudget,
} from '../../chat/platform.js';
import type { OutputLimits } from '../../chat/render-model.js';
import type { Logger } from '../../lib/logger.js';
import { formatContent, SLACK_OUTPUT_LIMITS, SLACK_REPLY_LIMITS, type SlackMessage } from './block-kit/format.js';
import { findRootTs, metadataOf } from './root-lookup.js';
import type { ThreadRuns } from './thread-runs.js';

/** Slack allows about one message per second per channel (short bursts tolerated). */
export const SLACK_BUDGET: WriteBudget = { writes: 1, perMs: 1_000 };

export class SlackWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Set for HTTP 429: how long Slack asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SlackWriteError';
  }
}

/**
 * Web API errors that mean "this bot may not write in this channel", however often it tries, and
 * what the user does about each. Slack answers channel_not_found for a private channel the bot
 * cannot see, not_in_channel for one it can see but was not invited to.
 */
const CHANNEL_REFUSALS: Record<string, (bot: string) => string> = {
  not_in_channel: (bot) => `invite the bot into the channel: type \`/invite @${bot}\` there.`,
  channel_not_found: (bot) => `if this is a private channel, invite the bot into it: type \`/invite @${bot}\` there.`,
  is_archived: () => 'the channel is archived: unarchive it, or run the command from another channel.',
  restricted_action: () => 'a workspace admin restricts posting in this channel: run the command from another channel, or ask an admin.',
  restricted_action_read_only_channel: () => 'this channel is read-only: run the command from another channel.',
  restricted_action_thread_only_channel: () => 'this channel only allows thread replies: run the command from another channel.',
};

/** The Slack error a Web API call failed with, or a response_url that no longer takes posts. */
function channelRefusal(code: string, channel: string, method: string, bot: string): ChannelUnavailableError | undefined {
  const fix = CHANNEL_REFUSALS[code];
  if (!fix) return undefined;
  return new ChannelUnavailableError(channel, `SLACK_${code.toUpperCase()}`, `Slack refused ${method} in channel ${channel}: ${code}.`, fix(bot));
}

export interface SlackPlatformOptions {
  token: string;
  /** The slash command (`/ops`), to quote commands in messages. */
  command?: string;
  apiUrl?: string;
  log: Logger;
  threadRuns?: ThreadRuns;
  /** Counts 429 answers (metrics, bench). */
  onRateLimited?: (method: string, retryAfterSec: number) => void;
}

export function createWriteClient(opts: Pick<SlackPlatformOptions, 'token' | 'apiUrl'>): webApi.WebClient {
  return new webApi.WebClient(opts.token, {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    rejectRateLimitedCalls: true,
    // Network errors: a few quick retries here; the pacer retries longer with backoff.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    logLevel: webApi.LogLevel.ERROR,
  });
}

export function slackUserId(identity: string): string | undefined {
  return identity.startsWith('slack:') ? identity.slice('slack:'.length) : undefined;
}

export class SlackPlatform implements ChatPlatform {
  readonly name = 'slack';
  readonly budget = SLACK_BUDGET;
  readonly outputLimits: OutputLimits = SLACK_OUTPUT_LIMITS;
  readonly replyLimits: OutputLimits = SLACK_REPLY_LIMITS;
  readonly client: webApi.WebClient;
  readonly commandPrefix: string;
  /** The bot's user name (auth.test), for `/invite @name` hints; set by the front at start. */
  botName = 'chatops';
  /**
   * What Slack answered 429 for, until when: `channel:C…` and, for methods Slack limits per
   * workspace (everything but chat.postMessage, whose limit is per channel), `method:…`. Until
   * Retry-After has passed no write covered by a block goes out: it fails at once with the
   * remaining wait, and the pacer retries it then (keeping only the newest content).
   */
  private readonly blockedUntil = new Map<string, number>();
  /** Reply attachments already uploaded: a reply retried whole (after a 429 on its note) does not upload its file twice. */
  private readonly attached = new WeakSet<FileUpload>();

  constructor(private readonly opts: SlackPlatformOptions) {
    this.client = createWriteClient(opts);
    this.commandPrefix = `${opts.command ?? '/ops'} `;
  }

  /**
   * A run's header or an incident's message names what it stands for in message metadata, so a
   * replica that did not keep its ts finds it (findRoot).
   */
  async postRoot(channel: string, content: ChatContent): Promise<MessageRef> {
    const msg = formatContent(content);
    const metadata = metadataOf(content);
    const res = await this.call('chat.postMessage', channel, () => this.client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false, ...metadata }));
    const ts = String(res.ts);
    if (content.kind === 'run' && this.opts.threadRuns) await this.opts.threadRuns.remember(channel, ts, content.view.runId);
    return { platform: this.name, channel, id: ts };
  }

  async postReply(root: MessageRef, content: ChatContent): Promise<MessageRef> {
    const msg = formatContent(content);
    // A reply's own replies go into the same thread (a run reported inside an incident's thread).
    const thread = root.thread ?? root.id;
    const metadata = metadataOf(content);
    const res = await this.call('chat.postMessage', root.channel, () =>
      this.client.chat.postMessage({ channel: root.channel, thread_ts: thread, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false, ...metadata }),
    );
    return { platform: this.name, channel: root.channel, id: String(res.ts), thread };
  }

  /**
   * A run's header or an incident's message posted since `since`, found by its metadata in the
   * channel's history (or the thread's replies). Needs channels:history / groups:history: without
   * them Slack answers missing_scope, thrown as SLACK_MISSING_SCOPE.
   */
  async findRoot(channel: string, key: RootKey, since: number, thread?: MessageRef): Promise<MessageRef | undefined> {
    const threadTs = thread ? (thread.thread ?? thread.id) : undefined;
    const read = <T>(method: string, fn: () => Promise<T>) => this.call(method, channel, fn, 'read');
    const ts = await findRootTs(this.client, read, { channel, threadTs }, key, since);
    if (ts === undefined) return undefined;
    if (threadTs) return { platform: this.name, channel, id: ts, thread: threadTs };
    if (key.kind === 'run') await this.opts.threadRuns?.remember(channel, ts, key.id);
    return { platform: this.name, channel, id: ts };
  }

  async update(ref: MessageRef, content: ChatContent): Promise<void> {
    const msg = formatContent(content);
    await this.call('chat.update', ref.channel, () => this.client.chat.update({ channel: ref.channel, ts: ref.id, text: msg.text, blocks: msg.blocks }));
  }

  async uploadFile(root: MessageRef, file: FileUpload): Promise<void> {
    await this.upload(root.channel, root.thread ?? root.id, file);
  }

  /** A text file into `channel`: into the thread of `threadTs` when given, else at the top level. */
  private async upload(channel: string, threadTs: string | undefined, file: FileUpload): Promise<void> {
    const where = threadTs ? { channel_id: channel, thread_ts: threadTs } : { channel_id: channel };
    await this.call('files.uploadV2', channel, () => this.client.filesUploadV2({ ...where, filename: file.filename, title: file.title ?? file.filename, content: file.text }));
  }

  /**
   * Answers a user where they asked. With a response_url (slash commands, buttons) the answer
   * goes there: it works in channels the bot is not in (chat.postEphemeral does not), which is
   * how a run in such a channel reaches its requester. A response_url takes 5 posts within 30
   * minutes; once Slack refuses it (404/410), the answer goes to the user's DM with the app.
   * Otherwise ephemeral answers use chat.postEphemeral and others go into the thread.
   * A reply's attachment is uploaded first, where the user asked (their thread, else the
   * channel), so the note that names it arrives with the file there; when the channel refuses the
   * file, the note says so instead.
   */
  async reply(to: ReplyTarget, content: ChatContent): Promise<MessageRef | void> {
    if (content.kind === 'reply' && content.view.attachment) content = await this.attach(to, content.view);
    const msg = formatContent(content);
    const ephemeral = content.kind === 'reply' ? content.view.ephemeral : true;
    const user = slackUserId(to.user);
    if (to.replyHandle) {
      const gone = await this.postResponseUrl(to.replyHandle, { response_type: ephemeral ? 'ephemeral' : 'in_channel', replace_original: false, text: msg.text, blocks: msg.blocks });
      if (!gone) return;
      this.opts.log.info({ status: gone }, 'response_url no longer takes posts; answering without it');
      if (ephemeral && user) return this.directMessage(user, msg);
    }
    if (ephemeral && user) {
      try {
        await this.call('chat.postEphemeral', to.channel, () => this.client.chat.postEphemeral({ channel: to.channel, user, text: msg.text, blocks: msg.blocks, ...(to.thread ? { thread_ts: to.thread } : {}) }));
      } catch (err) {
        if (!(err instanceof ChannelUnavailableError)) throw err;
        return this.directMessage(user, msg);
      }
      return;
    }
    const res = await this.call('chat.postMessage', to.channel, () => this.client.chat.postMessage({ channel: to.channel, text: msg.text, blocks: msg.blocks, ...(to.thread ? { thread_ts: to.thread } : {}) }));
    return { platform: this.name, channel: to.channel, id: String(res.ts), thread: to.thread };
  }

  /** Uploads a reply's attachment; the reply to send with it (without the attachment). */
  private async attach(to: ReplyTarget, view: ReplyView): Promise<ChatContent> {
    const { attachment, ...note } = view;
    if (!attachment) return { kind: 'reply', view };
    try {
      if (!this.attached.has(attachment)) await this.upload(to.channel, to.thread, attachment);
      this.attached.add(attachment);
      return { kind: 'reply', view: note };
    } catch (err) {
      if (!(err instanceof ChannelUnavailableError)) throw err;
      const blocks: ReplyBlock[] = [{ type: 'text', text: err.message }, { type: 'text', text: `To fix it: ${err.fix}` }];
      return { kind: 'reply', view: { ...note, tone: 'error', title: `${attachment.filename} could not be attached here`, blocks, code: err.code } };
    }
  }

  /** A private answer in the app's DM with the user (chat.postMessage to a user id): works whatever the channel. */
  private async directMessage(user: string, msg: SlackMessage): Promise<void> {
    await this.call('chat.postMessage', user, () => this.client.chat.postMessage({ channel: user, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false }));
  }

  /** Posts to a response_url; the HTTP status when Slack says it is expired or used up (404/410). */
  private async postResponseUrl(url: string, body: Record<string, unknown>): Promise<number | undefined> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after') ?? '1');
      this.opts.onRateLimited?.('response_url', after);
      throw new SlackWriteError('SLACK_RATE_LIMITED', 'Slack rate-limited the response_url', after * 1000);
    }
    if (res.ok) return undefined;
    // Slack answers expired_url / used_url (30 minutes or 5 posts); retrying cannot help.
    const answer = await res.text().catch(() => '');
    if (res.status === 404 || res.status === 410 || /expired_url|used_url/.test(answer)) return res.status;
    throw new SlackWriteError('SLACK_RESPONSE_URL_FAILED', `response_url answered HTTP ${res.status}`);
  }

  /**
   * Runs a Web API call about `channel`, turning the SDK's errors into SlackWriteErrors with a code.
   * A write refused for good becomes a ChannelUnavailableError; a read (`kind` 'read') refused is a
   * SlackWriteError only, and its 429 holds back that method, not the channel's writes.
   */
  private async call<T>(method: string, channel: string, fn: () => Promise<T>, kind: 'write' | 'read' = 'write'): Promise<T> {
    const keys = [`channel:${channel}`, `method:${method}`];
    const blocked = Math.max(...keys.map((k) => this.blockedUntil.get(k) ?? 0)) - Date.now();
    if (blocked > 0) throw new SlackWriteError('SLACK_RATE_LIMITED', `${method}: rate limited in ${channel} for ${blocked} ms more`, blocked);
    for (const k of keys) this.blockedUntil.delete(k);
    try {
      return await fn();
    } catch (err) {
      const e = err as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown; needed?: unknown } };
      if (e.code === webApi.ErrorCode.RateLimitedError && typeof e.retryAfter === 'number') {
        this.opts.onRateLimited?.(method, e.retryAfter);
        const waitMs = e.retryAfter * 1000;
        const until = Date.now() + waitMs;
        if (kind === 'write') this.blockedUntil.set(`channel:${channel}`, until);
        if (method !== 'chat.postMessage') this.blockedUntil.set(`method:${method}`, until);
        throw new SlackWriteError('SLACK_RATE_LIMITED', `${method}: rate limited by Slack for ${e.retryAfter}s`, waitMs);
      }
      if (e.code === webApi.ErrorCode.PlatformError) {
        const code = String(e.data?.error ?? 'unknown');
        const needed = typeof e.data?.needed === 'string' ? ` (the app needs the scope ${e.data.needed})` : '';
        if (kind === 'read') throw new SlackWriteError(`SLACK_${code.toUpperCase()}`, `${method} in ${channel}: Slack answered ${code}${needed}`);
        this.opts.log.warn({ method, error: code }, 'slack refused a write');
        const refusal = channelRefusal(code, channel, method, this.botName);
        if (refusal) throw refusal;
        throw new SlackWriteError(`SLACK_${code.toUpperCase()}`, `${method}: Slack answered ${code}${needed}`);
      }
      throw err;
    }
  }
}
