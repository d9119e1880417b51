/**
 * The `http:` action: one request with Node's fetch (undici). Outputs `status` and `body` (the
 * first MAX_BODY_BYTES, masked, marked when cut: twice that is read and masked before the cut, so
 * a secret the server echoes across the cut is masked whole). By default any 2xx passes; `expect` names the codes
 * that do. Output lines summarise the request and response for the chat thread.
 *
 * Redirects are not followed unless the step sets `follow_redirects: true`, and then only within
 * the request's origin (scheme, host, port): its headers, tokens included, never go to another
 * server. A 3xx not followed is the response (and fails the default 2xx expectation, saying so).
 *
 * Credentials in the URL (`https://user:pass@host/`) become a Basic Authorization header (fetch
 * refuses them in URLs) and never appear in lines or errors. Other secrets (tokens in headers or
 * query strings) are masked by the engine's Masker like all output.
 */
import { cleanLine } from './line-splitter.js';
import { abortedResult, type ActionContext, type ActionResult, type ResolvedHttpSpec } from './types.js';

export const MAX_BODY_BYTES = 64 * 1024;
export const BODY_TRUNCATED_MARKER = '\n…[body truncated]';
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** Redirects followed at most, as in browsers and curl's defaults order of magnitude. */
export const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** How many lines of the response body go to the step's output. */
const BODY_PREVIEW_LINES = 20;

function fail(error: string, extra: Partial<ActionResult> = {}): ActionResult {
  return { ok: false, outputs: {}, error, ...extra };
}

/** The URL as shown to people: without its password. */
function displayUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.href;
}

function statusMatches(status: number, expect: ResolvedHttpSpec['expect']): boolean {
  if (expect === undefined) return status >= 200 && status < 300;
  return Array.isArray(expect) ? expect.includes(status) : status === expect;
}

function describeExpect(expect: ResolvedHttpSpec['expect']): string {
  if (expect === undefined) return 'a 2xx status';
  return Array.isArray(expect) ? `status ${expect.join(' or ')}` : `status ${expect}`;
}

/**
 * Why fetch failed, from undici's `cause` chain (e.g. `connect ECONNREFUSED 127.0.0.1:9`).
 * Duck-typed rather than instanceof: errors may come from another realm (vm contexts, jest).
 */
function causeOf(err: unknown): string {
  const fields = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown }) : undefined);
  const outer = fields(err);
  const cause = fields(outer?.cause);
  if (cause) {
    if (typeof cause.message === 'string' && cause.message !== '') return cause.message;
    // AggregateError (several addresses tried): its own message is empty.
    const first = Array.isArray(cause.errors) ? fields(cause.errors[0]) : undefined;
    if (typeof first?.message === 'string' && first.message !== '') return first.message;
    if (typeof cause.code === 'string') return cause.code;
  }
  return typeof outer?.message === 'string' ? outer.message : String(err);
}

/** Bytes read past MAX_BODY_BYTES and masked with the rest before the body is cut. */
const MASK_LOOKAHEAD_BYTES = MAX_BODY_BYTES;

/** The response body as text: at most `limit` bytes are read; `truncated` when there was more. */
async function readCapped(response: Response, limit: number): Promise<{ text: string; bytes: number; truncated: boolean }> {
  if (!response.body) return { text: '', bytes: 0, truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - bytes;
    if (value.length > room) {
      chunks.push(value.subarray(0, room));
      bytes += room;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    bytes += value.length;
  }
  // A cut inside a multi-byte character decodes to U+FFFD rather than failing.
  const text = new TextDecoder('utf-8').decode(Buffer.concat(chunks, bytes));
  return { text, bytes, truncated };
}

/** The body output: masked first, then cut to MAX_BODY_BYTES (and marked) when longer or not read whole. */
function bodyOutput(text: string, truncated: boolean, ctx: ActionContext): { body: string; cut: boolean } {
  const masked = Buffer.from(ctx.mask(text));
  if (masked.length <= MAX_BODY_BYTES && !truncated) return { body: masked.toString('utf8'), cut: false };
  return { body: new TextDecoder('utf-8').decode(masked.subarray(0, MAX_BODY_BYTES)), cut: true };
}

interface Sent {
  response: Response;
  /** Why the chain of redirects stopped short, when it did. */
  refused?: string;
}

/**
 * Sends the request, following redirects only when `follow` and only to the same origin. A 303
 * (and a 301 or 302 answering a POST) turns the next request into a GET without body, as fetch does.
 */
async function send(first: URL, init: { method: string; headers: Headers; body: string | undefined; signal: AbortSignal }, follow: boolean, ctx: ActionContext): Promise<Sent> {
  let url = first;
  let { method, body } = init;
  for (let hops = 0; ; hops++) {
    const response = await fetch(url, { method, headers: init.headers, body, signal: init.signal, redirect: 'manual' });
    const location = response.headers.get('location');
    if (!follow || !REDIRECT_STATUSES.has(response.status) || location === null) return { response };
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return { response, refused: `redirect to an invalid URL not followed` };
    }
    if (next.origin !== url.origin) return { response, refused: `redirect to another origin (${next.origin}) refused: redirects are followed only within ${url.origin}` };
    if (hops >= MAX_REDIRECTS) return { response, refused: `more than ${MAX_REDIRECTS} redirects` };
    await response.body?.cancel().catch(() => undefined);
    if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      init.headers.delete('content-type');
    }
    next.username = '';
    next.password = '';
    ctx.output(`< ${response.status} redirect, > ${method} ${next.href}`, 'stdout');
    url = next;
  }
}

export async function runHttp(spec: ResolvedHttpSpec, ctx: ActionContext): Promise<ActionResult> {
  if (ctx.signal.aborted) return abortedResult(ctx.signal);
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return fail(`invalid URL "${spec.url}": expected an absolute http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`unsupported URL scheme ${url.protocol} in ${displayUrl(url)}: use http:// or https://`);
  const method = spec.method ?? 'GET';
  let headers: Headers;
  try {
    headers = new Headers(spec.headers ?? {});
  } catch {
    const bad = Object.keys(spec.headers ?? {}).find((name) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name));
    // The value may hold a token: name the header, never quote its value.
    return fail(bad !== undefined ? `invalid HTTP header name "${bad}"` : 'a header value holds characters HTTP does not allow (such as a newline)');
  }
  if ((url.username || url.password) && !headers.has('authorization')) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.set('authorization', `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`);
  }
  const target = new URL(url.href);
  target.username = '';
  target.password = '';

  let body: string | undefined;
  if (spec.body !== undefined) {
    if (method === 'GET' || method === 'HEAD') return fail(`a ${method} request cannot have a body: use POST, PUT or PATCH, or remove body`);
    if (typeof spec.body === 'string') body = spec.body;
    else {
      body = JSON.stringify(spec.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }

  const timeoutMs = spec.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const shown = displayUrl(url);
  ctx.output(`> ${method} ${shown}`, 'stdout');
  const started = Date.now();
  try {
    const { response, refused } = await send(target, { method, headers, body, signal }, spec.followRedirects === true, ctx);
    const { text, bytes, truncated } = await readCapped(response, MAX_BODY_BYTES + MASK_LOOKAHEAD_BYTES);
    const ms = Date.now() - started;
    const statusLine = [String(response.status), response.statusText].filter(Boolean).join(' ');
    ctx.output(`< ${statusLine} (${ms} ms, ${truncated ? `more than ${bytes}` : bytes} bytes)`, 'stdout');
    const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split('\n');
    for (const line of lines.slice(0, BODY_PREVIEW_LINES)) ctx.output(cleanLine(line), 'stdout');
    if (lines.length > BODY_PREVIEW_LINES) ctx.output(`… ${lines.length - BODY_PREVIEW_LINES} more line(s) in outputs.body`, 'stdout');
    const { body: shownBody, cut } = bodyOutput(text, truncated, ctx);
    const outputs = { status: String(response.status), body: cut ? shownBody + BODY_TRUNCATED_MARKER : shownBody };
    if (refused !== undefined) return { ok: false, outputs, error: `${method} ${shown}: ${refused}` };
    if (!statusMatches(response.status, spec.expect)) {
      const hint = REDIRECT_STATUSES.has(response.status) && spec.followRedirects !== true ? ' (a redirect: set follow_redirects: true to follow redirects within the same origin)' : '';
      return { ok: false, outputs, error: `${method} ${shown}: expected ${describeExpect(spec.expect)}, got ${statusLine}${hint}` };
    }
    return { ok: true, outputs };
  } catch (err) {
    if (ctx.signal.aborted) return abortedResult(ctx.signal);
    if (timeout.aborted) return fail(`${method} ${shown}: no complete response within ${timeoutMs} ms`);
    return fail(`${method} ${shown} failed: ${causeOf(err)}`);
  }
}
