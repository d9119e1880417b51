/** `chatops shell [--as USER]`: the terminal chat with the bot, front and worker in one process. */
import { sentinelTarget } from '../lib/redis-target.js';
import { runShell } from '../adapters/shell/start.js';
import { readEnv } from '../config/env.js';
import { incidentUrlMaker, runUrlMaker } from '../web/front.js';
import { LinkSigner, parseWebKeys } from '../web/link-signing.js';

export async function shellCommand(opts: { as?: string }): Promise<void> {
  const env = readEnv();
  const signer = new LinkSigner(parseWebKeys(env.CHATOPS_WEB_KEY));
  await runShell({
    user: opts.as ?? env.CHATOPS_USER ?? env.USER,
    input: process.stdin,
    output: process.stdout,
    redisUrl: sentinelTarget(env) ?? env.REDIS_URL,
    prefix: env.CHATOPS_PREFIX,
    retentionMs: env.CHATOPS_RETENTION,
    outputBudget: { stepBytes: env.CHATOPS_STEP_OUTPUT_MAX, runBytes: env.CHATOPS_RUN_OUTPUT_MAX },
    chatopsDir: env.chatopsDir,
    alertChannel: env.ALERT_CHANNEL,
    alertmanagerUrl: env.ALERTMANAGER_URL,
    linkFor: runUrlMaker(signer, env.CHATOPS_PUBLIC_URL),
    incidentLinkFor: incidentUrlMaker(signer, env.CHATOPS_PUBLIC_URL),
  });
}
