/**
 * The contract between the platform-neutral chat layer and an adapter (terminal, Slack, Discord).
 *
 * Outbound: the chat layer hands the adapter render-model views (`ChatContent`) and the adapter
 * formats and writes them; it returns message references that are plain JSON, so the reporter can
 * keep them in Redis and another replica can edit the same messages after a takeover.
 *
 * Inbound: the adapter turns platform events into a normalized `ChatMessage` (a typed line) or an
 * `ActionClick` (Approve/Deny button) and hands them to the chat layer.
 */
import type { Identity } from '../engine/types.js';
import type { IncidentChangeView, IncidentView } from './incident-model.js';
import type { ApprovalView, OutputLimits, QueueView, RunView, StepOutputView } from './render-model.js';

/** A posted message, serializable to JSON (kept in Redis). Adapters put what they need in `id`/`thread`. */
export interface MessageRef {
  platform: string;
  channel: string;
  /** The platform's id of the message (Slack ts, Discord message id, shell line number). */
  id: string;
  /** The thread root's id when the message is a reply. */
  thread?: string;
}

/** How many writes (posts + edits + uploads) the platform allows per channel, e.g. Slack {1, 1000}. */
export interface WriteBudget {
  writes: number;
  perMs: number;
}

/** A short reply to a user (router answers, errors, help), platform-neutral. */
export type ReplyBlock =
  | { type: 'text'; text: string }
  /** Preformatted text (usage lines, status tables). */
  | { type: 'code'; text: string }
  | { type: 'fields'; fields: { label: string; value: string }[] }
  | { type: 'list'; items: string[] };

export interface ReplyView {
  tone: 'info' | 'success' | 'error' | 'denied';
  title: string;
  blocks: ReplyBlock[];
  /** A stable error code (`E_UNKNOWN_COMMAND`, …) when the reply is an error. */
  code?: string;
  /** Only the asker should see it (Slack ephemeral, Discord ephemeral flag); the shell prints it. */
  ephemeral: boolean;
  /**
   * A text too long for one message on this platform (a run's transcript): the reply is a short
   * note and the adapter delivers the whole text beside it (Slack uploads a file where the user
   * asked; the shell prints it). Built by textReply() in replies.ts from ChatPlatform.replyLimits.
   */
  attachment?: FileUpload;
}

/** A `notify:` step's text, posted into the run's thread. */
export interface NoticeView {
  runId: string;
  /** The step it is about; none for a notice about the whole run (it vanished from Redis). */
  stepId?: string;
  text: string;
}

/** Everything the chat layer asks an adapter to show. */
export type ChatContent =
  | { kind: 'run'; view: RunView }
  | { kind: 'step-output'; view: StepOutputView }
  | { kind: 'approval'; view: ApprovalView }
  | { kind: 'queued'; view: QueueView }
  | { kind: 'notice'; view: NoticeView }
  | { kind: 'reply'; view: ReplyView }
  /** An incident's living message (alerts/incident-reporter.ts). */
  | { kind: 'incident'; view: IncidentView }
  /** A reply in an incident's thread: what changed. */
  | { kind: 'incident-change'; view: IncidentChangeView };

/**
 * What a message stands for, when there is one per thing: a run's header (kind `run`, its run id)
 * or an incident's living message (kind `incident`, its incident id). Adapters post such messages
 * marked with it (Slack metadata, Discord nonce) so they can be found again (findRoot).
 */
export interface RootKey {
  kind: 'run' | 'incident';
  id: string;
}

/** The key of a run's header or an incident's message; undefined for every other content. */
export function rootKeyOf(content: ChatContent): RootKey | undefined {
  if (content.kind === 'run') return { kind: 'run', id: content.view.runId };
  if (content.kind === 'incident') return { kind: 'incident', id: content.view.incidentId };
  return undefined;
}

export interface FileUpload {
  filename: string;
  text: string;
  title?: string;
}

/**
 * The platform refuses to let the bot write into this channel at all (Slack `not_in_channel`:
 * a private channel the bot was not invited to), so retrying is pointless. The pacer drops such
 * writes at once; the reporter tells the run's requester privately instead (see presenter.ts).
 * Adapters throw it from postRoot/postReply/update/uploadFile, and from reply when a private
 * answer cannot be delivered either.
 */
export class ChannelUnavailableError extends Error {
  readonly code = 'E_CHANNEL_UNAVAILABLE';
  /** Marks the error as not worth retrying (read by the pacer without importing this class). */
  readonly permanent = true;
  constructor(
    readonly channel: string,
    /** What the platform answered (`SLACK_NOT_IN_CHANNEL`), for logs. */
    readonly platformCode: string,
    message: string,
    /** What a user does about it, in the platform's words (`/invite @chatops` in the channel). */
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ChannelUnavailableError';
  }
}

/** True for errors a retry cannot fix (the pacer gives up on them at once). */
export function isPermanentWriteError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/** What an adapter implements for the outbound side. Every method may throw; the reporter retries (except ChannelUnavailableError). */
export interface ChatPlatform {
  /** `shell`, `slack`, `discord`: also the `platform` of refs and messages. */
  readonly name: string;
  /** Per-channel write budget; the reporter's pacer stays under it. */
  readonly budget: WriteBudget;
  /** How much step output fits in one message. */
  readonly outputLimits: OutputLimits;
  /**
   * How much preformatted text (a transcript) one reply holds; a longer one is sent as the
   * reply's attachment. None: any length fits (the terminal).
   */
  readonly replyLimits?: OutputLimits;
  /** Posts a new top-level message (a run's header: the thread root). */
  postRoot(channel: string, content: ChatContent): Promise<MessageRef>;
  /** Posts a reply in the thread of `root`. */
  postReply(root: MessageRef, content: ChatContent): Promise<MessageRef>;
  /**
   * The message `key` stands for (a run's header, an incident's message) posted in `channel` (in
   * the thread of `thread`, when it is a reply in another message's thread) no earlier than
   * `since` (ms), if the platform shows one: how a writer taking over adopts a message whose post
   * landed but whose ref was never saved (its replica died in between), instead of posting a
   * second one (see post-once.ts). Throws when the platform refuses the lookup (a missing
   * permission); the writer then posts. A platform whose posts of such messages are idempotent by
   * themselves (Discord: a nonce named after the key) needs none.
   */
  findRoot?(channel: string, key: RootKey, since: number, thread?: MessageRef): Promise<MessageRef | undefined>;
  /** Replaces the content of a message posted earlier (root or reply). */
  update(ref: MessageRef, content: ChatContent): Promise<void>;
  /** Uploads a text file into the thread of `root`. */
  uploadFile(root: MessageRef, file: FileUpload): Promise<MessageRef | void>;
  /**
   * A reply to a user where they asked; `ephemeral` views only they should see. Also how a run is
   * reported to its requester when its channel is unavailable: it must work without the channel
   * when the target has a `replyHandle` (Slack: the response_url).
   */
  reply(to: ReplyTarget, content: ChatContent): Promise<MessageRef | void>;
  /** How users type a command here (`/ops ` on Slack), to quote one in a message; none on the shell. */
  readonly commandPrefix?: string;
}

/** Where to answer an inbound message: its channel, thread and (for ephemeral replies) its user. */
export interface ReplyTarget {
  platform: string;
  channel: string;
  thread?: string;
  user: Identity;
  /** Adapter-private data needed to answer (Slack response_url, Discord interaction token). */
  replyHandle?: string;
}

/** The person behind an inbound message, as policy sees them. */
export interface ChatUser {
  /** `slack:U123`, `discord:42`, `shell:alice`. */
  identity: Identity;
  /** Groups the platform says they belong to: `slack-group:S1`, `discord-role:9`. */
  groups: string[];
  displayName?: string;
}

/** A typed line from any platform, normalized. */
export interface ChatMessage {
  platform: string;
  user: ChatUser;
  channel: string;
  /** The thread the line was typed in, if any. */
  thread?: string;
  /** The text as typed, prefix (`/ops`, a mention) included or not; the router strips it. */
  text: string;
  /** Platform id of the inbound message or interaction, for idempotency. */
  messageId?: string;
  replyHandle?: string;
}

/** An Approve/Deny button click. */
export interface ActionClick {
  platform: string;
  action: 'approve' | 'deny';
  runId: string;
  stepId: string;
  user: ChatUser;
  channel: string;
  /** The message holding the buttons. */
  message?: MessageRef;
  replyHandle?: string;
}

/**
 * Button ids are `approve|<runId>|<stepId>` / `deny|…`: one encoding so every adapter parses clicks
 * the same way. Run and step ids never contain `|`.
 */
export function encodeActionId(action: 'approve' | 'deny', runId: string, stepId: string): string {
  return `${action}|${runId}|${stepId}`;
}

export function decodeActionId(id: string): { action: 'approve' | 'deny'; runId: string; stepId: string } | undefined {
  const [action, runId, stepId, ...rest] = id.split('|');
  if (rest.length > 0 || !runId || !stepId) return undefined;
  if (action !== 'approve' && action !== 'deny') return undefined;
  return { action, runId, stepId };
}

function isClick(msg: ChatMessage | ActionClick): msg is ActionClick {
  return 'action' in msg;
}

export function replyTargetOf(msg: ChatMessage | ActionClick): ReplyTarget {
  return {
    platform: msg.platform,
    channel: msg.channel,
    thread: isClick(msg) ? (msg.message?.thread ?? msg.message?.id) : msg.thread,
    user: msg.user.identity,
    replyHandle: msg.replyHandle,
  };
}
