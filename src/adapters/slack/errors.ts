/**
 * Errors of the Slack adapter a user can meet at start, each with a stable code and a fix naming
 * the environment variable to change. `serve` prints the message and exits.
 */
export type SlackConfigErrorCode = 'SLACK_TOKEN_MISSING' | 'SLACK_TOKEN_INVALID' | 'SLACK_SECRET_MISSING' | 'SLACK_APP_TOKEN_INVALID' | 'SLACK_API_UNREACHABLE';

export class SlackConfigError extends Error {
  constructor(
    readonly code: SlackConfigErrorCode,
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'SlackConfigError';
  }
}
