/** What the Slack listeners share: the router, the outbound platform, group lookup and hooks. */
import { deliver, runAfterAck } from '../../../chat/deliver.js';
import type { ReplyTarget } from '../../../chat/platform.js';
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

export { deliver };

export function follow(deps: Pick<ListenerDeps, 'onFollow'>, result: { runId?: string; follow?: boolean }): void {
  if (result.follow && result.runId) deps.onFollow?.(result.runId);
}

/**
 * After the ack: the router's deferred work (writing the run, auditing a refusal) with its
 * follow-ups sent to `to` (for a slash command, the response_url), then the run is watched.
 */
export async function afterAck(deps: Pick<ListenerDeps, 'platform' | 'log' | 'onFollow' | 'pending'>, to: ReplyTarget, result: RouteResult): Promise<void> {
  if (!result.afterAck) return follow(deps, result);
  follow(deps, await runAfterAck(deps, to, result));
}
