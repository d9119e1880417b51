/**
 * Inbound translation: Discord interactions (raw API objects, the same from the HTTP endpoint and
 * the Gateway) become the chat layer's ChatMessage / ActionClick. Users become `discord:<id>`
 * identities with `discord-role:<id>` groups from the invoking member's roles. In a thread, the
 * parent channel is the channel policy sees and where a run's header goes; the thread is where
 * answers go.
 */
import { ChannelType, type APIInteraction, type APIMessageComponentInteraction } from 'discord-api-types/v10';
import type { ActionClick, ChatMessage, ChatUser, ReplyTarget } from '../../chat/platform.js';
import { decodeActionId } from '../../chat/platform.js';
import { PLATFORM } from './discord-platform.js';
import { encodeReplyHandle } from './reply-handle.js';

const THREAD_TYPES: ReadonlySet<number> = new Set([ChannelType.PublicThread, ChannelType.PrivateThread, ChannelType.AnnouncementThread]);

export function chatUser(i: APIInteraction): ChatUser | undefined {
  const user = i.member?.user ?? i.user;
  if (!user) return undefined;
  return { identity: `discord:${user.id}`, groups: (i.member?.roles ?? []).map((r) => `discord-role:${r}`), displayName: user.global_name ?? user.username };
}

/** Where an interaction happened: the channel (a thread's parent) and the thread, if it was in one. */
export function placeOf(i: APIInteraction): { channel: string; thread?: string } | undefined {
  const id = i.channel?.id ?? i.channel_id;
  if (!id) return undefined;
  const ch = i.channel as { type?: number; parent_id?: string | null } | undefined;
  if (ch?.type !== undefined && THREAD_TYPES.has(ch.type) && ch.parent_id) return { channel: ch.parent_id, thread: id };
  return { channel: id };
}

export function replyTarget(i: APIInteraction, user: ChatUser): ReplyTarget {
  const place = placeOf(i);
  return { platform: PLATFORM, channel: place?.channel ?? '', thread: place?.thread, user: user.identity, replyHandle: encodeReplyHandle(i.id, i.token) };
}

export function commandToMessage(i: APIInteraction, user: ChatUser, text: string): ChatMessage | undefined {
  const place = placeOf(i);
  if (!place) return undefined;
  return {
    platform: PLATFORM,
    user,
    channel: place.channel,
    thread: place.thread,
    text,
    // One interaction id per invocation: the idempotency key of the run it starts.
    messageId: i.id,
    replyHandle: encodeReplyHandle(i.id, i.token),
  };
}

export function clickToAction(i: APIMessageComponentInteraction, user: ChatUser): ActionClick | undefined {
  const decoded = decodeActionId(i.data.custom_id);
  const place = placeOf(i);
  if (!decoded || !place) return undefined;
  // The buttons' message lives in the run's thread (or under its header): answers go where it is.
  const where = i.message.channel_id;
  return { platform: PLATFORM, ...decoded, user, channel: place.channel, message: { platform: PLATFORM, channel: where, id: i.message.id, thread: where }, replyHandle: encodeReplyHandle(i.id, i.token) };
}
