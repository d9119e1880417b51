/**
 * Authentication of alert deliveries, on the raw body before anything parses it. Constant-time
 * (digests of equal length are compared with timingSafeEqual) and closed by default: a source with
 * no secret configured refuses everything. Each setting may hold several comma-separated secrets,
 * so a secret is rotated by adding the new one, switching the sender, then removing the old one.
 *
 *   alertmanager, generic  Authorization: Bearer TOKEN (or Basic with TOKEN as password), ALERT_TOKEN
 *   grafana                X-Grafana-Alerting-Signature: hex HMAC-SHA256 of `TIMESTAMP:BODY` when
 *                          X-Grafana-Alerting-Timestamp is sent (refused beyond 5 minutes off), else
 *                          of BODY, with GRAFANA_WEBHOOK_SECRET; or the bearer token
 *   pagerduty              X-PagerDuty-Signature: v1=HEX[,v1=HEX…], HMAC-SHA256 of BODY, any match,
 *                          with PAGERDUTY_WEBHOOK_SECRET
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertSource } from './types.js';

export interface AlertSecrets {
  /** ALERT_TOKEN values. */
  tokens: string[];
  /** GRAFANA_WEBHOOK_SECRET values. */
  grafana: string[];
  /** PAGERDUTY_WEBHOOK_SECRET values. */
  pagerduty: string[];
}

/** How far a Grafana timestamp may be from our clock. */
export const GRAFANA_MAX_SKEW_MS = 5 * 60_000;

/** `a, b,,c` → [a, b, c]. */
export function splitSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function readAlertSecrets(env: { ALERT_TOKEN?: string; GRAFANA_WEBHOOK_SECRET?: string; PAGERDUTY_WEBHOOK_SECRET?: string }): AlertSecrets {
  return { tokens: splitSecrets(env.ALERT_TOKEN), grafana: splitSecrets(env.GRAFANA_WEBHOOK_SECRET), pagerduty: splitSecrets(env.PAGERDUTY_WEBHOOK_SECRET) };
}

/** Whether a route can accept anything at all (`serve` says which ones cannot at start). */
export function routeOpen(source: AlertSource, s: AlertSecrets): boolean {
  if (source === 'pagerduty') return s.pagerduty.length > 0;
  if (source === 'grafana') return s.grafana.length > 0 || s.tokens.length > 0;
  return s.tokens.length > 0;
}

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** True when any candidate equals any secret; every pair is compared (no early exit). */
function anyEqual(candidates: string[], secrets: string[]): boolean {
  let ok = false;
  for (const c of candidates) for (const s of secrets) ok = safeEqual(c, s) || ok;
  return ok;
}

function hmacHex(secret: string, data: Buffer | string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token of `Authorization: Bearer T` or the password of `Authorization: Basic base64(user:T)`. */
export function presentedToken(h: Headers): string | undefined {
  const auth = header(h, 'authorization');
  if (!auth) return undefined;
  const m = /^(\w+)\s+(.+)$/.exec(auth.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === 'bearer') return m[2].trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2].trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

export type AuthResult = { ok: true } | { ok: false; message: string };

const NO_SECRET: Record<AlertSource, string> = {
  alertmanager: 'this route is closed: set ALERT_TOKEN to accept Alertmanager deliveries',
  generic: 'this route is closed: set ALERT_TOKEN to accept generic alerts',
  grafana: 'this route is closed: set GRAFANA_WEBHOOK_SECRET (or ALERT_TOKEN) to accept Grafana deliveries',
  pagerduty: 'this route is closed: set PAGERDUTY_WEBHOOK_SECRET to accept PagerDuty deliveries',
};

export function authenticate(source: AlertSource, h: Headers, body: Buffer, secrets: AlertSecrets, nowMs: number): AuthResult {
  if (!routeOpen(source, secrets)) return { ok: false, message: NO_SECRET[source] };
  if (source === 'pagerduty') return checkPagerDuty(h, body, secrets.pagerduty);
  if (source === 'grafana') {
    const signature = header(h, 'x-grafana-alerting-signature');
    if (signature !== undefined && secrets.grafana.length > 0) return checkGrafana(signature, header(h, 'x-grafana-alerting-timestamp'), body, secrets.grafana, nowMs);
  }
  const token = presentedToken(h);
  if (token === undefined) {
    return { ok: false, message: source === 'grafana' ? 'missing X-Grafana-Alerting-Signature or Authorization header' : 'missing Authorization header (Bearer token or Basic password: ALERT_TOKEN)' };
  }
  return anyEqual([token], secrets.tokens) ? { ok: true } : { ok: false, message: 'wrong token' };
}

function checkGrafana(signature: string, timestamp: string | undefined, body: Buffer, secrets: string[], nowMs: number): AuthResult {
  let signed: Buffer = body;
  if (timestamp !== undefined) {
    const seconds = Number(timestamp);
    if (!Number.isFinite(seconds)) return { ok: false, message: 'X-Grafana-Alerting-Timestamp is not a Unix time' };
    // Grafana sends seconds; accept milliseconds too rather than refuse a sender that uses them.
    const ms = seconds > 1e11 ? seconds : seconds * 1000;
    if (Math.abs(nowMs - ms) > GRAFANA_MAX_SKEW_MS) return { ok: false, message: 'X-Grafana-Alerting-Timestamp is more than 5 minutes off (a replay, or a clock to fix)' };
    signed = Buffer.concat([Buffer.from(`${timestamp}:`), body]);
  }
  const expected = secrets.map((s) => hmacHex(s, signed));
  return anyEqual([signature.trim().toLowerCase()], expected) ? { ok: true } : { ok: false, message: 'wrong X-Grafana-Alerting-Signature' };
}

function checkPagerDuty(h: Headers, body: Buffer, secrets: string[]): AuthResult {
  const raw = header(h, 'x-pagerduty-signature');
  if (!raw) return { ok: false, message: 'missing X-PagerDuty-Signature header' };
  const given = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3).toLowerCase());
  if (given.length === 0) return { ok: false, message: 'X-PagerDuty-Signature holds no v1= signature' };
  const expected = secrets.map((s) => hmacHex(s, body));
  return anyEqual(given, expected) ? { ok: true } : { ok: false, message: 'wrong X-PagerDuty-Signature' };
}
