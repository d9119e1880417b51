/**
 * The REST client of the Discord adapter: discord.js's `@discordjs/rest` pointed at
 * DISCORD_API_URL (option `api`). It is built to reject rate-limited calls instead of sleeping
 * inside the client: a 429 (or the client's own pre-emptive throttle) becomes a DiscordWriteError
 * carrying `retryAfterMs`, which the chat layer's pacer honours while it keeps coalescing newer
 * content. Errors no retry can fix (401, 403, 404: they count toward Discord's invalid-request
 * limit) are marked permanent, and those meaning "the bot may not write here" become the chat
 * layer's ChannelUnavailableError with the permissions to grant.
 */
import { DiscordAPIError, HTTPError, RateLimitError, REST, type RESTOptions } from '@discordjs/rest';
import { ChannelUnavailableError } from '../../chat/platform.js';
import type { DiscordConfig } from './config.js';

/**
 * Route limits (per channel) are rejected to the caller, so the pacer waits while it coalesces
 * newer content; the global limit (50 requests a second per bot) is waited out inside the client,
 * which also stays a little under it on its own, since its waits are under a second.
 * Requests go through Node's own fetch (`makeRequest`, as the client's docs suggest): the client's
 * default, the undici package, cannot send the global FormData that file uploads are built as.
 */
export function createDiscordRest(config: Pick<DiscordConfig, 'token' | 'apiUrl'>, opts: { timeoutMs?: number } = {}): REST {
  return new REST({ api: config.apiUrl, version: '10', rejectOnRateLimit: (limit) => !limit.global, globalRequestsPerSecond: 45, makeRequest: fetch as unknown as RESTOptions['makeRequest'], retries: 2, timeout: opts.timeoutMs ?? 15_000 }).setToken(config.token);
}

/** JSON error codes Discord answers (developer docs, "JSON Error Codes") that the adapter acts on. */
export const DISCORD_CODES = {
  unknownChannel: 10003,
  unknownMessage: 10008,
  unknownWebhook: 10015,
  unknownInteraction: 10062,
  missingAccess: 50001,
  cannotSendToUser: 50007,
  cannotExecuteOnChannelType: 50024,
  missingPermissions: 50013,
  invalidWebhookToken: 50027,
  tooManyEditsOfOldMessage: 30046,
  threadAlreadyCreated: 160004,
  threadArchived: 50083,
  invalidFormBody: 50035,
} as const;

export class DiscordWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Set for HTTP 429 (and 30046): how long to wait before trying again. */
    readonly retryAfterMs?: number,
    /** True when retrying the same request cannot succeed (read by the pacer). */
    readonly permanent = false,
    /** Discord's JSON error code, when it gave one. */
    readonly discordCode?: number,
  ) {
    super(message);
    this.name = 'DiscordWriteError';
  }
}

/** Discord's JSON error code of a failed call, if it was an API error. */
export function discordCodeOf(err: unknown): number | undefined {
  return err instanceof DiscordAPIError && typeof err.code === 'number' ? err.code : undefined;
}

/** What to tell a user whose channel refuses the bot, with the permissions to grant. */
export const CHANNEL_FIX =
  'give the bot View Channel, Send Messages, Send Messages in Threads, Create Public Threads, Embed Links and Attach Files in this channel (Channel settings → Permissions), or run the command from another channel.';

/**
 * Runs a REST call for a write to `channel`, turning the client's errors into DiscordWriteErrors
 * (or a ChannelUnavailableError) with a code.
 */
export async function discordCall<T>(what: string, channel: string, fn: () => Promise<unknown>): Promise<T> {
  try {
    return (await fn()) as T;
  } catch (err) {
    throw translateError(err, what, channel);
  }
}

export function translateError(err: unknown, what: string, channel: string): Error {
  if (err instanceof RateLimitError) {
    const wait = Math.max(err.retryAfter, err.timeToReset, err.sublimitTimeout, 1);
    return new DiscordWriteError('DISCORD_RATE_LIMITED', `${what}: rate limited by Discord for ${wait} ms`, wait);
  }
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : undefined;
    if (code === DISCORD_CODES.missingAccess || code === DISCORD_CODES.missingPermissions || code === DISCORD_CODES.unknownChannel) {
      return new ChannelUnavailableError(channel, `DISCORD_${code}`, `Discord refused ${what} in channel ${channel}: ${err.message} (${code}).`, CHANNEL_FIX);
    }
    if (code === DISCORD_CODES.tooManyEditsOfOldMessage) {
      // Messages older than an hour take few edits: wait a minute before the next one.
      return new DiscordWriteError('DISCORD_EDIT_LIMIT', `${what}: Discord refused another edit of an old message (30046)`, 60_000, false, code);
    }
    const permanent = err.status === 400 || err.status === 401 || err.status === 403 || err.status === 404;
    return new DiscordWriteError(`DISCORD_${code ?? err.status}`, `${what}: Discord answered ${err.status} ${err.message}`, undefined, permanent, code);
  }
  if (err instanceof HTTPError) return new DiscordWriteError(`DISCORD_HTTP_${err.status}`, `${what}: Discord answered HTTP ${err.status}`);
  return err instanceof Error ? err : new Error(String(err));
}
