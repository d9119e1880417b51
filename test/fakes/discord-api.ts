/**
 * A local fake of the Discord REST API (v10) for tests, driven by the real @discordjs/rest client
 * through DISCORD_API_URL. It keeps channels, messages (with their edits), threads started from
 * messages, DMs, interactions and their tokens, and registered application commands, records
 * every call, and enforces Discord's rules:
 * - the bot token on bot routes (401 otherwise); interaction-token routes are recorded when they
 *   carry the bot token (`botAuthOnTokenRoutes`: they should not);
 * - an interaction's initial response within 3 seconds (`acknowledge`, called by the sender with
 *   the measured time): a late one leaves the interaction unknown (10062 / 10015 on its token);
 * - the interaction token's lifetime (15 minutes, shortened by `tokenLifetimeMs`): 401 / 50027;
 * - per-channel write buckets (5 per 5 s) and a global one (50/s), answering 429 with
 *   Retry-After, X-RateLimit-* headers and `retry_after`;
 * - message limits (content 2,000; embeds; 5 rows of 5 components; custom_id 100) and modal
 *   limits (title 45, 5 labelled text inputs): 400 / 50035.
 * - edits of old messages: once a message is older than `oldMessages.ageMs` (an hour on Discord),
 *   it takes `oldMessages.edits` more edits, then answers 400 / 30046 (Discord does not publish
 *   the number; it is "few");
 * - message nonces: at most 25 characters (400 / 50035), and with `enforce_nonce` a create whose
 *   nonce a message of the bot carries from the past few minutes (`nonceWindowMs`) returns that
 *   message instead of creating one.
 * Channels listed in `noThreads` refuse threads (50024), `refused` ones refuse the bot (50001).
 * GET /gateway/bot names the fake Gateway (discord-gateway.ts) on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { snowflakeAt } from '../../src/adapters/discord/snowflake.js';
import { FakeDiscordGateway, type FakeGatewayOptions } from './discord-gateway.js';
import { messageProblems, modalProblems, WindowBuckets } from './discord-limits.js';

export interface FakeDiscordOptions {
  /** Writes per channel per window (default 5 per 5,000 ms). */
  rateLimit?: { writes: number; perMs: number };
  /** Requests per second with the bot token, all routes (default 50). */
  globalPerSecond?: number;
  tokenLifetimeMs?: number;
  /** Initial-response deadline (3,000 ms). */
  ackDeadlineMs?: number;
  noThreads?: string[];
  refused?: string[];
  gateway?: FakeGatewayOptions;
  /** Edits a message accepts once older than `ageMs` (default: an hour, 5 edits). */
  oldMessages?: { ageMs: number; edits: number };
  /** How long a nonce posted with `enforce_nonce` returns its message instead of a new one ("the past few minutes"; default 3 minutes). */
  nonceWindowMs?: number;
}

export interface RecordedDiscordCall {
  method: string;
  path: string;
  auth?: string;
  status: number;
  code?: number;
  /** For a 429: whether it was the global limit. */
  global?: boolean;
  at: number;
}

export interface FakeAttachment {
  filename: string;
  text: string;
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
  components: { components: { custom_id?: string; label?: string; disabled?: boolean }[] }[];
  flags: number;
  attachments: FakeAttachment[];
  message_reference?: { message_id: string };
  /** The create request's nonce, if it had one. */
  nonce?: string | number;
  /** The interaction this message answers (its initial response or a follow-up). */
  interactionId?: string;
  /** True while it is a deferred response not yet edited ("thinking…"). */
  deferred?: boolean;
  edits: number;
  /** When it was posted (ms), and the edits it took once it was old. */
  postedAt: number;
  oldEdits: number;
}

export interface FakeInteraction {
  id: string;
  token: string;
  channelId: string;
  createdAt: number;
  /** The initial response, once acknowledged in time. */
  response?: { type: number; data?: Record<string, unknown> };
  ackMs?: number;
  late?: boolean;
  originalId?: string;
}

const API = '/api/v10';

export class FakeDiscordApi {
  readonly calls: RecordedDiscordCall[] = [];
  readonly messages = new Map<string, FakeDiscordMessage>();
  readonly threads = new Map<string, { id: string; parentId: string; name: string }>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly dms = new Map<string, string>();
  readonly commands = new Map<string, unknown[]>();
  /** Token routes called with the bot token (they must not be: an expired token would clear it). */
  readonly botAuthOnTokenRoutes: string[] = [];
  /** Bodies refused for breaking a limit (400 / 50035), with why. */
  readonly invalidBodies: { path: string; problems: string[] }[] = [];
  /** Requests the fake itself failed on (500). */
  readonly errors: string[] = [];
  readonly token = 'fake-discord-bot-token';
  readonly applicationId = '100000000000000001';
  readonly botUserId = '100000000000000002';
  private readonly channelBuckets: WindowBuckets;
  private readonly globalBucket: WindowBuckets;
  private counter = 0;
  private server: Server | undefined;
  apiUrl = '';
  /** The Gateway: WebSocket connections, IDENTIFY/RESUME, dispatches. */
  readonly gateway: FakeDiscordGateway;

  constructor(readonly opts: FakeDiscordOptions = {}) {
    this.channelBuckets = new WindowBuckets(opts.rateLimit?.writes ?? 5, opts.rateLimit?.perMs ?? 5_000);
    this.globalBucket = new WindowBuckets(opts.globalPerSecond ?? 50, 1_000);
    this.gateway = new FakeDiscordGateway({ token: this.token, applicationId: this.applicationId, botUserId: this.botUserId }, opts.gateway);
  }

  newId(): string {
    return snowflakeAt(Date.now(), this.counter++);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks), res).catch((err: unknown) => {
          // A bug of the fake, not an answer of Discord's: recorded so a test sees it.
          this.errors.push(`${req.method} ${req.url}: ${String(err)}`);
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err), code: 0 }));
        });
      });
    });
    this.server.on('upgrade', (req, socket) => {
      if ((req.url ?? '').startsWith('/gateway')) this.gateway.upgrade(req, socket);
      else socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.apiUrl = `http://127.0.0.1:${port}/api`;
    this.gateway.url = `ws://127.0.0.1:${port}/gateway`;
    return this;
  }

  async stop(): Promise<void> {
    this.gateway.closeAll();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Polls `probe` until it returns a value (generous ceiling: the machine may be loaded). */
  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---- what tests read ----

  /** Messages in a channel (or thread), oldest first. */
  inChannel(channel: string): FakeDiscordMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channel);
  }

  /** A message's text as a reader sees it: content, embed titles, descriptions and fields. */
  static shown(m: FakeDiscordMessage | undefined): string {
    if (!m) return '';
    const parts = [m.content];
    for (const e of m.embeds) parts.push(e.title ?? '', e.description ?? '', ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`));
    return parts.join('\n');
  }

  /** Writes that were answered 429, by path. */
  rateLimited(): RecordedDiscordCall[] {
    return this.calls.filter((c) => c.status === 429);
  }

  // ---- interactions (the sender plays Discord's side) ----

  /** An interaction Discord is about to send: its id and token (the token lives tokenLifetimeMs). */
  newInteraction(channelId: string): FakeInteraction {
    const i: FakeInteraction = { id: this.newId(), token: `itok-${this.counter}-${Math.random().toString(36).slice(2)}`, channelId, createdAt: Date.now() };
    this.interactions.set(i.id, i);
    return i;
  }

  /**
   * The app answered interaction `id` with `body` after `elapsedMs` (HTTP answer, or the callback
   * route). Past the deadline Discord has already told the user "The application did not
   * respond": the interaction stays unknown and its token answers nothing.
   */
  acknowledge(id: string, body: unknown, elapsedMs: number): { ok: boolean; code?: number; problems?: string[] } {
    const i = this.interactions.get(id);
    if (!i) return { ok: false, code: 10062 };
    if (i.response || i.late) return { ok: false, code: 40060 };
    i.ackMs = elapsedMs;
    if (elapsedMs > (this.opts.ackDeadlineMs ?? 3_000)) {
      i.late = true;
      return { ok: false, code: 10062 };
    }
    const r = body as { type?: number; data?: Record<string, unknown> };
    if (typeof r?.type !== 'number') return { ok: false, code: 50035 };
    if (((r.type === 4 || r.type === 7) && r.data) || r.type === 9) {
      const problems = r.type === 9 ? modalProblems(r.data ?? {}) : messageProblems(r.data ?? {});
      if (problems.length > 0) {
        this.invalidBodies.push({ path: `interaction ${id}`, problems });
        return { ok: false, code: 50035, problems };
      }
    }
    i.response = { type: r.type, data: r.data };
    if (r.type === 4 || r.type === 5) {
      const m = this.store(i.channelId, r.type === 4 ? (r.data ?? {}) : { content: '', flags: r.data?.flags }, []);
      m.interactionId = id;
      m.deferred = r.type === 5;
      i.originalId = m.id;
    }
    return { ok: true };
  }

  // ---- the HTTP side ----

  private async handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization;
    const now = Date.now();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      const code = status >= 400 ? (body as { code?: number }).code : undefined;
      const global = status === 429 ? (body as { global?: boolean }).global === true : undefined;
      this.calls.push({ method, path, auth, status, code, global, at: now });
      res.writeHead(status, { ...headers, ...extra }).end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!path.startsWith(API)) return answer(404, { message: '404: Not Found', code: 0 });
    const route = path.slice(API.length);
    const tokenRoute = /^\/(webhooks|interactions)\//.test(route);

    if (tokenRoute) {
      if (auth) this.botAuthOnTokenRoutes.push(`${method} ${route}`);
    } else {
      if (auth !== `Bot ${this.token}`) return answer(401, { message: '401: Unauthorized', code: 0 });
      const g = this.globalBucket.take('global', now);
      if (!g.ok) return answer(429, { message: 'You are being rate limited.', retry_after: g.retryAfterMs / 1000, global: true }, { 'retry-after': String(Math.ceil(g.retryAfterMs / 1000)), 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' });
    }
    const body = await this.parseBody(req, raw);

    let m: RegExpExecArray | null;
    if (method === 'GET' && route === '/users/@me') return answer(200, { id: this.botUserId, username: 'chatops', discriminator: '0', bot: true });
    if (method === 'GET' && route === '/applications/@me') return answer(200, { id: this.applicationId, name: 'chatops' });
    if (method === 'GET' && route === '/gateway/bot') {
      return answer(200, { url: this.gateway.url, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 } });
    }
    if (method === 'POST' && route === '/users/@me/channels') {
      const user = String((body.json as { recipient_id?: unknown }).recipient_id ?? '');
      let dm = this.dms.get(user);
      if (!dm) this.dms.set(user, (dm = this.newId()));
      return answer(200, { id: dm, type: 1, recipients: [{ id: user }] });
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(route))) {
      const key = m[2] ? `guild:${m[2]}` : 'global';
      if (m[1] !== this.applicationId) return answer(403, { message: 'Missing Access', code: 50001 });
      if (method === 'GET') return answer(200, this.commands.get(key) ?? []);
      if (method === 'PUT') {
        const list = (Array.isArray(body.json) ? body.json : []) as Record<string, unknown>[];
        const stored = list.map((c) => ({ id: this.newId(), application_id: this.applicationId, version: this.newId(), ...c }));
        this.commands.set(key, stored);
        return answer(200, stored);
      }
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(route)) && method === 'POST') {
      const channel = m[1] ?? '';
      return this.writeTo(channel, now, answer, (send) => this.post(channel, body, send));
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(route)) && method === 'PATCH') {
      const [channel, id] = [m[1] ?? '', m[2] ?? ''];
      return this.writeTo(channel, now, answer, (send) => this.edit(channel, id, body, send));
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(route)) && method === 'POST') {
      const [channel, id] = [m[1] ?? '', m[2] ?? ''];
      if (this.opts.noThreads?.includes(channel)) return answer(400, { message: 'Cannot execute action on this channel type', code: 50024 });
      if (this.threads.has(id)) return answer(400, { message: 'A thread has already been created for this message', code: 160004 });
      if (!this.messages.has(id)) return answer(404, { message: 'Unknown Message', code: 10008 });
      const name = String((body.json as { name?: unknown }).name ?? '');
      if (name.length < 1 || name.length > 100) return answer(400, { message: 'Invalid Form Body', code: 50035 });
      this.threads.set(id, { id, parentId: channel, name });
      return answer(201, { id, type: 11, parent_id: channel, name });
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(route))) {
      const [app, token, target] = [m[1], m[2] ?? '', m[3]];
      const i = [...this.interactions.values()].find((x) => x.token === token);
      if (app !== this.applicationId || !i || i.late || !i.response) return answer(404, { message: 'Unknown Webhook', code: 10015 });
      if (now - i.createdAt > (this.opts.tokenLifetimeMs ?? 15 * 60_000)) return answer(401, { message: 'Invalid Webhook Token', code: 50027 });
      if (method === 'POST' && !target) {
        const msg = this.check(body, answer, false);
        if (!msg) return;
        const stored = this.store(i.channelId, msg, body.files);
        stored.interactionId = i.id;
        return answer(200, this.wire(stored));
      }
      if (method === 'PATCH' && target) {
        const id = target === '@original' ? i.originalId : target;
        const found = id ? this.messages.get(id) : undefined;
        if (!found) return answer(404, { message: 'Unknown Message', code: 10008 });
        return this.edit(found.channel_id, found.id, body, answer);
      }
    }
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route)) && method === 'POST') {
      const i = this.interactions.get(m[1] ?? '');
      if (!i || i.token !== m[2]) return answer(404, { message: 'Unknown interaction', code: 10062 });
      const r = this.acknowledge(i.id, body.json, now - i.createdAt);
      if (!r.ok) return answer(r.code === 50035 ? 400 : 404, { message: r.code === 40060 ? 'Interaction has already been acknowledged' : 'Unknown interaction', code: r.code });
      return answer(204, undefined);
    }
    return answer(404, { message: `404: Not Found (${method} ${route})`, code: 0 });
  }

  /** A write to `channel`: refused channels, then the channel's bucket (429 when empty), then `write`. */
  private writeTo(channel: string, now: number, answer: Answer, write: (send: Answer) => void): void {
    const parent = this.threads.get(channel)?.parentId ?? channel;
    if (this.opts.refused?.includes(parent)) return answer(403, { message: 'Missing Access', code: 50001 });
    const b = this.channelBuckets.take(channel, now);
    const bucketHeaders = (remaining: number, resetAfterMs: number) => ({
      'x-ratelimit-limit': String(this.channelBuckets.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset-after': (resetAfterMs / 1000).toFixed(3),
      'x-ratelimit-reset': ((now + resetAfterMs) / 1000).toFixed(3),
      'x-ratelimit-bucket': `channel-writes`,
    });
    if (!b.ok) {
      return answer(429, { message: 'You are being rate limited.', retry_after: b.retryAfterMs / 1000, global: false }, { ...bucketHeaders(0, b.retryAfterMs), 'retry-after': String(Math.ceil(b.retryAfterMs / 1000)), 'x-ratelimit-scope': 'user' });
    }
    // The bucket's headers ride on whatever the write answers.
    write((s, body, h) => answer(s, body, { ...bucketHeaders(b.remaining, b.resetAfterMs), ...h }));
  }

  /**
   * Creates a message. With `enforce_nonce` and a nonce another message of the bot was created with
   * in the past few minutes, that message is returned and none is created (Discord's Create
   * Message); a nonce longer than 25 characters is refused.
   */
  private post(channel: string, body: ParsedBody, send: Answer): void {
    const msg = this.check(body, send, false);
    if (!msg) return;
    const nonce = typeof msg.nonce === 'string' || typeof msg.nonce === 'number' ? msg.nonce : undefined;
    if (nonce !== undefined && String(nonce).length > 25) return send(400, { message: 'Invalid Form Body', code: 50035, errors: { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } } });
    if (nonce !== undefined && msg.enforce_nonce === true) {
      const since = Date.now() - (this.opts.nonceWindowMs ?? 180_000);
      const earlier = [...this.messages.values()].find((m) => m.nonce === nonce && m.interactionId === undefined && m.postedAt >= since);
      if (earlier) return send(200, this.wire(earlier));
    }
    return send(200, this.wire(this.store(channel, msg, body.files)));
  }

  private edit(channel: string, id: string, body: ParsedBody, send: Answer): void {
    const found = this.messages.get(id);
    if (!found || found.channel_id !== channel) return send(404, { message: 'Unknown Message', code: 10008 });
    const msg = this.check(body, send, true);
    if (!msg) return;
    const old = this.opts.oldMessages ?? { ageMs: 3_600_000, edits: 5 };
    if (Date.now() - found.postedAt >= old.ageMs && found.interactionId === undefined) {
      if (found.oldEdits >= old.edits) return send(400, { message: 'Maximum number of edits to messages older than 1 hour reached. Try again later', code: 30046 });
      found.oldEdits += 1;
    }
    if (msg.content !== undefined) found.content = String(msg.content);
    if (msg.embeds !== undefined) found.embeds = msg.embeds as FakeDiscordMessage['embeds'];
    if (msg.components !== undefined) found.components = msg.components as FakeDiscordMessage['components'];
    if (body.files.length > 0) found.attachments = body.files;
    found.deferred = false;
    found.edits += 1;
    return send(200, this.wire(found));
  }

  /** The body as a message, or undefined after answering 400 / 50035. */
  private check(body: ParsedBody, answer: (s: number, b: unknown) => void, partial: boolean): Record<string, unknown> | undefined {
    const msg = (body.json ?? {}) as Record<string, unknown>;
    const problems = messageProblems(msg, { partial, hasFiles: body.files.length > 0 });
    if (problems.length === 0) return msg;
    this.invalidBodies.push({ path: 'message', problems });
    answer(400, { message: 'Invalid Form Body', code: problems.includes('empty message') ? 50006 : 50035, errors: problems });
    return undefined;
  }

  private store(channel: string, msg: Record<string, unknown>, files: FakeAttachment[]): FakeDiscordMessage {
    const m: FakeDiscordMessage = {
      id: this.newId(),
      channel_id: channel,
      content: typeof msg.content === 'string' ? msg.content : '',
      embeds: (msg.embeds ?? []) as FakeDiscordMessage['embeds'],
      components: (msg.components ?? []) as FakeDiscordMessage['components'],
      flags: typeof msg.flags === 'number' ? msg.flags : 0,
      attachments: files,
      message_reference: msg.message_reference as FakeDiscordMessage['message_reference'],
      ...(typeof msg.nonce === 'string' || typeof msg.nonce === 'number' ? { nonce: msg.nonce } : {}),
      edits: 0,
      postedAt: Date.now(),
      oldEdits: 0,
    };
    this.messages.set(m.id, m);
    return m;
  }

  private wire(m: FakeDiscordMessage): Record<string, unknown> {
    return { id: m.id, channel_id: m.channel_id, content: m.content, embeds: m.embeds, components: m.components, flags: m.flags, attachments: m.attachments.map((a, i) => ({ id: String(i), filename: a.filename })), ...(m.nonce !== undefined ? { nonce: m.nonce } : {}) };
  }

  private async parseBody(req: IncomingMessage, raw: Buffer): Promise<ParsedBody> {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      const files: FakeAttachment[] = [];
      let json: unknown = {};
      for (const [key, value] of form.entries()) {
        if (key === 'payload_json') json = JSON.parse(String(value));
        else if (typeof value !== 'string') files.push({ filename: value.name, text: await value.text() });
      }
      return { json, files };
    }
    if (raw.length === 0) return { json: {}, files: [] };
    return { json: JSON.parse(raw.toString('utf8')) as unknown, files: [] };
  }
}

type Answer = (status: number, body: unknown, headers?: Record<string, string>) => void;

interface ParsedBody {
  json: unknown;
  files: FakeAttachment[];
}
