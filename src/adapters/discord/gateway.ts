/**
 * Gateway mode (no DISCORD_PUBLIC_KEY): the bot connects out to Discord's Gateway with a
 * discord.js Client, so no public URL is needed. Only INTERACTION_CREATE matters, taken raw from
 * the Client's Gateway connection (`client.ws`): the same payload the HTTP endpoint hands to
 * handleInteraction. The Client asks for no intents (interactions need none) and caches no users,
 * members or messages. Its REST base is DISCORD_API_URL, so the Gateway URL is what
 * GET /gateway/bot there answers. Heartbeats, resuming after a dropped connection (replaying what
 * was missed) and reconnecting are discord.js's.
 *
 * This module is imported only in Gateway mode: discord.js is large to load.
 */
import { Client, DiscordjsError, DiscordjsErrorCodes, Events, GatewayCloseCodes, GatewayDispatchEvents, Options, type APIInteraction } from 'discord.js';
import type { Logger } from '../../lib/logger.js';
import { DiscordConfigError } from './errors.js';

/** How long `connect` waits for READY before `serve` gives up. */
export const GATEWAY_CONNECT_MS = 30_000;

export interface GatewayOptions {
  token: string;
  /** REST base without the version (DISCORD_API_URL). */
  apiUrl: string;
  log: Logger;
  onInteraction: (interaction: APIInteraction) => void;
  connectTimeoutMs?: number;
  /** How long a lost connection may take to come back before `problem` reports it (a resume takes well under a second). */
  downGraceMs?: number;
  now?: () => number;
}

/** A dropped connection reconnecting for longer than this makes `serve` not ready. */
export const GATEWAY_DOWN_GRACE_MS = 15_000;

export interface GatewayConnection {
  /** Why interactions are not being received now (for /readyz), or undefined while connected. */
  problem(): string | undefined;
  /** Closes the connection (1000: the session ends, nothing resumes it). */
  close(): Promise<void>;
}

export async function connectGateway(opts: GatewayOptions): Promise<GatewayConnection> {
  const log = opts.log.child({ gateway: true });
  const client = new Client({
    intents: [],
    rest: { api: opts.apiUrl, version: '10' },
    // Only raw interactions are used: keep no objects of the users, members and messages it sees.
    makeCache: Options.cacheWithLimits({ MessageManager: 0, UserManager: 0, GuildMemberManager: 0, ThreadMemberManager: 0, PresenceManager: 0, ReactionManager: 0, VoiceStateManager: 0 }),
  });
  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: APIInteraction) => opts.onInteraction(data));
  client.on(Events.Debug, (message) => log.debug({ message }, 'discord gateway'));
  const now = opts.now ?? Date.now;
  // Since when the connection has been lost (undefined while connected).
  let lostAt: number | undefined;
  const connected = () => (lostAt = undefined);
  client.on(Events.ShardReady, connected);
  client.on(Events.ShardResume, () => (connected(), log.info('discord gateway session resumed')));
  client.on(Events.ShardReconnecting, () => {
    lostAt ??= now();
    log.warn('discord gateway connection lost; reconnecting');
  });
  client.on(Events.ShardError, (err) => log.error({ err }, 'discord gateway error'));
  let fatalCode: number | undefined;
  client.on(Events.ShardDisconnect, ({ code }) => {
    fatalCode = code;
    lostAt ??= now();
    log.error({ code }, 'discord gateway closed the connection for good: interactions are no longer received (restart serve once fixed)');
  });

  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = opts.connectTimeoutMs ?? GATEWAY_CONNECT_MS;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DiscordConfigError('DISCORD_GATEWAY_UNREACHABLE', 'DISCORD_API_URL', `Discord's Gateway did not answer within ${timeoutMs / 1000} s. Check outbound network access to it, or DISCORD_API_URL if you set it.`)), timeoutMs);
  });
  try {
    await Promise.race([client.login(opts.token).catch((err: unknown) => Promise.reject(gatewayError(err, fatalCode))), timeout]);
  } catch (err) {
    await client.destroy().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  log.info('connected to the Discord Gateway');
  const graceMs = opts.downGraceMs ?? GATEWAY_DOWN_GRACE_MS;
  return {
    problem() {
      if (lostAt === undefined) return undefined;
      if (fatalCode !== undefined) return `Discord's Gateway closed the connection for good (code ${fatalCode}${GatewayCloseCodes[fatalCode] ? ` ${GatewayCloseCodes[fatalCode]}` : ''}): interactions are no longer received; restart serve once fixed`;
      const downMs = now() - lostAt;
      if (downMs < graceMs) return undefined;
      return `connection to Discord's Gateway lost ${Math.round(downMs / 1000)} s ago; reconnecting`;
    },
    async close() {
      await client.destroy();
    },
  };
}

/** A failed login as a start error naming the variable to fix. */
function gatewayError(err: unknown, closeCode: number | undefined): DiscordConfigError {
  const why = err instanceof Error ? err.message : String(err);
  if (closeCode === GatewayCloseCodes.AuthenticationFailed || (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid)) {
    return new DiscordConfigError('DISCORD_GATEWAY_REFUSED', 'DISCORD_TOKEN', `Discord's Gateway refused DISCORD_TOKEN (${why}). Reset the bot token in the developer portal ("Bot" → "Reset Token") and copy it.`);
  }
  return new DiscordConfigError('DISCORD_GATEWAY_UNREACHABLE', 'DISCORD_API_URL', `Could not connect to Discord's Gateway: ${why}. Check outbound network access, or DISCORD_API_URL if you set it.`);
}
