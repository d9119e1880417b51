/**
 * Signed links to run and incident pages. Chat carries `/runs/ID?exp=UNIX&sig=HMAC`: the HMAC
 * (SHA-256, base64url) of the page kind, its id and the expiry, under CHATOPS_WEB_KEY, a key every
 * front shares. Whoever sees the message can open that one page until the link expires, and
 * nobody can make a link to another. The setting may hold several comma-separated keys: the first
 * signs, any verifies, so a key is rotated by adding the new one first, then removing the old one
 * once links signed with it no longer matter.
 *
 * Fail closed: with no key nothing verifies (the pages answer 503 saying what to set), and a key
 * shorter than MIN_KEY_LENGTH is refused at start.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type PageKind = 'run' | 'incident';

/** Shortest key accepted: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_KEY_LENGTH = 32;

/** Default lifetime of a link: as long as a finished run is kept (CHATOPS_RETENTION's default). */
export const DEFAULT_LINK_TTL_MS = 30 * 24 * 3600_000;

export class WebKeyError extends Error {
  readonly code = 'WEB_KEY_TOO_SHORT';
}

/** `a, b` → keys; each must be at least MIN_KEY_LENGTH characters. */
export function parseWebKeys(value: string | undefined): string[] {
  const keys = (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  for (const k of keys) {
    if (k.length < MIN_KEY_LENGTH) throw new WebKeyError(`CHATOPS_WEB_KEY: each key needs at least ${MIN_KEY_LENGTH} characters (got one of ${k.length}); make one with \`openssl rand -base64 32\``);
  }
  return keys;
}

export interface LinkQuery {
  exp: string;
  sig: string;
}

export type LinkCheck = { ok: true; expiresAt: number } | { ok: false; reason: 'no-key' | 'malformed' | 'expired' | 'bad-signature' };

function mac(key: string, kind: PageKind, id: string, exp: string): Buffer {
  return createHmac('sha256', key).update(`chatops-web\n${kind}\n${id}\n${exp}`).digest();
}

export class LinkSigner {
  constructor(
    private readonly keys: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The query string (`exp=…&sig=…`) of a link to one page; undefined when no key is set. */
  sign(kind: PageKind, id: string, ttlMs = DEFAULT_LINK_TTL_MS): LinkQuery | undefined {
    const key = this.keys[0];
    if (key === undefined) return undefined;
    const exp = String(Math.ceil((this.now() + ttlMs) / 1000));
    return { exp, sig: mac(key, kind, id, exp).toString('base64url') };
  }

  /** Checks a link's query against every key (constant time per key, no early exit). */
  verify(kind: PageKind, id: string, query: { exp?: unknown; sig?: unknown }): LinkCheck {
    if (this.keys.length === 0) return { ok: false, reason: 'no-key' };
    const { exp, sig } = query;
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return { ok: false, reason: 'malformed' };
    const given = Buffer.from(sig, 'base64url');
    let match = false;
    for (const key of this.keys) match = timingSafeEqual(mac(key, kind, id, exp), given) || match;
    if (!match) return { ok: false, reason: 'bad-signature' };
    const expiresAt = Number(exp) * 1000;
    if (expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, expiresAt };
  }
}

/** `exp=…&sig=…` for a URL. */
export function linkQueryString(q: LinkQuery): string {
  return new URLSearchParams({ exp: q.exp, sig: q.sig }).toString();
}
