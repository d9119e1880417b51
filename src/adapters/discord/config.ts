/**
 * The Discord settings of `serve` and `chatops discord register`, checked before anything
 * connects: Discord is on when any DISCORD_ variable is set (so a half-configured Discord is an
 * error, not silence). A public key selects the HTTP interactions endpoint
 * (POST /discord/interactions); without it the Gateway is used. Each problem names the variable.
 */
import type { Env } from '../../config/env.js';
import { DiscordConfigError } from './errors.js';

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

export interface DiscordConfig {
  token: string;
  applicationId: string;
  mode: 'http' | 'gateway';
  /** Ed25519 public key, 32 bytes as 64 hex characters (HTTP mode). */
  publicKey?: string;
  /** REST base without the version (`@discordjs/rest` option `api`). */
  apiUrl: string;
  /** `chatops discord register` registers here (at once) instead of globally. */
  guildId?: string;
}

export type DiscordEnv = Pick<Env, 'DISCORD_TOKEN' | 'DISCORD_APPLICATION_ID' | 'DISCORD_PUBLIC_KEY' | 'DISCORD_API_URL' | 'DISCORD_GUILD_ID'>;

/** Discord ids are snowflakes: unsigned 64-bit integers written in decimal. */
export const SNOWFLAKE = /^\d{15,21}$/;

export function discordRequested(env: DiscordEnv): boolean {
  return Boolean(env.DISCORD_TOKEN || env.DISCORD_APPLICATION_ID || env.DISCORD_PUBLIC_KEY);
}

export function readDiscordConfig(env: DiscordEnv): DiscordConfig {
  const token = env.DISCORD_TOKEN?.trim();
  if (!token) {
    throw new DiscordConfigError('DISCORD_TOKEN_MISSING', 'DISCORD_TOKEN', 'DISCORD_TOKEN is not set. Copy the bot token from the Discord developer portal ("Bot" → "Reset Token").');
  }
  if (/^Bot\s/i.test(token) || /\s/.test(token)) {
    throw new DiscordConfigError('DISCORD_TOKEN_INVALID', 'DISCORD_TOKEN', 'DISCORD_TOKEN must be the bare bot token, without a "Bot " prefix or spaces.');
  }
  const applicationId = env.DISCORD_APPLICATION_ID?.trim();
  if (!applicationId) {
    throw new DiscordConfigError('DISCORD_APPLICATION_ID_MISSING', 'DISCORD_APPLICATION_ID', 'DISCORD_APPLICATION_ID is not set. Copy the Application ID from the developer portal ("General Information").');
  }
  if (!SNOWFLAKE.test(applicationId)) {
    throw new DiscordConfigError('DISCORD_APPLICATION_ID_INVALID', 'DISCORD_APPLICATION_ID', `DISCORD_APPLICATION_ID must be a numeric id (found "${applicationId.slice(0, 30)}").`);
  }
  const publicKey = env.DISCORD_PUBLIC_KEY?.trim().toLowerCase() || undefined;
  if (publicKey && !/^[0-9a-f]{64}$/.test(publicKey)) {
    throw new DiscordConfigError(
      'DISCORD_PUBLIC_KEY_INVALID',
      'DISCORD_PUBLIC_KEY',
      'DISCORD_PUBLIC_KEY must be the application\'s Public Key: 64 hexadecimal characters ("General Information"), or be unset to use the Gateway.',
    );
  }
  const guildId = env.DISCORD_GUILD_ID?.trim() || undefined;
  if (guildId && !SNOWFLAKE.test(guildId)) {
    throw new DiscordConfigError('DISCORD_GUILD_ID_INVALID', 'DISCORD_GUILD_ID', `DISCORD_GUILD_ID must be a numeric server id (found "${guildId.slice(0, 30)}").`);
  }
  const apiUrl = (env.DISCORD_API_URL ?? DEFAULT_DISCORD_API_URL).replace(/\/+$/, '');
  return { token, applicationId, mode: publicKey ? 'http' : 'gateway', publicKey, apiUrl, guildId };
}
