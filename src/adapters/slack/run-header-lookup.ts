/**
 * Finding a run's header in Slack when its ref was never saved (the replica that posted it died
 * first). Every run header is posted with message metadata naming its run; a replica taking over
 * reads the channel's history (conversations.history; conversations.replies for a header posted
 * as a reply in an incident's thread) since the post was marked as sent, with
 * `include_all_metadata`, and adopts the message that names the run.
 *
 * Reading history needs the `channels:history` / `groups:history` scopes; without them Slack
 * answers `missing_scope` and the caller posts the header again (the channel then shows a stale
 * first one).
 */
import type { webApi } from '@slack/bolt';

/** Message metadata `event_type` of a run's header. */
export const RUN_EVENT_TYPE = 'chatops_run';

/** The metadata a run's header is posted with (chat.postMessage `metadata`). */
export function runMetadata(runId: string): { event_type: string; event_payload: { run_id: string } } {
  return { event_type: RUN_EVENT_TYPE, event_payload: { run_id: runId } };
}

/** How far before the mark's time (the replica's clock) the history is read: clocks differ a little. */
export const LOOKUP_SKEW_MS = 60_000;
/** Messages per history page (Slack suggests no more than 200), and pages read at most. */
const PAGE_LIMIT = 200;
const MAX_PAGES = 5;

interface HistoryPage {
  messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: object } }[];
  response_metadata?: { next_cursor?: string };
}

/** Slack's `oldest`: seconds with microseconds, as a ts. */
export function slackTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/**
 * The ts of the message naming `runId` in its metadata, posted since `since` (ms) at the top of
 * `channel`, or in the thread of `threadTs` when given. `read` runs one Web API call (the
 * platform's error translation around it).
 */
export async function findRunHeaderTs(
  client: webApi.WebClient,
  read: <T>(method: string, fn: () => Promise<T>) => Promise<T>,
  where: { channel: string; threadTs?: string },
  runId: string,
  since: number,
): Promise<string | undefined> {
  const { channel, threadTs } = where;
  const oldest = slackTs(since - LOOKUP_SKEW_MS);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args = { channel, oldest, include_all_metadata: true, limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) };
    const res: HistoryPage = threadTs
      ? await read('conversations.replies', () => client.conversations.replies({ ...args, ts: threadTs }))
      : await read('conversations.history', () => client.conversations.history(args));
    const hit = res.messages?.find((m) => m.metadata?.event_type === RUN_EVENT_TYPE && (m.metadata.event_payload as { run_id?: unknown } | undefined)?.run_id === runId);
    if (hit?.ts) return hit.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
