/**
 * Answers to a user from an adapter's listeners: delivered with a few retries that honour the
 * platform's Retry-After (answers are not paced like run messages), and the router's work after
 * the ack run with its follow-ups sent to the same place.
 */
import type { Logger } from '../lib/logger.js';
import { isPermanentWriteError, type ChatContent, type ChatPlatform, type ReplyTarget } from './platform.js';
import type { AfterAckResult, RouteResult } from './router.js';

export interface DeliverDeps {
  platform: Pick<ChatPlatform, 'reply' | 'name'>;
  log: Logger;
  /** Work after acks still under way (runs being written): a stopping front waits for it. */
  pending?: Set<Promise<unknown>>;
}

export async function deliver(deps: DeliverDeps, to: ReplyTarget, content: ChatContent): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.platform.reply(to, content);
      return;
    } catch (err) {
      if (attempt >= 4 || isPermanentWriteError(err)) {
        deps.log.error({ err, channel: to.channel, platform: deps.platform.name }, 'could not deliver a reply');
        return;
      }
      const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
      await new Promise((r) => setTimeout(r, typeof wait === 'number' ? wait : 500 * attempt));
    }
  }
}

/** Runs the router's deferred work (writing the run, auditing a refusal), its follow-ups going to `to`. */
export async function runAfterAck(deps: DeliverDeps, to: ReplyTarget, result: RouteResult): Promise<AfterAckResult> {
  if (!result.afterAck) return {};
  const work = result.afterAck((c) => deliver(deps, to, c));
  deps.pending?.add(work);
  try {
    return await work;
  } finally {
    deps.pending?.delete(work);
  }
}
