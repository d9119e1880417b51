/**
 * The outbound side of the Discord adapter: the chat layer's ChatPlatform over discord.js's REST
 * client. A run's header is a channel message with a public thread started from it (the thread's
 * id is the message's); step output, approvals and the final status go into the thread. Where no
 * thread can be started (a DM, a thread or forum channel, no Create Public Threads permission)
 * they go under the header in the same channel as replies to it. Long logs and long answers go up
 * as attachments.
 *
 * Answers to a user go through the interaction's webhook (`auth: false`: the interaction token is
 * the credential, so a refused token never clears the bot's), ephemeral when only they should see
 * it; once the token is near its 15 minutes (or Discord answers 50027) they go by bot token
 * instead: ephemeral ones as a DM, others into the thread or channel.
 *
 * A run's header and an incident's message are posted with a nonce named after their run or
 * incident and `enforce_nonce`: Discord returns the message already posted with that nonce (in the
 * past few minutes) instead of creating another, so a replica taking over a run or an incident
 * whose message landed after its ref was lost (its replica died in between) gets that message back
 * by posting it again (and the thread already started from it): no lookup (findRoot) is needed here.
 *
 * Messages older than an hour take few edits (30046). A run waiting hours for an approval still
 * shows its latest state: a refused edit is posted as a new message where the old one's thread
 * goes on (a header's state into its thread, a reply's beside it, pointing at it), and later edits
 * of that message go to the new one, which is young again.
 */
import { createHash } from 'node:crypto';
import type { REST, RawFile } from '@discordjs/rest';
import { MessageFlags, Routes, type RESTPostAPIChannelMessageJSONBody, type APIMessage, type APIChannel } from 'discord-api-types/v10';
import { ChannelUnavailableError, rootKeyOf, type ChatContent, type ChatPlatform, type FileUpload, type MessageRef, type ReplyTarget, type RootKey, type WriteBudget } from '../../chat/platform.js';
import type { OutputLimits } from '../../chat/render-model.js';
import type { Logger } from '../../lib/logger.js';
import { DISCORD_OUTPUT_LIMITS, DISCORD_REPLY_LIMITS, formatContent, type DiscordMessage } from './format/format.js';
import { DISCORD_LIMITS } from './format/limits.js';
import { decodeReplyHandle, INTERACTION_TOKEN_LIFETIME_MS, tokenUsable } from './reply-handle.js';
import { DISCORD_CODES, discordCall, discordCodeOf, translateError } from './rest.js';
import type { DiscordThreadRuns } from './thread-runs.js';

/** Discord allows about 5 messages per 5 seconds per channel (a thread is a channel of its own). */
export const DISCORD_BUDGET: WriteBudget = { writes: 5, perMs: 5_000 };

export const PLATFORM = 'discord';

/** Messages whose edits were moved to a newer copy, remembered at most (oldest forgotten first). */
const MOVED_MAX = 10_000;

export interface DiscordPlatformOptions {
  rest: REST;
  applicationId: string;
  log: Logger;
  threadRuns?: DiscordThreadRuns;
  /** Interaction token lifetime (Discord: 15 minutes; tests shorten it). */
  tokenLifetimeMs?: number;
  now?: () => number;
}

export function discordUserId(identity: string): string | undefined {
  const m = /^discord:(\d+)$/.exec(identity);
  return m?.[1];
}

/** Where replies to a root go: its thread, or (no thread) the root's channel as replies to it. */
function replyPlace(root: MessageRef): { channel: string; reference?: { message_id: string; fail_if_not_exists: false } } {
  return root.thread ? { channel: root.thread } : { channel: root.channel, reference: { message_id: root.id, fail_if_not_exists: false } };
}

/**
 * Where the new copy of a message whose edit was refused goes: a header with a thread (the thread
 * has the header's id) posts into that thread; any other message beside itself, pointing at it.
 */
function movedPlace(ref: MessageRef): { channel: string; reference?: { message_id: string; fail_if_not_exists: false } } {
  if (ref.thread !== undefined && ref.thread === ref.id) return { channel: ref.thread };
  return { channel: ref.channel, reference: { message_id: ref.id, fail_if_not_exists: false } };
}

/** The first character of a nonce, by what the message stands for: a run's and an incident's never collide. */
const NONCE_PREFIX: Record<RootKey['kind'], string> = { run: 'h', incident: 'i' };

/**
 * The nonce of the message `key` stands for (a run's header, an incident's message): the same for
 * every post of it, at most 25 characters (Discord's limit), so that with `enforce_nonce` a repost
 * returns the first one.
 */
export function rootNonce(key: RootKey): string {
  return `${NONCE_PREFIX[key.kind]}${createHash('sha256').update(key.id).digest('base64url').slice(0, 24)}`;
}

/** What a message's create body adds so a repost of a run's header or an incident's message returns the first one. */
function once(content: ChatContent): { nonce: string; enforce_nonce: true } | undefined {
  const key = rootKeyOf(content);
  return key ? { nonce: rootNonce(key), enforce_nonce: true } : undefined;
}

function files(file: FileUpload | undefined): RawFile[] | undefined {
  return file ? [{ name: file.filename, data: Buffer.from(file.text, 'utf8'), contentType: 'text/plain' }] : undefined;
}

export class DiscordPlatform implements ChatPlatform {
  readonly name = PLATFORM;
  readonly budget = DISCORD_BUDGET;
  readonly outputLimits: OutputLimits = DISCORD_OUTPUT_LIMITS;
  readonly replyLimits: OutputLimits = DISCORD_REPLY_LIMITS;
  readonly commandPrefix = '/ops command:';
  private readonly now: () => number;
  /** Edits refused as too many on an old message go to the copy posted instead (by the first message's id). */
  private readonly moved = new Map<string, MessageRef>();

  constructor(private readonly opts: DiscordPlatformOptions) {
    this.now = opts.now ?? Date.now;
  }

  get rest(): REST {
    return this.opts.rest;
  }

  async postRoot(channel: string, content: ChatContent): Promise<MessageRef> {
    const msg = await this.send(channel, formatContent(content), undefined, undefined, once(content));
    const ref: MessageRef = { platform: PLATFORM, channel, id: msg.id };
    if (content.kind === 'incident') {
      // The incident's thread: its changes and runs go there, and /ops typed there is bound to it.
      const thread = await this.startThread(channel, msg.id, `${content.view.incidentId} ${content.view.title}`);
      return thread ? { ...ref, thread } : ref;
    }
    if (content.kind !== 'run') return ref;
    // A thread started from a message has the message's id: known before the thread exists, so a
    // command typed in the thread the moment it appears already finds its run.
    await this.opts.threadRuns?.remember(msg.id, content.view.runId);
    const thread = await this.startThread(channel, msg.id, `${content.view.workflow} ${content.view.runId}`);
    if (thread && thread !== msg.id) await this.opts.threadRuns?.remember(thread, content.view.runId);
    // The root's `thread` names the thread started from it (replies go there), when there is one.
    return thread ? { ...ref, thread } : ref;
  }

  async postReply(root: MessageRef, content: ChatContent): Promise<MessageRef> {
    const place = replyPlace(root);
    const msg = await this.send(place.channel, formatContent(content), place.reference, undefined, once(content));
    return { platform: PLATFORM, channel: place.channel, id: msg.id, thread: root.id };
  }

  async update(ref: MessageRef, content: ChatContent): Promise<void> {
    const body = formatContent(content);
    const current = this.moved.get(ref.id) ?? ref;
    try {
      await discordCall('edit message', current.channel, () => this.opts.rest.patch(Routes.channelMessage(current.channel, current.id), { body }));
    } catch (err) {
      if ((err as { discordCode?: unknown }).discordCode !== DISCORD_CODES.tooManyEditsOfOldMessage) throw err;
      // Post rather than edit: the state goes out now, in a message that takes edits again.
      const place = movedPlace(current);
      const msg = await this.send(place.channel, body, place.reference);
      this.moved.delete(ref.id);
      this.moved.set(ref.id, { ...current, channel: place.channel, id: msg.id });
      if (this.moved.size > MOVED_MAX) this.moved.delete(this.moved.keys().next().value as string);
      this.opts.log.info({ channel: current.channel, message: current.id, moved: msg.id }, 'discord refused an edit of an old message (30046); posted its state as a new message');
    }
  }

  async uploadFile(root: MessageRef, file: FileUpload): Promise<MessageRef> {
    const place = replyPlace(root);
    const content = `📎 ${file.title ?? file.filename}`.slice(0, DISCORD_LIMITS.content);
    const msg = await this.send(place.channel, { content, embeds: [], components: [], allowed_mentions: { parse: [] } }, place.reference, file);
    return { platform: PLATFORM, channel: place.channel, id: msg.id, thread: root.id };
  }

  async reply(to: ReplyTarget, content: ChatContent): Promise<MessageRef | void> {
    const ephemeral = content.kind === 'reply' ? content.view.ephemeral : true;
    const attachment = content.kind === 'reply' ? content.view.attachment : undefined;
    const msg = formatContent(content);
    const handle = to.replyHandle ? decodeReplyHandle(to.replyHandle) : undefined;
    if (handle && tokenUsable(handle.issuedAt, this.now(), this.opts.tokenLifetimeMs ?? INTERACTION_TOKEN_LIFETIME_MS)) {
      try {
        const body = { ...msg, flags: ephemeral ? MessageFlags.Ephemeral : 0, ...(attachment ? { attachments: [{ id: 0, filename: attachment.filename }] } : {}) };
        const sent = (await this.opts.rest.post(Routes.webhook(this.opts.applicationId, handle.token), { body, files: files(attachment), auth: false, query: new URLSearchParams({ wait: 'true' }) })) as APIMessage;
        return { platform: PLATFORM, channel: sent.channel_id, id: sent.id, thread: to.thread };
      } catch (err) {
        const code = discordCodeOf(err);
        if (code !== DISCORD_CODES.invalidWebhookToken && code !== DISCORD_CODES.unknownWebhook) throw translateError(err, 'interaction follow-up', to.channel);
        this.opts.log.info({ code }, 'interaction token no longer accepted; answering by bot token');
      }
    }
    const user = discordUserId(to.user);
    if (ephemeral && user) {
      await this.directMessage(user, msg, attachment);
      return;
    }
    const sent = await this.send(to.thread ?? to.channel, msg, undefined, attachment);
    return { platform: PLATFORM, channel: sent.channel_id, id: sent.id, thread: to.thread };
  }

  /** Replaces the interaction's first answer (a deferred "thinking…" one) with `content`. */
  async editOriginal(replyHandle: string, content: ChatContent): Promise<void> {
    const handle = decodeReplyHandle(replyHandle);
    if (!handle) throw new Error('not a Discord reply handle');
    const attachment = content.kind === 'reply' ? content.view.attachment : undefined;
    const body = { ...formatContent(content), ...(attachment ? { attachments: [{ id: 0, filename: attachment.filename }] } : {}) };
    await discordCall('edit interaction answer', '', () => this.opts.rest.patch(Routes.webhookMessage(this.opts.applicationId, handle.token, '@original'), { body, files: files(attachment), auth: false }));
  }

  /** A private answer in the bot's DM with the user: works whatever the channel. */
  private async directMessage(user: string, msg: DiscordMessage, attachment?: FileUpload): Promise<void> {
    const dm = await discordCall<APIChannel>('open DM', user, () => this.opts.rest.post(Routes.userChannels(), { body: { recipient_id: user } }));
    try {
      await this.send(dm.id, msg, undefined, attachment);
    } catch (err) {
      if (err instanceof ChannelUnavailableError || (err as { discordCode?: unknown }).discordCode === DISCORD_CODES.cannotSendToUser) {
        throw new ChannelUnavailableError(user, 'DISCORD_DM_REFUSED', `Discord refused a direct message to user ${user}.`, 'allow direct messages from server members (Privacy Settings of the server).');
      }
      throw err;
    }
  }

  private async send(channel: string, msg: DiscordMessage, reference?: { message_id: string; fail_if_not_exists: false }, attachment?: FileUpload, nonce?: { nonce: string; enforce_nonce: true }): Promise<APIMessage> {
    const body: RESTPostAPIChannelMessageJSONBody = { ...msg, ...(reference ? { message_reference: reference } : {}), ...(attachment ? { attachments: [{ id: 0, filename: attachment.filename }] } : {}), ...nonce };
    return discordCall<APIMessage>('post message', channel, () => this.opts.rest.post(Routes.channelMessages(channel), { body, files: files(attachment) }));
  }

  /** Starts a public thread from the header; undefined where the channel cannot have one (replies then go under the header). */
  private async startThread(channel: string, messageId: string, name: string): Promise<string | undefined> {
    try {
      const thread = (await this.opts.rest.post(Routes.threads(channel, messageId), { body: { name: name.slice(0, DISCORD_LIMITS.threadName), auto_archive_duration: 1440 } })) as APIChannel;
      return thread.id;
    } catch (err) {
      const code = discordCodeOf(err);
      // Already started (a retried post): a thread started from a message has the message's id.
      if (code === DISCORD_CODES.threadAlreadyCreated) return messageId;
      this.opts.log.info({ channel, code, err: code === undefined ? err : undefined }, 'no thread for this message: replies go under it');
      return undefined;
    }
  }
}
