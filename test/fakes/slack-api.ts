/**
 * A local fake of the Slack Web API for tests, used by the real Bolt app and WebClient through
 * `clientOptions.slackApiUrl` (SLACK_API_URL). It listens on 127.0.0.1 on a free port and:
 * - records every call (method, params, answer);
 * - answers auth.test for one valid bot token (invalid_auth / not_authed otherwise);
 * - keeps messages per channel with threads and edit history (chat.postMessage, chat.update,
 *   chat.postEphemeral, and messages posted to response_url);
 * - enforces a per-channel write budget (token bucket, about 1/s with a small burst) answering
 *   HTTP 429 with Retry-After, like Slack's special limit on chat.postMessage;
 * - enforces message size limits with the real error codes (msg_too_long, invalid_blocks, no_text);
 * - hands out response_url and upload URLs that point back at itself (files.getUploadURLExternal,
 *   the upload POST, files.completeUploadExternal);
 * - answers usergroups.users.list from a configurable membership table;
 * - plays a channel the bot is not a member of (botNotIn): writes there answer not_in_channel,
 *   as Slack does, while response_url posts still work (invite() lets the bot in mid-test); and
 *   response_urls that expired (404);
 * - keeps message metadata (chat.postMessage `metadata`) and answers conversations.history and
 *   conversations.replies (`oldest`, `limit`, `cursor`, `include_all_metadata`) in Slack's shapes,
 *   refusing them with missing_scope (`needed`, `provided`) when the bot lacks the history scope
 *   of the channel (`scopes`: channels:history, or groups:history for G… channels).
 * Message ts are wall-clock seconds with microseconds, as Slack's are, so `oldest` means a time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageProblem } from './slack-limits.js';
import { FakeSocketMode } from './slack-socket.js';

export interface FakeSlackOptions {
  botToken?: string;
  /** App-level token accepted by apps.connections.open (Socket Mode). */
  appToken?: string;
  botUserId?: string;
  /** Per-channel write budget: `burst` writes at once, refilled at `perSecond`. */
  rateLimit?: { burst: number; perSecond: number } | false;
  /** Members of user groups, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  /** Answer these Web API methods only after this many ms (a slow Slack). */
  delays?: Record<string, number>;
  /** Channels the bot is not a member of. */
  botNotIn?: string[];
  /** The bot token's scopes; default DEFAULT_SCOPES (history scopes included). */
  scopes?: string[];
}

/** What the bot token is granted unless a test says otherwise. */
export const DEFAULT_SCOPES = ['chat:write', 'commands', 'files:write', 'usergroups:read', 'im:write', 'channels:history', 'groups:history'];

/** Message metadata as Slack keeps it. */
export interface FakeMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
  /** Seconds asked to wait, on 429 answers. */
  retryAfter?: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  /** Every version of the message, the first post included. */
  history: { text: string; blocks?: unknown[]; at: number }[];
  /** Set for ephemeral messages (only this user sees them). */
  ephemeralTo?: string;
  files?: FakeFile[];
  metadata?: FakeMetadata;
}

export interface FakeFile {
  id: string;
  filename: string;
  title?: string;
  content?: Buffer;
  channel?: string;
  threadTs?: string;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

type Params = Record<string, unknown>;
type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'files.completeUploadExternal']);

export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly files = new Map<string, FakeFile>();
  readonly responseUrlPosts: ResponseUrlPost[] = [];
  /** Number of 429 answers given. */
  rateLimited = 0;
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  /** Socket Mode: connections opened through apps.connections.open, envelopes, acks. */
  readonly socketMode = new FakeSocketMode();
  usergroups: Record<string, string[]>;
  delays: Record<string, number>;
  /** Channels the bot is not a member of: chat writes there answer not_in_channel. */
  readonly botNotIn: Set<string>;
  /** response_url ids that answer 404 (expired, or used up). */
  readonly expiredResponseUrls = new Set<string>();
  /** The bot token's scopes (tests may change them mid-test). */
  readonly scopes: Set<string>;
  private rateLimit: { burst: number; perSecond: number } | false;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private server: Server | undefined;
  private base = '';
  private seq = 0;
  /** The last ts handed out, in microseconds. */
  private lastTsUs = 0;

  constructor(opts: FakeSlackOptions = {}) {
    this.botToken = opts.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = opts.appToken ?? 'xapp-fake-app-token';
    this.botUserId = opts.botUserId ?? 'UBOT';
    this.rateLimit = opts.rateLimit === undefined ? { burst: 3, perSecond: 1 } : opts.rateLimit;
    this.usergroups = opts.usergroups ?? {};
    this.delays = opts.delays ?? {};
    this.botNotIn = new Set(opts.botNotIn ?? []);
    this.scopes = new Set(opts.scopes ?? DEFAULT_SCOPES);
  }

  /** Someone typed `/invite @bot` in `channel`: chat writes there are taken from now on. */
  invite(channel: string): void {
    this.botNotIn.delete(channel);
  }

  /** Web API base URL, with the trailing slash WebClient expects. */
  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket) => {
      if ((req.url ?? '').startsWith('/socket')) this.socketMode.upgrade(req, socket);
      else socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.socketMode.closeAll();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  setRateLimit(limit: { burst: number; perSecond: number } | false): void {
    this.rateLimit = limit;
    this.buckets.clear();
  }

  /** A response_url for an incoming slash command or interaction; posts to it are recorded. */
  responseUrl(): string {
    return `${this.base}/response/${++this.seq}`;
  }

  /** Makes a response_url handed out earlier answer 404, like one expired after 30 minutes. */
  expireResponseUrl(url: string): void {
    this.expiredResponseUrls.add(url.slice(url.lastIndexOf('/') + 1));
  }

  /** Posts received on one response_url. */
  postsTo(url: string): ResponseUrlPost[] {
    const id = url.slice(url.lastIndexOf('/') + 1);
    return this.responseUrlPosts.filter((p) => p.id === id);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Top-level (non-ephemeral) messages of a channel. */
  roots(channel: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.threadTs && !m.ephemeralTo);
  }

  thread(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`fake Slack: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Wall-clock seconds with microseconds, unique and increasing (Slack's ts). */
  private nextTs(): string {
    this.lastTsUs = Math.max(Date.now() * 1000, this.lastTsUs + 1);
    return `${Math.floor(this.lastTsUs / 1e6)}.${String(this.lastTsUs % 1e6).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.base);
    let answer: Answer;
    if (url.pathname.startsWith('/api/')) {
      const method = url.pathname.slice('/api/'.length);
      const delay = this.delays[method];
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const params = parseParams(req.headers['content-type'], raw);
      answer = this.api(method, params, req.headers.authorization);
      this.calls.push({ method, params, at: Date.now(), status: answer.status, ok: answer.body.ok === true, error: typeof answer.body.error === 'string' ? answer.body.error : undefined,
        retryAfter: answer.headers?.['retry-after'] ? Number(answer.headers['retry-after']) : undefined,
      });
    } else if (url.pathname.startsWith('/response/')) {
      answer = this.responseUrlPost(url.pathname.slice('/response/'.length), parseParams(req.headers['content-type'], raw));
    } else if (url.pathname.startsWith('/upload/')) {
      const file = this.files.get(url.pathname.slice('/upload/'.length));
      if (file) file.content = await uploadedBytes(req.headers['content-type'], raw);
      answer = file ? { status: 200, body: { ok: true } } : { status: 404, body: { ok: false } };
    } else {
      answer = { status: 404, body: { ok: false, error: 'unknown_method' } };
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }

  private api(method: string, params: Params, authorization: string | undefined): Answer {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : typeof params.token === 'string' ? params.token : undefined;
    if (!token) return fail('not_authed');
    if (method === 'apps.connections.open') {
      return token === this.appToken ? ok({ url: `${this.base.replace('http:', 'ws:')}/socket?ticket=${++this.seq}` }) : fail('invalid_auth');
    }
    if (token !== this.botToken) return fail('invalid_auth');
    if (WRITE_METHODS.has(method)) {
      const channel = String(params.channel ?? params.channel_id ?? '');
      if (this.botNotIn.has(channel)) return fail('not_in_channel');
      const wait = this.takeWrite(channel);
      if (wait > 0) {
        this.rateLimited++;
        return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(wait) } };
      }
    }
    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://fake.slack.test/', team: 'Fake', user: 'chatops', team_id: 'T0FAKE', user_id: this.botUserId, bot_id: 'B0FAKE' });
      case 'chat.postMessage':
        return this.post(params);
      case 'chat.postEphemeral':
        return this.post(params, true);
      case 'chat.update':
        return this.update(params);
      case 'files.getUploadURLExternal': {
        if (typeof params.filename !== 'string' || !params.length) return fail('invalid_arguments');
        const id = `F${++this.seq}`;
        this.files.set(id, { id, filename: params.filename });
        return ok({ upload_url: `${this.base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal':
        return this.completeUpload(params);
      case 'conversations.history':
      case 'conversations.replies':
        return this.read(method, params);
      case 'usergroups.users.list': {
        const users = typeof params.usergroup === 'string' ? this.usergroups[params.usergroup] : undefined;
        return users ? ok({ users }) : fail('no_such_subteam');
      }
      default:
        return fail('unknown_method');
    }
  }

  /** Token bucket per channel: 0 when the write may go now, else the seconds to wait (>= 1). */
  private takeWrite(channel: string): number {
    if (!this.rateLimit) return 0;
    const { burst, perSecond } = this.rateLimit;
    const now = Date.now();
    const bucket = this.buckets.get(channel) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  private post(params: Params, ephemeral = false): Answer {
    const channel = params.channel;
    if (typeof channel !== 'string' || channel === '') return fail('channel_not_found');
    const blocks = parseJsonParam(params.blocks);
    if (blocks === null) return fail('invalid_blocks_format');
    const problem = messageProblem(params.text, blocks);
    if (problem) return fail(problem);
    if (ephemeral && typeof params.user !== 'string') return fail('user_not_in_channel');
    const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
    if (threadTs && !this.message(channel, threadTs)) return fail('thread_not_found');
    const metadata = parseJsonParam(params.metadata);
    if (metadata === null || (metadata !== undefined && !isMetadata(metadata))) return fail('invalid_metadata_format');
    const ts = this.nextTs();
    const text = typeof params.text === 'string' ? params.text : '';
    const msg: FakeMessage = { channel, ts, threadTs, text, blocks: blocks as unknown[] | undefined, history: [{ text, blocks: blocks as unknown[] | undefined, at: Date.now() }] };
    if (ephemeral) msg.ephemeralTo = String(params.user);
    else if (metadata) msg.metadata = metadata;
    this.messages.push(msg);
    return ephemeral ? ok({ message_ts: ts }) : ok({ channel, ts, message: { text, ts, thread_ts: threadTs } });
  }

  /**
   * conversations.history (the channel's top-level messages, newest first) and
   * conversations.replies (a thread: its parent, then its replies, oldest first), after `oldest`,
   * `limit` per page with a `cursor` for the next; metadata only with include_all_metadata.
   */
  private read(method: string, params: Params): Answer {
    const channel = typeof params.channel === 'string' ? params.channel : '';
    if (!channel) return fail('channel_not_found');
    const needed = channel.startsWith('G') ? 'groups:history' : 'channels:history';
    if (!this.scopes.has(needed)) return { status: 200, body: { ok: false, error: 'missing_scope', needed, provided: [...this.scopes].join(',') } };
    if (this.botNotIn.has(channel)) return fail('not_in_channel');
    const oldest = typeof params.oldest === 'string' || typeof params.oldest === 'number' ? Number(params.oldest) : 0;
    const limit = Math.min(999, Number(params.limit ?? (method === 'conversations.history' ? 100 : 1000)) || 100);
    const offset = typeof params.cursor === 'string' && params.cursor !== '' ? Number(Buffer.from(params.cursor, 'base64').toString('utf8').replace(/^offset:/, '')) : 0;
    const shown = this.messages.filter((m) => m.channel === channel && !m.ephemeralTo);
    let list: FakeMessage[];
    if (method === 'conversations.history') {
      list = shown.filter((m) => !m.threadTs && Number(m.ts) > oldest).reverse();
    } else {
      const ts = typeof params.ts === 'string' ? params.ts : '';
      const parent = shown.find((m) => m.ts === ts && !m.threadTs);
      if (!parent) return fail('thread_not_found');
      list = [parent, ...shown.filter((m) => m.threadTs === ts && Number(m.ts) > oldest)];
    }
    const metadata = params.include_all_metadata === true || params.include_all_metadata === 'true' || params.include_all_metadata === '1';
    const page = list.slice(offset, offset + limit).map((m) => ({
      type: 'message',
      ts: m.ts,
      text: m.text,
      ...(m.blocks ? { blocks: m.blocks } : {}),
      bot_id: 'B0FAKE',
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(metadata && m.metadata ? { metadata: m.metadata } : {}),
    }));
    const more = offset + limit < list.length;
    const next = more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
    return ok({ messages: page, has_more: more, ...(method === 'conversations.history' ? { pin_count: 0 } : {}), response_metadata: { next_cursor: next } });
  }

  private update(params: Params): Answer {
    const channel = params.channel;
    const ts = params.ts;
    if (typeof channel !== 'string' || typeof ts !== 'string') return fail('invalid_arguments');
    const msg = this.message(channel, ts);
    if (!msg || msg.ephemeralTo) return fail('message_not_found');
    const blocks = parseJsonParam(params.blocks);
    if (blocks === null) return fail('invalid_blocks_format');
    const problem = messageProblem(params.text, blocks);
    if (problem) return fail(problem);
    msg.text = typeof params.text === 'string' ? params.text : '';
    msg.blocks = blocks as unknown[] | undefined;
    msg.history.push({ text: msg.text, blocks: msg.blocks, at: Date.now() });
    return ok({ channel, ts, text: msg.text });
  }

  private completeUpload(params: Params): Answer {
    const list = parseJsonParam(params.files);
    if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
    const channel = typeof params.channel_id === 'string' ? params.channel_id : undefined;
    const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
    if (threadTs && !channel) return fail('invalid_arguments');
    if (channel && threadTs && !this.message(channel, threadTs)) return fail('thread_not_found');
    const done: FakeFile[] = [];
    for (const entry of list as { id?: string; title?: string }[]) {
      const file = entry.id ? this.files.get(entry.id) : undefined;
      if (!file || !file.content) return fail('file_not_found');
      file.title = entry.title;
      file.channel = channel;
      file.threadTs = threadTs;
      done.push(file);
    }
    if (channel) {
      const ts = this.nextTs();
      const text = typeof params.initial_comment === 'string' ? params.initial_comment : '';
      this.messages.push({ channel, ts, threadTs, text, history: [{ text, at: Date.now() }], files: done });
    }
    return ok({ files: done.map((f) => ({ id: f.id, name: f.filename, title: f.title })) });
  }

  private responseUrlPost(id: string, body: Params): Answer {
    if (this.expiredResponseUrls.has(id)) return { status: 404, body: { ok: false, error: 'expired_url' } };
    const blocks = body.blocks;
    const problem = messageProblem(body.text, blocks);
    if (problem) return { status: 400, body: { ok: false, error: problem } };
    this.responseUrlPosts.push({ id, body, at: Date.now() });
    return { status: 200, body: { ok: true } };
  }
}

/** The upload URL takes the bytes raw or as multipart form data (what WebClient sends). */
async function uploadedBytes(contentType: string | undefined, raw: Buffer): Promise<Buffer> {
  if (!contentType?.startsWith('multipart/form-data')) return raw;
  const form = await new Request('http://upload.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}

function isMetadata(value: unknown): value is FakeMetadata {
  const m = value as { event_type?: unknown; event_payload?: unknown } | null;
  return typeof m === 'object' && m !== null && typeof m.event_type === 'string' && typeof m.event_payload === 'object' && m.event_payload !== null;
}

function ok(extra: Record<string, unknown>): Answer {
  return { status: 200, body: { ok: true, ...extra } };
}

function fail(error: string): Answer {
  return { status: 200, body: { ok: false, error } };
}

function parseParams(contentType: string | undefined, raw: Buffer): Params {
  const text = raw.toString('utf8');
  if (contentType?.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Params) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** Form-encoded calls carry arrays as JSON strings; JSON calls carry them as is. null = unparseable. */
function parseJsonParam(value: unknown): unknown {
  if (value === undefined || typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}
