/** What the Slack listeners share: the router, the outbound platform, group lookup and hooks. */
import { isPermanentWriteError, type ChatContent, type ReplyTarget } from '../../../chat/platform.js';
import type { RouteResult, Router } from '../../../chat/router.js';
import type { Logger } from '../../../lib/logger.js';
import type { SlackPlatform } from '../slack-platform.js';
import type { ThreadRuns } from '../thread-runs.js';

export interface ListenerDeps {
  router: Pick<Router, 'handleMessage' | 'handleClick'>;
  platform: SlackPlatform;
  groupsOf: (userId: string) => Promise<string[]>;
  threadRuns?: ThreadRuns;
  /** The slash command, e.g. `/ops` (stripped when typed in a mention too). */
  command: string;
  log: Logger;
  now: () => number;
  ackBudgetMs: number;
  onFollow?: (runId: string) => void;
  onAck?: (ms: number) => void;
  /** Work after acks still under way (runs being written): a stopping front waits for it. */
  pending?: Set<Promise<unknown>>;
}

/** Delivers an answer to a user, honouring Retry-After a few times (answers are not paced). */
export async function deliver(deps: Pick<ListenerDeps, 'platform' | 'log'>, to: ReplyTarget, content: ChatContent): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.platform.reply(to, content);
      return;
    } catch (err) {
      if (attempt >= 4 || isPermanentWriteError(err)) {
        deps.log.error({ err, channel: to.channel }, 'could not deliver a reply to Slack');
        return;
      }
      const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
      await new Promise((r) => setTimeout(r, typeof wait === 'number' ? wait : 500 * attempt));
    }
  }
}

export function follow(deps: Pick<ListenerDeps, 'onFollow'>, result: { runId?: string; follow?: boolean }): void {
  if (result.follow && result.runId) deps.onFollow?.(result.runId);
}

/**
 * After the ack: the router's deferred work (writing the run, auditing a refusal) with its
 * follow-ups sent to `to` (for a slash command, the response_url), then the run is watched.
 */
export async function afterAck(deps: Pick<ListenerDeps, 'platform' | 'log' | 'onFollow' | 'pending'>, to: ReplyTarget, result: RouteResult): Promise<void> {
  if (!result.afterAck) return follow(deps, result);
  const work = result.afterAck((c) => deliver(deps, to, c));
  deps.pending?.add(work);
  try {
    follow(deps, await work);
  } finally {
    deps.pending?.delete(work);
  }
}
