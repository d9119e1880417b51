/**
 * Slack request signatures (v0 HMAC-SHA256 over `v0:timestamp:body` with the signing secret).
 * The timestamp window is checked here in both directions (Bolt's check only refuses the past),
 * then Bolt's verifySlackRequest checks the signature in constant time.
 */
import { verifySlackRequest } from '@slack/bolt';

export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureProblem = 'missing_headers' | 'stale_timestamp' | 'invalid_signature';

export function checkSlackSignature(opts: {
  signingSecret: string;
  body: string;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
}): SignatureProblem | undefined {
  const { signature, timestamp } = opts;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return 'missing_headers';
  const ts = Number(timestamp);
  if (Math.abs(Math.floor(opts.nowMs / 1000) - ts) > MAX_SKEW_SECONDS) return 'stale_timestamp';
  try {
    verifySlackRequest({ signingSecret: opts.signingSecret, body: opts.body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts }, nowMilliseconds: opts.nowMs });
    return undefined;
  } catch {
    return 'invalid_signature';
  }
}
