/**
 * The Slack settings of `serve`, checked before anything connects: Slack is on when
 * SLACK_BOT_TOKEN is set; an app token (xapp-) selects Socket Mode, otherwise the HTTP endpoint
 * POST /slack/events needs SLACK_SIGNING_SECRET. Each problem names the variable and the fix.
 */
import type { Env } from '../../config/env.js';
import { SlackConfigError } from './errors.js';

export interface SlackConfig {
  botToken: string;
  mode: 'socket' | 'http';
  signingSecret?: string;
  appToken?: string;
  /** Web API base URL with a trailing slash (Bolt's clientOptions.slackApiUrl). */
  apiUrl?: string;
  /** The slash command, e.g. `/ops`. */
  command: string;
}

type SlackEnv = Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET' | 'SLACK_APP_TOKEN' | 'SLACK_API_URL' | 'SLACK_COMMAND'>;

/** True when any Slack variable is set (so a half-configured Slack is an error, not silence). */
export function slackRequested(env: SlackEnv): boolean {
  return Boolean(env.SLACK_BOT_TOKEN || env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN);
}

export function readSlackConfig(env: SlackEnv): SlackConfig {
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (!botToken) {
    throw new SlackConfigError('SLACK_TOKEN_MISSING', 'SLACK_BOT_TOKEN', 'SLACK_BOT_TOKEN is not set. Copy the Bot User OAuth Token (xoxb-…) from your Slack app\'s "OAuth & Permissions" page.');
  }
  if (!botToken.startsWith('xoxb-')) {
    throw new SlackConfigError('SLACK_TOKEN_INVALID', 'SLACK_BOT_TOKEN', 'SLACK_BOT_TOKEN must be a bot token starting with xoxb- (found another kind of token). Use the Bot User OAuth Token from "OAuth & Permissions".');
  }
  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  if (appToken && !appToken.startsWith('xapp-')) {
    throw new SlackConfigError('SLACK_APP_TOKEN_INVALID', 'SLACK_APP_TOKEN', 'SLACK_APP_TOKEN must be an app-level token starting with xapp- with the connections:write scope ("Basic Information" → "App-Level Tokens"), or be unset to use HTTP.');
  }
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || undefined;
  if (!appToken && !signingSecret) {
    throw new SlackConfigError(
      'SLACK_SECRET_MISSING',
      'SLACK_SIGNING_SECRET',
      'SLACK_SIGNING_SECRET is not set: it is needed to verify requests to POST /slack/events. Copy the Signing Secret from "Basic Information", or set SLACK_APP_TOKEN to use Socket Mode.',
    );
  }
  let apiUrl = env.SLACK_API_URL;
  if (apiUrl && !apiUrl.endsWith('/')) apiUrl += '/';
  return { botToken, mode: appToken ? 'socket' : 'http', signingSecret, appToken, apiUrl, command: env.SLACK_COMMAND };
}
