/**
 * Replaces secret values with `***` in text and in any JSON-like value, before anything is
 * written to Redis, chat or logs.
 *
 * What is masked, and why:
 * - every secret that is not empty or whitespace only, whatever its length. A one-character secret makes output ugly, but
 *   leaking it would be worse; this fails closed, as GitHub Actions does for registered secrets;
 * - each line of a multi-line secret (output is streamed line by line, so the whole value never
 *   appears in one line), when the line has at least MIN_FRAGMENT_LENGTH characters after
 *   trimming: a lone `}` or `-----END-----`-style fragment shorter than that is not a secret by
 *   itself, and masking every `}` would destroy the output;
 * - the JSON-escaped form of a secret holding quotes, backslashes or control characters, for
 *   errors and bodies that embed it in JSON, and its percent-encoded form (a URL an http step shows);
 * - any run of 8 or more characters copied from a secret (mask-windows.ts): a secret printed in
 *   pieces, or a slice of it written as an output value, does not leave those pieces in clear.
 *   Pieces shorter than 8 characters, and encoded or transformed secrets (base64, hex, reversed),
 *   are not recognised: masking is a safety net, not a reason to print secrets.
 * Secrets are found also inside longer text (`tokenABC123xyz` with secret `ABC123` becomes
 * `token***xyz`). Overlapping occurrences are merged into one `***`, so no part of any secret
 * survives: with secrets `ab` and `bcd`, `xabcdx` becomes `x***x` (a plain longest-first replace
 * would leave `a` or `cd` in clear).
 * Object keys are never masked: maskDeep masks values only. The keys it meets are structure, not
 * text a secret comes from: record and event fields, the input names and `outputs:` a workflow
 * declares, an alert's label and annotation names (its source's vocabulary, kept in clear in the
 * incident anyway). Masked with a short secret they lose their field (`k` turns `kind` into
 * `***ind`), and with it the run's record, the expressions that read it and metric labels. For
 * the same reason the engine masks what steps and people produced (output, outputs, errors, typed
 * lines) and an alert's text (engine/mask-alert.ts), not its records whole: a step id, kind or
 * state, an identity or an incident id holds no secret. The one name a step chooses at run time,
 * a shell step's output name, goes through maskName, which recognises secrets of
 * MIN_FRAGMENT_LENGTH or more characters and 8-character pieces of one: a shorter secret inside a
 * name cannot be told from the name's own letters.
 */

import { SecretWindows } from './mask-windows.js';

export const MASK = '***';
export const MIN_FRAGMENT_LENGTH = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function variantsOf(secret: string): string[] {
  const out = [secret];
  if (secret.includes('\n') || secret.includes('\r')) {
    for (const line of secret.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_FRAGMENT_LENGTH) out.push(trimmed);
    }
  }
  const json = JSON.stringify(secret).slice(1, -1);
  if (json !== secret) out.push(json);
  // As an http step shows it once placed in a URL (values there are percent-encoded).
  try {
    const uri = encodeURIComponent(secret);
    if (uri !== secret) out.push(uri);
  } catch {
    // a lone surrogate cannot be percent-encoded, so it never reaches a URL either
  }
  return out;
}

/** Values longer than this, or beyond this many characters of pattern in all, are found with indexOf: V8 refuses very large patterns. */
const PATTERN_MAX_CHARS = 32 * 1024;

type Span = [start: number, end: number];

/** `text` with each span replaced by `***`; overlapping or touching spans become one. */
function replaceSpans(text: string, spans: Span[]): string {
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0; // text[0, copied) is already in out
  let [spanStart, spanEnd] = spans[0] ?? [0, 0];
  for (const [start, end] of spans) {
    if (start <= spanEnd) {
      spanEnd = Math.max(spanEnd, end);
      continue;
    }
    out += text.slice(copied, spanStart) + MASK;
    copied = spanEnd;
    spanStart = start;
    spanEnd = end;
  }
  return out + text.slice(copied, spanStart) + MASK + text.slice(spanEnd);
}

export class Masker {
  private readonly pattern: RegExp | undefined;
  /** The plain alternation, for a quick "any secret here?" test: much faster than the lookahead scan. */
  private readonly any: RegExp | undefined;
  /** Values too long for the pattern, searched with indexOf. */
  private readonly long: readonly string[];
  /** The values masked, longest first (variants included). */
  readonly values: readonly string[];
  /** The secrets as given (what `including` compares against). */
  private readonly secrets: ReadonlySet<string>;
  /** 8-character windows of every secret, for pieces of a secret. */
  private readonly windows: SecretWindows;
  /** The masker maskName uses (built on first use; this one when every secret is long enough). */
  private named: Masker | undefined;

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    const given = new Set<string>();
    for (const secret of secrets) {
      // Whitespace-only values are no secret, and masking every space would destroy all output.
      if (typeof secret !== 'string' || secret.trim() === '') continue;
      given.add(secret);
      for (const v of variantsOf(secret)) if (v !== '') all.add(v);
    }
    this.secrets = given;
    this.windows = new SecretWindows(given);
    this.values = [...all].sort((a, b) => b.length - a.length);
    const inPattern: string[] = [];
    const long: string[] = [];
    let size = 0;
    for (const v of [...this.values].reverse()) {
      size += v.length;
      (size <= PATTERN_MAX_CHARS ? inPattern : long).push(v);
    }
    this.long = long;
    // A zero-width lookahead over one alternation, longest first: every position where some
    // secret starts is visited once, with the longest secret starting there.
    const alternation = inPattern.reverse().map(escapeRegExp).join('|');
    this.pattern = inPattern.length > 0 ? new RegExp(`(?=(${alternation}))`, 'g') : undefined;
    this.any = inPattern.length > 0 ? new RegExp(alternation) : undefined;
  }

  /** This masker when it already masks every one of `more`, else a new one masking them too. */
  including(more: Iterable<string>): Masker {
    const added = [...more].filter((v) => typeof v === 'string' && v.trim() !== '' && !this.secrets.has(v));
    return added.length === 0 ? this : new Masker([...this.secrets, ...added]);
  }

  /** True when there is nothing to mask (callers may skip work). */
  get empty(): boolean {
    return this.values.length === 0;
  }

  mask(text: string): string {
    if (this.values.length === 0 || text === '') return text;
    const spans: Span[] = [];
    if (this.pattern !== undefined && this.any?.test(text) === true) {
      for (const m of text.matchAll(this.pattern)) spans.push([m.index, m.index + (m[1]?.length ?? 0)]);
    }
    for (const v of this.long) for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, i + 1)) spans.push([i, i + v.length]);
    this.windows.spans(text, spans);
    return spans.length === 0 ? text : replaceSpans(text, spans);
  }

  /**
   * Masks, then cuts to `maxChars`. In this order a secret straddling the cut is masked whole;
   * cutting first would leave its first characters in clear (the mask no longer matches them).
   */
  maskAndClip(text: string, maxChars: number): string {
    const masked = this.mask(text);
    if (masked.length <= maxChars) return masked;
    return `${masked.slice(0, maxChars)}… (${masked.length - maxChars} more characters)`;
  }

  /**
   * `name` with the secrets that can be told apart in a name masked: those of MIN_FRAGMENT_LENGTH
   * or more characters (and 8-character pieces of them). For names a step chooses at run time,
   * which maskDeep keeps as they are (see the module's comment).
   */
  maskName(name: string): string {
    if (this.named === undefined) {
      const long = [...this.secrets].filter((s) => s.trim().length >= MIN_FRAGMENT_LENGTH);
      this.named = long.length === this.secrets.size ? this : new Masker(long);
    }
    return this.named.mask(name);
  }

  /**
   * A copy of `value` with every string value masked: object values, array items, Error messages
   * and stacks (also of `cause`). Object keys are kept as they are (see the module's comment).
   * Numbers, booleans, null and undefined pass unchanged; Dates and other class instances are kept
   * as they are. Cycles are preserved, not followed forever.
   */
  maskDeep<T>(value: T): T {
    if (this.values.length === 0) return value;
    return this.deep(value, new WeakMap()) as T;
  }

  private deep(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (typeof value !== 'object' || value === null) return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.deep(item, seen));
      return copy;
    }
    if (value instanceof Error) {
      const copy = new Error(this.mask(value.message));
      seen.set(value, copy);
      copy.name = value.name;
      copy.stack = value.stack === undefined ? undefined : this.mask(value.stack);
      // Own enumerable fields (code, status, …) and the cause chain.
      for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = this.deep(v, seen);
      if (value.cause !== undefined) copy.cause = this.deep(value.cause, seen);
      return copy;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Date, Buffer, Map, class instances
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(copy, k, { value: this.deep(v, seen), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
}
