/**
 * Access to the list pages (`/runs`, `/incidents`): CHATOPS_WEB_TOKEN, sent as
 * `Authorization: Bearer TOKEN`, or entered once in the login form, which sets an HttpOnly,
 * SameSite=Strict session cookie. The cookie holds no token: an expiry and an HMAC of it keyed by
 * the token, so changing the token ends every session. No token set: the lists refuse everyone.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'chatops_web';
export const SESSION_TTL_MS = 12 * 3600_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time equality of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export class WebAccess {
  constructor(
    private readonly token: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.token !== undefined && this.token.length > 0;
  }

  checkToken(given: string | undefined): boolean {
    return this.enabled && given !== undefined && sameSecret(given, this.token ?? '');
  }

  bearer(header: string | undefined): boolean {
    const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
    return this.checkToken(m?.[1]?.trim());
  }

  /** A new session cookie value: `EXPIRY.MAC`. */
  session(): string {
    const exp = String(this.now() + SESSION_TTL_MS);
    return `${exp}.${this.mac(exp)}`;
  }

  checkSession(value: string | undefined): boolean {
    if (!this.enabled || value === undefined) return false;
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m?.[1] || !m[2]) return false;
    const ok = timingSafeEqual(Buffer.from(this.mac(m[1]), 'base64url'), Buffer.from(m[2], 'base64url'));
    return ok && Number(m[1]) > this.now();
  }

  private mac(exp: string): string {
    return createHmac('sha256', this.token ?? '').update(`chatops-web-session\n${exp}`).digest('base64url');
  }
}
