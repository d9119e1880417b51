/**
 * The replay window of signed platform requests (Slack, Discord): the signature headers must be
 * present and the signed timestamp (Unix seconds) within 5 minutes of now in either direction,
 * so a captured request cannot be played again later.
 */
export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureProblem = 'missing_headers' | 'stale_timestamp' | 'invalid_signature';

/** The headers' problem, found before the signature itself is checked; else the two header values. */
export function checkSignedHeaders(signature: string | string[] | undefined, timestamp: string | string[] | undefined, nowMs: number): { problem: SignatureProblem } | { signature: string; timestamp: string } {
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return { problem: 'missing_headers' };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) return { problem: 'stale_timestamp' };
  return { signature, timestamp };
}
