/**
 * Inbound translation: Slack slash commands, app mentions and button clicks become the chat
 * layer's ChatMessage / ActionClick. Users become `slack:U…` identities with the policy groups
 * they belong to; text loses Slack's markup.
 */
import type { ActionClick, ChatMessage, ChatUser, MessageRef } from '../../chat/platform.js';
import { decodeActionId } from '../../chat/platform.js';
import { withThreadRun as fillThreadRun } from '../../chat/thread-run.js';
import { plainText } from './slack-text.js';
import type { ThreadRuns } from './thread-runs.js';

export const PLATFORM = 'slack';

export async function chatUser(userId: string, groupsOf: (user: string) => Promise<string[]>, displayName?: string): Promise<ChatUser> {
  return { identity: `slack:${userId}`, groups: await groupsOf(userId), displayName };
}

export interface SlashCommandFields {
  user_id: string;
  user_name?: string;
  channel_id: string;
  text: string;
  trigger_id: string;
  response_url: string;
}

export function slashToMessage(cmd: SlashCommandFields, user: ChatUser): ChatMessage {
  return {
    platform: PLATFORM,
    user,
    channel: cmd.channel_id,
    text: plainText(cmd.text),
    // Slack sends one trigger_id per invocation: the idempotency key of the run it starts.
    messageId: cmd.trigger_id,
    replyHandle: cmd.response_url,
  };
}

export interface MentionFields {
  user?: string;
  channel: string;
  text: string;
  ts: string;
  thread_ts?: string;
}

/** In a run's thread, `status` means `status <that run>` (chat/thread-run.ts). */
export async function withThreadRun(text: string, channel: string, threadTs: string | undefined, threadRuns: ThreadRuns | undefined, command: string): Promise<string> {
  if (!threadTs || !threadRuns) return text;
  return fillThreadRun(text, [command], () => threadRuns.runOf(channel, threadTs));
}

export function mentionToMessage(event: MentionFields, user: ChatUser, text: string): ChatMessage {
  return {
    platform: PLATFORM,
    user,
    channel: event.channel,
    thread: event.thread_ts,
    text,
    // Events may be delivered twice (Slack retries); channel + ts names the message once.
    messageId: `${event.channel}:${event.ts}`,
  };
}

export interface ButtonClickFields {
  actionId: string;
  userId: string;
  userName?: string;
  channel?: string;
  messageTs?: string;
  threadTs?: string;
  responseUrl?: string;
}

export function clickToAction(click: ButtonClickFields, user: ChatUser): ActionClick | undefined {
  const decoded = decodeActionId(click.actionId);
  if (!decoded || !click.channel) return undefined;
  const message: MessageRef | undefined = click.messageTs ? { platform: PLATFORM, channel: click.channel, id: click.messageTs, thread: click.threadTs } : undefined;
  return { platform: PLATFORM, ...decoded, user, channel: click.channel, message, replyHandle: click.responseUrl };
}
