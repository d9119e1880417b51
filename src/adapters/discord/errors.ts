/**
 * Errors of the Discord adapter a user can meet at start, each with a stable code and a fix naming
 * the environment variable to change. `serve` prints the message and exits.
 */
export type DiscordConfigErrorCode =
  | 'DISCORD_TOKEN_MISSING'
  | 'DISCORD_TOKEN_INVALID'
  | 'DISCORD_APPLICATION_ID_MISSING'
  | 'DISCORD_APPLICATION_ID_INVALID'
  | 'DISCORD_PUBLIC_KEY_INVALID'
  | 'DISCORD_GUILD_ID_INVALID'
  | 'DISCORD_API_UNREACHABLE'
  | 'DISCORD_GATEWAY_UNREACHABLE'
  | 'DISCORD_GATEWAY_REFUSED';

export class DiscordConfigError extends Error {
  constructor(
    readonly code: DiscordConfigErrorCode,
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'DiscordConfigError';
  }
}
