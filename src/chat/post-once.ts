/**
 * Posting a message there is one of (a run's header, an incident's living message) once across
 * replicas. Before the post the writer saves a mark (when a post was first sent); after it, the
 * message's ref with the mark cleared. A writer that finds the mark and no ref (the sender died
 * between its post and saving the ref, or the post timed out after it landed) looks the message
 * up on the platform (ChatPlatform.findRoot, by its RootKey) and adopts it instead of posting a
 * second one. A platform that cannot look (no findRoot, a refused lookup) gets the post again:
 * Discord returns the first message by its nonce; elsewhere the channel keeps a stale first one.
 */
import type { Logger } from '../lib/logger.js';
import { isPermanentWriteError, type ChatPlatform, type MessageRef, type RootKey } from './platform.js';

export interface PostOnceOptions {
  platform: ChatPlatform;
  channel: string;
  /** What the message stands for; none: it cannot be looked up. */
  key: RootKey | undefined;
  /** The message it is a reply under (a run reported in an incident's thread); none: top level. */
  thread?: MessageRef;
  /** The saved mark: when a post was first sent while no ref was kept (ms), if one was. */
  since: number | undefined;
  /** Saves the mark before the post is sent (a time), or clears it when nothing landed (undefined). */
  mark: (since: number | undefined) => Promise<void>;
  /** Posts the message. */
  post: () => Promise<MessageRef>;
  /** The platform refused or failed the lookup; the message is posted instead. */
  onLookupFailed?: (err: unknown) => void;
  now?: () => number;
}

/**
 * The message's ref: the one an earlier post left (`found`), else a post's. `stale`: it may show
 * older content than the caller's, so the caller edits it: it was found, or posted again over a
 * mark (a platform whose posts are idempotent, Discord, answers with the first message). The
 * caller saves the ref and clears the mark.
 */
export async function postOnce(o: PostOnceOptions): Promise<{ ref: MessageRef; found: boolean; stale: boolean }> {
  const found = o.since === undefined ? undefined : await lookUp(o, o.since);
  if (found) return { ref: found, found: true, stale: true };
  const again = o.since !== undefined;
  if (!again) await o.mark((o.now ?? Date.now)());
  try {
    return { ref: await o.post(), found: false, stale: again };
  } catch (err) {
    // Refused for good (not in the channel): nothing landed, so there is nothing to look up.
    if (isPermanentWriteError(err)) await o.mark(undefined);
    throw err;
  }
}

/** The message an earlier post left, if the platform can look it up and shows one. */
async function lookUp(o: PostOnceOptions, since: number): Promise<MessageRef | undefined> {
  if (!o.platform.findRoot || !o.key) return undefined;
  try {
    return await o.platform.findRoot(o.channel, o.key, since, o.thread);
  } catch (err) {
    // Rate limited: the pacer tries again when the platform says (a post now could be a second message).
    if (typeof (err as { retryAfterMs?: unknown } | null)?.retryAfterMs === 'number') throw err;
    o.onLookupFailed?.(err);
    return undefined;
  }
}

/** Failed lookups, each reason said once per platform (a missing scope would otherwise be logged per message). */
export class LookupFailures {
  private readonly told = new Set<string>();

  /** A lookup failed: the message is posted again (as without lookups). */
  report(platform: string, err: unknown, log: Logger): void {
    const reason = `${platform}:${String((err as { code?: unknown } | null)?.code ?? (err as Error | null)?.name ?? 'error')}`;
    if (this.told.has(reason)) return log.debug({ err }, 'message lookup failed again; posting the message');
    this.told.add(reason);
    log.warn({ err }, 'could not look up a run header or incident message posted before its replica died, so it is posted again and the channel may show a stale first one (said once for this reason)');
  }
}
