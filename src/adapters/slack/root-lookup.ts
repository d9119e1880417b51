/**
 * Finding a run's header or an incident's message in Slack when its ref was never saved (the
 * replica that posted it died first). Every such message is posted with message metadata naming
 * what it stands for (its RootKey: `chatops_run` with `run_id`, `chatops_incident` with
 * `incident_id`); a replica taking over reads the channel's history (conversations.history;
 * conversations.replies for a header posted as a reply in an incident's thread) since the post
 * was marked as sent, with `include_all_metadata`, and adopts the message that names it.
 *
 * Reading history needs the `channels:history` / `groups:history` scopes; without them Slack
 * answers `missing_scope` and the caller posts the message again (the channel then shows a stale
 * first one).
 */
import type { webApi } from '@slack/bolt';
import { rootKeyOf, type ChatContent, type RootKey } from '../../chat/platform.js';

/** Message metadata `event_type` and `event_payload` field naming each kind of message. */
const EVENT: Record<RootKey['kind'], { type: string; field: string }> = {
  run: { type: 'chatops_run', field: 'run_id' },
  incident: { type: 'chatops_incident', field: 'incident_id' },
};

/** The metadata a message standing for `key` is posted with (chat.postMessage `metadata`). */
function rootMetadata(key: RootKey): { event_type: string; event_payload: Record<string, string> } {
  const e = EVENT[key.kind];
  return { event_type: e.type, event_payload: { [e.field]: key.id } };
}

/** What chat.postMessage adds for `content`: metadata naming its key, for a run's header or an incident's message. */
export function metadataOf(content: ChatContent): { metadata?: ReturnType<typeof rootMetadata> } {
  const key = rootKeyOf(content);
  return key ? { metadata: rootMetadata(key) } : {};
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
 * The ts of the message naming `key` in its metadata, posted since `since` (ms) at the top of
 * `channel`, or in the thread of `threadTs` when given. `read` runs one Web API call (the
 * platform's error translation around it).
 */
export async function findRootTs(
  client: webApi.WebClient,
  read: <T>(method: string, fn: () => Promise<T>) => Promise<T>,
  where: { channel: string; threadTs?: string },
  key: RootKey,
  since: number,
): Promise<string | undefined> {
  const { channel, threadTs } = where;
  const { type, field } = EVENT[key.kind];
  const oldest = slackTs(since - LOOKUP_SKEW_MS);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args = { channel, oldest, include_all_metadata: true, limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) };
    const res: HistoryPage = threadTs
      ? await read('conversations.replies', () => client.conversations.replies({ ...args, ts: threadTs }))
      : await read('conversations.history', () => client.conversations.history(args));
    const hit = res.messages?.find((m) => m.metadata?.event_type === type && (m.metadata.event_payload as Record<string, unknown> | undefined)?.[field] === key.id);
    if (hit?.ts) return hit.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
