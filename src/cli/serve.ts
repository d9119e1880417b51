/**
 * `chatops serve`: the front. Reads the environment, loads the project, connects Redis and starts
 * the HTTP server (health, readiness, metrics) with the Slack and Discord adapters when configured.
 * The project reloads live: file watching, SIGHUP and `chatops reload` (src/reload/).
 * A bad Slack or Discord setting stops it at start with one message naming the variable. SIGTERM and SIGINT
 * shut down gracefully: no new requests, in-flight ones finish, runs are handed to other replicas;
 * within CHATOPS_SHUTDOWN_TIMEOUT, or the process exits anyway (shutdown.ts).
 */
import { join } from 'node:path';
import { discordRequested, readDiscordConfig, type DiscordConfig } from '../adapters/discord/config.js';
import { DiscordConfigError } from '../adapters/discord/errors.js';
import { readSlackConfig, slackRequested, type SlackConfig } from '../adapters/slack/config.js';
import { SlackConfigError } from '../adapters/slack/errors.js';
import { readAlertSecrets } from '../alerts/auth.js';
import { readEnv } from '../config/env.js';
import { displayPath } from '../config/load-project.js';
import { ProjectHolder } from '../reload/project-holder.js';
import { policyLocked } from '../config/policy.js';
import { createLogger } from '../lib/logger.js';
import { resolveRedis } from '../lib/redis-connect.js';
import { preflightRedis, RedisConfigError } from '../lib/redis-preflight.js';
import { startFront } from '../server/front.js';
import { parseWebKeys, WebKeyError } from '../web/link-signing.js';
import { EXIT } from './exit-codes.js';
import { untilStopped } from './shutdown.js';

export interface ServeOptions {
  port?: string;
}


function fail(message: string): number {
  process.stderr.write(`chatops serve: ${message}\n`);
  return EXIT.failed;
}

export async function serveCommand(opts: ServeOptions): Promise<number> {
  let env;
  try {
    env = readEnv(opts.port !== undefined ? { ...process.env, PORT: opts.port } : process.env);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const log = createLogger(env.LOG_LEVEL);
  let slack: SlackConfig | undefined;
  let discord: DiscordConfig | undefined;
  try {
    if (slackRequested(env)) slack = readSlackConfig(env);
    if (discordRequested(env)) discord = readDiscordConfig(env);
  } catch (err) {
    if (err instanceof SlackConfigError || err instanceof DiscordConfigError) return fail(err.message);
    throw err;
  }
  let webKeys: string[];
  try {
    webKeys = parseWebKeys(env.CHATOPS_WEB_KEY);
  } catch (err) {
    if (err instanceof WebKeyError) return fail(err.message);
    throw err;
  }
  const holder = await ProjectHolder.open(env.chatopsDir);
  const project = holder.project;
  for (const p of project.problems) log[p.severity === 'error' ? 'error' : 'warn']({ file: displayPath(p.file), line: p.line, col: p.col }, p.message);
  if (project.problems.some((p) => p.severity === 'error')) log.warn('files with errors are left out; run `chatops validate` for details');
  if (project.policy === undefined) {
    if (env.CHATOPS_ALLOW_ALL !== '1')
      return fail(
        `E_NO_POLICY: no policy file (${displayPath(join(project.dir, 'policy.yaml'))}), so anyone who can reach the bot could run every command. Add policy.yaml (see the README, "policy.yaml"), or set CHATOPS_ALLOW_ALL=1 to let everyone run everything on purpose`,
      );
    log.warn('no policy file and CHATOPS_ALLOW_ALL=1: everyone may run every command');
  } else if (policyLocked(project.policy)) log.error('the policy file cannot be used (see above): every command is refused until it is fixed');

  const redis = await resolveRedis(env, (line) => log.warn(line));
  try {
    await preflightRedis(redis.url, log, { devMode: redis.private !== undefined });
  } catch (err) {
    await redis.private?.stop();
    if (err instanceof RedisConfigError) return fail(err.message);
    throw err;
  }
  let front;
  try {
    front = await startFront({ redisUrl: redis.url, prefix: env.CHATOPS_PREFIX, project: holder, reload: { sighup: true, adminChannel: env.CHATOPS_ADMIN_CHANNEL }, log, port: env.PORT, slack, discord, alerts: { secrets: readAlertSecrets(env), defaultChannel: env.ALERT_CHANNEL, alertmanagerUrl: env.ALERTMANAGER_URL }, engine: { retentionMs: env.CHATOPS_RETENTION }, web: { keys: webKeys, token: env.CHATOPS_WEB_TOKEN || undefined, publicUrl: env.CHATOPS_PUBLIC_URL } });
  } catch (err) {
    await redis.private?.stop();
    if (err instanceof SlackConfigError || err instanceof DiscordConfigError) return fail(err.message);
    throw err;
  }
  if (!discord) log.info('Discord is off: set DISCORD_TOKEN and DISCORD_APPLICATION_ID (and DISCORD_PUBLIC_KEY for HTTP interactions) to turn it on');
  if (!slack) log.info('Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to turn it on');

  const started = front;
  await untilStopped({
    log,
    timeoutMs: env.CHATOPS_SHUTDOWN_TIMEOUT,
    close: async () => {
      await started.close();
      await redis.private?.stop();
    },
  });
  log.info('stopped');
  return EXIT.ok;
}
