/**
 * A Discord reply handle (ReplyTarget.replyHandle) is `<interaction id>:<interaction token>`: the
 * token answers the user through the interaction's webhook (ephemeral messages, also in channels
 * the bot cannot post in), and the id, a snowflake, says when the token was issued. Tokens live 15
 * minutes; near the end the adapter switches to bot-token routes (a DM) instead of waiting for
 * Discord's 50027.
 */
import { snowflakeTime } from './snowflake.js';

export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
/** Stop using a token this long before it expires (a request in flight must still land). */
export const TOKEN_MARGIN_MS = 60_000;

export function encodeReplyHandle(interactionId: string, token: string): string {
  return `${interactionId}:${token}`;
}

export function decodeReplyHandle(handle: string): { interactionId: string; token: string; issuedAt: number } | undefined {
  const i = handle.indexOf(':');
  if (i < 0) return undefined;
  const interactionId = handle.slice(0, i);
  const issuedAt = snowflakeTime(interactionId);
  const token = handle.slice(i + 1);
  if (issuedAt === undefined || token === '') return undefined;
  return { interactionId, token, issuedAt };
}

/** Whether the token may still be used at `now`, with `lifetimeMs` (tests shorten it). */
export function tokenUsable(issuedAt: number, now: number, lifetimeMs = INTERACTION_TOKEN_LIFETIME_MS): boolean {
  return now < issuedAt + lifetimeMs - Math.min(TOKEN_MARGIN_MS, lifetimeMs / 4);
}
